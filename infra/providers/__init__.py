"""One small module per provider; each is imported only when a tenant uses it.

So a stack of SMTP/HTTP tenants never imports pulumi_aws or pulumi_mailgun (slow, large).
Every module has `create(name, tenant_key, tenant, *, production, parent) -> ProviderResult`.
"""

from __future__ import annotations

import importlib

import pulumi

from connectors.stack.models import TenantSpec
from infra.providers.base import ProviderResult

MODULES: dict[str, str] = {
    "aws-ses": "ses",
    "ses-smtp": "ses",
    "mailgun": "mailgun",
    "sendgrid": "sendgrid",
    "postmark": "postmark",
    "smtp": "smtp",
    "http": "http",
    "aliyun": "aliyun",
    "logto-email": "logto_email",
    "relay": "relay",
}


def create_provider(name: str, tenant_key: str, tenant: TenantSpec, *, production: bool, parent: pulumi.Resource) -> ProviderResult:
    module = importlib.import_module(f"infra.providers.{MODULES[tenant.provider.type]}")
    return module.create(name, tenant_key, tenant, production=production, parent=parent)


__all__ = ["MODULES", "ProviderResult", "create_provider"]
