"""The CloudWatch alarms an SES tenant gets, as plain data.

One definition serves the Pulumi program (which creates them), the deliverability report (which
compares the live rates with the same thresholds) and the operator guide. SES reports
`Reputation.BounceRate` / `Reputation.ComplaintRate` as fractions; the stack declares percent.
CloudWatch has no metric for "sending paused", so the `pause-risk` alarms fire at the levels
where AWS pauses accounts; the report and `check --live` read the actual state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

NAMESPACE = "AWS/SES"
BOUNCE_RATE = "Reputation.BounceRate"
COMPLAINT_RATE = "Reputation.ComplaintRate"
REJECT = "Reject"
CONFIG_SET_DIMENSION = "ses:configuration-set"  # SES's auto-tag, used as the CloudWatch dimension
METRICS_DESTINATION = "logto-email-metrics"  # the configuration set's CloudWatch event destination
Level = Literal["warning", "review", "pause"]
LEVEL_MEANING: dict[str, str] = {
    "warning": "early warning, below the level where AWS reviews the account",
    "review": "AWS puts the account under review around this level",
    "pause": "AWS may pause the account's sending around this level",
}


@dataclass(frozen=True)
class AlarmDef:
    key: str  # stable part of the Pulumi resource name, e.g. bounce-rate-review
    name: str  # the CloudWatch alarm name
    metric: str
    threshold: float  # in the metric's unit (a fraction for the rates, a count for rejects)
    statistic: str
    description: str
    dimensions: dict[str, str] = field(default_factory=dict)
    level: str = "review"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "metric": self.metric, "threshold": self.threshold, "level": self.level,
                **({"dimensions": self.dimensions} if self.dimensions else {})}


def alarm_prefix(tenant_key: str) -> str:
    return f"logto-email-{tenant_key}"


def rate_alarms(tenant_key: str, alarms: Any) -> list[AlarmDef]:
    """Three levels for each account reputation rate (`alarms` is an AlarmsSpec)."""
    out = []
    for metric, label, levels in ((BOUNCE_RATE, "bounce", alarms.bounce_rate), (COMPLAINT_RATE, "complaint", alarms.complaint_rate)):
        for level in ("warning", "review", "pause"):
            percent = getattr(levels, level)
            key = f"{label}-rate-{level if level != 'pause' else 'pause-risk'}"
            out.append(AlarmDef(
                key=key,
                name=f"{alarm_prefix(tenant_key)}-{key}",
                metric=metric,
                threshold=round(percent / 100, 6),
                statistic="Maximum",
                description=f"SES account {label} rate at or above {percent:g} % ({LEVEL_MEANING[level]}); see docs/deliverability.md",
                level=level,
            ))
    return out


def reject_alarm(tenant_key: str, alarms: Any, configuration_set: str) -> AlarmDef:
    return AlarmDef(
        key="rejects",
        name=f"{alarm_prefix(tenant_key)}-rejects",
        metric=REJECT,
        threshold=float(alarms.rejects),
        statistic="Sum",
        description=f"SES rejected {alarms.rejects} or more messages of configuration set {configuration_set} "
                    "(virus or invalid content); see docs/deliverability.md",
        dimensions={CONFIG_SET_DIMENSION: configuration_set},
        level="review",
    )


def all_alarms(tenant_key: str, alarms: Any, configuration_set: str) -> list[AlarmDef]:
    if not alarms.enabled:
        return []
    return rate_alarms(tenant_key, alarms) + [reject_alarm(tenant_key, alarms, configuration_set)]


def configuration_set_name(tenant_key: str, provider: Any) -> str:
    return provider.configuration_set_name or f"{tenant_key}-logto-email"


def alerts_topic_name(tenant_key: str) -> str:
    return f"{alarm_prefix(tenant_key)}-alerts"


def rate_level(rate: float | None, levels: Any) -> str | None:
    """The highest level a rate (a fraction) has reached: None, warning, review or pause."""
    if rate is None:
        return None
    reached = None
    for level in ("warning", "review", "pause"):
        if rate * 100 >= getattr(levels, level):
            reached = level
    return reached
