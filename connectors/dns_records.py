"""The DNS records a sending domain needs, as plain data (pure: no Pulumi, no AWS).

The Pulumi program creates these in Route53 or exports them for whoever runs the zone; the
readiness check lists the ones still missing. Only three kinds of names are ever written for
SES: `<token>._domainkey.<domain>` (DKIM), `<mailFrom>.<domain>` (MX + SPF) and
`_dmarc.<domain>`. Never a TXT on the domain itself, so an existing SPF there is never touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

RecordType = Literal["CNAME", "TXT", "MX"]
SPF_SES = "v=spf1 include:amazonses.com ~all"
TTL = 1800


@dataclass(frozen=True)
class Record:
    type: RecordType
    name: str
    value: str
    priority: int | None = None
    purpose: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}

    @property
    def zone_value(self) -> str:
        """The value as a zone file / Route53 holds it (MX priority first, long TXT split)."""
        if self.type == "MX":
            return f"{self.priority if self.priority is not None else 10} {self.value}"
        if self.type == "TXT":
            return route53_txt(self.value)
        return self.value

    def __str__(self) -> str:
        return f"{self.name} {self.type} {self.zone_value}"


def route53_txt(value: str) -> str:
    """A TXT value as Route53 takes it: strings over 255 characters split with `""`."""
    chunks = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
    return '""'.join(chunks)


def dkim_records(domain: str, tokens: Iterable[str]) -> list[Record]:
    """SES Easy DKIM: three CNAMEs to `<token>.dkim.amazonses.com`."""
    return [
        Record("CNAME", f"{t}._domainkey.{domain}", f"{t}.dkim.amazonses.com", purpose="DKIM")
        for t in tokens
    ]


def mail_from_domain(domain: str, subdomain: str) -> str:
    return f"{subdomain}.{domain}"


def mail_from_records(domain: str, subdomain: str, region: str) -> list[Record]:
    """Custom MAIL FROM: MX to SES's feedback endpoint and an SPF on that subdomain only."""
    name = mail_from_domain(domain, subdomain)
    return [
        Record("MX", name, f"feedback-smtp.{region}.amazonses.com", priority=10, purpose="MAIL FROM"),
        Record("TXT", name, SPF_SES, purpose="MAIL FROM SPF"),
    ]


def dmarc_value(policy: str, report_email: str | None = None, alignment: str = "relaxed") -> str:
    """`v=DMARC1; p=…; rua=mailto:…; adkim=…; aspf=…` (alignment: relaxed → r, strict → s)."""
    if policy not in ("none", "quarantine", "reject"):
        raise ValueError("DMARC policy must be none, quarantine or reject")
    if alignment not in ("relaxed", "strict"):
        raise ValueError("DMARC alignment must be relaxed or strict")
    a = alignment[0]
    parts = ["v=DMARC1", f"p={policy}"]
    if report_email:
        parts.append(f"rua=mailto:{report_email}")
    parts += [f"adkim={a}", f"aspf={a}"]
    return "; ".join(parts)


def dmarc_record(domain: str, policy: str, report_email: str | None, alignment: str) -> Record:
    return Record("TXT", f"_dmarc.{domain}", dmarc_value(policy, report_email, alignment), purpose="DMARC")


DMARC_RAMP = ("none", "quarantine", "reject")


def next_dmarc_policy(policy: str) -> str | None:
    """The next step of the DMARC ramp none → quarantine → reject (None once at reject)."""
    i = DMARC_RAMP.index(policy)
    return DMARC_RAMP[i + 1] if i + 1 < len(DMARC_RAMP) else None


def dmarc_domain(provider: Any, sender_email: str | None) -> str | None:
    """Where a tenant's DMARC record goes: where its provider publishes it (SES: the identity's
    domain), else the From domain (receivers look DMARC up at `_dmarc.<From domain>`)."""
    from connectors.providers import BY_TYPE  # the registry imports this module

    registered = BY_TYPE.get(getattr(provider, "type", None) or "")
    if registered is not None and registered.dmarc_at is not None:
        return registered.dmarc_at(provider)
    if sender_email and "@" in sender_email:
        return sender_email.rsplit("@", 1)[1].lower()
    return None


def ses_records(
    domain: str,
    region: str,
    dkim_tokens: Iterable[str],
    mail_from_subdomain: str,
    dmarc: Any | None = None,
) -> list[Record]:
    """Every record an SES sending domain needs. `dmarc` is a DmarcSpec-like object or None."""
    out = dkim_records(domain, dkim_tokens) + mail_from_records(domain, mail_from_subdomain, region)
    if dmarc is not None and getattr(dmarc, "enabled", True):
        out.append(dmarc_record(domain, dmarc.policy, dmarc.report_email, dmarc.alignment))
    return out
