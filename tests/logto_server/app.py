"""Request handling for the Logto-compatible server: routing, auth, and every route.

Routes follow core 1.42's order of checks (koa-auth, then koa-guard, then the handler's
asserts), because a client is judged by which error it meets first.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from connectors.logto.clean import clean_deep
from connectors.logto_facts import LOGTO_LANGUAGE_TAGS

from . import guards as g
from .errors import MISSING, ApiError, InternalError, RawResponse, message_for
from .factories import Factory, connector_response, installed_factories
from .state import EmailTemplateRow, IssuedToken, Passcode, SentMessage, TenantState, generate_id, now_ms

TEMPLATE_TYPES = [
    "SignIn",
    "Register",
    "ForgotPassword",
    "OrganizationInvitation",
    "Generic",
    "UserPermissionValidation",
    "BindNewIdentifier",
    "MfaVerification",
    "BindMfa",
]
EMAIL_REGEX = r"^\S+@\S+\.\S+$"
PHONE_REGEX = r"^\d+$"
MFA_FACTORS = ["Totp", "WebAuthn", "BackupCode", "EmailVerificationCode", "PhoneVerificationCode"]
MFA_POLICIES = [
    "UserControlled",
    "Mandatory",
    "PromptOnlyAtSignIn",
    "PromptAtSignInAndSignUp",
    "NoPrompt",
    "PromptAtSignInAndSignUpMandatory",
    "PromptOnlyAtSignInMandatory",
]
FORGOT_PASSWORD_METHODS = ["EmailVerificationCode", "PhoneVerificationCode"]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    raw_body: bytes
    client_ip: str
    params: dict[str, str] = field(default_factory=dict)

    def json_body(self) -> Any:
        """koa-body: JSON when sent as JSON, else `{}` (the koa-body@5 fallback)."""
        if not self.raw_body.strip():
            return {}
        ctype = self.headers.get("content-type", "")
        if "json" not in ctype:
            return {}
        try:
            parsed = json.loads(self.raw_body)
        except ValueError as error:
            raise RawResponse(400, f"invalid JSON, {error}", "text/plain; charset=utf-8") from None
        return {} if parsed is None else parsed  # `ctx.request.body ?? {}`


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-serialisable, or None for an empty body
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


Handler = Callable[[Request], Response]


# ---- guards (zod shapes of core's route guards) -----------------------------------------

CONNECTOR_METADATA = g.obj(
    {
        "target": g.Opt(g.string()),
        "name": g.Opt(g.json_object()),
        "logo": g.Opt(g.string()),
        "logoDark": g.Opt(g.string(), nullable=True),
    }
)
POST_CONNECTOR = g.obj(
    {
        "config": g.Opt(g.json_object()),
        "connectorId": g.string(1, 128),
        "metadata": g.Opt(CONNECTOR_METADATA),
        "syncProfile": g.Opt(g.boolean()),
        "enableTokenStorage": g.Opt(g.boolean()),
        "id": g.Opt(g.string(1, 128)),
    }
)
PATCH_CONNECTOR = g.obj(
    {
        "config": g.Opt(g.json_object()),
        "metadata": g.Opt(CONNECTOR_METADATA),
        "syncProfile": g.Opt(g.boolean()),
        "enableTokenStorage": g.Opt(g.boolean()),
    }
)
TEST_CONNECTOR = g.obj(
    {
        "phone": g.Opt(g.string(regex=PHONE_REGEX)),
        "email": g.Opt(g.string(regex=EMAIL_REGEX)),
        "config": g.json_object(),
        "locale": g.Opt(g.string()),
    }
)
REQUEST_CODE = g.union(g.obj({"email": g.string(regex=EMAIL_REGEX)}), g.obj({"phone": g.string(regex=PHONE_REGEX)}))
VERIFY_CODE = g.union(
    g.obj({"email": g.string(regex=EMAIL_REGEX), "verificationCode": g.string()}),
    g.obj({"phone": g.string(regex=PHONE_REGEX), "verificationCode": g.string()}),
)
TEMPLATE_DETAILS_FIELDS: dict[str, Any] = {
    "subject": g.string(),
    "content": g.string(),
    "contentType": g.Opt(g.enum(["text/html", "text/plain"])),
    "replyTo": g.Opt(g.string()),
    "sendFrom": g.Opt(g.string()),
}
PUT_TEMPLATES = g.obj(
    {
        "templates": g.array(
            g.obj(
                {
                    "languageTag": g.string(1, 16),
                    "templateType": g.enum(TEMPLATE_TYPES),
                    "details": g.obj(TEMPLATE_DETAILS_FIELDS),
                }
            ),
            min_len=1,
        )
    }
)
PATCH_TEMPLATE_DETAILS = g.obj(
    {k: v if isinstance(v, g.Opt) else g.Opt(v) for k, v in TEMPLATE_DETAILS_FIELDS.items()}
)
TEMPLATE_QUERY = g.obj(
    {"languageTag": g.Opt(g.string()), "templateType": g.Opt(g.enum(TEMPLATE_TYPES))}
)
SIGN_UP = g.obj(
    {
        "identifiers": g.array(g.enum(["username", "email", "phone"])),
        "password": g.boolean(),
        "verify": g.boolean(),
        "secondaryIdentifiers": g.Opt(
            g.array(
                g.obj(
                    {
                        "identifier": g.enum(["username", "email", "phone", "emailOrPhone"]),
                        "verify": g.Opt(g.boolean()),
                    }
                )
            )
        ),
    }
)
SIGN_IN = g.obj(
    {
        "methods": g.array(
            g.obj(
                {
                    "identifier": g.enum(["username", "email", "phone"]),
                    "password": g.boolean(),
                    "verificationCode": g.boolean(),
                    "isPasswordPrimary": g.boolean(),
                }
            )
        )
    }
)
SIE_SPECIFIC: dict[str, Any] = {
    "signUp": g.Opt(SIGN_UP),
    "signIn": g.Opt(SIGN_IN),
    "languageInfo": g.Opt(g.obj({"autoDetect": g.boolean(), "fallbackLanguage": g.string()})),
    "mfa": g.Opt(
        g.obj(
            {
                "factors": g.array(g.enum(MFA_FACTORS)),
                "policy": g.enum(MFA_POLICIES),
                "organizationRequired": g.Opt(g.boolean()),
            }
        )
    ),
    "forgotPasswordMethods": g.Opt(g.array(g.enum(FORGOT_PASSWORD_METHODS)), nullable=True),
    "passwordExpiration": g.Opt(
        g.obj(
            {
                "enabled": g.Opt(g.boolean()),
                "validPeriodDays": g.Opt(g.number(integer=True)),
                "enabledAt": g.Opt(g.number(integer=True)),
            }
        )
    ),
}


def _sie_patch_guard(columns: list[str]) -> g.Validator:
    fields: dict[str, Any] = {c: g.Opt(g.any_json(), nullable=True) for c in columns}
    fields.update(SIE_SPECIFIC)
    return g.obj(fields)


def _password_expiration_ok(policy: dict[str, Any]) -> bool:
    """`passwordExpirationPolicyGuard`: `{enabled?: false}` or `{enabled: true, validPeriodDays>=1}`."""
    if policy.get("enabled") is True:
        days = policy.get("validPeriodDays")
        return isinstance(days, int) and not isinstance(days, bool) and days >= 1
    return policy.get("enabled") in (None, False)


# ---- the application --------------------------------------------------------------------


class LogtoApp:
    """One tenant's Management API plus its OIDC token endpoint."""

    def __init__(
        self, *, runtime: Any, cloud: bool, token_ttl: int, resource: str, tenant_id: str = "default"
    ) -> None:
        self.runtime = runtime
        self.cloud = cloud
        self.token_ttl = token_ttl
        self.resource = resource
        self.issuer = resource.removesuffix("/api") + "/oidc"
        self.factories: dict[str, Factory] = installed_factories(cloud)
        self.state = TenantState(cloud=cloud, tenant_id=tenant_id)
        self.lock = threading.RLock()
        self._signing_key = secrets.token_bytes(32)
        self.routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self.last_internal_error: str | None = None  # why the last 500 happened (no secrets)
        self._register_routes()

    # -- routing ----------------------------------------------------------------------------

    def _route(self, method: str, pattern: str, handler: Handler, auth: bool = True) -> None:
        regex = re.compile("^" + re.sub(r":(\w+)", r"(?P<\1>[^/]+)", pattern) + "$")
        self.routes.append((method, regex, handler, auth))

    def _register_routes(self) -> None:
        r = self._route
        r("POST", "/oidc/token", self.token, auth=False)
        r("GET", "/api/connector-factories", self.list_factories)
        r("GET", "/api/connector-factories/:id", self.get_factory)
        r("GET", "/api/connectors", self.list_connectors)
        r("POST", "/api/connectors", self.create_connector)
        r("GET", "/api/connectors/:id", self.get_connector)
        r("PATCH", "/api/connectors/:id", self.update_connector)
        r("DELETE", "/api/connectors/:id", self.delete_connector)
        r("POST", "/api/connectors/:factoryId/test", self.test_connector)
        r("POST", "/api/verification-codes", self.send_verification_code)
        r("POST", "/api/verification-codes/verify", self.verify_verification_code)
        r("GET", "/api/sign-in-exp", self.get_sie)
        r("PATCH", "/api/sign-in-exp", self.patch_sie)
        r("PUT", "/api/email-templates", self.put_templates)
        r("GET", "/api/email-templates", self.list_templates)
        r("DELETE", "/api/email-templates", self.bulk_delete_templates)
        r("GET", "/api/email-templates/:id", self.get_template)
        r("DELETE", "/api/email-templates/:id", self.delete_template)
        r("PATCH", "/api/email-templates/:id/details", self.patch_template_details)

    def handle(self, request: Request) -> Response:
        """Dispatch one request; map errors to Logto's bodies."""
        try:
            for method, regex, handler, auth in self.routes:
                match = regex.match(request.path)
                if match and method == request.method:
                    request.params = {k: unquote(v) for k, v in match.groupdict().items()}
                    if auth:
                        self.authenticate(request)
                    return handler(request)
            return Response(404, "Not Found", content_type="text/plain; charset=utf-8")
        except ApiError as error:
            return Response(error.status, error.body())
        except RawResponse as raw:
            return Response(raw.status, raw.body, content_type=raw.content_type)
        except InternalError as error:
            self.last_internal_error = str(error)
            return Response(500, {"message": "Internal server error."})
        except Exception as error:  # a bug here or a harness failure: answer like Logto, keep a hint
            self.last_internal_error = f"{type(error).__name__} in {request.method} {request.path}"
            return Response(500, {"message": "Internal server error."})

    # -- OIDC token endpoint -------------------------------------------------------------

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
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            raise self._oidc_error(
                400,
                "invalid_request",
                "only application/x-www-form-urlencoded content-type bodies are supported on POST /token",
            )
        form = {k: v[0] for k, v in parse_qs(request.raw_body.decode("utf-8", "replace")).items()}
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
        if app is None or client_secret is None or not hmac.compare_digest(app.app_secret, client_secret):
            raise self._oidc_error(400, "invalid_client", "client authentication failed")
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

    # -- connectors ----------------------------------------------------------------------

    def _email_rows(self) -> list[Any]:
        return [
            row
            for row in self.state.connectors.values()
            if row.connector_id in self.factories and self.factories[row.connector_id].type == "Email"
        ]

    def _connector_types(self) -> list[str]:
        """Types of `getLogtoConnectors()`: rows whose factory is installed."""
        return [
            self.factories[row.connector_id].type
            for row in self.state.connectors.values()
            if row.connector_id in self.factories
        ]

    def _validate_config(self, factory_id: str, config: dict[str, Any]) -> None:
        if self.runtime is None:
            raise InternalError("LogtoTestServer has no connector runtime to validate configs")
        result = self.runtime.validate(factory_id, config)
        if not result.ok:
            issues = list(result.issues or [])
            error = ApiError.zod(400, "connector.invalid_config", issues)
            if getattr(result, "details", None):
                error.details = result.details
            raise error

    def _response_for(self, row: Any) -> dict[str, Any]:
        return connector_response(self.factories[row.connector_id], row)

    def list_factories(self, request: Request) -> Response:
        return Response(200, [f.response() for f in self.factories.values()])

    def get_factory(self, request: Request) -> Response:
        factory = self.factories.get(request.params["id"])
        if factory is None:
            raise ApiError(404, "entity.not_found")
        return Response(200, factory.response())

    def list_connectors(self, request: Request) -> Response:
        query = g.parse("query", g.obj({"target": g.Opt(g.string())}), dict(request.query))
        with self.lock:
            rows = sorted(  # findAllConnectors: `order by id asc`
                (r for r in self.state.connectors.values() if r.connector_id in self.factories), key=lambda r: r.id
            )
            types = [self.factories[r.connector_id].type for r in rows]
            if types.count("Email") > 1:
                raise ApiError(400, "connector.more_than_one_email")
            if types.count("Sms") > 1:
                raise ApiError(400, "connector.more_than_one_sms")
            bodies = [self._response_for(r) for r in rows]
        if query.get("target"):
            bodies = [b for b in bodies if b.get("target") == query["target"]]
        return Response(200, bodies)

    def _get_row(self, connector_id: str) -> Any:
        row = self.state.connectors.get(connector_id)
        if row is None or row.connector_id not in self.factories:
            raise ApiError(404, "entity.not_found")
        return row

    def get_connector(self, request: Request) -> Response:
        with self.lock:
            return Response(200, self._response_for(self._get_row(request.params["id"])))

    def create_connector(self, request: Request) -> Response:
        body = g.parse("body", POST_CONNECTOR, request.json_body())
        with self.lock:
            factory = self.factories.get(body["connectorId"])
            if factory is None:
                raise ApiError(422, "connector.not_found_with_connector_id")
            if body.get("config") is not None:  # JS truthiness: `{}` is validated too
                self._validate_config(factory.id, body["config"])
            if body.get("enableTokenStorage"):
                raise ApiError(422, "connector.token_storage_not_supported")
            new_id = body.get("id") or generate_id(12)
            if new_id in self.state.connectors:  # primary key violation, unmapped
                raise InternalError("duplicate key value violates unique constraint connectors_pkey")
            cleaned = clean_deep(
                {k: body[k] for k in ("syncProfile", "config", "metadata", "enableTokenStorage") if k in body}
            )
            row = self.state.insert_connector_row(
                factory.id, cleaned.get("config", {}), id=new_id, metadata=cleaned.get("metadata", {})
            )
            row.sync_profile = bool(cleaned.get("syncProfile", False))
            if factory.type in ("Email", "Sms"):  # replaceConnectorsByType, same transaction
                for other in list(self.state.connectors.values()):
                    if (
                        other.id != new_id
                        and other.connector_id in self.factories
                        and self.factories[other.connector_id].type == factory.type
                    ):
                        del self.state.connectors[other.id]
            return Response(200, self._response_for(row))

    def update_connector(self, request: Request) -> Response:
        body = g.parse("body", PATCH_CONNECTOR, request.json_body())
        with self.lock:
            row = self._get_row(request.params["id"])
            factory = self.factories[row.connector_id]
            if "metadata" in body:  # any truthy value, `{}` included; email is non-standard
                raise ApiError(400, "connector.cannot_overwrite_metadata_for_non_standard_connector")
            if body.get("syncProfile") and factory.type != "Social":
                raise ApiError(422, "connector.invalid_type_for_syncing_profile")
            if body.get("enableTokenStorage"):
                raise ApiError(422, "connector.token_storage_not_supported")
            if "config" in body and body["config"] is not None:
                self._validate_config(factory.id, body["config"])
            update = clean_deep(
                {k: body[k] for k in ("config", "metadata", "syncProfile", "enableTokenStorage") if k in body}
            )
            if not update:  # `update … set  where …`: SQL syntax error, unmapped
                raise InternalError("empty SET clause")
            if "config" in update:
                row.config = copy.deepcopy(update["config"])
            if "syncProfile" in update:
                row.sync_profile = update["syncProfile"]
            if "enableTokenStorage" in update:
                row.enable_token_storage = update["enableTokenStorage"]
            return Response(200, self._response_for(row))

    def delete_connector(self, request: Request) -> Response:
        with self.lock:
            row = self.state.connectors.get(request.params["id"])
            if row is None:
                raise ApiError(404, "entity.not_found")
            factory = self.factories.get(row.connector_id)
            sie = self.state.sign_in_exp
            if factory is not None and factory.type in ("Email", "Sms") and sie.get("passwordExpiration", {}).get("enabled"):
                remaining = [
                    self.factories[r.connector_id].type
                    for r in self.state.connectors.values()
                    if r.id != row.id and r.connector_id in self.factories
                ]
                email, phone = _forgot_password_availability(remaining, sie.get("forgotPasswordMethods"))
                if not (email or phone):
                    raise ApiError(422, "sign_in_experiences.password_expiration_requires_forgot_password")
            del self.state.connectors[row.id]
        return Response(204)

    def test_connector(self, request: Request) -> Response:
        factory_id = request.params["factoryId"]
        body = g.parse("body", TEST_CONNECTOR, request.json_body())
        phone, email = body.get("phone"), body.get("email")
        subject = phone if phone is not None else email
        if not subject:
            raise ApiError(400, "guard.invalid_input")
        expect_type = "Sms" if phone else "Email"
        factory = self.factories.get(factory_id)
        if factory is None or factory.type not in ("Email", "Sms"):
            raise ApiError(400, "connector.not_found", {"type": expect_type})
        if factory.type != expect_type:
            raise ApiError(400, "connector.unexpected_type")
        payload: dict[str, Any] = {"code": "000000"}
        if body.get("locale") is not None:
            payload["locale"] = body["locale"]
        self._send(factory_id, body["config"], subject, "Generic", payload, request.client_ip)
        return Response(204)

    def _send(self, factory_id: str, config: dict[str, Any], to: str, type_: str, payload: dict[str, Any], ip: str) -> None:
        """Really send through the connector package; record the attempt (never the config)."""
        if self.runtime is None:
            raise InternalError("LogtoTestServer has no connector runtime to send with")
        with self.lock:
            templates = {
                (row.template_type, row.language_tag): copy.deepcopy(row.details)
                for row in self.state.email_templates.values()
            }
            fallback = self.state.sign_in_exp.get("languageInfo", {}).get("fallbackLanguage", "en")
        record = SentMessage(factory_id, to, type_, dict(payload), ip, ok=False)
        try:
            self._validate_config(factory_id, config)  # every connector's sendMessage does this first
            result = self.runtime.send(
                factory_id,
                config,
                to=to,
                type=type_,
                payload=payload,
                ip=ip,
                i18n_templates=templates,
                fallback_language=fallback,
            )
            if not result.ok:
                if result.code == "internal_error":  # not a ConnectorError: koa-error-handler's 500
                    record.error_code = "internal_error"
                    raise InternalError("connector threw a non-connector error")
                if result.code == "invalid_config" and getattr(result, "issues", None):
                    error = ApiError.zod(400, "connector.invalid_config", list(result.issues))
                    error.details = getattr(result, "details", None) or error.details
                    raise error
                raise _connector_error(result.code, getattr(result, "data", None))
            record.ok = True
        except ApiError as error:
            record.error_code = error.code
            raise
        except Exception as error:  # harness crash/timeout: Logto would answer 500 too
            if isinstance(error, InternalError):
                raise
            record.error_code = "internal_error"
            raise InternalError(type(error).__name__) from None
        finally:
            with self.lock:
                self.state.sent_messages.append(record)

    # -- verification codes (Management API, type Generic) --------------------------------

    def send_verification_code(self, request: Request) -> Response:
        body = g.parse("body", REQUEST_CODE, request.json_body())
        kind, recipient = ("email", body["email"]) if "email" in body else ("phone", body["phone"])
        connector_type = "Email" if kind == "email" else "Sms"
        with self.lock:  # getMessageConnector
            rows = [
                r for r in self.state.connectors.values()
                if r.connector_id in self.factories and self.factories[r.connector_id].type == connector_type
            ]
            if not rows:
                raise ApiError(501, "connector.not_found", {"type": connector_type})
            row = rows[0]
            factory_id, config = row.connector_id, copy.deepcopy(row.config)
            code = f"{secrets.randbelow(10**6):06d}"
            self.state.passcodes[("Generic", recipient)] = Passcode(code)
        self._send(factory_id, config, recipient, "Generic", {"code": code}, request.client_ip)
        return Response(204)

    def verify_verification_code(self, request: Request) -> Response:
        body = g.parse("body", VERIFY_CODE, request.json_body())
        recipient = body.get("email", body.get("phone"))
        with self.lock:
            policy = self.state.sign_in_exp.get("verificationCodePolicy") or {}
            passcode = self.state.passcodes.get(("Generic", recipient))
            if passcode is None:
                raise ApiError(400, "verification_code.not_found")
            if time.time() - passcode.created_at > policy.get("expirationDuration", 600):
                raise ApiError(400, "verification_code.expired")
            if passcode.try_count >= policy.get("maxRetryAttempts", 10):
                raise ApiError(400, "verification_code.exceed_max_try")
            if not hmac.compare_digest(passcode.code, body["verificationCode"]):
                passcode.try_count += 1
                raise ApiError(400, "verification_code.code_mismatch")
            del self.state.passcodes[("Generic", recipient)]
        return Response(204)

    # -- sign-in experience --------------------------------------------------------------

    def get_sie(self, request: Request) -> Response:
        with self.lock:
            return Response(200, copy.deepcopy(self.state.sign_in_exp))

    def patch_sie(self, request: Request) -> Response:
        g.parse("query", g.obj({"removeUnusedDemoSocialConnector": g.Opt(g.string())}), dict(request.query))
        with self.lock:
            current = self.state.sign_in_exp
            columns = [c for c in current if c not in ("tenantId", "id")]
            body = g.parse("body", _sie_patch_guard(columns), request.json_body())
            language_info = body.get("languageInfo")
            if language_info and language_info["fallbackLanguage"] not in LOGTO_LANGUAGE_TAGS:
                raise ApiError(
                    400, "sign_in_experiences.unsupported_default_language",
                    {"language": language_info["fallbackLanguage"]},
                )
            types = self._connector_types()
            if body.get("signUp"):
                _validate_sign_up(body["signUp"], types)
            if body.get("signIn"):
                _validate_sign_in(
                    body["signIn"], body.get("signUp") or current["signUp"], types, body.get("mfa") or current.get("mfa")
                )
            if body.get("mfa"):
                _validate_mfa(body["mfa"], body.get("signIn") or current["signIn"])
            forgot = body.get("forgotPasswordMethods")
            if forgot:
                email, phone = _forgot_password_availability(types, forgot)
                for method in forgot:
                    if method == "EmailVerificationCode" and not email:
                        raise ApiError(400, "sign_in_experiences.forgot_password_method_requires_connector", {"method": "email"})
                    if method == "PhoneVerificationCode" and not phone:
                        raise ApiError(400, "sign_in_experiences.forgot_password_method_requires_connector", {"method": "sms"})
            requested = body.get("passwordExpiration")
            if requested is not None and requested.get("enabled") is False:
                expiration: dict[str, Any] = {"enabled": False}
            else:
                expiration = {**current.get("passwordExpiration", {}), **(requested or {})}
            if not _password_expiration_ok(expiration):
                raise ApiError(422, "sign_in_experiences.password_expiration_invalid_period_days")
            if expiration.get("enabled"):
                stored = current.get("passwordExpiration", {})
                expiration["enabledAt"] = stored.get("enabledAt") if stored.get("enabled") and stored.get("enabledAt") else now_ms()
                methods = forgot if forgot is not None else current.get("forgotPasswordMethods")
                email, phone = _forgot_password_availability(types, methods)
                if not (email or phone):
                    raise ApiError(422, "sign_in_experiences.password_expiration_requires_forgot_password")
            update = {k: v for k, v in body.items() if k != "passwordExpiration"}
            if requested is not None:
                update["passwordExpiration"] = expiration
            if not update:  # updateDefaultSignInExperience({}): empty SET clause, unmapped (unobserved)
                raise InternalError("empty SET clause")
            current.update(copy.deepcopy(update))
            return Response(200, copy.deepcopy(current))

    # -- email templates -----------------------------------------------------------------

    def _template(self, template_id: str) -> EmailTemplateRow:
        row = self.state.email_templates.get(template_id)
        if row is None:
            raise ApiError(404, "entity.not_exists_with_id", {"name": "email_templates", "id": template_id})
        return row

    def put_templates(self, request: Request) -> Response:
        body = g.parse("body", PUT_TEMPLATES, request.json_body())
        keys = [(t["languageTag"], t["templateType"]) for t in body["templates"]]
        if len(set(keys)) != len(keys):  # ON CONFLICT DO UPDATE cannot affect a row twice
            raise InternalError("ON CONFLICT DO UPDATE command cannot affect row a second time")
        with self.lock:
            rows = [
                self.state.insert_email_template(t["languageTag"], t["templateType"], t["details"])
                for t in body["templates"]
            ]
            return Response(200, [row.response() for row in rows])

    def list_templates(self, request: Request) -> Response:
        query = g.parse("query", TEMPLATE_QUERY, dict(request.query))
        with self.lock:
            rows = [
                r
                for r in self.state.email_templates.values()
                if query.get("languageTag") in (None, r.language_tag)
                and query.get("templateType") in (None, r.template_type)
            ]
            rows.sort(key=lambda r: (r.language_tag, r.template_type))
            return Response(200, [r.response() for r in rows])

    def get_template(self, request: Request) -> Response:
        with self.lock:
            return Response(200, self._template(request.params["id"]).response())

    def patch_template_details(self, request: Request) -> Response:
        body = g.parse("body", PATCH_TEMPLATE_DETAILS, request.json_body())
        with self.lock:
            row = self._template(request.params["id"])
            row.details = {**row.details, **copy.deepcopy(body)}
            return Response(200, row.response())

    def delete_template(self, request: Request) -> Response:
        with self.lock:
            if self.state.email_templates.pop(request.params["id"], None) is None:
                raise ApiError(404, "entity.not_found")
        return Response(204)

    def bulk_delete_templates(self, request: Request) -> Response:
        query = g.parse("query", TEMPLATE_QUERY, dict(request.query))
        if not query:
            raise ApiError(
                422,
                "connector.email_connector.bulk_deletion_no_filter",
                {"properties": ["languageTag", "templateType"]},
            )
        with self.lock:
            doomed = [
                r.id
                for r in self.state.email_templates.values()
                if query.get("languageTag") in (None, r.language_tag)
                and query.get("templateType") in (None, r.template_type)
            ]
            for template_id in doomed:
                del self.state.email_templates[template_id]
        return Response(200, {"rowCount": len(doomed)})


