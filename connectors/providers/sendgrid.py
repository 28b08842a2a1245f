"""SendGrid: Logto's SendGrid connector; the declared domain-authentication records are published."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from connectors.factories.sendgrid_email_service import SendgridEmailServiceConfig
from connectors.providers._base import (
    ConnectorInputs,
    Provider,
    declared_expected_dns,
    declared_signing,
)
from connectors.schema import DmarcSpec, DnsRecord, DnsSpec, Model
from connectors.secret import Secret


class SendgridProvider(Model):
    type: Literal["sendgrid"] = Field(description="SendGrid")
    api_key: Secret = Field(description="SendGrid API key with Mail Send permission")
    dns: DnsSpec = Field(default_factory=lambda: DnsSpec(external=True), description="where the dnsRecords go")
    dns_records: list[DnsRecord] = Field([], description="domain-authentication records shown by SendGrid")
    dmarc: DmarcSpec = Field(default_factory=DmarcSpec, description="the DMARC record at _dmarc.<sender domain>")


def connector_config(p: SendgridProvider, inputs: ConnectorInputs) -> dict[str, Any]:
    return {"apiKey": p.api_key, "fromEmail": inputs.sender.email, "fromName": inputs.sender.name, **inputs.templates()}


PROVIDER = Provider(
    signing=declared_signing, expected_dns=declared_expected_dns,
    type="sendgrid", model=SendgridProvider, factory=SendgridEmailServiceConfig, connector_config=connector_config,
    emails="rendered", component="SendGrid", infra_module="authenticated_domain",
)
