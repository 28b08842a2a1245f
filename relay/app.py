"""The relay's ASGI app: Logto's HTTP email connector POSTs `{to, type, payload, ip?}` here.

`POST /` (and `/send`) authenticates, validates, renders the tenant's email for the type and
locale, and answers 2xx only once the upstream accepted it. `GET /health` is public;
`GET /metrics` (Prometheus text) needs a token like a send.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import stamina
from markupsafe import escape
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.connector_config import render_tenant
from connectors.errors import ConfigError
from connectors.logto_facts import CODE_USAGE_TYPES, UsageType
from connectors.templates import RenderedSet, fill_placeholders, pick_email
from connectors.validators import EmailAddress
from relay.config import RelayConfig
from relay.idempotency import Deduplicator, SharedStore, make_shared_store
from relay.upstreams import OutgoingEmail, Upstream, UpstreamError, make_upstream

log = logging.getLogger("relay")


# -- the request Logto sends ---------------------------------------------------------------------------
class SendRequest(BaseModel):
    """connector-kit's SendMessageData; `payload` may carry keys we do not know."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)

    to: EmailAddress
    type: UsageType
    payload: dict[str, Any] = Field(default_factory=dict)
    ip: StrictStr | None = None

    @field_validator("to")
    @classmethod
    def _one_mailbox(cls, v: str) -> str:
        """Exactly one plain address: a list (`a,b@x`) or a quoted name would reach more or other people."""
        parsed = getaddresses([v])
        if len(parsed) != 1 or parsed[0] != ("", v) or any(c in v for c in ',;"()[]\\:'):
            raise ValueError("must be a single plain email address")
        return v

    @field_validator("payload")
    @classmethod
    def _shallow(cls, v: dict[str, Any]) -> dict[str, Any]:
        if _depth(v) > MAX_PAYLOAD_DEPTH:
            raise ValueError(f"nested deeper than {MAX_PAYLOAD_DEPTH} levels")
        return v


MAX_PAYLOAD_DEPTH = 16  # Logto's payloads are 3 deep (organization.branding.logoUrl)


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_PAYLOAD_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "body"
        if err["type"] == "enum":
            out.append(f"{where}: unknown usage type; known: {', '.join(UsageType)}")
        elif err["type"] == "missing":
            out.append(f"{where}: is required")
        else:
            out.append(f"{where}: {err['msg']}")
    return out


# -- metrics ---------------------------------------------------------------------------------------------
@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.sent = Counter("relay_sent", "messages the upstream accepted", ["type"], registry=r)
        self.duplicates = Counter("relay_duplicates", "repeated requests answered without sending", registry=r)
        self.rejected = Counter("relay_rejected", "requests refused before sending", ["reason"], registry=r)
        self.upstream_errors = Counter("relay_upstream_errors", "failed upstream attempts", ["kind"], registry=r)
        self.failed = Counter("relay_failed", "requests answered with an error after trying the upstream", registry=r)
        self.latency = Histogram("relay_request_seconds", "time to answer a send request", registry=r,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20))


# -- the relay -------------------------------------------------------------------------------------------
def _escaped(value: Any) -> Any:
    """Payload values for the HTML part: names and links supplied by users must not become markup."""
    if isinstance(value, str):
        return str(escape(value))
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


