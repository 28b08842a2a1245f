"""The stack schema: what a `Pulumi.<stack>.yaml` declares under `logto-email:`.

YAML keys are camelCase (Pulumi's convention); attributes are snake_case. Fields marked
`portable` are the proven settings `promote` copies from one stack to another; every other field
is bound to its environment (endpoints, domains, zones, secrets, recipients) and never copied.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StrictInt, field_validator, model_validator
from pydantic.alias_generators import to_camel

from connectors import email_policy as ep
from connectors.factories.aliyun_direct_mail import AliyunRegion
from connectors.logto_facts import LOGTO_LANGUAGE_TAGS, UsageType
from connectors.validators import DnsLabel, DnsName, EmailAddress, HeaderText, HostName, HttpUrl, LogtoEndpoint
from connectors.secret import Secret

PORTABLE = {"portable": True}


def portable(default: Any = ..., **kw: Any) -> Any:
    """A field whose value `promote` carries from one stack to the next."""
    return Field(default, json_schema_extra=PORTABLE, **kw)


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True, hide_input_in_errors=True
    )


_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")  # pydantic's (Rust) `$` is the very end

Color = Annotated[str, Field(pattern=_COLOR_RE.pattern)]
Port = Annotated[StrictInt, Field(ge=1, le=65535)]
_TAG_LIKE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}")


# --- Logto -------------------------------------------------------------------------------------
class LogtoSpec(Model):
    """The tenant's Management API access (an M2M app with the `all` permission)."""

    endpoint: LogtoEndpoint = Field(description="Logto endpoint, e.g. https://<tenant-id>.logto.app or http://localhost:3001")
    app_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,128}$")] = Field(description="M2M application id")
    app_secret: Secret = Field(description="M2M application secret (a `secure:` value)")
    resource: HttpUrl | None = Field(None, description="Management API indicator; default derived from the endpoint")

    @field_validator("endpoint")
    @classmethod
    def _no_path(cls, v: str) -> str:
        return v.rstrip("/")


# --- DNS ---------------------------------------------------------------------------------------
class DnsSpec(Model):
    """Where the provider's DNS records go: a Route53 zone (by id or name), or elsewhere."""

    route53_zone_id: Annotated[str, Field(pattern=r"^Z[A-Z0-9]{1,32}$")] | None = Field(None, description="create the records in this Route53 hosted zone (by id)")
    route53_zone_name: DnsName | None = Field(None, description="…or in the Route53 zone with this name")
    external: StrictBool | None = Field(None, description="DNS is managed elsewhere: records are exported, not created (the default)")

    @model_validator(mode="after")
    def _one(self) -> "DnsSpec":
        chosen = [n for n, v in (("route53ZoneId", self.route53_zone_id), ("route53ZoneName", self.route53_zone_name), ("external", self.external)) if v]
        if len(chosen) > 1:
            raise ValueError(f"set only one of route53ZoneId, route53ZoneName, external: true (got {', '.join(chosen)})")
        return self

    @property
    def in_route53(self) -> bool:
        return bool(self.route53_zone_id or self.route53_zone_name)


class DnsRecord(Model):
    """A record the provider asks for (SendGrid/Postmark domain authentication)."""

    type: Literal["CNAME", "TXT", "MX"] = Field(description="record type")
    name: Annotated[str, Field(min_length=1)] = Field(description="fully qualified record name")
    value: Annotated[str, Field(min_length=1)] = Field(description="record value, as the provider shows it")
    priority: Annotated[StrictInt, Field(ge=0, le=65535)] | None = Field(None, description="MX priority")


# --- providers ---------------------------------------------------------------------------------
DmarcPolicy = Literal["none", "quarantine", "reject"]
SesEventType = Literal["BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY", "DELIVERY", "SEND", "OPEN", "CLICK", "RENDERING_FAILURE", "SUBSCRIPTION"]


class DmarcSpec(Model):
    enabled: StrictBool = portable(True, description="publish a DMARC record at _dmarc.<domain>")
    policy: DmarcPolicy = portable("none", description="p= of the DMARC record: none, quarantine or reject")
    report_email: EmailAddress | None = Field(None, description="rua= address for aggregate reports")
    alignment: Literal["relaxed", "strict"] = portable("relaxed", description="adkim/aspf alignment")


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
    def _ordered(self) -> "RateThresholds":
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
    def _https(self) -> "AlertsSpec":
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


