"""Smtp: settings and secrets only, nothing to create."""

from __future__ import annotations

import pulumi

from connectors.stack.models import TenantSpec
from infra.providers.base import ProviderResult
from infra.providers.settings_only import create_for, tenant_summary


def create(name: str, tenant_key: str, tenant: TenantSpec, *, production: bool, parent: pulumi.Resource) -> ProviderResult:
    return create_for("Smtp", name, tenant_summary(tenant), parent)
