"""What SES says about a tenant's sending: the account, the configuration set, the identity,
the reputation rates CloudWatch holds, and how many addresses are suppressed.

Pure boto3 (SESv2 `GetAccount`, `GetConfigurationSet`, `GetEmailIdentity`,
`ListSuppressedDestinations`; CloudWatch `GetMetricStatistics`); the clients are passed in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.aws.ses_readiness import SesCheckFailed, ses_call
from connectors.deliverability.alarms import (
    BOUNCE_RATE,
    COMPLAINT_RATE,
    NAMESPACE,
    configuration_set_name,
)

SUPPRESSED_COUNT_CAP = 10_000  # count at most this many (pages of 1000); more is reported as "10000+"


@dataclass
class SesHealth:
    region: str
    sending_enabled: bool | None = None
    enforcement_status: str | None = None  # HEALTHY, PROBATION (under review), SHUTDOWN (paused)
    production_access: bool | None = None
    max_24h_send: float | None = None
    sent_last_24h: float | None = None
    max_send_rate: float | None = None
    configuration_set: str | None = None
    configuration_set_exists: bool | None = None
    configuration_set_sending: bool | None = None
    identity_exists: bool | None = None
    identity_verified: bool | None = None
    dkim_status: str | None = None
    dkim_tokens: list[str] = field(default_factory=list)
    bounce_rate: float | None = None  # latest fraction CloudWatch holds (last 24 h)
    complaint_rate: float | None = None
    suppressed: int | None = None
    suppressed_capped: bool = False
    errors: list[str] = field(default_factory=list)  # what could not be read, and why

    @property
    def quota_used(self) -> float | None:
        if not self.max_24h_send or self.max_24h_send < 0 or self.sent_last_24h is None:
            return None
        return self.sent_last_24h / self.max_24h_send

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc.pop("dkim_tokens")
        doc["quota_used"] = self.quota_used
        return doc


def read_ses_health(tenant_key: str, provider: Any, sesv2: Any, cloudwatch: Any | None,
                    now: datetime | None = None) -> SesHealth:
    """Everything the report needs from SES; each part that fails is named in `errors`, not raised."""
    region = provider.region
    h = SesHealth(region=region, configuration_set=configuration_set_name(tenant_key, provider))
    try:
        account = ses_call(sesv2, "get_account", region) or {}
        h.sending_enabled = account.get("SendingEnabled")
        h.enforcement_status = account.get("EnforcementStatus")
        h.production_access = account.get("ProductionAccessEnabled")
        quota = account.get("SendQuota") or {}
        h.max_24h_send, h.sent_last_24h, h.max_send_rate = quota.get("Max24HourSend"), quota.get("SentLast24Hours"), quota.get("MaxSendRate")
    except SesCheckFailed as exc:
        h.errors.append(str(exc))
        return h  # the account is the one thing every other answer depends on
    try:
        cs = ses_call(sesv2, "get_configuration_set", region, ConfigurationSetName=h.configuration_set)
        h.configuration_set_exists = cs is not None
        if cs is not None:
            h.configuration_set_sending = (cs.get("SendingOptions") or {}).get("SendingEnabled", True)
    except SesCheckFailed as exc:
        h.errors.append(str(exc))
    try:
        ident = ses_call(sesv2, "get_email_identity", region, EmailIdentity=provider.domain)
        h.identity_exists = ident is not None
        if ident is not None:
            h.identity_verified = bool(ident.get("VerifiedForSendingStatus"))
            dkim = ident.get("DkimAttributes") or {}
            h.dkim_status, h.dkim_tokens = dkim.get("Status"), list(dkim.get("Tokens") or [])
    except SesCheckFailed as exc:
        h.errors.append(str(exc))
    try:
        h.suppressed, h.suppressed_capped = _suppressed_count(sesv2, region)
    except SesCheckFailed as exc:
        h.errors.append(str(exc))
    if cloudwatch is not None:
        try:
            h.bounce_rate = latest_metric(cloudwatch, BOUNCE_RATE, now)
            h.complaint_rate = latest_metric(cloudwatch, COMPLAINT_RATE, now)
        except Exception as exc:  # noqa: BLE001 - botocore's errors: named, never a traceback
            h.errors.append(f"CloudWatch GetMetricStatistics failed in {region}: {type(exc).__name__}: {_short(exc)}")
    return h


def _suppressed_count(sesv2: Any, region: str) -> tuple[int, bool]:
    count, token = 0, None
    while True:
        kwargs: dict[str, Any] = {"PageSize": 1000}
        if token:
            kwargs["NextToken"] = token
        page = ses_call(sesv2, "list_suppressed_destinations", region, **kwargs) or {}
        count += len(page.get("SuppressedDestinationSummaries") or [])  # addresses are never kept, only counted
        token = page.get("NextToken")
        if not token:
            return count, False
        if count >= SUPPRESSED_COUNT_CAP:
            return count, True


def latest_metric(cloudwatch: Any, metric: str, now: datetime | None = None) -> float | None:
    """The newest hourly maximum of an account-wide SES metric in the last 24 hours, or None."""
    end = now or datetime.now(UTC)
    data = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE, MetricName=metric, StartTime=end - timedelta(hours=24), EndTime=end,
        Period=3600, Statistics=["Maximum"],
    )
    points = sorted(data.get("Datapoints") or [], key=lambda d: d["Timestamp"])
    return float(points[-1]["Maximum"]) if points else None


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200]