class _SesBase(Model):
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


class AwsSesProvider(_SesBase):
    type: Literal["aws-ses"] = Field(description="AWS SES through its API (SESv2 SendEmail)")


class SesSmtpProvider(_SesBase):
    """SES through its SMTP interface; the SMTP password is derived from the sender's key."""

    type: Literal["ses-smtp"] = Field(description="AWS SES through its SMTP interface")
    port: Port = portable(587, description="587 (STARTTLS) or 465 (TLS)")


class SmtpProvider(Model):
    type: Literal["smtp"] = Field(description="any SMTP server")
    host: HostName = Field(description="SMTP server host name")
    port: Port = portable(587, description="SMTP port")
    security: Literal["starttls", "tls", "none"] | None = portable(
        None, description="tls = implicit TLS (465); starttls = require STARTTLS; default by port"
    )
    username: HeaderText | None = Field(None, description="SMTP user (omit with password for an IP-authorized relay)")
    password: Secret | None = Field(None, description="SMTP password")

    @model_validator(mode="after")
    def _auth(self) -> "SmtpProvider":
        if (self.username is None) != (self.password is None):
            raise ValueError("set both username and password, or neither (a relay that authorizes by IP)")
        return self

    @property
    def effective_security(self) -> str:
        return self.security or ("tls" if self.port == 465 else "starttls")


class HttpProvider(Model):
    type: Literal["http"] = Field(description="your own HTTP endpoint sends the email")
    endpoint: HttpUrl = Field(description="your endpoint; Logto POSTs {to, type, payload, ip}")
    authorization: Secret | None = Field(None, description='Authorization header, verbatim ("Bearer …")')


class MailgunProvider(Model):
    type: Literal["mailgun"] = Field(description="Mailgun")
    domain: DnsName = Field(description="Mailgun sending domain, e.g. mg.example.com")
    region: Literal["us", "eu"] = portable("us", description="Mailgun region (API endpoint)")
    api_key: Secret = Field(description="Mailgun sending API key")
    dns: DnsSpec = Field(default_factory=lambda: DnsSpec(external=True), description="where Mailgun's sending records go")
    dmarc: DmarcSpec = Field(default_factory=DmarcSpec, description="the DMARC record at _dmarc.<sender domain>")
    template_names: dict[UsageType, str] = portable(
        {}, description="usage types sent with a Mailgun-stored template instead of our HTML"
    )


class SendgridProvider(Model):
    type: Literal["sendgrid"] = Field(description="SendGrid")
    api_key: Secret = Field(description="SendGrid API key with Mail Send permission")
    dns: DnsSpec = Field(default_factory=lambda: DnsSpec(external=True), description="where the dnsRecords go")
    dns_records: list[DnsRecord] = Field([], description="domain-authentication records shown by SendGrid")
    dmarc: DmarcSpec = Field(default_factory=DmarcSpec, description="the DMARC record at _dmarc.<sender domain>")


class PostmarkProvider(Model):
    type: Literal["postmark"] = Field(description="Postmark (templates stored in Postmark)")
    server_token: Secret = Field(description="Postmark server API token")
    template_aliases: dict[UsageType, str] = portable({}, description="override the logto-* template aliases")
    dns: DnsSpec = Field(default_factory=lambda: DnsSpec(external=True), description="where the dnsRecords go")
    dns_records: list[DnsRecord] = Field([], description="DKIM and Return-Path records shown by Postmark")
    dmarc: DmarcSpec = Field(default_factory=DmarcSpec, description="the DMARC record at _dmarc.<sender domain>")


class AliyunProvider(Model):
    type: Literal["aliyun"] = Field(description="Aliyun Direct Mail")
    region: AliyunRegion = portable("cn-hangzhou", description="Direct Mail region")
    access_key_id: Annotated[str, Field(min_length=1)] = Field(description="RAM access key id")
    access_key_secret: Secret = Field(description="RAM access key secret")


