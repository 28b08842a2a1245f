"""AWS SES through its API (SESv2 SendEmail): Logto's AWS SES connector, with the access key,
identity and configuration set `pulumi up` creates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, Strict, StrictBool, StrictInt, model_validator

from connectors.dns_records import dkim_records, mail_from_records
from connectors.factories.aws_ses_mail import AwsSesMailConfig
from connectors.providers._base import (
    GENERATED,
    ConnectorInputs,
    ExpectedDns,
    ExpectedRecord,
    ExpectedSpf,
    GeneratedKey,
    Provider,
    Signing,
)
from connectors.schema import PORTABLE, DmarcSpec, DnsSpec, Model, portable
from connectors.secret import Secret
from connectors.validators import DnsLabel, DnsName, EmailAddress

SesEventType = Literal["BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY", "DELIVERY", "SEND", "OPEN", "CLICK", "RENDERING_FAILURE", "SUBSCRIPTION"]


class EventsSpec(Model):
    enabled: StrictBool = portable(True, description="send SES events to an SNS topic")
    types: list[SesEventType] = portable(["BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY"])


Percent = Annotated[float, Strict(), Field(gt=0, le=100)]


class RateThresholds(Model):
    """Alarm levels of one SES reputation rate, in percent of sent mail (SES reports a fraction)."""

    warning: Percent = Field(description="early warning, below AWS's review level")
    review: Percent = Field(description="AWS puts the account under review around here")
    pause: Percent = Field(description="AWS may pause the account's sending around here")

    @model_validator(mode="after")
    def _ordered(self) -> RateThresholds:
        if not self.warning < self.review < self.pause:
            raise ValueError("thresholds must rise: warning < review < pause")
        return self


# AWS's published levels: bounces reviewed at 5 %, pause risk at 10 %; complaints 0.1 % and 0.5 %.
BOUNCE_RATE_DEFAULTS = RateThresholds(warning=2.0, review=5.0, pause=10.0)
COMPLAINT_RATE_DEFAULTS = RateThresholds(warning=0.05, review=0.1, pause=0.5)


class AlarmsSpec(Model):
    """CloudWatch alarms on the account's reputation and the configuration set's rejects."""

    enabled: StrictBool = portable(True, description="create the alarms and the alerts topic")
    bounce_rate: RateThresholds = Field(
        default_factory=lambda: BOUNCE_RATE_DEFAULTS, json_schema_extra=PORTABLE,
        description="Reputation.BounceRate levels in percent; default warning 2, review 5, pause 10",
    )
    complaint_rate: RateThresholds = Field(
        default_factory=lambda: COMPLAINT_RATE_DEFAULTS, json_schema_extra=PORTABLE,
        description="Reputation.ComplaintRate levels in percent; default warning 0.05, review 0.1, pause 0.5",
    )
    rejects: Annotated[StrictInt, Field(ge=1)] = portable(1, description="alarm at this many rejected messages (virus, invalid) in an hour")
    period_seconds: Literal[300, 900, 3600] = portable(3600, description="the window each alarm evaluates")


class AlertsSpec(Model):
    """Who hears an alarm: subscribers of the tenant's alerts SNS topic."""

    emails: list[EmailAddress] = Field([], description="addresses subscribed to the alerts topic (each confirms once, by email)")
    webhooks: list[Secret] = Field(
        [], description="HTTPS endpoints subscribed to the alerts topic (`secure:` values: a webhook URL usually carries a token)"
    )

    @model_validator(mode="after")
    def _https(self) -> AlertsSpec:
        for i, url in enumerate(self.webhooks):
            if url.known and not url.reveal().startswith("https://"):
                raise ValueError(f"webhooks[{i}] must be an https:// URL (SNS sends alerts to HTTPS endpoints only)")
        return self


class SuppressionSpec(Model):
    """Stop sending to addresses that bounced or complained (SES suppression list)."""

    reasons: list[Literal["BOUNCE", "COMPLAINT"]] = portable(["BOUNCE", "COMPLAINT"], description="suppress after these events (configuration set)")
    account_level: StrictBool = portable(
        False, description="also set these reasons on the account-wide list, shared by every sender of the account in this region"
    )


