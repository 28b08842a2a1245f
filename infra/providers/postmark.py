"""Postmark: DKIM and Return-Path records from `dnsRecords`; the server token stays a secret in the connector."""

from __future__ import annotations

import pulumi

from connectors.stack.models import TenantSpec
from infra.providers.authenticated_domain import create_for
from infra.providers.base import ProviderResult


def create(name: str, tenant_key: str, tenant: TenantSpec, *, production: bool, parent: pulumi.Resource) -> ProviderResult:
    return create_for("Postmark", name, tenant, parent)
