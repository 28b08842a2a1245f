"""Logto Management API: the M2M client and its typed errors.

Names load on first use (PEP 562): importing the package (e.g. for `masking`) must not drag httpx
into `validate` and `render`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time `__getattr__` below loads them on first use
    from connectors.logto.client import Connector, Factory, LogtoClient
    from connectors.logto.endpoint import (
        OSS_RESOURCE,
        default_resource,
        is_private_host,
        normalize_endpoint,
    )
    from connectors.logto.errors import (
        BadRequest,
        ConnectorSendFailed,
        Forbidden,
        InsecureEndpoint,
        InvalidConfig,
        LogtoApiError,
        LogtoError,
        LogtoUnreachable,
        MoreThanOneEmailConnector,
        NotFound,
        RateLimited,
        ServerError,
        Unauthorized,
        Unprocessable,
    )
    from connectors.logto.settings import ClientSettings

_EXPORTS = {
    "Connector": "records", "Factory": "records", "LogtoClient": "client",
    "OSS_RESOURCE": "endpoint", "default_resource": "endpoint", "is_private_host": "endpoint",
    "normalize_endpoint": "endpoint",
    "BadRequest": "errors", "ConnectorSendFailed": "errors", "Forbidden": "errors", "InsecureEndpoint": "errors",
    "InvalidConfig": "errors", "LogtoApiError": "errors", "LogtoError": "errors", "LogtoUnreachable": "errors",
    "MoreThanOneEmailConnector": "errors", "NotFound": "errors", "RateLimited": "errors", "ServerError": "errors",
    "Unauthorized": "errors", "Unprocessable": "errors",
    "ClientSettings": "settings",
}
__all__ = [  # the names of _EXPORTS (tests/unit/test_cold_start.py checks they agree)
    "OSS_RESOURCE", "BadRequest", "ClientSettings", "Connector", "ConnectorSendFailed", "Factory", "Forbidden",
    "InsecureEndpoint", "InvalidConfig", "LogtoApiError", "LogtoClient", "LogtoError", "LogtoUnreachable",
    "MoreThanOneEmailConnector", "NotFound", "RateLimited", "ServerError", "Unauthorized", "Unprocessable",
    "default_resource", "is_private_host", "normalize_endpoint",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
