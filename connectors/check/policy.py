"""Policy checks that need no cloud credentials: the stack file, its rendered templates and
connector configs, and the other stack files beside it.

Every rule is a small function `(ctx, key, tenant) -> findings`; the codes are stable so a
pipeline can ignore one (`--ignore LE142`) and README.md ("Policy checks") explains each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit

from connectors.check.findings import Finding, Severity
from connectors.errors import ConfigError
from connectors.logto.endpoint import is_private_host
from connectors.logto_facts import REQUIRED_USAGE_TYPES, placeholder_problems
from connectors.spec.loader import NAMESPACE, available_stacks, load_stack, read_yaml, stack_file
from connectors.spec.models import AwsSesProvider, SesSmtpProvider, StackSpec, TenantSpec

E, W, I = Severity.error, Severity.warning, Severity.info
BASE = f"config.{NAMESPACE}:tenants"

_DEV_WORD = re.compile(r"(dev|develop|development|staging|stage|stg|sandbox|preview)\d*(?=$|[.\-_:])")
_DEV_TOKENS = {"test", "testing", "qa", "uat", "local", "localhost"}


@dataclass
class Context:
    spec: StackSpec
    project_dir: Path
    other_endpoints: dict[str, list[str]] = field(default_factory=dict)  # endpoint -> ["stack/tenant", …]
    findings: list[Finding] = field(default_factory=list)


Rule = Callable[[Context, str, TenantSpec], Iterable[Finding]]


def check_stack(project_dir: Path | str, stack: str) -> tuple[StackSpec | None, list[Finding]]:
    """All offline findings of one stack. A stack that does not load yields LE100 findings only."""
    project_dir = Path(project_dir)
    try:
        spec = load_stack(project_dir, stack)
    except ConfigError as exc:
        return None, [Finding(E, "LE100", p.path or (exc.source or ""), p.message, p.hint) for p in exc.problems]
    ctx = Context(spec, project_dir, _endpoints_elsewhere(project_dir, stack))
    findings: list[Finding] = []
    findings += _shared_endpoints_in_stack(spec)
    for key, tenant in spec.tenants.items():
        for rule in RULES:
            findings.extend(rule(ctx, key, tenant))
    return spec, findings


# -- templates and the connector config --------------------------------------------------------------
def templates_and_config(ctx: Context, key: str, tenant: TenantSpec) -> Iterator[Finding]:
    from connectors.connector_config import build_connector_config, render_tenant

    base = f"{BASE}.{key}"
    try:
        rendered = render_tenant(tenant, ctx.project_dir, path=f"{base}.templates")
        build_connector_config(tenant, rendered, path=f"{base} (connector config)")
    except ConfigError as exc:
        for p in exc.problems:
            yield Finding(E, "LE101", p.path, p.message, p.hint or "fix the template or setting named here; `python -m connectors render` shows the result", key)
        return
    if tenant.provider.type in ("http", "logto-email"):
        return  # the emails are written by the endpoint / by Logto, not by us
    external = set(map(str, getattr(tenant.provider, "template_names", {}) or {}))
    for usage in REQUIRED_USAGE_TYPES:
        if usage in external:
            continue
        for locale in rendered.locales:
            if (locale, str(usage)) not in rendered.emails:
                yield Finding(E, "LE102", f"{base}.templates", f"no {usage} email in locale {locale}: Logto refuses a connector without it",
                              f"add {usage} templates (or remove {locale} from locales)", key)
    for (locale, usage), email in rendered.emails.items():
        if usage in external:
            continue
        for problem in placeholder_problems(usage, email.subject, email.html, email.text):
            yield Finding(E, "LE103", f"{base}.templates", f"{usage} ({locale}): {problem}",
                          "fix the placeholders in the template; Logto fills only the ones its payload carries", key)


# -- sender domain vs the provider's identity -----------------------------------------------------------
def sender_domain(ctx: Context, key: str, tenant: TenantSpec) -> Iterator[Finding]:
    p, s = tenant.provider, tenant.sender
    if s is None:
        return
    base = f"{BASE}.{key}"
    frm = _domain_of(s.email)
    if isinstance(p, (AwsSesProvider, SesSmtpProvider)) and frm != p.domain and p.domain.endswith("." + frm):
        yield Finding(E, "LE110", f"{base}.sender.email",
                      f"sender domain {frm} is a parent of the SES identity {p.domain}; SES sends only from the identity's domain and its subdomains",
                      f"send from an address @{p.domain}, or make {frm} the identity (provider.domain)", key)
    if p.type in ("sendgrid", "postmark"):
        domains = _authenticated_domains(p.dns_records)
        if not domains:
            yield Finding(W if ctx.spec.production else I, "LE112", f"{base}.provider.dnsRecords",
                          f"no domain-authentication records are declared for {p.type}, so the sender domain {frm} is not known to be authenticated",
                          f"copy the DKIM/Return-Path records {p.type} shows for {frm} into provider.dnsRecords", key)
        elif not any(frm == d or frm.endswith("." + d) for d in domains):
            yield Finding(E, "LE111", f"{base}.sender.email",
                          f"sender domain {frm} is not among the domains authenticated at {p.type} ({', '.join(sorted(domains))}); mail fails DMARC or is refused",
                          f"send from an address @{sorted(domains)[0]}, or authenticate {frm} and declare its records", key)


def _authenticated_domains(records: Iterable[Any]) -> set[str]:
    names = [r.name.lower().rstrip(".") for r in records]
    dkim = {n.split("._domainkey.", 1)[1] for n in names if "._domainkey." in n}
    return dkim or {n.split(".", 1)[1] for n in names if n.count(".") >= 2}


# -- production pointing at the wrong place -------------------------------------------------------------
def production_endpoints(ctx: Context, key: str, tenant: TenantSpec) -> Iterator[Finding]:
    base = f"{BASE}.{key}"
    endpoint = tenant.logto.endpoint
    url = urlsplit(endpoint)
    host = url.hostname or ""
    if ctx.spec.production:
        reason = dev_like(host)
        if reason:
            yield Finding(E, "LE120", f"{base}.logto.endpoint", f"production stack points at {endpoint}, which looks like {reason}",
                          "set the production tenant's endpoint (pulumi config set --path 'tenants.%s.logto.endpoint' https://<tenant>.logto.app)" % key, key)
        if url.scheme != "https":
            yield Finding(E, "LE122", f"{base}.logto.endpoint", "production Logto endpoint is plain http: the M2M secret and connector secrets cross the network unencrypted",
                          "use the https:// endpoint", key)
        for other in ctx.other_endpoints.get(_norm(endpoint), []):
            yield Finding(E, "LE121", f"{base}.logto.endpoint", f"the same Logto endpoint as {other}: both stacks would write this tenant's one email connector",
                          "give each stack its own Logto tenant", key)
        p = tenant.provider
        if p.type in ("http", "relay") and p.endpoint:
            purl = urlsplit(p.endpoint)
            if purl.scheme != "https":
                yield Finding(E, "LE123", f"{base}.provider.endpoint", "production HTTP email endpoint is plain http: every code and the Authorization header cross the network unencrypted",
                              "serve the endpoint over https", key)
            why = dev_like(purl.hostname or "")
            if why:
                yield Finding(W, "LE124", f"{base}.provider.endpoint", f"production HTTP email endpoint {p.endpoint} looks like {why}", "point it at the production mail service", key)
        if p.type == "smtp":
            why = dev_like(p.host)
            if why:
                yield Finding(W, "LE124", f"{base}.provider.host", f"production SMTP host {p.host} looks like {why}", "point it at the production relay", key)
            if p.effective_security == "none":
                yield Finding(E, "LE125", f"{base}.provider.security", "production SMTP without TLS: codes (and the password) travel in clear text",
                              "use security: starttls (587) or tls (465)", key)
        if tenant.test_recipient is None:
            yield Finding(E, "LE130", f"{base}.testRecipient", "production tenant has no test recipient: a connector change would go live without a test email",
                          f"pulumi config set --path 'tenants.{key}.testRecipient' mail-canary@<your domain> --stack {ctx.spec.stack}", key)


def dev_like(host: str) -> str | None:
    """Why a host looks like a non-production one, or None."""
    host = host.lower().strip("[]")
    if not host:
        return None
    if is_private_host(host):
        return "a local or private host"
    if _DEV_WORD.search(host):
        return f"a development/staging host ({_DEV_WORD.search(host).group(0)})"  # type: ignore[union-attr]
    tokens = {t.rstrip("0123456789") for t in re.split(r"[.\-_]", host)}
    hit = sorted(tokens & _DEV_TOKENS)
    return f"a test host ({hit[0]})" if hit else None


def _shared_endpoints_in_stack(spec: StackSpec) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for key, tenant in spec.tenants.items():
        ep = _norm(tenant.logto.endpoint)
        if ep in seen:
            yield Finding(E, "LE121", f"{BASE}.{key}.logto.endpoint", f"tenants {seen[ep]} and {key} point at the same Logto endpoint; a tenant has one email connector, so they would overwrite each other",
                          "declare the Logto tenant once", key)
        else:
            seen[ep] = key


def _endpoints_elsewhere(project_dir: Path, stack: str) -> dict[str, list[str]]:
    """Endpoints of the other stacks' tenants, read without validating those stacks."""
    out: dict[str, list[str]] = {}
    for other in available_stacks(project_dir):
        if other == stack:
            continue
        try:
            config = (read_yaml(stack_file(project_dir, other)) or {}).get("config") or {}
            tenants = config.get(f"{NAMESPACE}:tenants") or {}
            for key, raw in tenants.items():
                ep = ((raw or {}).get("logto") or {}).get("endpoint")
                if isinstance(ep, str):
                    out.setdefault(_norm(ep), []).append(f"stack {other}, tenant {key}")
        except Exception:  # noqa: BLE001 - another stack's broken file is its own check's business
            continue
    return out


