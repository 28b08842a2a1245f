"""The OIDC token endpoint (client credentials) and koa-auth's Bearer check.

Tokens are JWT-shaped (ES384 header, `at+jwt`) but only this server can check them: it keeps
every issued token with its scope and expiry, which is what lets tests expire them on demand.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs, unquote

from .errors import ApiError, RawResponse, message_for
from .state import IssuedToken, TenantState
from .wire import Request, Response


class TokenRoutes:
    token_ttl: int
    resource: str
    issuer: str
    state: TenantState
    lock: threading.RLock
    _signing_key: bytes


    @staticmethod
    def _oidc_error(status: int, error: str, description: str) -> RawResponse:
        code = f"oidc.{error}"
        known = message_for(code)
        message = known if known != code else message_for("oidc.provider_error_fallback", code=code)
        body = {"code": code, "message": message, "error": error, "error_description": description}
        return RawResponse(status, body)

    def _issue_jwt(self, app_id: str, scope: str | None, expires_at: float) -> str:
        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        header = {"alg": "ES384", "typ": "at+jwt", "kid": "test-server"}
        payload: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "sub": app_id,
            "iat": int(time.time()),
            "exp": int(expires_at),
            "client_id": app_id,
            "iss": self.issuer,
            "aud": self.resource,
        }
        if scope:
            payload["scope"] = scope
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
        signature = hmac.new(self._signing_key, signing_input.encode(), hashlib.sha384).digest()
        return f"{signing_input}.{b64(signature)}"

    def token(self, request: Request) -> Response:
        form = self._token_form(request)
        if not form.get("grant_type"):
            raise self._oidc_error(400, "invalid_request", "missing required parameter 'grant_type'")
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(auth[6:].strip()).decode()
                raw_id, _, raw_secret = decoded.partition(":")
                client_id, client_secret = unquote(raw_id), unquote(raw_secret)  # decodeURIComponent
            except ValueError:
                raise self._oidc_error(400, "invalid_request", "invalid authorization header value format") from None
        if not client_id:
            raise self._oidc_error(400, "invalid_request", "no client authentication mechanism provided")
        with self.lock:
            app = self.state.m2m_apps.get(client_id)
        if app is None:  # unknown client id: 400
            raise self._oidc_error(400, "invalid_client", "client authentication failed")
        if client_secret is None or not hmac.compare_digest(app.app_secret, client_secret):  # wrong secret: 401
            raise self._oidc_error(401, "invalid_client", "client authentication failed")
        if form["grant_type"] != "client_credentials":
            raise self._oidc_error(400, "unsupported_grant_type", "unsupported grant_type requested")
        if form.get("resource") != self.resource:
            raise self._oidc_error(400, "invalid_target", "resource indicator is missing, or unknown")
        requested = [s for s in form.get("scope", "").split(" ") if s]
        granted = " ".join(s for s in dict.fromkeys(requested) if s in app.scopes) or None
        expires_at = time.time() + self.token_ttl
        token = self._issue_jwt(app.app_id, granted, expires_at)
        with self.lock:
            self.state.tokens[token] = IssuedToken(app.app_id, granted, expires_at)
        body: dict[str, Any] = {"access_token": token, "expires_in": self.token_ttl, "token_type": "Bearer"}
        if granted:
            body["scope"] = granted
        return Response(200, body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @staticmethod
    def _token_form(request: Request) -> dict[str, str]:
        """The token request's parameters: a form, or (as Logto 1.42 accepts too) a JSON object."""
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            try:
                parsed = json.loads(request.raw_body or b"{}")
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                raise TokenRoutes._oidc_error(400, "invalid_request", "request body must be an object")
            return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()}
        if "application/x-www-form-urlencoded" not in ctype:
            raise TokenRoutes._oidc_error(
                400,
                "invalid_request",
                "only application/x-www-form-urlencoded content-type bodies are supported on POST /token",
            )
        return {k: v[0] for k, v in parse_qs(request.raw_body.decode("utf-8", "replace")).items()}

    def authenticate(self, request: Request) -> None:
        """koa-auth: Bearer JWT for this tenant's Management API with scope `all`."""
        header = request.headers.get("authorization")
        if not header:
            raise ApiError(401, "auth.authorization_header_missing")
        if not header.startswith("Bearer"):
            raise ApiError(401, "auth.authorization_token_type_not_supported", data={"supportedTypes": ["Bearer"]})
        with self.lock:
            issued = self.state.tokens.get(header[len("Bearer ") :])
        if issued is None:
            raise ApiError(401, "auth.unauthorized", data={"code": "ERR_JWS_INVALID", "name": "JWSInvalid"})
        if not issued.valid():
            raise ApiError(
                401,
                "auth.unauthorized",
                data={"code": "ERR_JWT_EXPIRED", "name": "JWTExpired", "claim": "exp", "reason": "check_failed"},
            )
        if "all" not in (issued.scope or "").split(" "):
            raise ApiError(403, "auth.forbidden")
