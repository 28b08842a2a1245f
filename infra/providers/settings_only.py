"""Providers with nothing to create: their settings and secrets go straight into the connector.

The component still exists, so every tenant has the same shape (TenantEmail → provider → …)
and `pulumi stack` shows which provider a tenant uses.
"""

from __future__ import annotations

import pulumi

from connectors.stack.models import TenantSpec
from infra.providers.base import ProviderResult


class ProviderSettings(pulumi.ComponentResource):
    def __init__(self, type_name: str, name: str, *, summary: dict[str, str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"logto-email:providers:{type_name}", name, None, opts)
        self.summary = summary
        self.register_outputs(summary)


def create_for(type_name: str, name: str, summary: dict[str, str], parent: pulumi.Resource) -> ProviderResult:
    return ProviderResult(component=ProviderSettings(type_name, name, summary=summary, opts=pulumi.ResourceOptions(parent=parent)))


def tenant_summary(tenant: TenantSpec) -> dict[str, str]:
    return {"provider": tenant.provider.type, "factory": tenant.factory_id}