class ReadinessSpec(Model):
    # environment-bound: how long verification takes depends on the environment's DNS
    timeout_seconds: Annotated[StrictInt, Field(ge=0, le=7200)] = Field(900, description="how long `pulumi up` waits for verification and DKIM")
    poll_seconds: Annotated[StrictInt, Field(ge=1, le=300)] = Field(15, description="how often it asks SES")
    require_production_access: StrictBool | None = Field(
        None, description="refuse an SES account in the sandbox; default: true on production stacks"
    )


class SesBase(Model):
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] = Field(description="AWS region of the SES identity")
    domain: DnsName = Field(description="the sending domain (SES domain identity)")
    dns: DnsSpec = Field(default_factory=lambda: DnsSpec(external=True), description="where the DKIM, MAIL FROM and DMARC records go")
    mail_from_subdomain: DnsLabel = portable("bounce", description="custom MAIL FROM: <this>.<domain> (MX + SPF)")
    dmarc: DmarcSpec = Field(default_factory=DmarcSpec, description="the DMARC record")
    events: EventsSpec = Field(default_factory=EventsSpec, description="bounce/complaint/… events to SNS")
    configuration_set_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = Field(None, description="default: <tenant>-logto-email")
    key_rotation: Annotated[StrictInt, Field(ge=0)] = Field(0, description="bump to rotate the sender's access key")
    readiness: ReadinessSpec = Field(default_factory=ReadinessSpec, description="waiting for SES before the connector is pushed")
    alarms: AlarmsSpec = Field(default_factory=AlarmsSpec, description="CloudWatch alarms on bounce/complaint rates, rejects, pause risk")
    alerts: AlertsSpec = Field(default_factory=AlertsSpec, description="subscribers of the alerts topic")
    suppression: SuppressionSpec = Field(default_factory=SuppressionSpec, description="suppression list for bounces and complaints")


class AwsSesProvider(SesBase):
    type: Literal["aws-ses"] = Field(description="AWS SES through its API (SESv2 SendEmail)")


def connector_config(p: AwsSesProvider, inputs: ConnectorInputs) -> dict[str, Any]:
    g = inputs.generated
    return {
        "accessKeyId": g.get("access_key_id") or GENERATED,
        "accessKeySecret": inputs.secret("secret_access_key"),
        "region": p.region,
        "emailAddress": inputs.mailbox,
        "emailAddressIdentityArn": g.get("identity_arn"),
        "configurationSetName": g.get("configuration_set_name"),
        **inputs.templates(),
    }


def ses_signing(p: SesBase) -> Signing:
    """SES signs as the identity's domain (Easy DKIM) and bounces from its custom MAIL FROM."""
    return Signing((p.domain,), (f"{p.mail_from_subdomain}.{p.domain}",))


def ses_expected_dns(p: SesBase, dkim_tokens: Sequence[str]) -> ExpectedDns:
    """Easy DKIM's three CNAMEs (once SES has issued the tokens) and the MAIL FROM's MX and SPF."""
    mx, spf = mail_from_records(p.domain, p.mail_from_subdomain, p.region)
    return ExpectedDns(
        (*(ExpectedRecord("dkim", r, "provider.domain") for r in dkim_records(p.domain, dkim_tokens)),
         ExpectedRecord("mail-from-mx", mx, "provider.mailFromSubdomain")),
        (ExpectedSpf(spf.name, "amazonses.com", "provider.mailFromSubdomain"),),
    )


def ses_dmarc_at(p: SesBase) -> str:
    """The record goes beside the identity: the From address is on the identity's domain."""
    return p.domain


PROVIDER = Provider(
    signing=ses_signing, expected_dns=ses_expected_dns, dmarc_at=ses_dmarc_at, new_key_wait=60,
    type="aws-ses", model=AwsSesProvider, factory=AwsSesMailConfig, connector_config=connector_config,
    emails="rendered", infra_module="ses",
    generated=(
        GeneratedKey("access_key_id"), GeneratedKey("secret_access_key", secret=True),
        GeneratedKey("identity_arn", optional=True), GeneratedKey("configuration_set_name", optional=True),
    ),
)
