"""The provider's resources of a tenant: its infra module when it has cloud resources, else a
settings-only component (`connectors.providers` says which, per provider type).

A module is imported only when a tenant uses it, so a stack of SMTP/HTTP tenants never imports
pulumi_aws or pulumi_mailgun (slow, large). Every module has
`create(name, tenant_key, tenant, *, production, parent) -> ProviderResult`.
"""

from __future__ import annotations

import importlib

import pulumi

from connectors.providers import provider_of
from connectors.stack.models import TenantSpec
from infra.providers import settings_only
from infra.providers.base import ProviderResult


def create_provider(name: str, tenant_key: str, tenant: TenantSpec, *, production: bool, parent: pulumi.Resource) -> ProviderResult:
    module_name = provider_of(tenant.provider.type).infra_module
    if module_name is None:
        return settings_only.create(name, tenant_key, tenant, production=production, parent=parent)
    module = importlib.import_module(f"infra.providers.{module_name}")
    result: ProviderResult = module.create(name, tenant_key, tenant, production=production, parent=parent)
    return result


__all__ = ["ProviderResult", "create_provider"]
