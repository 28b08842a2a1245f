"""Providers whose domain authentication is done in their dashboard (SendGrid, Postmark).

The provider shows a few records (CNAMEs, a DKIM TXT, a Return-Path CNAME); the stack lists
them under `dnsRecords`; with the declared DMARC record at `_dmarc.<From domain>` they are created in Route53 or exported for whoever runs DNS.
"""

from __future__ import annotations

import pulumi

from connectors.dns_records import Record
from connectors.providers import provider_of
from connectors.providers.postmark import PostmarkProvider
from connectors.providers.sendgrid import SendgridProvider
from connectors.stack.models import TenantSpec
from infra.providers.base import PlannedRecord, ProviderResult, slug
from infra.providers.dns import dmarc_planned, known, publish


class AuthenticatedDomain(pulumi.ComponentResource):
    def __init__(self, type_name: str, name: str, *, tenant: TenantSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"logto-email:providers:{type_name}", name, None, opts)
        p = tenant.provider
        if not isinstance(p, (SendgridProvider, PostmarkProvider)):
            raise TypeError(f"provider {p.type} has no domain-authentication records")
        planned = [
            PlannedRecord(f"{r.type.lower()}-{slug(r.name)}", r.type,
                          known(Record(r.type, r.name, r.value, priority=r.priority, purpose=f"{type_name} domain authentication")))
            for r in p.dns_records
        ] + dmarc_planned(tenant)
        self.dns_resources, self.dns_records, self.dns_to_create = publish(name, planned, p.dns, self)
        self.register_outputs({"dnsRecords": self.dns_records})


def create(name: str, tenant_key: str, tenant: TenantSpec, *, production: bool, parent: pulumi.Resource) -> ProviderResult:
    type_name = provider_of(tenant.provider.type).component or tenant.provider.type
    c = AuthenticatedDomain(type_name, name, tenant=tenant, opts=pulumi.ResourceOptions(parent=parent))
    return ProviderResult(component=c, waits_for=list(c.dns_resources), dns_records=c.dns_records, dns_to_create=c.dns_to_create)
