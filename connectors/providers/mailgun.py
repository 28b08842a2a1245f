"""Mailgun: Logto's Mailgun connector; `pulumi up` creates the sending domain and its DNS records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from connectors.factories.mailgun_email import MailgunEmailConfig
from connectors.logto_facts import UsageType
from connectors.providers._base import (
    ConnectorInputs,
    ExpectedDns,
    ExpectedSpf,
    Provider,
    Signing,
)
from connectors.schema import DmarcSpec, DnsSpec, Model, portable
from connectors.secret import Secret
from connectors.validators import DnsName


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


def connector_config(p: MailgunProvider, inputs: ConnectorInputs) -> dict[str, Any]:
    reply_to = inputs.reply_to
    deliveries = dict(inputs.templates(reply_to=reply_to).get("deliveries", {}))
    for usage, name in p.template_names.items():
        subject = deliveries.get(str(usage), {}).get("subject")
        deliveries[str(usage)] = {"template": name, **({"subject": subject} if subject else {}), **({"replyTo": reply_to} if reply_to else {})}
    return {
        "endpoint": "https://api.eu.mailgun.net" if p.region == "eu" else None,
        "domain": p.domain,
        "apiKey": p.api_key,
        "from": inputs.mailbox,
        "deliveries": deliveries,
    }


def signing(p: MailgunProvider) -> Signing:
    return Signing((p.domain,), (p.domain,))


def expected_dns(p: MailgunProvider, dkim_tokens: Sequence[str]) -> ExpectedDns:
    """The domain's SPF must include Mailgun's; its DKIM selector is known only to Mailgun."""
    return ExpectedDns(spf=(ExpectedSpf(p.domain, "mailgun.org", "provider.domain"),))


PROVIDER = Provider(
    signing=signing, expected_dns=expected_dns,
    type="mailgun", model=MailgunProvider, factory=MailgunEmailConfig, connector_config=connector_config,
    emails="rendered", infra_module="mailgun",
)