# --- the email relay (Logto's HTTP email connector → our relay → the tenant's upstream) -------
AwsRegion = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]


class RelaySesUpstream(Model):
    """SES through its API (SESv2 SendEmail), as the relay's least-privilege role or given keys."""

    type: Literal["aws-ses"] = Field(description="AWS SES API (SESv2 SendEmail)")
    region: AwsRegion = Field(description="AWS region of the SES identity")
    identity_arn: str | None = Field(None, description="the SES identity sent from (limits the relay's IAM policy); default: the sender's domain in this account")
    configuration_set_name: str | None = Field(None, description="SES configuration set for events")
    access_key_id: str | None = Field(None, description="only when the relay runs outside AWS: the sender's access key id")
    secret_access_key: Secret | None = Field(None, description="…and its secret (on AWS the relay's role is used)")
    endpoint: HttpUrl | None = Field(None, description="SES API endpoint override (tests)")

    @model_validator(mode="after")
    def _keys(self) -> "RelaySesUpstream":
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("set both accessKeyId and secretAccessKey, or neither (the relay's AWS role)")
        return self


class RelayMailgunUpstream(Model):
    type: Literal["mailgun"] = Field(description="Mailgun messages API")
    domain: DnsName = Field(description="Mailgun sending domain")
    region: Literal["us", "eu"] = portable("us", description="Mailgun region (API endpoint)")
    api_key: Secret = Field(description="Mailgun sending API key")
    endpoint: HttpUrl | None = Field(None, description="API base URL override (default by region)")


class RelaySendgridUpstream(Model):
    type: Literal["sendgrid"] = Field(description="SendGrid v3 mail/send API")
    api_key: Secret = Field(description="SendGrid API key with Mail Send permission")
    endpoint: HttpUrl | None = Field(None, description="API base URL override (default https://api.sendgrid.com)")


class RelayPostmarkUpstream(Model):
    type: Literal["postmark"] = Field(description="Postmark email API")
    server_token: Secret = Field(description="Postmark server API token")
    message_stream: Annotated[str, Field(min_length=1)] = portable("outbound", description="Postmark message stream")
    endpoint: HttpUrl | None = Field(None, description="API base URL override (default https://api.postmarkapp.com)")


RelayUpstream = Annotated[
    Union[RelaySesUpstream, SmtpProvider, RelayMailgunUpstream, RelaySendgridUpstream, RelayPostmarkUpstream],
    Field(discriminator="type"),
]
RELAY_UPSTREAM_TYPES: tuple[str, ...] = ("aws-ses", "smtp", "mailgun", "sendgrid", "postmark")


class RelayAwsSpec(Model):
    """Where and how the program runs the relay on AWS Lambda (fixed egress IP through a NAT gateway)."""

    region: AwsRegion = Field(description="AWS region of the relay")
    vpc_cidr: Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/(1[6-9]|2[0-4])$")] = Field(
        "10.42.0.0/24", description="the relay's own VPC (a /16../24, split into a public and a private subnet)")
    availability_zone: str | None = Field(None, description="default: the region's first zone")
    memory_mb: Annotated[StrictInt, Field(ge=128, le=3008)] = portable(256, description="Lambda memory")
    log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365] = Field(
        30, description="CloudWatch log retention (each environment keeps its own)")
    alarm_email: EmailAddress | None = Field(None, description="gets the relay's alarms (upstream errors, 5xx, throttles)")
    package: Annotated[str, Field(min_length=1)] = Field(
        "dist/relay-lambda.zip", description="the dependency layer built by `python -m relay.package` (from uv.lock)")