class Relay:
    def __init__(self, config: RelayConfig, rendered: RenderedSet, upstream: Upstream) -> None:
        self.config, self.rendered, self.upstream = config, rendered, upstream
        # Compare digests: equal length whatever the header, and every token is checked each time.
        self._accepted = [hashlib.sha256(a.encode()).digest() for a in config.authorizations]
        # Keyed by the tokens so every instance of one relay derives the same digests.
        self.dedup = Deduplicator(config.code_ttl_seconds, dedup_key(config))
        self.shared: SharedStore | None = make_shared_store(config)
        self.metrics = Metrics()

    def authorized(self, header: str | None) -> bool:
        given = hashlib.sha256((header or "").encode("utf-8", "surrogateescape")).digest()
        ok = False
        for expected in self._accepted:
            ok |= hmac.compare_digest(given, expected)
        return ok

    def compose(self, req: SendRequest) -> OutgoingEmail | None:
        locale = req.payload.get("locale")
        template = pick_email(self.rendered, str(req.type), locale if isinstance(locale, str) else None)
        if template is None:
            return None
        s = self.config.sender
        return OutgoingEmail(
            to=req.to, from_email=s.email, from_name=s.name, reply_to=s.reply_to,
            subject=" ".join(fill_placeholders(template.subject, req.payload).split()),
            html=fill_placeholders(template.html, _escaped(req.payload)),
            text=fill_placeholders(template.text, req.payload),
        )

    async def deliver(self, email: OutgoingEmail) -> None:
        limits = self.config.limits
        async with asyncio.timeout(limits.budget_seconds):
            async for attempt in stamina.retry_context(
                on=lambda e: isinstance(e, UpstreamError) and e.transient,
                attempts=limits.attempts, timeout=limits.budget_seconds, wait_initial=0.05, wait_max=1.0,
            ):
                with attempt:
                    try:
                        await self.upstream.send(email)
                    except UpstreamError as exc:
                        self.metrics.upstream_errors.labels("transient" if exc.transient else "permanent").inc()
                        raise

    async def _send_now(self, email: OutgoingEmail) -> bool:
        await self.deliver(email)
        return True

    async def _once_everywhere(self, key: str, email: OutgoingEmail) -> bool:
        if self.shared is None:
            return await self._send_now(email)
        return await self.shared.once(key, lambda: self._send_now(email))

    # -- endpoints -------------------------------------------------------------------------------------
    async def send(self, request: Request) -> Response:
        start = time.perf_counter()
        try:
            response, outcome = await self._send(request)
        finally:
            self.metrics.latency.observe(time.perf_counter() - start)
        log.info("send %s %s in %.0f ms", response.status_code, outcome, (time.perf_counter() - start) * 1000)
        return response

    def _reject(self, status: int, reason: str, message: str, **extra: Any) -> tuple[Response, str]:
        self.metrics.rejected.labels(reason).inc()
        headers = {"WWW-Authenticate": 'Bearer realm="logto-email-relay"'} if status == 401 else None
        return JSONResponse({"error": reason, "message": message, **extra}, status_code=status, headers=headers), reason

    async def _send(self, request: Request) -> tuple[Response, str]:
        if not self.authorized(request.headers.get("authorization")):
            return self._reject(401, "unauthorized", "missing or wrong Authorization header")
        limit = self.config.limits.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return self._reject(413, "too_large", f"the body must be at most {limit} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                return self._reject(413, "too_large", f"the body must be at most {limit} bytes")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return self._reject(400, "malformed", "the body must be JSON: {to, type, payload, ip?}")
        try:
            req = SendRequest.model_validate(data)
        except ValidationError as exc:
            problems = _problems(exc)
            unknown_type = any(p.startswith("type: unknown usage type") for p in problems)
            return self._reject(400, "unknown_type" if unknown_type else "invalid", "; ".join(problems))
        code, link = req.payload.get("code"), req.payload.get("link")
        if req.type in CODE_USAGE_TYPES and not (isinstance(code, str) and code):
            return self._reject(400, "invalid", f"payload.code: is required for {req.type}")
        if req.type == UsageType.OrganizationInvitation and not (isinstance(link, str) and link):
            return self._reject(400, "invalid", "payload.link: is required for OrganizationInvitation")
        email = self.compose(req)
        if email is None:
            return self._reject(500, "no_template", f"no {req.type} or Generic template in the relay's set")
        key = self.dedup.key(req.to.lower(), str(req.type), str(code or ""), str(link or ""))
        try:
            sent = await self.dedup.once(key, lambda: self._once_everywhere(key, email))
        except UpstreamError as exc:
            self.metrics.failed.inc()
            status = 503 if exc.transient else 502
            return JSONResponse({"error": "upstream", "message": f"not sent: {exc}"}, status_code=status), f"upstream {exc.reason}"
        except TimeoutError:
            self.metrics.failed.inc()
            return JSONResponse({"error": "upstream", "message": "not sent: the upstream did not answer in time"},
                                status_code=504), "upstream timeout"
        except Exception as exc:  # noqa: BLE001 - a bug must not become a traceback holding the message
            self.metrics.failed.inc()
            return JSONResponse({"error": "internal", "message": "not sent: the relay failed"},
                                status_code=500), f"internal error {type(exc).__name__}"
        if not sent:
            self.metrics.duplicates.inc()
            return JSONResponse({"status": "duplicate"}, status_code=200), "duplicate"
        self.metrics.sent.labels(str(req.type)).inc()
        return JSONResponse({"status": "sent"}, status_code=200), "sent"

    async def health(self, request: Request) -> Response:
        """Public liveness; with a token also which upstream and locales (nothing an outsider needs)."""
        if not self.authorized(request.headers.get("authorization")):
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "ok", "upstream": self.upstream.name, "locales": list(self.rendered.locales)})

    async def metrics_endpoint(self, request: Request) -> Response:
        if not self.authorized(request.headers.get("authorization")):
            return JSONResponse({"error": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(self.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def dedup_key(config: RelayConfig) -> bytes:
    """The HMAC key of the idempotency digests: derived from the tokens (a secret all instances share)."""
    material = "\x00".join(sorted(t.reveal() for t in config.tokens)).encode()
    return hashlib.sha256(b"logto-email-relay-idempotency\x00" + material).digest()


def render_for(config: RelayConfig, base_dir: Path | str = ".") -> RenderedSet:
    """The tenant's emails, rendered once at start-up with the connector configs' renderer."""
    return render_tenant(config, base_dir, path="templates")  # type: ignore[arg-type] - same fields as a tenant


def create_app(config: RelayConfig, *, base_dir: Path | str = ".", upstream: Upstream | None = None) -> Starlette:
    """The ASGI app. Raises ConfigError when the templates do not render."""
    rendered = render_for(config, base_dir)
    up = upstream or make_upstream(config.upstream, config.limits.upstream_timeout_seconds)
    relay = Relay(config, rendered, up)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await up.aclose()

    app = Starlette(lifespan=lifespan, routes=[
        Route("/", relay.send, methods=["POST"]),
        Route("/send", relay.send, methods=["POST"]),
        Route("/health", relay.health, methods=["GET"]),
        Route("/metrics", relay.metrics_endpoint, methods=["GET"]),
    ])
    app.state.relay = relay
    return app


__all__ = ["ConfigError", "Deduplicator", "Relay", "SendRequest", "create_app", "render_for"]
