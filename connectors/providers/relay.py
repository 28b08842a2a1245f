"""The toolkit's email relay: Logto's HTTP email connector calls the relay, which renders the
tenant's templates and sends through the tenant's upstream (aws-ses, smtp, mailgun, sendgrid, postmark)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, model_validator

from connectors.factories.http_email import HttpEmailConfig
from connectors.providers._base import (
    GENERATED_URL,
    ConnectorInputs,
    GeneratedKey,
    Provider,
)
from connectors.providers.smtp import SmtpProvider
from connectors.schema import AwsRegion, Model, portable
from connectors.secret import Secret
from connectors.validators import DnsName, EmailAddress, HttpUrl


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
    def _keys(self) -> RelaySesUpstream:
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
    RelaySesUpstream | SmtpProvider | RelayMailgunUpstream | RelaySendgridUpstream | RelayPostmarkUpstream,
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
    def _where(self) -> RelayProvider:
        if (self.endpoint is None) == (self.aws is None):
            raise ValueError("set exactly one of endpoint (a relay you run) or aws (the program deploys it)")
        return self


def relay_authorization(token: Secret) -> Secret:
    """The Authorization header Logto sends the relay for `token` (the relay expects exactly this)."""
    return Secret(f"Bearer {token.reveal()}") if token.known else Secret.opaque()


def connector_config(p: RelayProvider, inputs: ConnectorInputs) -> dict[str, Any]:
    return {"endpoint": p.endpoint or inputs.generated.get("relay_endpoint") or GENERATED_URL,
            "authorization": relay_authorization(p.tokens[0])}


PROVIDER = Provider(
    type="relay", model=RelayProvider, factory=HttpEmailConfig, connector_config=connector_config,
    emails="rendered", infra_module="relay",
    generated=(GeneratedKey("relay_endpoint"),),  # only when the program deploys it (provider.aws)
)