class RelayProvider(Model):
    """Logto's HTTP email connector calls our relay, which sends through the tenant's upstream.

    For providers that allowlist IP addresses: the relay's egress IP is fixed (AWS) and exported.
    """

    type: Literal["relay"] = Field(description="the toolkit's email relay (HTTP email connector → relay → upstream)")
    upstream: RelayUpstream = Field(description="where the relay sends: aws-ses, smtp, mailgun, sendgrid or postmark")
    tokens: list[Secret] = Field(
        min_length=1, max_length=5,
        description="bearer tokens the relay accepts; the first is given to Logto (rotate: prepend a new one, up, drop the old one, up)")
    endpoint: HttpUrl | None = Field(
        None, description="a relay already running elsewhere (e.g. http://127.0.0.1:8787/send); the program then deploys nothing")
    aws: RelayAwsSpec | None = Field(None, description="deploy the relay to AWS Lambda behind a NAT gateway (required without endpoint)")
    code_ttl_seconds: Annotated[StrictInt, Field(ge=60, le=3600)] = portable(
        600, description="how long a code lives: a repeated request within it is not sent again")

    @model_validator(mode="after")
    def _where(self) -> "RelayProvider":
        if (self.endpoint is None) == (self.aws is None):
            raise ValueError("set exactly one of endpoint (a relay you run) or aws (the program deploys it)")
        return self


class LogtoEmailProvider(Model):
    """Logto Cloud's built-in service: only branding (sender name, company, logo) is configurable."""

    type: Literal["logto-email"] = Field(description="Logto Cloud's built-in email service (Cloud only)")


Provider = Annotated[
    Union[
        AwsSesProvider, SesSmtpProvider, SmtpProvider, HttpProvider, MailgunProvider,
        SendgridProvider, PostmarkProvider, AliyunProvider, LogtoEmailProvider, RelayProvider,
    ],
    Field(discriminator="type"),
]
PROVIDER_TYPES: tuple[str, ...] = (
    "aws-ses", "ses-smtp", "smtp", "http", "mailgun", "sendgrid", "postmark", "aliyun", "logto-email", "relay",
)
FACTORY_OF_PROVIDER: dict[str, str] = {
    "aws-ses": "aws-ses-mail",
    "ses-smtp": "simple-mail-transfer-protocol",
    "smtp": "simple-mail-transfer-protocol",
    "http": "http-email",
    "mailgun": "mailgun-email",
    "sendgrid": "sendgrid-email-service",
    "postmark": "postmark-mail",
    "aliyun": "aliyun-direct-mail",
    "logto-email": "logto-email",
    "relay": "http-email",
}


# --- sender, branding, templates ----------------------------------------------------------------
class SenderSpec(Model):
    email: EmailAddress = Field(description="From address; its domain must be the provider's sending domain")
    name: HeaderText | None = portable(None, description="display name, e.g. Acme")
    reply_to: EmailAddress | None = Field(None, description="Reply-To address")


class BrandingSpec(Model):
    product_name: HeaderText = portable(description="shown in subjects and headings")
    logo_url: HttpUrl | None = portable(None, description="logo image (PNG, ~2x of 160 px wide)")
    primary_color: Color = portable("#5D34F2", description="buttons, code box accent")
    background_color: Color = portable("#F5F5F7", description="page background")
    text_color: Color = portable("#1F1F24", description="body text")
    company_name: HeaderText | None = portable(None, description="footer")
    company_address: str | None = portable(None, description="footer (postal address)")
    support_email: EmailAddress | None = portable(None, description="footer: where users get help")
    support_url: HttpUrl | None = portable(None, description="footer: help center link")


class TemplatesSpec(Model):
    directory: str | None = portable(None, description="your template directory, overriding any default file")
    storage: Literal["connector", "logto"] = portable(
        "connector", description="connector: in the connector config; logto: Logto's i18n email templates"
    )


class VerificationCodePolicySpec(Model):
    """Logto's `verificationCodePolicy`: how long an emailed code lives and how many wrong tries it survives."""

    expiration_duration: StrictInt | None = portable(
        None, description=f"code lifetime in seconds, {ep.EXPIRATION_MIN}–{ep.EXPIRATION_MAX} (Logto's default {ep.EXPIRATION_DEFAULT}); the emails state it"
    )
    max_retry_attempts: StrictInt | None = portable(
        None, description=f"wrong tries before a code is invalidated, {ep.RETRY_MIN}–{ep.RETRY_MAX} (default {ep.RETRY_DEFAULT})"
    )

    @field_validator("expiration_duration")
    @classmethod
    def _expiration(cls, v: int | None) -> int | None:
        if v is not None and not ep.EXPIRATION_MIN <= v <= ep.EXPIRATION_MAX:
            raise ValueError(
                f"must be {ep.EXPIRATION_MIN}–{ep.EXPIRATION_MAX} seconds (Logto refuses anything else; "
                f"{ep.EXPIRATION_DEFAULT} = 10 minutes is its default)"
            )
        return v

    @field_validator("max_retry_attempts")
    @classmethod
    def _retries(cls, v: int | None) -> int | None:
        if v is not None and not ep.RETRY_MIN <= v <= ep.RETRY_MAX:
            raise ValueError(f"must be {ep.RETRY_MIN}–{ep.RETRY_MAX} (Logto refuses anything else; {ep.RETRY_DEFAULT} is its default)")
        return v

    def logto(self) -> dict[str, int]:
        """The declared keys, as Logto names them."""
        return {k: v for k, v in (("expirationDuration", self.expiration_duration), ("maxRetryAttempts", self.max_retry_attempts)) if v is not None}


