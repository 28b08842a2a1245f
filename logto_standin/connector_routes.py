"""Connector factories, connectors, the test-send endpoint and Management API verification codes.

Configs are validated by the real connector guard (the Node harness) before anything is stored,
stored after clean-deep, and an email POST replaces every other email row in one step.
"""

from __future__ import annotations

import copy
import hmac
import json
import secrets
import threading
import time
from typing import Any

from connectors.logto_facts import clean_deep

from . import guards as g
from .errors import MISSING, ApiError, InternalError
from .factories import Factory, connector_response
from .sign_in_exp import forgot_password_availability
from .state import Passcode, SentMessage, TenantState, generate_id
from .wire import EMAIL_REGEX, PHONE_REGEX, Request, Response

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


class ConnectorRoutes:
    runtime: Any
    factories: dict[str, Factory]
    state: TenantState
    lock: threading.RLock


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
            if not update:  # observed: Logto's update helper refuses an empty value list
                raise ApiError(422, "entity.invalid_input")
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
            if row is None or row.connector_id not in self.factories:  # core looks it up among loaded connectors
                raise ApiError(404, "entity.not_found")
            factory = self.factories.get(row.connector_id)
            sie = self.state.sign_in_exp
            if factory is not None and factory.type in ("Email", "Sms") and sie.get("passwordExpiration", {}).get("enabled"):
                remaining = [
                    self.factories[r.connector_id].type
                    for r in self.state.connectors.values()
                    if r.id != row.id and r.connector_id in self.factories
                ]
                email, phone = forgot_password_availability(remaining, sie.get("forgotPasswordMethods"))
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
