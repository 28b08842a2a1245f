"""The Logto Email Service (Logto Cloud only): branding is all there is; nothing to create."""

from __future__ import annotations

import pulumi

from connectors.stack.models import TenantSpec
from infra.providers.base import ProviderResult
from infra.providers.settings_only import create_for, tenant_summary


def create(name: str, tenant_key: str, tenant: TenantSpec, *, production: bool, parent: pulumi.Resource) -> ProviderResult:
    if not tenant.logto.endpoint.endswith(".logto.app"):
        pulumi.log.warn(
            f"tenant {tenant_key}: the Logto Email Service exists only on Logto Cloud (*.logto.app); "
            f"{tenant.logto.endpoint} will refuse the connector"
        )
    return create_for("LogtoEmailService", name, tenant_summary(tenant), parent)
