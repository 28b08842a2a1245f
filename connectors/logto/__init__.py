"""Logto Management API: the M2M client, its typed errors, and Logto's config cleaning."""

from connectors.logto.client import Connector, Factory, LogtoClient
from connectors.logto.endpoint import OSS_RESOURCE, default_resource, is_private_host, normalize_endpoint
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

__all__ = [
    "OSS_RESOURCE", "BadRequest", "ClientSettings", "Connector", "ConnectorSendFailed", "Factory",
    "Forbidden", "InsecureEndpoint", "InvalidConfig", "LogtoApiError", "LogtoClient", "LogtoError",
    "LogtoUnreachable", "MoreThanOneEmailConnector", "NotFound", "RateLimited", "ServerError",
    "Unauthorized", "Unprocessable", "default_resource", "is_private_host", "normalize_endpoint",
]