# ---- sign-in experience validation (core libraries/sign-in-experience) ------------------


def _forgot_password_availability(types: list[str], methods: list[str] | None) -> tuple[bool, bool]:
    if methods is None:
        return "Email" in types, "Sms" in types
    return (
        "EmailVerificationCode" in methods and "Email" in types,
        "PhoneVerificationCode" in methods and "Sms" in types,
    )


def _validate_sign_up(sign_up: dict[str, Any], types: list[str]) -> None:
    identifiers = sign_up["identifiers"]
    secondary = sign_up.get("secondaryIdentifiers") or []
    if secondary and not identifiers:
        raise ApiError(400, "sign_in_experiences.missing_sign_up_identifiers")
    primary = set(identifiers)
    second = [s["identifier"] for s in secondary]
    duplicated = len(primary) != len(identifiers) or len(set(second)) != len(second)
    for ident in set(second):
        if ident == "emailOrPhone":
            duplicated = duplicated or "email" in primary or "phone" in primary
        else:
            duplicated = duplicated or ident in primary
    if duplicated:
        raise ApiError(400, "sign_in_experiences.duplicated_sign_up_identifiers")
    if any(i != "username" for i in identifiers) or any(i != "username" for i in second):
        if not sign_up["verify"]:
            raise ApiError(400, "sign_in_experiences.passwordless_requires_verify")
    for entry in secondary:
        if entry["identifier"] != "username" and not entry.get("verify"):
            raise ApiError(400, "sign_in_experiences.passwordless_requires_verify")
    if ("email" in primary or "email" in second or "emailOrPhone" in second) and "Email" not in types:
        raise ApiError(400, "sign_in_experiences.enabled_connector_not_found", {"type": "Email"})
    if ("phone" in primary or "phone" in second or "emailOrPhone" in second) and "Sms" not in types:
        raise ApiError(400, "sign_in_experiences.enabled_connector_not_found", {"type": "Sms"})


