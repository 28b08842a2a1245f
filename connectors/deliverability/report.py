"""The deliverability report: per tenant, can the provider send, and is the domain's DNS right?

Each tenant gets a state a pipeline can gate on — `healthy`, `attention` (warnings), `failing`
(mail is or will soon be lost) or `unknown` (something could not be read) — and problems with
stable codes, shared with `check --live` (LE21x SES, LE22x DNS). Nothing here holds a secret:
no stack secret is read, and suppressed addresses are counted, never listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

from connectors.deliverability.alarms import rate_level
from connectors.deliverability.dns_checks import (
    DnsCheck,
    DnsResolver,
    Resolver,
    check_dmarc,
    check_record,
    check_spf,
)
from connectors.deliverability.ses_health import SesHealth, read_ses_health
from connectors.dns_records import dmarc_domain
from connectors.providers import provider_of
from connectors.providers._base import ExpectedDns
from connectors.stack.models import (
    AwsSesProvider,
    SesSmtpProvider,
    StackSpec,
    TenantSpec,
)

if TYPE_CHECKING:  # the stubs are a dev dependency
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_sesv2 import SESV2Client

CRITICAL, WARNING, INFO, UNKNOWN = "critical", "warning", "info", "unknown"
EXIT_HEALTHY, EXIT_ATTENTION, EXIT_UNKNOWN, EXIT_FAILING = 0, 3, 4, 5
QUOTA_WARNING = 0.8
RECORD_CODES = {"mail-from-mx": "LE224"}  # every other expected record: LE220


@dataclass(frozen=True)
class Problem:
    level: str  # critical, warning, info, unknown
    code: str
    path: str  # below config.logto-email:tenants.<tenant>
    message: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "code": self.code, "path": self.path, "message": self.message, "fix": self.fix}


@dataclass
class TenantReport:
    tenant: str
    provider: str
    sending: SesHealth | None = None
    dns: list[DnsCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def state(self) -> str:
        levels = {p.level for p in self.problems}
        if CRITICAL in levels:
            return "failing"
        if UNKNOWN in levels:
            return "unknown"
        return "attention" if WARNING in levels else "healthy"

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "provider": self.provider,
            "state": self.state,
            "sending": self.sending.to_dict() if self.sending else None,
            "dns": [c.to_dict() for c in self.dns],
            "problems": [p.to_dict() for p in self.problems],
        }


def exit_code(reports: list[TenantReport]) -> int:
    states = {r.state for r in reports}
    if "failing" in states:
        return EXIT_FAILING
    if "unknown" in states:
        return EXIT_UNKNOWN
    return EXIT_ATTENTION if "attention" in states else EXIT_HEALTHY


@overload
def boto_client(service: Literal["sesv2"], region: str) -> SESV2Client: ...
@overload
def boto_client(service: Literal["cloudwatch"], region: str) -> CloudWatchClient: ...
def boto_client(service: Literal["sesv2", "cloudwatch"], region: str) -> SESV2Client | CloudWatchClient:
    """boto3's usual credential chain; honours AWS_ENDPOINT_URL_<SERVICE>. A report must answer
    in seconds, so an unreachable endpoint fails fast instead of retrying for minutes."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client(service, region_name=region, config=config)


@dataclass
class Sources:
    """Where the report reads from; tests point each at a local server."""

    sesv2: Callable[[str], Any] = lambda region: boto_client("sesv2", region)
    cloudwatch: Callable[[str], Any] | None = lambda region: boto_client("cloudwatch", region)
    resolver: Resolver | None = None  # default: dnspython with the system's resolvers

    def dns(self) -> Resolver:
        if self.resolver is None:
            self.resolver = DnsResolver()
        return self.resolver


def stack_report(spec: StackSpec, sources: Sources | None = None, tenants: list[str] | None = None) -> list[TenantReport]:
    sources = sources or Sources()
    return [tenant_report(spec, key, t, sources) for key, t in spec.tenants.items() if not tenants or key in tenants]


def tenant_report(spec: StackSpec, key: str, tenant: TenantSpec, sources: Sources) -> TenantReport:
    p = tenant.provider
    report = TenantReport(key, p.type)
    tokens: list[str] | None = None
    if isinstance(p, (AwsSesProvider, SesSmtpProvider)):
        report.sending = _ses(spec, key, tenant, sources, report)
        tokens = report.sending.dkim_tokens if report.sending else None
    _dns(spec, key, tenant, sources.dns(), report, tokens)
    return report


