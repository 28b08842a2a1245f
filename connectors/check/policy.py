"""Policy checks that need no cloud credentials: the stack file, its rendered templates and
connector configs, and the other stack files beside it.

Every rule is a small function `(ctx, key, tenant) -> findings`; the codes are stable so a
pipeline can ignore one (`--ignore LE142`) and docs/policy-checks.md explains each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.check.findings import Finding, Severity
from connectors.dns_records import next_dmarc_policy
from connectors.errors import ConfigError
from connectors.logto.endpoint import is_private_host
from connectors.logto_facts import REQUIRED_USAGE_TYPES, UsageType, placeholder_problems
from connectors.providers import provider_of
from connectors.stack.loader import (
    NAMESPACE,
    available_stacks,
    load_stack,
    read_yaml,
    stack_file,
)
from connectors.stack.models import (
    BOUNCE_RATE_DEFAULTS,
    COMPLAINT_RATE_DEFAULTS,
    AwsSesProvider,
    SesSmtpProvider,
    StackSpec,
    TenantSpec,
)

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
    if provider_of(tenant.provider.type).emails == "elsewhere":
        return  # the emails are written by the endpoint / by Logto, not by us
    external = set(map(str, getattr(tenant.provider, "template_names", {}) or {}))
    for usage in REQUIRED_USAGE_TYPES:
        if usage in external:
            continue
        for locale in rendered.locales:
            if (locale, str(usage)) not in rendered.emails:
                yield Finding(E, "LE102", f"{base}.templates", f"no {usage} email in locale {locale}: Logto refuses a connector without it",
                              f"add {usage} templates (or remove {locale} from locales)", key)
    for (locale, usage_name), email in rendered.emails.items():
        if usage_name in external:
            continue
        for problem in placeholder_problems(usage_name, email.subject, email.html, email.text):
            yield Finding(E, "LE103", f"{base}.templates", f"{usage_name} ({locale}): {problem}",
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
    signing = provider_of(p.type).signing_of(p)
    if signing is not None and signing.declared:
        domains = set(signing.dkim) or _record_domains(getattr(p, "dns_records", []))
        if not domains:
            yield Finding(W if ctx.spec.production else I, "LE112", f"{base}.provider.dnsRecords",
                          f"no domain-authentication records are declared for {p.type}, so the sender domain {frm} is not known to be authenticated",
                          f"copy the DKIM/Return-Path records {p.type} shows for {frm} into provider.dnsRecords", key)
        elif not any(frm == d or frm.endswith("." + d) for d in domains):
            yield Finding(E, "LE111", f"{base}.sender.email",
                          f"sender domain {frm} is not among the domains authenticated at {p.type} ({', '.join(sorted(domains))}); mail fails DMARC or is refused",
                          f"send from an address @{min(domains)}, or authenticate {frm} and declare its records", key)


def _record_domains(records: Iterable[Any]) -> set[str]:
    """Without DKIM records, the parent domains of whatever records are declared (Return-Path, ...)."""
    names = [r.name.lower().rstrip(".") for r in records]
    return {n.split(".", 1)[1] for n in names if n.count(".") >= 2}


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
                          f"set the production tenant's endpoint (pulumi config set --path 'tenants.{key}.logto.endpoint' https://<tenant>.logto.app)", key)
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


def test_recipient(ctx: Context, key: str, tenant: TenantSpec) -> Iterator[Finding]:
    """Every change to a tenant whose sign-in needs email is test-sent first (in every stack);
    `up` refuses an untested change there, so say it before anything runs."""
    base = f"{BASE}.{key}"
    if tenant.test_recipient is not None:
        return
    if tenant.allow_untested_changes:
        yield Finding(W if ctx.spec.production else I, "LE131", f"{base}.allowUntestedChanges",
                      "the tenant opted out of the test recipient: connector changes go live without a test message, even while sign-in needs email",
                      f"set testRecipient and remove allowUntestedChanges (pulumi config set --path 'tenants.{key}.testRecipient' mail-canary@<your domain> --stack {ctx.spec.stack})", key)
        return
    sie = tenant.sign_in_experience
    declared = bool(sie and (True in (sie.email_sign_up, sie.email_sign_in, sie.forgot_password, sie.email_mfa)
                             or sie.account_center_email == "Edit"))
    severity = E if ctx.spec.production or declared else W
    yield Finding(severity, "LE130", f"{base}.testRecipient",
                  "no test recipient: `pulumi up` refuses every connector change while the tenant's sign-in (or account center, "
                  "or organization invitations) needs email, because the change could not be test-sent first",
                  f"pulumi config set --path 'tenants.{key}.testRecipient' mail-canary@<your domain> --stack {ctx.spec.stack} "
                  "(or allowUntestedChanges: true to opt out, reported as LE131)", key)


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
        except Exception:  # noqa: BLE001, S112 - another stack's broken file is its own check's business
            continue
    return out


def _norm(endpoint: str) -> str:
    return endpoint.strip().rstrip("/").lower()


# -- DMARC (every provider that publishes one), events, readiness ------------------------------------
def dmarc_policy(ctx: Context, key: str, tenant: TenantSpec) -> Iterator[Finding]:
    """Alignment, the production rules, and the next step of the none → quarantine → reject ramp."""
    p = tenant.provider
    dmarc = getattr(p, "dmarc", None)
    if dmarc is None:
        return
    base = f"{BASE}.{key}.provider"
    prod = ctx.spec.production
    if dmarc.enabled and dmarc.policy in ("reject", "quarantine") and tenant.sender is not None:
        frm = _domain_of(tenant.sender.email)
        strict = dmarc.alignment == "strict"
        signing = provider_of(p.type).signing_of(p)
        dkim, spf = (list(signing.dkim), list(signing.spf)) if signing is not None else ([], [])
        aligned = [d for d in dkim + spf if (frm == d if strict else _org(frm) == _org(d))]
        # SendGrid/Postmark: a From outside every authenticated domain is LE111 already.
        covered = signing is not None and signing.declared and not any(frm == d or frm.endswith("." + d) for d in dkim)
        if (dkim or spf) and not aligned and not covered:
            what = f"DKIM (d={', '.join(dkim)})" if dkim else "DKIM"
            what += f" nor SPF (MAIL FROM {', '.join(spf)})" if spf else ""
            near = [d for d in dkim if _org(frm) == _org(d)]
            yield Finding(E if dmarc.policy == "reject" else W, "LE140", f"{base}.dmarc.policy",
                          f"p={dmarc.policy} with {dmarc.alignment} alignment, but the From domain {frm} aligns with neither {what}: "
                          f"receivers would {'reject' if dmarc.policy == 'reject' else 'quarantine'} every code email",
                          f"send from @{(dkim or spf)[0]}" + (", or use alignment: relaxed" if strict and near else ""), key)
    if prod and not dmarc.enabled:
        yield Finding(E, "LE141", f"{base}.dmarc.enabled", "DMARC is disabled on a production stack: the domain can be spoofed and mailbox providers distrust it",
                      "remove dmarc.enabled: false (start with policy: none and a reportEmail)", key)
        return
    if not dmarc.enabled:
        return
    step = next_dmarc_policy(dmarc.policy)
    if prod and dmarc.policy == "none":
        yield Finding(W, "LE142", f"{base}.dmarc.policy", "DMARC p=none on production only monitors; spoofed mail is still delivered",
                      "after checking the aggregate reports, tighten to quarantine or reject (in dev first, then promote)", key)
    elif step is not None:
        yield Finding(I, "LE144", f"{base}.dmarc.policy", f"DMARC ramp: p={dmarc.policy}; the next step is p={step}",
                      f"once the aggregate reports ({dmarc.report_email or 'set dmarc.reportEmail'}) show only your own, aligned senders "
                      f"for a few weeks, set dmarc.policy: {step} (in dev first, then promote)", key)
    if prod and dmarc.policy != "none" and not dmarc.report_email:
        yield Finding(W, "LE143", f"{base}.dmarc.reportEmail", f"p={dmarc.policy} without a report address: rejected mail goes unnoticed",
                      "set dmarc.reportEmail", key)
    elif dmarc.policy == "none" and not dmarc.report_email:
        yield Finding(W if prod else I, "LE145", f"{base}.dmarc.reportEmail", "p=none without a report address: nobody reads the aggregate reports, so the ramp to quarantine cannot be judged",
                      "set dmarc.reportEmail to a mailbox (or a DMARC report service) you read", key)


def ses_policy(ctx: Context, key: str, tenant: TenantSpec) -> Iterator[Finding]:
    p = tenant.provider
    if not isinstance(p, (AwsSesProvider, SesSmtpProvider)):
        return
    base = f"{BASE}.{key}.provider"
    prod = ctx.spec.production
    if prod and not p.events.enabled:
        yield Finding(E, "LE150", f"{base}.events.enabled", "SES events are disabled on production: bounces and complaints go unseen until SES pauses the account",
                      "remove events.enabled: false", key)
    elif prod and not {"BOUNCE", "COMPLAINT"} <= set(p.events.types):
        missing = sorted({"BOUNCE", "COMPLAINT"} - set(p.events.types))
        yield Finding(W, "LE151", f"{base}.events.types", f"production events lack {', '.join(missing)}", "keep BOUNCE and COMPLAINT in events.types", key)
    if prod and not p.alarms.enabled:
        yield Finding(W, "LE152", f"{base}.alarms.enabled", "reputation alarms are off on production: a rising bounce or complaint rate goes unseen until SES pauses sending",
                      "remove alarms.enabled: false", key)
    elif prod and not (p.alerts.emails or p.alerts.webhooks):
        yield Finding(W, "LE153", f"{base}.alerts", "the alarms notify an alerts topic nobody subscribes to",
                      "declare alerts.emails (an on-call mailbox) or alerts.webhooks (your paging endpoint)", key)
    if p.alarms.enabled:
        for label, levels, defaults in (("bounceRate", p.alarms.bounce_rate, BOUNCE_RATE_DEFAULTS), ("complaintRate", p.alarms.complaint_rate, COMPLAINT_RATE_DEFAULTS)):
            if levels.review > defaults.review:
                yield Finding(W, "LE154", f"{base}.alarms.{label}.review",
                              f"the review alarm is set at {levels.review:g} %, above the {defaults.review:g} % where AWS reviews the account: you would hear of it after AWS does",
                              f"set alarms.{label}.review to {defaults.review:g} or lower", key)
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


# -- email policy ----------------------------------------------------------------------------------
LONG_CODE_LIFETIME = 900  # seconds: past 15 minutes a leaked or forwarded code stays usable too long
_MFA_TEMPLATES = ("MfaVerification", "BindMfa")
_ACCOUNT_TEMPLATES = ("BindNewIdentifier", "UserPermissionValidation")


def email_policy(ctx: Context, key: str, tenant: TenantSpec) -> Iterator[Finding]:
    """Risky email policy choices: long-lived codes, open sign-up, email MFA that cannot be proven."""
    sie = tenant.sign_in_experience
    if sie is None:
        return
    base = f"{BASE}.{key}.signInExperience"
    lifetime = sie.code_lifetime_seconds
    if ctx.spec.production and lifetime is not None and lifetime > LONG_CODE_LIFETIME:
        yield Finding(W, "LE180", f"{base}.verificationCodePolicy.expirationDuration",
                      f"codes live {lifetime // 60} min {lifetime % 60} s on production: a forwarded or leaked code stays usable that long".replace(" 0 s", ""),
                      f"keep it at {LONG_CODE_LIFETIME} s (15 minutes) or less; Logto's default is 600", key)
    blocklist = sie.email_blocklist_policy
    if sie.email_sign_up and not (blocklist and (blocklist.block_disposable_addresses or blocklist.custom_allowlist)):
        yield Finding(W if ctx.spec.production else I, "LE181", f"{base}.emailBlocklistPolicy",
                      "anyone may sign up by email, disposable mailboxes included",
                      "set emailBlocklistPolicy.blockDisposableAddresses: true (Logto Cloud), or limit sign-up with customAllowlist", key)
    if blocklist and blocklist.block_disposable_addresses and not _cloud(tenant.logto.endpoint):
        yield Finding(W, "LE183", f"{base}.emailBlocklistPolicy.blockDisposableAddresses",
                      f"{urlsplit(tenant.logto.endpoint).hostname} does not look like Logto Cloud, and a self-hosted Logto refuses "
                      "blockDisposableAddresses (400 request.invalid_input)",
                      "remove it on a self-hosted tenant and use customBlocklist instead", key)
    needed = [*(_MFA_TEMPLATES if sie.email_mfa else ()), *(_ACCOUNT_TEMPLATES if sie.account_center_email == "Edit" else ())]
    missing = [u for u in needed if u not in _provided_usage_types(ctx, tenant)]
    if missing:
        yield Finding(E, "LE184", f"{BASE}.{key}.templates",
                      f"{'emailMfa' if set(missing) & set(_MFA_TEMPLATES) else 'accountCenterEmail: Edit'} sends "
                      f"{', '.join(missing)} emails, but the templates do not provide them",
                      "add them to the template directory's templates.yaml (the default set has them)", key)


def _cloud(endpoint: str) -> bool:
    host = (urlsplit(endpoint).hostname or "").lower()
    return host.endswith(".logto.app")


def _provided_usage_types(ctx: Context, tenant: TenantSpec) -> set[str]:
    if provider_of(tenant.provider.type).emails != "rendered":
        return set(UsageType)  # written by the endpoint / by Logto / by the Postmark template aliases
    from connectors.templates.render import load_manifest

    directory = ctx.project_dir / tenant.templates.directory if tenant.templates.directory else None
    listed, _ = load_manifest(directory)
    return set(listed) | set(map(str, getattr(tenant.provider, "template_names", {}) or {}))


RULES: tuple[Rule, ...] = (
    templates_and_config, sender_domain, production_endpoints, test_recipient, dmarc_policy, ses_policy, production_safety,
    email_policy,
)
