"""Postmark: Logto's Postmark connector sends Postmark-stored templates, named by alias."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from connectors.factories.postmark_mail import PostmarkMailConfig
from connectors.logto_facts import UsageType
from connectors.providers._base import (
    ConnectorInputs,
    Provider,
    declared_expected_dns,
    declared_signing,
)
from connectors.schema import DmarcSpec, DnsRecord, DnsSpec, Model, portable
from connectors.secret import Secret


class PostmarkProvider(Model):
    type: Literal["postmark"] = Field(description="Postmark (templates stored in Postmark)")
    server_token: Secret = Field(description="Postmark server API token")
    template_aliases: dict[UsageType, str] = portable({}, description="override the logto-* template aliases")
    dns: DnsSpec = Field(default_factory=lambda: DnsSpec(external=True), description="where the dnsRecords go")
    dns_records: list[DnsRecord] = Field([], description="DKIM and Return-Path records shown by Postmark")
    dmarc: DmarcSpec = Field(default_factory=DmarcSpec, description="the DMARC record at _dmarc.<sender domain>")


def connector_config(p: PostmarkProvider, inputs: ConnectorInputs) -> dict[str, Any]:
    return {"serverToken": p.server_token, "fromEmail": inputs.sender.email,
            **inputs.templates(postmark_aliases=p.template_aliases or None)}


PROVIDER = Provider(
    signing=declared_signing, expected_dns=declared_expected_dns,
    type="postmark", model=PostmarkProvider, factory=PostmarkMailConfig, connector_config=connector_config,
    emails="provider", component="Postmark", infra_module="authenticated_domain",
)
