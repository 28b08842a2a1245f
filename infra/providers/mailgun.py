"""Mailgun: the sending domain (`mailgun.Domain`, in the tenant's region), its sending records and DMARC.

The Mailgun API key is a per-tenant explicit `mailgun.Provider` (tenants may use different
Mailgun accounts); it reaches Pulumi only as a secret. Click/open tracking stays off: these
emails carry sign-in codes and links, which tracking would rewrite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_mailgun as mailgun

from connectors.dns_records import Record
from connectors.stack.models import MailgunProvider, TenantSpec
from infra.providers.base import PlannedRecord, ProviderResult, secret
from infra.providers.dns import check_in_zone, dmarc_planned, publish


def _sending_record(sets: Sequence[Any] | None, kind: str, domain: str) -> Record:
    """The SPF or DKIM TXT among Mailgun's sending records."""
    for r in sets or []:
        rtype = getattr(r, "record_type", None) or (r.get("record_type") if isinstance(r, dict) else None)
        name = getattr(r, "name", None) or (r.get("name") if isinstance(r, dict) else None)
        value = getattr(r, "value", None) or (r.get("value") if isinstance(r, dict) else None)
        if rtype != "TXT" or not name or not value:
            continue
        if kind == "dkim" and "._domainkey." in name:
            return Record("TXT", name, value, purpose="Mailgun DKIM")
        if kind == "spf" and value.startswith("v=spf1"):
            return Record("TXT", name, value, purpose="Mailgun SPF")
    raise pulumi.RunError(f"Mailgun returned no {kind.upper()} sending record for {domain}")


class MailgunDomain(pulumi.ComponentResource):
    def __init__(self, name: str, *, tenant: TenantSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logto-email:providers:Mailgun", name, None, opts)
        p = tenant.provider
        assert isinstance(p, MailgunProvider)
        check_in_zone(name, p.domain, p.dns)
        self.provider = mailgun.Provider(f"{name}-account", api_key=secret(p.api_key), opts=pulumi.ResourceOptions(parent=self))
        self.domain = mailgun.Domain(
            f"{name}-domain",
            name=p.domain,
            region=p.region,
            dkim_key_size=2048,
            spam_action="disabled",
            click_tracking=False,
            open_tracking=False,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )
        sets = self.domain.sending_records_sets
        planned = [
            PlannedRecord("spf", "TXT", sets.apply(lambda s: _sending_record(s, "spf", p.domain))),
            PlannedRecord("dkim", "TXT", sets.apply(lambda s: _sending_record(s, "dkim", p.domain))),
            *dmarc_planned(tenant),
        ]
        self.dns_resources, self.dns_records, self.dns_to_create = publish(name, planned, p.dns, self)
        self.register_outputs({"domain": self.domain.name, "region": p.region, "dnsRecords": self.dns_records})


def create(name: str, tenant_key: str, tenant: TenantSpec, *, production: bool, parent: pulumi.Resource) -> ProviderResult:
    c = MailgunDomain(name, tenant=tenant, opts=pulumi.ResourceOptions(parent=parent))
    return ProviderResult(
        component=c,
        waits_for=[c.domain, *c.dns_resources],
        dns_records=c.dns_records,
        dns_to_create=c.dns_to_create,
    )
