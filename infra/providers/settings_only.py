"""Providers with nothing to create: their settings and secrets go straight into the connector.

The component still exists, so every tenant has the same shape (TenantEmail → provider → …)
and `pulumi stack` shows which provider a tenant uses.
"""

from __future__ import annotations

import pulumi

from connectors.providers import provider_of
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


def create(name: str, tenant_key: str, tenant: TenantSpec, *, production: bool, parent: pulumi.Resource) -> ProviderResult:
    """Every provider without cloud resources (SMTP, HTTP, Aliyun, the Logto Email Service)."""
    provider = provider_of(tenant.provider.type)
    if provider.factory.CLOUD_ONLY and not tenant.logto.endpoint.endswith(".logto.app"):
        pulumi.log.warn(
            f"tenant {tenant_key}: provider {provider.type} exists only on Logto Cloud (*.logto.app); "
            f"{tenant.logto.endpoint} will refuse the connector"
        )
    return create_for(provider.component or provider.type, name, tenant_summary(tenant), parent)
