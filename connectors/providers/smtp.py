"""Any SMTP server: Logto's SMTP connector with the declared host and credentials."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from connectors.factories.simple_mail_transfer_protocol import (
    SimpleMailTransferProtocolConfig,
)
from connectors.providers._base import ConnectorInputs, Provider
from connectors.schema import Model, Port, portable
from connectors.secret import Secret
from connectors.validators import HeaderText, HostName


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
    def _auth(self) -> SmtpProvider:
        if (self.username is None) != (self.password is None):
            raise ValueError("set both username and password, or neither (a relay that authorizes by IP)")
        return self

    @property
    def effective_security(self) -> str:
        return self.security or ("tls" if self.port == 465 else "starttls")


def tls_options(security: str) -> dict[str, bool]:
    """The SMTP connector's TLS switches for `tls` (implicit), `starttls` (required) or `none`."""
    return {"secure": True} if security == "tls" else {"requireTLS": True} if security == "starttls" else {"ignoreTLS": True}


def connector_config(p: SmtpProvider, inputs: ConnectorInputs) -> dict[str, Any]:
    return {
        "host": p.host,
        "port": p.port,
        "auth": {"user": p.username, "pass": p.password} if p.username else {},
        "fromEmail": inputs.mailbox,
        "replyTo": inputs.reply_to,
        **inputs.templates(),
        **tls_options(p.effective_security),
    }


PROVIDER = Provider(
    type="smtp", model=SmtpProvider, factory=SimpleMailTransferProtocolConfig, connector_config=connector_config,
    emails="rendered", component="Smtp",
)