class EmailBlocklistPolicySpec(Model):
    """Logto's `emailBlocklistPolicy`: which addresses may sign up, link or change an email."""

    block_disposable_addresses: StrictBool | None = portable(None, description="refuse disposable mailbox domains (Logto Cloud only)")
    block_subaddressing: StrictBool | None = portable(None, description="refuse sub-addresses such as user+tag@example.com")
    custom_blocklist: list[str] | None = portable(None, description=f"refused entries: {ep.ENTRY_EXAMPLES}")
    custom_allowlist: list[str] | None = portable(None, description="when non-empty, only matching addresses are accepted (same entry syntax)")

    @field_validator("custom_blocklist", "custom_allowlist")
    @classmethod
    def _entries(cls, v: list[str] | None, info: Any) -> list[str] | None:
        if v is None:
            return v
        problems = ep.entry_problems(v, to_camel(info.field_name))
        if problems:
            raise ValueError("\n".join(problems))
        return v

    @model_validator(mode="after")
    def _allow_not_blocked(self) -> "EmailBlocklistPolicySpec":
        blocked = ep.allowlist_blocked(self.custom_allowlist or [], self.custom_blocklist or [], bool(self.block_subaddressing))
        if blocked:
            raise ValueError("\n".join(
                f"customAllowlist entry {a!r} can never be used: {b} blocks it (Logto refuses this); remove one of them"
                for a, b in blocked
            ))
        return self

    def logto(self) -> dict[str, Any]:
        pairs = (
            ("blockDisposableAddresses", self.block_disposable_addresses), ("blockSubaddressing", self.block_subaddressing),
            ("customBlocklist", self.custom_blocklist), ("customAllowlist", self.custom_allowlist),
        )
        return {k: list(v) if isinstance(v, list) else v for k, v in pairs if v is not None}


class SignInExperienceSpec(Model):
    """The email part of the sign-in experience; unset means: leave it as it is."""

    email_sign_up: StrictBool | None = portable(None, description="email is a sign-up identifier (verified by code)")
    email_sign_in: StrictBool | None = portable(None, description="sign-in with email + verification code")
    forgot_password: StrictBool | None = portable(None, description="reset a forgotten password by email code")
    verification_code_policy: VerificationCodePolicySpec | None = portable(
        None, description="code lifetime and retry limit (only the keys set here are managed)"
    )
    email_blocklist_policy: EmailBlocklistPolicySpec | None = portable(
        None, description="email block/allow policy (only the keys set here are managed)"
    )
    email_mfa: StrictBool | None = portable(None, description="EmailVerificationCode is an MFA factor (sends MfaVerification/BindMfa)")
    account_center_email: str | None = portable(
        None, description="Account Center `fields.email`: Off, ReadOnly or Edit (Edit sends BindNewIdentifier codes)"
    )

    @field_validator("account_center_email")
    @classmethod
    def _account_center(cls, v: str | None) -> str | None:
        if v is not None and v not in ep.ACCOUNT_CENTER_VALUES:
            raise ValueError(f"must be one of {', '.join(ep.ACCOUNT_CENTER_VALUES)}{ep.did_you_mean(v, ep.ACCOUNT_CENTER_VALUES)}")
        return v

    @model_validator(mode="after")
    def _mfa_not_sign_in(self) -> "SignInExperienceSpec":
        if self.email_mfa and self.email_sign_in:
            raise ValueError(
                "emailMfa and emailSignIn cannot both be true: Logto does not let email codes be both a sign-in "
                "method and an MFA factor; set one of them to false"
            )
        return self

    def resource_inputs(self) -> dict[str, Any]:
        """The declared settings as the sign-in resource's inputs (undeclared ones left out)."""
        values = {
            "email_sign_up": self.email_sign_up, "email_sign_in": self.email_sign_in,
            "forgot_password": self.forgot_password, "email_mfa": self.email_mfa,
            "verification_code_policy": self.verification_code_policy.logto() if self.verification_code_policy else None,
            "email_blocklist_policy": self.email_blocklist_policy.logto() if self.email_blocklist_policy else None,
            "account_center_email": self.account_center_email,
        }
        return {k: v for k, v in values.items() if v is not None and v != {}}

    @property
    def code_lifetime_seconds(self) -> int | None:
        """The declared code lifetime, None when not declared (Logto then uses its own)."""
        return self.verification_code_policy.expiration_duration if self.verification_code_policy else None


