"""The Pulumi layer: `TenantEmail` (one tenant's whole email chain) and the dynamic resources it
is built from, for programs that embed them. Names load on first use, so importing one part of
`infra` does not import the others (or pulumi_aws)."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TenantEmail": "infra.tenant",
    "LogtoEmailConnector": "infra.connector",
    "LogtoEmailTemplates": "infra.email_templates",
    "LogtoSignInEmail": "infra.sign_in_experience",
}
__all__ = ["LogtoEmailConnector", "LogtoEmailTemplates", "LogtoSignInEmail", "TenantEmail"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