def _validate_sign_in(
    sign_in: dict[str, Any], sign_up: dict[str, Any], types: list[str], mfa: dict[str, Any] | None
) -> None:
    methods = sign_in["methods"]
    if any(m["verificationCode"] and m["identifier"] == "email" for m in methods) and "Email" not in types:
        raise ApiError(400, "sign_in_experiences.enabled_connector_not_found", {"type": "Email"})
    if any(m["verificationCode"] and m["identifier"] == "phone" for m in methods) and "Sms" not in types:
        raise ApiError(400, "sign_in_experiences.enabled_connector_not_found", {"type": "Sms"})
    if not all(m["password"] or m["verificationCode"] for m in methods):
        raise ApiError(400, "sign_in_experiences.at_least_one_authentication_factor")
    if sign_up.get("verify") and not sign_up.get("password"):
        if not all(m["verificationCode"] or m["identifier"] == "username" for m in methods):
            raise ApiError(400, "sign_in_experiences.code_sign_in_must_be_enabled")
    factors = (mfa or {}).get("factors") or []
    if "EmailVerificationCode" in factors and any(
        m["identifier"] == "email" and m["verificationCode"] for m in methods
    ):
        raise ApiError(400, "sign_in_experiences.email_verification_code_cannot_be_used_for_sign_in")
    if "PhoneVerificationCode" in factors and any(
        m["identifier"] == "phone" and m["verificationCode"] for m in methods
    ):
        raise ApiError(400, "sign_in_experiences.phone_verification_code_cannot_be_used_for_sign_in")


