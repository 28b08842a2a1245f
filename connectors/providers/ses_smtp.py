"""AWS SES through its SMTP interface: Logto's SMTP connector, with the SMTP password derived
from the access key `pulumi up` creates."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from connectors.factories.simple_mail_transfer_protocol import (
    SimpleMailTransferProtocolConfig,
)
from connectors.providers._base import (
    GENERATED,
    ConnectorInputs,
    GeneratedKey,
    Provider,
)
from connectors.providers.aws_ses import (
    SesBase,
    ses_dmarc_at,
    ses_expected_dns,
    ses_signing,
)
from connectors.providers.smtp import tls_options
from connectors.schema import Port, portable


class SesSmtpProvider(SesBase):
    """SES through its SMTP interface; the SMTP password is derived from the sender's key."""

    type: Literal["ses-smtp"] = Field(description="AWS SES through its SMTP interface")
    port: Port = portable(587, description="587 (STARTTLS) or 465 (TLS)")


def connector_config(p: SesSmtpProvider, inputs: ConnectorInputs) -> dict[str, Any]:
    g = inputs.generated
    return {
        "host": f"email-smtp.{p.region}.amazonaws.com",
        "port": p.port,
        "auth": {"user": g.get("smtp_username") or GENERATED, "pass": inputs.secret("smtp_password")},
        "fromEmail": inputs.mailbox,
        "replyTo": inputs.reply_to,
        **inputs.templates(),
        **tls_options("tls" if p.port in (465, 2465) else "starttls"),
    }


PROVIDER = Provider(
    signing=ses_signing, expected_dns=ses_expected_dns, dmarc_at=ses_dmarc_at, new_key_wait=60,
    type="ses-smtp", model=SesSmtpProvider, factory=SimpleMailTransferProtocolConfig, connector_config=connector_config,
    emails="rendered", infra_module="ses",
    generated=(GeneratedKey("smtp_username"), GeneratedKey("smtp_password", secret=True)),
)