class TenantSpec(Model):
    logto: LogtoSpec = Field(description="the tenant's Management API access")
    provider: Provider = Field(description="the email provider; `type` picks the Logto connector")
    sender: SenderSpec | None = Field(None, description="From/Reply-To (required except for logto-email)")
    locales: list[str] = portable(["en"], min_length=1, description="Logto language tags; the first is the default")
    branding: BrandingSpec | None = Field(None, description="how the emails look")
    templates: TemplatesSpec = Field(default_factory=TemplatesSpec, description="where templates come from and live")
    test_recipient: EmailAddress | None = Field(None, description="gets a test email before any connector change")
    sign_in_experience: SignInExperienceSpec | None = Field(None, description="email settings of the sign-in experience")
    allow_sign_in_breakage: StrictBool = Field(False, description="let destroy delete a connector sign-in needs")
    allow_untested_changes: StrictBool = Field(
        False, description="opt out of the test recipient: connector changes may go live untested (check reports it)"
    )

    @field_validator("locales")
    @classmethod
    def _locales(cls, v: list[str]) -> list[str]:
        bad = [t for t in v if t not in LOGTO_LANGUAGE_TAGS]
        if bad:
            hints = []
            for t in bad:
                near = [x for x in LOGTO_LANGUAGE_TAGS if x.lower() == t.lower() or x.split("-")[0] == t.split("-")[0].lower()]
                shown = repr(t) if _TAG_LIKE.fullmatch(t) else "an entry"  # never echo what is not a tag
                hints.append(shown + (f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""))
            raise ValueError(
                f"not a language Logto resolves: {', '.join(hints)}; use one of {', '.join(LOGTO_LANGUAGE_TAGS)}"
            )
        if len(set(v)) != len(v):
            raise ValueError("a locale is listed twice")
        return v

    @model_validator(mode="after")
    def _sender_needed(self) -> "TenantSpec":
        if self.provider.type != "logto-email" and self.sender is None:
            raise ValueError(f"sender (email, name) is required for provider {self.provider.type}")
        if self.provider.type == "logto-email" and self.sender is not None and self.sender.email:
            pass  # the address is Logto's; only sender.name is used
        return self

    @model_validator(mode="after")
    def _test_recipient_needed(self) -> "TenantSpec":
        sie = self.sign_in_experience
        if sie and True in (sie.email_sign_up, sie.email_sign_in, sie.forgot_password):
            if self.test_recipient is None and not self.allow_untested_changes:
                raise ValueError(
                    "signInExperience makes sign-in need email, so every connector change must be test-sent first: "
                    "set testRecipient (a mailbox that gets the test message), or allowUntestedChanges: true to opt out"
                )
        return self

    @property
    def factory_id(self) -> str:
        return FACTORY_OF_PROVIDER[self.provider.type]


class StackSpec(BaseModel):
    """A whole stack: its name, whether it is production, and its tenants by key."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    stack: str
    production: bool = False
    tenants: dict[str, TenantSpec]
    source: str | None = None  # the stack file it came from, for messages
    project_dir: str = "."
