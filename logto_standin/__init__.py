"""The local stand-in for Logto: a Logto-compatible Management API server.

It ships with the product so that a stack can be tried locally (`bash scripts/up`) and users' own
CI can deploy against it; the integration suite's real-Logto mode is what keeps it honest.

It reproduces what a real Logto 1.42 was observed to answer (statuses, codes,
English messages, bodies), validates connector configs with the real `@logto/connector-*`
guards and really sends test messages through them (via `logto_standin.connector_runtime`).

    from logto_standin import LogtoTestServer
    with LogtoTestServer(runtime=connector_runtime, cloud=False, token_ttl=3600) as srv:
        srv.url, srv.resource, srv.app_id, srv.app_secret   # default M2M app with scope `all`
        srv.add_m2m_app("id", "secret", scopes=())          # an app without the Management API role
        srv.expire_tokens()                                 # every issued token is now expired
        srv.faults.add(method="POST", path=r"^/api/connectors$", status=503,
                       headers={"Retry-After": "1"}, when="after", times=1)
        srv.requests                                        # [(method, path, status|None), ...]
        srv.state.connectors / .sign_in_exp / .email_templates / .sent_messages
        srv.seed_connector("http-email", {...})             # direct "SQL": no checks, no replacement
        srv.reset()                                         # fresh tenant

Pytest fixtures: `logto_server` (session), `fresh_logto_server`, `logto_target` (real Logto when
`LOGTO_ENDPOINT`/`LOGTO_APP_ID`/`LOGTO_APP_SECRET` are set), in `tests/fixtures/logto.py`.
"""

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