# -- SES ------------------------------------------------------------------------------------------
def _ses(spec: StackSpec, key: str, tenant: TenantSpec, sources: Sources, report: TenantReport) -> SesHealth | None:
    p = tenant.provider
    assert isinstance(p, (AwsSesProvider, SesSmtpProvider))
    add = report.problems.append
    try:
        sesv2 = sources.sesv2(p.region)
        cloudwatch = sources.cloudwatch(p.region) if sources.cloudwatch else None
    except Exception as exc:  # noqa: BLE001 - no credentials / region: say so, never a traceback
        add(Problem(UNKNOWN, "LE213", "provider.region", f"cannot ask SES in {p.region}: {type(exc).__name__}: {exc}",
                    "provide AWS credentials (OIDC role or AWS_* environment)"))
        return None
    h = read_ses_health(key, p, sesv2, cloudwatch)
    for err in h.errors:
        add(Problem(UNKNOWN, "LE213", "provider.region", err,
                    "give the reading role ses:GetAccount, ses:GetConfigurationSet, ses:GetEmailIdentity, "
                    "ses:ListSuppressedDestinations and cloudwatch:GetMetricStatistics (all read-only)"))
    if h.sending_enabled is None:
        return h
    must = p.readiness.require_production_access if p.readiness.require_production_access is not None else spec.production
    if not h.production_access:
        add(Problem(CRITICAL if must else INFO, "LE210", "provider.region",
                    f"the SES account is in the sandbox in {p.region}: it sends only to verified addresses"
                    + (f" (at most {h.max_24h_send:g} a day)" if h.max_24h_send else ""),
                    "request SES production access for this account and region"))
    if h.sending_enabled is False:
        add(Problem(CRITICAL, "LE211", "provider.region", f"sending is paused for the whole SES account in {p.region}: every code email fails",
                    "fix the cause (see the reputation alarms), then: aws sesv2 put-account-sending-attributes --sending-enabled"))
    status = h.enforcement_status
    if status == "SHUTDOWN":
        add(Problem(CRITICAL, "LE212", "provider.region", f"AWS has shut down sending for the SES account in {p.region}",
                    "answer the case AWS opened (Support Center) with what you changed"))
    elif status and status != "HEALTHY":
        add(Problem(WARNING, "LE212", "provider.region", f"the SES account in {p.region} is under review (enforcement status {status})",
                    "bring the bounce and complaint rates down before the review ends (docs/deliverability.md)"))
    if h.configuration_set_exists is False:
        add(Problem(WARNING, "LE215", "provider.configurationSetName", f"configuration set {h.configuration_set} does not exist in {p.region}",
                    "run `pulumi up` for this stack"))
    elif h.configuration_set_sending is False:
        add(Problem(CRITICAL, "LE215", "provider.configurationSetName", f"sending is paused on configuration set {h.configuration_set}: every code email fails",
                    f"aws sesv2 put-configuration-set-sending-options --configuration-set-name {h.configuration_set} --sending-enabled"))
    if h.identity_exists is False:
        add(Problem(CRITICAL, "LE216", "provider.domain", f"the SES identity {p.domain} does not exist in {p.region}", "run `pulumi up` for this stack"))
    elif h.identity_exists and (not h.identity_verified or h.dkim_status != "SUCCESS"):
        add(Problem(CRITICAL, "LE216", "provider.domain",
                    f"the SES identity {p.domain} is {'verified' if h.identity_verified else 'not verified'} for sending, DKIM {h.dkim_status or 'unknown'}",
                    "publish the DKIM records (see the DNS checks below) and wait for SES"))
    for label, path, rate, levels in (("bounce", "bounceRate", h.bounce_rate, p.alarms.bounce_rate),
                                      ("complaint", "complaintRate", h.complaint_rate, p.alarms.complaint_rate)):
        level = rate_level(rate, levels)
        if level is None or rate is None:
            continue
        add(Problem(WARNING if level == "warning" else CRITICAL, "LE214", f"provider.alarms.{path}",
                    f"{label} rate {rate * 100:.3g} % is at or above the {level} level ({getattr(levels, level):g} %)",
                    "see docs/deliverability.md: what each alarm means and what to do"))
    used = h.quota_used
    if used is not None and used >= QUOTA_WARNING:
        add(Problem(CRITICAL if used >= 1 else WARNING, "LE217", "provider.region",
                    f"{h.sent_last_24h:g} of {h.max_24h_send:g} messages of the 24-hour quota used ({used:.0%})",
                    "request a higher sending quota (Service Quotas, SES) before codes are throttled"))
    if h.suppressed:
        add(Problem(INFO, "LE218", "provider.suppression",
                    f"{h.suppressed}{'+' if h.suppressed_capped else ''} address(es) on the account's suppression list get no email from SES",
                    "remove an address once it is fixed: aws sesv2 delete-suppressed-destination --email-address <address>"))
    return h


# -- DNS --------------------------------------------------------------------------------------------
def _dns(spec: StackSpec, key: str, tenant: TenantSpec, resolver: Resolver, report: TenantReport, tokens: list[str] | None) -> None:
    p = tenant.provider
    checks: list[tuple[DnsCheck, str, str]] = []  # (check, code, path)
    facet = provider_of(p.type).expected_dns
    expected = facet(p, tokens or []) if facet is not None else ExpectedDns()
    for e in expected.records:
        checks.append((check_record(resolver, e.record, e.kind), RECORD_CODES.get(e.kind, "LE220"), e.path))
    for spf in expected.spf:
        checks += [(c, "LE222" if c.status == "error" else "LE221", spf.path) for c in check_spf(resolver, spf.domain, spf.include)]
    declared = getattr(p, "dmarc", None)
    domain = dmarc_domain(p, tenant.sender.email if tenant.sender else None)
    if domain:
        c = check_dmarc(resolver, domain, declared)
        checks.append((c, "LE223", "provider.dmarc" if declared is not None else "sender.email"))
    for c, code, path in checks:
        report.dns.append(c)
        if c.ok:
            continue
        if c.status == "unknown":
            report.problems.append(Problem(UNKNOWN, "LE225", path, f"{c.kind} {c.name}: {c.message}", "check that DNS answers from here"))
            continue
        level = CRITICAL
        if c.kind == "dmarc" and (c.status == "mismatch" or declared is None or not declared.enabled):
            level = WARNING  # receivers still get the mail; the declared policy just is not what is live
        fix = f"publish at {c.name}: {c.expected}" if c.expected else None
        if c.kind == "dmarc" and declared is None and c.status == "missing":
            fix = f"publish a TXT record at {c.name}, starting with v=DMARC1; p=none; rua=mailto:<a mailbox you read>"
        report.problems.append(Problem(level, code, path, f"{c.kind}: {c.message}", fix))
