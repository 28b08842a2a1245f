"""`LogtoTestServer`: the Logto-compatible app on a real socket, with faults and a request log.

It runs `http.server.ThreadingHTTPServer` (HTTP/1.1, keep-alive) in a background thread on
127.0.0.1 and a random port. Nothing is logged to stdout/stderr and request bodies are never
recorded, because they carry app secrets and connector secrets.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from .app import LogtoApp, Request, Response
from .faults import Fault, FaultInjector
from .state import ConnectorRow, EmailTemplateRow, M2MApp, SentMessage, TenantState


class RecordedRequest(NamedTuple):
    """One request as the server saw it; `status` is None when the connection was dropped."""

    method: str
    path: str
    status: int | None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; avoid 40 ms stalls
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence, secrets
        return

    def _dispatch(self) -> None:
        owner = self.server.owner
        parsed = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        query = {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
        request = Request(
            method=self.command,
            path=parsed.path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            raw_body=raw,
            client_ip=self.client_address[0],
        )
        fault = owner.faults.take(request.method, request.path)
        if fault is not None and fault.when == "before":
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop_connection:
                return self._drop(owner, request)
            if fault.status is not None:
                return self._send(owner, request, _fault_response(fault))
        response = owner.app.handle(request)
        if fault is not None and fault.when == "after":
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop_connection:
                return self._drop(owner, request)
            if fault.status is not None:
                response = _fault_response(fault)
        self._send(owner, request, response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch  # noqa: N815

    def _drop(self, owner: LogtoTestServer, request: Request) -> None:
        owner._record(request, None)
        self.close_connection = True

    def _send(self, owner: LogtoTestServer, request: Request, response: Response) -> None:
        if response.body is None or response.status in (204, 304):
            payload = b""
        elif isinstance(response.body, bytes):
            payload = response.body
        elif isinstance(response.body, str) and not response.content_type.startswith("application/json"):
            payload = response.body.encode()
        else:
            payload = json.dumps(response.body, separators=(",", ":"), ensure_ascii=False).encode()
        owner._record(request, response.status)
        self.send_response(response.status)
        if payload:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)


def _fault_response(fault: Fault) -> Response:
    status = fault.status or 503
    body = fault.body
    content_type = "application/json; charset=utf-8"
    if body is None:
        body = {"message": HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Fault"}
    elif isinstance(body, str):
        content_type = "text/plain; charset=utf-8"
    return Response(status, body, headers=dict(fault.headers), content_type=content_type)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LogtoTestServer


class LogtoTestServer:
    """A Logto tenant (Management API + M2M token endpoint) for tests.

    `runtime` is the connector harness (`logto_standin.connector_runtime.ConnectorRuntime`): configs are
    validated by the real connector guards and test-sends really go out through the packages.
    """

    def __init__(
        self,
        runtime: Any = None,
        *,
        cloud: bool = False,
        token_ttl: int = 3600,
        tenant_id: str = "default",
        resource: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.cloud = cloud
        self.tenant_id = tenant_id
        self.app = LogtoApp(
            runtime=runtime,
            cloud=cloud,
            token_ttl=token_ttl,
            resource=resource or f"https://{tenant_id}.logto.app/api",
            tenant_id=tenant_id,
        )
        self._initial_token_ttl = token_ttl
        self.faults = FaultInjector()
        self._requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self._host, self._port = host, port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.app_id = "m2m-" + secrets.token_hex(6)
        self.app_secret = secrets.token_urlsafe(24)
        self._add_default_app()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LogtoTestServer:
        if self._httpd is not None:
            return self
        self._httpd = _Server((self._host, self._port), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="logto-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> LogtoTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("LogtoTestServer is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def resource(self) -> str:
        return self.app.resource

    @property
    def token_ttl(self) -> int:
        return self.app.token_ttl

    @token_ttl.setter
    def token_ttl(self, seconds: int) -> None:
        self.app.token_ttl = seconds

    # -- state for tests -------------------------------------------------------------------

    @property
    def state(self) -> TenantState:
        return self.app.state

    @property
    def lock(self) -> threading.RLock:
        """Hold while mutating `state` from a test so requests see a consistent tenant."""
        return self.app.lock

    @property
    def sent_messages(self) -> list[SentMessage]:
        return self.app.state.sent_messages

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._requests_lock:
            return list(self._requests)

    def count(self, method: str, path: str) -> int:
        """How many `method path` requests arrived (whatever their outcome)."""
        return sum(1 for r in self.requests if r.method == method and r.path == path)

    def writes(self) -> list[RecordedRequest]:
        """Requests that could change state (POST/PUT/PATCH/DELETE under /api)."""
        return [r for r in self.requests if r.method != "GET" and r.path.startswith("/api/")]

    def clear_requests(self) -> None:
        with self._requests_lock:
            self._requests.clear()

    def _record(self, request: Request, status: int | None) -> None:
        with self._requests_lock:
            self._requests.append(RecordedRequest(request.method, request.path, status))

    def seed_connector(
        self,
        connector_id: str,
        config: dict[str, Any] | None = None,
        *,
        id: str | None = None,  # noqa: A002 - the column's name
        metadata: dict[str, Any] | None = None,
    ) -> ConnectorRow:
        """Direct "SQL" INSERT: no validation, no cleaning, no replacement of other email rows."""
        with self.app.lock:
            return self.app.state.insert_connector_row(connector_id, config, id=id, metadata=metadata)

    def seed_email_template(self, language_tag: str, template_type: str, details: dict[str, Any]) -> EmailTemplateRow:
        """Direct upsert of one `email_templates` row (no guard)."""
        with self.app.lock:
            return self.app.state.insert_email_template(language_tag, template_type, details)

    def seed_sign_in_exp(self, **columns: Any) -> dict[str, Any]:
        """Overwrite sign-in experience columns without validation; returns a copy of the row."""
        with self.app.lock:
            self.app.state.patch_sign_in_exp(**columns)
            return json.loads(json.dumps(self.app.state.sign_in_exp))

    def email_connector_rows(self) -> list[ConnectorRow]:
        """The rows whose factory is an installed Email factory (what Logto counts)."""
        with self.app.lock:
            return list(self.app._email_rows())

    def add_m2m_app(self, app_id: str, app_secret: str, scopes: tuple[str, ...] = ("all",)) -> M2MApp:
        """Register an M2M app; `scopes=()` models an app without the Management API role."""
        app = M2MApp(app_id, app_secret, tuple(scopes))
        with self.app.lock:
            self.app.state.m2m_apps[app_id] = app
        return app

    def _add_default_app(self) -> None:
        self.add_m2m_app(self.app_id, self.app_secret)

    def expire_tokens(self) -> None:
        """Every token issued so far expires now (the next call gets 401 `auth.unauthorized`)."""
        with self.app.lock:
            for token in self.app.state.tokens.values():
                token.expires_at = 0

    def reset(self) -> None:
        """Fresh tenant: seed sign-in experience, no connectors/templates/tokens; default app only.

        Also restores the constructor's token TTL and clears faults and the request log.
        """
        with self.app.lock:
            self.app.token_ttl = self._initial_token_ttl
            fresh = TenantState(cloud=self.cloud, tenant_id=self.tenant_id)
            self.app.state.__dict__.update(fresh.__dict__)
            self._add_default_app()
        self.faults.clear()
        self.clear_requests()
