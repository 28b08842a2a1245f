"""A Logto-compatible Management API server for tests (see `server.LogtoTestServer`)."""

from .faults import Fault, FaultInjector
from .server import LogtoTestServer, RecordedRequest
from .state import ConnectorRow, EmailTemplateRow, M2MApp, SentMessage, TenantState

__all__ = [
    "ConnectorRow",
    "EmailTemplateRow",
    "Fault",
    "FaultInjector",
    "LogtoTestServer",
    "M2MApp",
    "RecordedRequest",
    "SentMessage",
    "TenantState",
]
