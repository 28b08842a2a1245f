"""Is a sending domain's DNS what its provider publishes? SPF, DKIM, MAIL FROM and DMARC.

Reads DNS through a small `Resolver` protocol (dnspython by default; tests point it at a local
server). Every check yields `DnsCheck`s with a status a pipeline can gate on:
`ok`, `missing`, `mismatch`, `error` (e.g. SPF over its 10-lookup limit) or `unknown` (the
lookup itself failed). Values shown are public DNS data, never a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from connectors.dns_records import Record, dmarc_value

SPF_LOOKUP_LIMIT = 10  # RFC 7208 §4.6.4: include, a, mx, ptr, exists and redirect count
_SPF_COUNTED = re.compile(r"^[+\-~?]?(include:|a(?=$|[:/])|mx(?=$|[:/])|ptr(?=$|:)|exists:|redirect=)", re.IGNORECASE)


class DnsLookupFailed(RuntimeError):
    """The resolver did not answer (timeout, SERVFAIL): nothing is known about the record."""


class Resolver(Protocol):
    def lookup(self, name: str, rtype: str) -> list[str]:
        """The record's values as text ([] when the name or type does not exist)."""
        ...


def parse_nameserver(text: str) -> tuple[str, int]:
    """`IP` or `IPv4:PORT` or `[IPv6]:PORT` → (ip, port); ValueError says what is wrong."""
    import ipaddress

    host, port = text.strip(), "53"
    if host.startswith("["):
        host, bracket, rest = host[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError("write an IPv6 nameserver as [address]:PORT")
        port = rest[1:] or "53"
    elif host.count(":") == 1:
        host, port = host.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError("the nameserver must be an IP address, optionally with :PORT (e.g. 127.0.0.1:5353)") from None
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("the nameserver's port must be a number from 1 to 65535")
    return host, int(port)


class DnsResolver:
    """dnspython against the system's resolvers, or `nameserver` (`IP[:PORT]`)."""

    def __init__(self, nameserver: str | None = None, timeout: float = 5.0) -> None:
        import dns.resolver

        self._resolver = dns.resolver.Resolver(configure=nameserver is None)
        if nameserver:
            host, port = parse_nameserver(nameserver)
            self._resolver.nameservers = [host]
            self._resolver.port = port
        self._resolver.lifetime = timeout

    def lookup(self, name: str, rtype: str) -> list[str]:
        import dns.exception
        import dns.resolver

        try:
            answer = self._resolver.resolve(name, rtype, raise_on_no_answer=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsLookupFailed(f"{rtype} {name}: {type(exc).__name__}") from None
        if answer.rrset is None:
            return []
        out = []
        for rdata in answer.rrset:
            if rtype == "TXT":
                out.append(b"".join(rdata.strings).decode("utf-8", "replace"))
            elif rtype == "MX":
                out.append(f"{rdata.preference} {str(rdata.exchange).rstrip('.').lower()}")
            else:
                out.append(str(rdata.target if hasattr(rdata, "target") else rdata).rstrip(".").lower())
        return out


@dataclass(frozen=True)
class DnsCheck:
    kind: str  # spf, dkim, mail-from-mx, dmarc
    name: str
    status: str  # ok, missing, mismatch, error, unknown
    message: str
    expected: str | None = None
    found: list[str] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _norm_host(value: str) -> str:
    return value.strip().rstrip(".").lower()


def _norm_txt(value: str) -> str:
    return re.sub(r"\s+", " ", value.replace('""', "").strip().strip('"')).strip()


def check_record(resolver: Resolver, record: Record, kind: str) -> DnsCheck:
    """A provider-published record (DKIM CNAME/TXT, MAIL FROM MX, a CNAME) is there with its value."""
    try:
        found = resolver.lookup(record.name, record.type)
    except DnsLookupFailed as exc:
        return DnsCheck(kind, record.name, "unknown", f"lookup failed: {exc}", record.value)
    if record.type == "MX":
        want = f"{record.priority if record.priority is not None else 10} {_norm_host(record.value)}"
        hosts = [f.split(" ", 1)[-1] for f in found]
        if want in found or _norm_host(record.value) in hosts:
            return DnsCheck(kind, record.name, "ok", "present", want, found)
        return _absent_or_wrong(kind, record, found, want)
    if record.type == "CNAME":
        want = _norm_host(record.value)
        if want in [_norm_host(f) for f in found]:
            return DnsCheck(kind, record.name, "ok", "present", want, found)
        return _absent_or_wrong(kind, record, found, want)
    want = _norm_txt(record.value)
    if want in [_norm_txt(f) for f in found]:
        return DnsCheck(kind, record.name, "ok", "present", want, found)
    return _absent_or_wrong(kind, record, found, want)


def _absent_or_wrong(kind: str, record: Record, found: list[str], want: str) -> DnsCheck:
    if not found:
        return DnsCheck(kind, record.name, "missing", f"no {record.type} record at {record.name}", want, found)
    return DnsCheck(kind, record.name, "mismatch", f"{record.type} at {record.name} is not the provider's value", want, found)


def spf_records(values: Iterable[str]) -> list[str]:
    return [v for v in values if _norm_txt(v).lower().startswith("v=spf1")]


def spf_lookups(resolver: Resolver, domain: str, *, _seen: frozenset[str] = frozenset(), _depth: int = 0) -> int:
    """DNS lookups an SPF evaluation of `domain` costs (RFC 7208 §4.6.4), following include/redirect."""
    if domain in _seen or _depth > 12:
        return SPF_LOOKUP_LIMIT + 1  # a loop or absurd nesting: as bad as over the limit
    records = spf_records(resolver.lookup(domain, "TXT"))
    if len(records) != 1:
        return 0  # none or several: a permerror of its own, reported by the caller
    count = 0
    for term in _norm_txt(records[0]).split()[1:]:
        if not _SPF_COUNTED.match(term):
            continue
        count += 1
        low = term.lstrip("+-~?").lower()
        if low.startswith("include:"):
            count += spf_lookups(resolver, low[len("include:"):], _seen=_seen | {domain}, _depth=_depth + 1)
        elif low.startswith("redirect="):
            count += spf_lookups(resolver, low[len("redirect="):], _seen=_seen | {domain}, _depth=_depth + 1)
    return count


def check_spf(resolver: Resolver, domain: str, include: str) -> list[DnsCheck]:
    """One SPF record at `domain`, authorising the provider (`include:<include>`), within 10 lookups."""
    try:
        records = spf_records(resolver.lookup(domain, "TXT"))
    except DnsLookupFailed as exc:
        return [DnsCheck("spf", domain, "unknown", f"lookup failed: {exc}", f"include:{include}")]
    if not records:
        return [DnsCheck("spf", domain, "missing", f"no SPF record at {domain}", f"v=spf1 include:{include} ~all")]
    if len(records) > 1:
        return [DnsCheck("spf", domain, "error", f"{len(records)} SPF records at {domain}: receivers treat that as a permanent error",
                         f"one record with include:{include}", records)]
    out = []
    terms = [t.lstrip("+").lower() for t in _norm_txt(records[0]).split()]
    if f"include:{include}" not in terms and f"redirect={include}" not in terms:
        out.append(DnsCheck("spf", domain, "mismatch", f"the SPF record at {domain} does not include {include}",
                            f"include:{include}", records))
    try:
        n = spf_lookups(resolver, domain)
    except DnsLookupFailed as exc:
        return out + [DnsCheck("spf", domain, "unknown", f"counting SPF lookups failed: {exc}")]
    if n > SPF_LOOKUP_LIMIT:
        out.append(DnsCheck("spf", domain, "error",
                            f"SPF at {domain} needs {n} DNS lookups, over the limit of {SPF_LOOKUP_LIMIT}: receivers fail SPF (permerror)",
                            f"at most {SPF_LOOKUP_LIMIT} lookups", records))
    if not out:
        out.append(DnsCheck("spf", domain, "ok", f"present, {n} lookup(s)", f"include:{include}", records))
    return out


def parse_dmarc(value: str) -> dict[str, str]:
    tags = {}
    for part in _norm_txt(value).split(";"):
        k, _, v = part.strip().partition("=")
        if k:
            tags[k.strip().lower()] = v.strip()
    return tags


def check_dmarc(resolver: Resolver, domain: str, declared: Any | None) -> DnsCheck:
    """`_dmarc.<domain>` exists and, when the stack declares one, says what it declares (p, rua, alignment)."""
    name = f"_dmarc.{domain}"
    want = dmarc_value(declared.policy, declared.report_email, declared.alignment) if declared is not None and declared.enabled else None
    try:
        found = [v for v in resolver.lookup(name, "TXT") if _norm_txt(v).lower().startswith("v=dmarc1")]
    except DnsLookupFailed as exc:
        return DnsCheck("dmarc", name, "unknown", f"lookup failed: {exc}", want)
    if not found:
        return DnsCheck("dmarc", name, "missing", f"no DMARC record at {name}", want)
    if len(found) > 1:
        return DnsCheck("dmarc", name, "error", f"{len(found)} DMARC records at {name}: receivers ignore them all", want, found)
    if want is None:
        return DnsCheck("dmarc", name, "ok", f"present (p={parse_dmarc(found[0]).get('p', '?')})", None, found)
    have, wanted = parse_dmarc(found[0]), parse_dmarc(want)
    keys = ("p", "rua", "adkim", "aspf")
    diff = [k for k in keys if have.get(k, "r" if k in ("adkim", "aspf") else None) != wanted.get(k)]
    if diff:
        return DnsCheck("dmarc", name, "mismatch", f"the DMARC record differs from the stack in {', '.join(diff)}", want, found)
    return DnsCheck("dmarc", name, "ok", f"present (p={have['p']})", want, found)