def _norm(endpoint: str) -> str:
    return endpoint.strip().rstrip("/").lower()


# -- DMARC, events, readiness ---------------------------------------------------------------------------
def ses_policy(ctx: Context, key: str, tenant: TenantSpec) -> Iterator[Finding]:
    p = tenant.provider
    if not isinstance(p, (AwsSesProvider, SesSmtpProvider)):
        return
    base = f"{BASE}.{key}.provider"
    dmarc, prod = p.dmarc, ctx.spec.production
    if dmarc.enabled and dmarc.policy in ("reject", "quarantine") and tenant.sender is not None:
        frm = _domain_of(tenant.sender.email)
        mail_from = f"{p.mail_from_subdomain}.{p.domain}"
        strict = dmarc.alignment == "strict"
        dkim_ok = frm == p.domain if strict else _org(frm) == _org(p.domain)
        spf_ok = frm == mail_from if strict else _org(frm) == _org(mail_from)
        if not (dkim_ok or spf_ok):
            yield Finding(E if dmarc.policy == "reject" else W, "LE140", f"{base}.dmarc.policy",
                          f"p={dmarc.policy} with {dmarc.alignment} alignment, but the From domain {frm} aligns with neither DKIM (d={p.domain}) "
                          f"nor SPF (MAIL FROM {mail_from}): receivers would {'reject' if dmarc.policy == 'reject' else 'quarantine'} every code email",
                          f"send from @{p.domain}" + (", or use alignment: relaxed" if strict and _org(frm) == _org(p.domain) else ""), key)
    if prod and not dmarc.enabled:
        yield Finding(E, "LE141", f"{base}.dmarc.enabled", "DMARC is disabled on a production stack: the domain can be spoofed and mailbox providers distrust it",
                      "remove dmarc.enabled: false (start with policy: none and a reportEmail)", key)
    elif prod and dmarc.policy == "none":
        yield Finding(W, "LE142", f"{base}.dmarc.policy", "DMARC p=none on production only monitors; spoofed mail is still delivered",
                      "after checking the aggregate reports, tighten to quarantine or reject (in dev first, then promote)", key)
    if prod and dmarc.enabled and dmarc.policy != "none" and not dmarc.report_email:
        yield Finding(W, "LE143", f"{base}.dmarc.reportEmail", f"p={dmarc.policy} without a report address: rejected mail goes unnoticed",
                      "set dmarc.reportEmail", key)
    if prod and not p.events.enabled:
        yield Finding(E, "LE150", f"{base}.events.enabled", "SES events are disabled on production: bounces and complaints go unseen until SES pauses the account",
                      "remove events.enabled: false", key)
    elif prod and not {"BOUNCE", "COMPLAINT"} <= set(p.events.types):
        missing = sorted({"BOUNCE", "COMPLAINT"} - set(p.events.types))
        yield Finding(W, "LE151", f"{base}.events.types", f"production events lack {', '.join(missing)}", "keep BOUNCE and COMPLAINT in events.types", key)
    if prod and p.readiness.require_production_access is False:
        yield Finding(W, "LE160", f"{base}.readiness.requireProductionAccess", "a production stack accepts an SES account in the sandbox: users outside the verified addresses get no codes",
                      "remove requireProductionAccess: false", key)


def production_safety(ctx: Context, key: str, tenant: TenantSpec) -> Iterator[Finding]:
    if not ctx.spec.production:
        return
    base = f"{BASE}.{key}"
    if tenant.allow_sign_in_breakage:
        yield Finding(W, "LE161", f"{base}.allowSignInBreakage", "production allows destroy to delete a connector that sign-in needs",
                      "remove allowSignInBreakage (set it only for the one deliberate destroy)", key)
    b = tenant.branding
    for name, url in (("logoUrl", b.logo_url if b else None), ("supportUrl", b.support_url if b else None)):
        if url and url.startswith("http://"):
            yield Finding(W, "LE170", f"{base}.branding.{name}", f"{name} is plain http: mail clients block or flag it", "use https", key)


def _domain_of(email: str) -> str:
    return email.rsplit("@", 1)[1].lower()


_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"}


def _org(domain: str) -> str:
    """The organizational domain (approximation of the public suffix list, enough for alignment)."""
    labels = domain.lower().split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


RULES: tuple[Rule, ...] = (templates_and_config, sender_domain, production_endpoints, ses_policy, production_safety)
