"""Logto Cloud's built-in email service: only branding is configurable; Logto writes the emails."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from connectors.factories.logto_email import LogtoEmailConfig
from connectors.providers._base import ConnectorInputs, Provider
from connectors.schema import Model


class LogtoEmailProvider(Model):
    """Logto Cloud's built-in service: only branding (sender name, company, logo) is configurable."""

    type: Literal["logto-email"] = Field(description="Logto Cloud's built-in email service (Cloud only)")


def connector_config(p: LogtoEmailProvider, inputs: ConnectorInputs) -> dict[str, Any]:
    b = inputs.tenant.branding
    sender = inputs.tenant.sender
    company = ", ".join(x for x in ((b.company_name, b.company_address) if b else ()) if x) or None
    return {
        "senderName": (sender.name if sender else None) or (b.product_name if b else None),
        "companyInformation": company,
        "appLogo": b.logo_url if b else None,
    }


PROVIDER = Provider(
    type="logto-email", model=LogtoEmailProvider, factory=LogtoEmailConfig, connector_config=connector_config,
    emails="elsewhere", component="LogtoEmailService",
    storage_refusal=("the Logto Email Service uses its own prebuilt templates",
                     "remove templates.storage, or pick a provider that reads Logto's templates"),
)