def _validate_mfa(mfa: dict[str, Any], sign_in: dict[str, Any]) -> None:
    factors = mfa["factors"]
    if len(set(factors)) != len(factors):
        raise ApiError(400, "sign_in_experiences.duplicated_mfa_factors")
    if "BackupCode" in factors and len(factors) <= 1:
        raise ApiError(400, "sign_in_experiences.backup_code_cannot_be_enabled_alone")
    methods = sign_in.get("methods", [])
    if "EmailVerificationCode" in factors and any(
        m["identifier"] == "email" and m["verificationCode"] for m in methods
    ):
        raise ApiError(400, "sign_in_experiences.email_verification_code_cannot_be_used_for_mfa")
    if "PhoneVerificationCode" in factors and any(
        m["identifier"] == "phone" and m["verificationCode"] for m in methods
    ):
        raise ApiError(400, "sign_in_experiences.phone_verification_code_cannot_be_used_for_mfa")


# ---- connector errors (koa-connector-error-handler) -------------------------------------

_STATUS_BY_CONNECTOR_CODE = {
    "invalid_metadata": 400,
    "invalid_config_guard": 400,
    "invalid_request_parameters": 400,
    "insufficient_request_parameters": 400,
    "invalid_config": 400,
    "invalid_certificate": 400,
    "invalid_response": 400,
    "template_not_found": 400,
    "not_implemented": 501,
    "rate_limit_exceeded": 429,
    "usage_limit_exceeded": 429,
    "social_auth_code_invalid": 401,
    "social_invalid_access_token": 401,
    "social_invalid_id_token": 401,
    "authorization_failed": 401,
}


def _connector_error(code: str | None, data: Any) -> ApiError:
    """A ConnectorError as core answers it; `general` (and unknown codes) carry the data as text."""
    code = code or "general"
    payload = MISSING if data is None else data
    if code in _STATUS_BY_CONNECTOR_CODE:
        return ApiError(_STATUS_BY_CONNECTOR_CODE[code], f"connector.{code}", data=payload)
    if isinstance(data, str):
        description = data
    elif data is None:
        description = ""
    else:
        description = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return ApiError(400, f"connector.{code}", {"errorDescription": description}, data=payload)
