"""SendGrid: domain-authentication records from `dnsRecords`; the API key stays a secret in the connector."""

from __future__ import annotations

import pulumi

from connectors.stack.models import TenantSpec
from infra.providers.authenticated_domain import create_for
from infra.providers.base import ProviderResult


def create(name: str, tenant_key: str, tenant: TenantSpec, *, production: bool, parent: pulumi.Resource) -> ProviderResult:
    return create_for("SendGrid", name, tenant, parent)
