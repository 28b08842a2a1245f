"""The Logto test server answers like a real Logto 1.42 (statuses, codes, bodies), proven with raw HTTP calls.

Most tests take `logto_target`, so they also run against a real Logto when `LOGTO_ENDPOINT`,
`LOGTO_APP_ID` and `LOGTO_APP_SECRET` are set; those that need a fresh tenant, direct state
access or fault injection skip there with the reason.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.logto import LogtoTarget
from logto_standin import LogtoTestServer

pytestmark = pytest.mark.integration

OSS_FACTORIES = [
    "aliyun-direct-mail",
    "aws-ses-mail",
    "http-email",
    "mailgun-email",
    "postmark-mail",
    "sendgrid-email-service",
    "simple-mail-transfer-protocol",
]
EMAIL_SIGN_IN = {
    "signUp": {"identifiers": ["email"], "password": False, "verify": True},
    "signIn": {
        "methods": [{"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False}]
    },
}
USERNAME_SIGN_IN = {
    "signUp": {"identifiers": ["username"], "password": True, "verify": False},
    "signIn": {
        "methods": [{"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}]
    },
}


def get_token(target: LogtoTarget, scope: str | None = "all", **overrides: Any) -> httpx.Response:
    form = {"grant_type": "client_credentials", "resource": target.resource}
    if scope is not None:
        form["scope"] = scope
    form.update(overrides)
    return httpx.post(f"{target.endpoint}/oidc/token", data=form, auth=(target.app_id, target.app_secret))


def http_email_config(endpoint: str = "http://127.0.0.1:9/mail", authorization: str = "Bearer hunter2") -> dict:
    return {"endpoint": endpoint, "authorization": authorization}


def smtp_config(port: int, user: str = "u", password: str = "p", templates: list | None = None) -> dict:
    return {
        "host": "127.0.0.1",
        "port": port,
        "auth": {"user": user, "pass": password},
        "fromEmail": "Test <noreply@example.test>",
        "templates": templates
        or [
            {"usageType": t, "contentType": "text/plain", "subject": f"{t} code", "content": f"Your {t} code is {{{{code}}}}"}
            for t in ("SignIn", "Register", "ForgotPassword", "Generic")
        ],
    }


@pytest.fixture
def api(logto_target: LogtoTarget) -> Iterator[httpx.Client]:
    token = get_token(logto_target).json()["access_token"]
    with httpx.Client(base_url=logto_target.endpoint, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def assert_error(response: httpx.Response, status: int, code: str, message: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    if message is not None:
        assert body["message"] == message
    return body


def email_connectors(api: httpx.Client) -> list[dict]:
    listed = api.get("/api/connectors")
    assert listed.status_code == 200, listed.text
    return [c for c in listed.json() if c["type"] == "Email"]


# ---- machine-to-machine tokens --------------------------------------------------------------


def test_token_with_basic_auth_and_scope_all(logto_target: LogtoTarget) -> None:
    response = get_token(logto_target)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["token_type"] == "Bearer" and body["scope"] == "all" and body["expires_in"] == 3600
    assert body["access_token"].count(".") == 2  # JWT-shaped


def test_token_with_client_secret_post(logto_target: LogtoTarget) -> None:
    response = httpx.post(
        f"{logto_target.endpoint}/oidc/token",
        data={
            "grant_type": "client_credentials",
            "resource": logto_target.resource,
            "scope": "all",
            "client_id": logto_target.app_id,
            "client_secret": logto_target.app_secret,
        },
    )
    assert response.status_code == 200 and response.json()["scope"] == "all"


def test_token_request_with_a_json_body_is_accepted(logto_target: LogtoTarget) -> None:
    response = httpx.post(
        f"{logto_target.endpoint}/oidc/token",
        json={"grant_type": "client_credentials", "resource": logto_target.resource, "scope": "all"},
        auth=(logto_target.app_id, logto_target.app_secret),
    )
    assert response.status_code == 200 and response.json()["access_token"]


def test_token_errors(logto_target: LogtoTarget) -> None:
    wrong = httpx.post(
        f"{logto_target.endpoint}/oidc/token",
        data={"grant_type": "client_credentials", "resource": logto_target.resource, "scope": "all"},
        auth=(logto_target.app_id, "not-the-secret"),
    )
    body = assert_error(wrong, 401, "oidc.invalid_client")  # wrong secret of an existing app: 401
    assert body["error"] == "invalid_client" and body["error_description"] == "client authentication failed"
    assert "message" in body
    wrong_post = httpx.post(
        f"{logto_target.endpoint}/oidc/token",
        data={"grant_type": "client_credentials", "resource": logto_target.resource, "scope": "all",
              "client_id": logto_target.app_id, "client_secret": "not-the-secret"},
    )
    assert_error(wrong_post, 401, "oidc.invalid_client")
    unknown = httpx.post(
        f"{logto_target.endpoint}/oidc/token",
        data={"grant_type": "client_credentials", "resource": logto_target.resource, "scope": "all"},
        auth=("no-such-app-id", "whatever"),
    )
    assert_error(unknown, 400, "oidc.invalid_client")  # unknown app id: 400

    no_resource = httpx.post(
        f"{logto_target.endpoint}/oidc/token",
        data={"grant_type": "client_credentials", "scope": "all"},
        auth=(logto_target.app_id, logto_target.app_secret),
    )
    assert assert_error(no_resource, 400, "oidc.invalid_target")["error"] == "invalid_target"
    other = get_token(logto_target, resource="https://other.logto.app/api")
    assert_error(other, 400, "oidc.invalid_target")


def test_token_without_scope_is_forbidden_everywhere(logto_target: LogtoTarget) -> None:
    response = get_token(logto_target, scope=None)
    assert response.status_code == 200
    assert "scope" not in response.json()
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    for method, path in [("GET", "/api/connectors"), ("GET", "/api/sign-in-exp"), ("POST", "/api/connectors")]:
        answer = httpx.request(method, f"{logto_target.endpoint}{path}", headers=headers, json={})
        assert_error(answer, 403, "auth.forbidden", "Forbidden. Please check your user roles and permissions.")


def test_missing_and_bad_bearer(logto_target: LogtoTarget) -> None:
    assert_error(
        httpx.get(f"{logto_target.endpoint}/api/connectors"),
        401,
        "auth.authorization_header_missing",
        "Authorization header is missing.",
    )
    bad = httpx.get(f"{logto_target.endpoint}/api/connectors", headers={"Authorization": "Bearer nope"})
    assert_error(bad, 401, "auth.unauthorized", "Unauthorized. Please check credentials and its scope.")
    # auth comes before the body guard
    assert httpx.post(f"{logto_target.endpoint}/api/connectors", json={}).status_code == 401


def test_expire_tokens_then_renew(logto_target: LogtoTarget, api: httpx.Client) -> None:
    server = logto_target.require_server("tokens cannot be expired on demand")
    assert api.get("/api/connectors").status_code == 200
    server.expire_tokens()
    assert_error(api.get("/api/connectors"), 401, "auth.unauthorized")
    fresh = get_token(logto_target).json()["access_token"]
    again = httpx.get(f"{logto_target.endpoint}/api/connectors", headers={"Authorization": f"Bearer {fresh}"})
    assert again.status_code == 200


def test_token_ttl_is_configurable_and_enforced() -> None:
    with LogtoTestServer(token_ttl=1) as server:
        target = LogtoTarget(server.url, server.app_id, server.app_secret, server.resource, server)
        body = get_token(target).json()
        assert body["expires_in"] == 1
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert httpx.get(f"{server.url}/api/sign-in-exp", headers=headers).status_code == 200
        time.sleep(1.1)
        assert_error(httpx.get(f"{server.url}/api/sign-in-exp", headers=headers), 401, "auth.unauthorized")


def test_m2m_app_without_management_role_gets_no_scope() -> None:
    with LogtoTestServer() as server:
        server.add_m2m_app("no-role", "secret-1", scopes=())
        target = LogtoTarget(server.url, "no-role", "secret-1", server.resource, server)
        body = get_token(target).json()
        assert "scope" not in body
        answer = httpx.get(f"{server.url}/api/connectors", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert_error(answer, 403, "auth.forbidden")


def test_cloud_flavour(connector_runtime) -> None:  # type: ignore[no-untyped-def]
    with LogtoTestServer(runtime=connector_runtime, cloud=True, tenant_id="abc123") as server:
        assert server.resource == "https://abc123.logto.app/api"
        target = LogtoTarget(server.url, server.app_id, server.app_secret, server.resource, server)
        token = get_token(target).json()["access_token"]
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as api:
            ids = [f["id"] for f in api.get("/api/connector-factories").json()]
            assert "logto-email" in ids and len(ids) == 8
            created = api.post("/api/connectors", json={"connectorId": "logto-email"})
            assert created.status_code == 200
            assert created.json()["config"] == {}
            assert created.json()["extraInfo"] == {"fromEmail": "no-reply@logtoemailservice.com"}
            assert api.get("/api/sign-in-exp").json()["signUp"]["identifiers"] == ["email"]


# ---- connector factories and connectors -----------------------------------------------------


def test_factories(api: httpx.Client, logto_target: LogtoTarget) -> None:
    factories = api.get("/api/connector-factories").json()
    ids = sorted(f["id"] for f in factories if f["type"] == "Email")
    if logto_target.server is not None:
        assert ids == OSS_FACTORIES
    smtp = api.get("/api/connector-factories/simple-mail-transfer-protocol").json()
    assert smtp["target"] == "smtp" and smtp["name"]["en"] == "SMTP" and smtp["platform"] is None
    assert smtp["logo"].startswith("data:image/svg+xml;base64,") and smtp["isDemo"] is False
    assert "SMTP" in smtp["readme"]
    assert_error(api.get("/api/connector-factories/nope"), 404, "entity.not_found", "The resource does not exist.")


def test_create_connector_shape_and_clean_deep(api: httpx.Client) -> None:
    config = {"endpoint": "http://127.0.0.1:9/mail", "authorization": "", "extra": {"empty": {}, "keep": 0}}
    response = api.post("/api/connectors", json={"connectorId": "http-email", "config": config})
    assert response.status_code == 200, response.text
    body = response.json()
    assert re.fullmatch(r"[a-z0-9]{12}", body["id"])
    assert body["connectorId"] == "http-email" and body["type"] == "Email" and body["target"] == "http-email"
    assert body["config"] == {"endpoint": "http://127.0.0.1:9/mail", "extra": {"keep": 0}}
    assert body["metadata"] == {} and body["syncProfile"] is False and body["enableTokenStorage"] is False
    assert body["isDemo"] is False and body["extraInfo"] == {} and body["logoDark"] is None
    assert {"name", "description", "logo", "readme", "formItems", "platform"} <= set(body)
    assert "createdAt" not in body
    assert api.get(f"/api/connectors/{body['id']}").json() == body


def test_secrets_come_back_in_clear(api: httpx.Client) -> None:
    created = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()})
    assert created.json()["config"]["authorization"] == "Bearer hunter2"


def test_invalid_config(api: httpx.Client) -> None:
    response = api.post(
        "/api/connectors",
        json={"connectorId": "simple-mail-transfer-protocol", "config": {"host": "h", "fromEmail": "a@b.c"}},
    )
    body = assert_error(response, 400, "connector.invalid_config", "The connector's config is invalid.")
    assert body["data"]["name"] == "ZodError" and body["data"]["issues"]
    assert 'Error in key path "port": (invalid_type) Expected number but received undefined.' in body["details"]


def test_unknown_and_cloud_only_factories(api: httpx.Client, logto_target: LogtoTarget) -> None:
    message = "Can not find connector with given standard connector id."
    assert_error(
        api.post("/api/connectors", json={"connectorId": "nope", "config": {}}),
        422,
        "connector.not_found_with_connector_id",
        message,
    )
    if logto_target.server is not None:
        assert_error(api.post("/api/connectors", json={"connectorId": "logto-email"}), 422, "connector.not_found_with_connector_id")


def test_body_guard(api: httpx.Client) -> None:
    body = assert_error(api.post("/api/connectors", json={}), 400, "guard.invalid_input", "The request body is invalid.")
    assert body["data"]["issues"][0]["path"] == ["connectorId"]
    assert body["details"] == 'Error in key path "connectorId": (invalid_type) Expected string but received undefined.'
    assert_error(api.post("/api/connectors", json={"connectorId": "http-email", "config": []}), 400, "guard.invalid_input")


def test_second_email_connector_replaces_the_first(api: httpx.Client) -> None:
    first = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()}).json()
    second = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()}).json()
    assert second["id"] != first["id"]
    assert_error(api.get(f"/api/connectors/{first['id']}"), 404, "entity.not_found")
    assert [c["id"] for c in email_connectors(api)] == [second["id"]]
    smtp = api.post(
        "/api/connectors", json={"connectorId": "simple-mail-transfer-protocol", "config": smtp_config(2525)}
    ).json()
    assert [c["id"] for c in email_connectors(api)] == [smtp["id"]]


def test_proposed_existing_id_is_a_500_and_changes_nothing(api: httpx.Client) -> None:
    first = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()}).json()
    again = api.post(
        "/api/connectors", json={"connectorId": "http-email", "config": http_email_config(), "id": first["id"]}
    )
    assert again.status_code == 500 and again.json() == {"message": "Internal server error."}
    assert api.get(f"/api/connectors/{first['id']}").status_code == 200


def test_proposed_new_id_is_used(api: httpx.Client) -> None:
    proposed = "iac-" + str(time.time_ns())
    created = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config(), "id": proposed})
    assert created.status_code == 200 and created.json()["id"] == proposed


def test_post_without_config_stores_empty_unvalidated(api: httpx.Client) -> None:
    created = api.post("/api/connectors", json={"connectorId": "simple-mail-transfer-protocol"})
    assert created.status_code == 200 and created.json()["config"] == {}
    # `{}` is a config (JS truthy): it is validated
    assert_error(
        api.post("/api/connectors", json={"connectorId": "simple-mail-transfer-protocol", "config": {}}),
        400,
        "connector.invalid_config",
    )


def test_patch_replaces_config_whole(api: httpx.Client) -> None:
    created = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()}).json()
    patched = api.patch(f"/api/connectors/{created['id']}", json={"config": {"endpoint": "http://127.0.0.1:9/other"}})
    assert patched.status_code == 200
    assert patched.json()["config"] == {"endpoint": "http://127.0.0.1:9/other"}  # authorization gone
    assert patched.json()["id"] == created["id"]
    assert_error(api.patch(f"/api/connectors/{created['id']}", json={"config": {"authorization": "x"}}), 400, "connector.invalid_config")
    assert_error(api.patch("/api/connectors/doesnotexist", json={"config": http_email_config()}), 404, "entity.not_found")


def test_patch_refusals(api: httpx.Client) -> None:
    created = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()}).json()
    path = f"/api/connectors/{created['id']}"
    assert_error(
        api.patch(path, json={"metadata": {}}),
        400,
        "connector.cannot_overwrite_metadata_for_non_standard_connector",
        "This connector's 'metadata' cannot be overwritten.",
    )
    assert_error(api.patch(path, json={"syncProfile": True}), 422, "connector.invalid_type_for_syncing_profile")
    assert api.patch(path, json={"syncProfile": False}).status_code == 200
    body = assert_error(api.patch(path, json={}), 422, "entity.invalid_input")
    assert body["message"] == "Invalid input. Value list must not be empty."
    assert api.get(path).json()["config"] == http_email_config()


def test_delete_connector(api: httpx.Client) -> None:
    created = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()}).json()
    deleted = api.delete(f"/api/connectors/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(api.delete(f"/api/connectors/{created['id']}"), 404, "entity.not_found")


def test_delete_of_a_row_whose_factory_is_not_installed_is_404(api: httpx.Client, logto_target: LogtoTarget) -> None:
    server = logto_target.require_server("inserts a row directly")
    row = server.seed_connector("some-uninstalled-factory", {"x": 1})
    assert_error(api.delete(f"/api/connectors/{row.id}"), 404, "entity.not_found")
    assert row.id in server.state.connectors


def test_list_filters_by_target(api: httpx.Client) -> None:
    created = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()}).json()
    assert [c["id"] for c in api.get("/api/connectors", params={"target": "http-email"}).json()] == [created["id"]]
    assert api.get("/api/connectors", params={"target": "smtp"}).json() == []


def test_two_email_rows_by_direct_sql(api: httpx.Client, logto_target: LogtoTarget) -> None:
    server = logto_target.require_server("two email rows are only reachable by direct SQL")
    server.seed_connector("http-email", http_email_config())
    server.seed_connector("simple-mail-transfer-protocol", smtp_config(25))
    assert len(server.email_connector_rows()) == 2
    assert_error(
        api.get("/api/connectors"), 400, "connector.more_than_one_email", "The number of Email connectors is larger then 1."
    )


def test_delete_refused_when_password_expiration_needs_email(api: httpx.Client, logto_target: LogtoTarget) -> None:
    logto_target.require_server("changes password expiration of the tenant")
    connector = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()}).json()
    policy = {"forgotPasswordMethods": ["EmailVerificationCode"], "passwordExpiration": {"enabled": True, "validPeriodDays": 90}}
    patched = api.patch("/api/sign-in-exp", json=policy)
    assert patched.status_code == 200, patched.text
    assert isinstance(patched.json()["passwordExpiration"]["enabledAt"], int)
    assert_error(
        api.delete(f"/api/connectors/{connector['id']}"),
        422,
        "sign_in_experiences.password_expiration_requires_forgot_password",
        "Password expiration requires at least one forgot password method with a valid connector.",
    )
    assert api.patch("/api/sign-in-exp", json={"passwordExpiration": {"enabled": False}}).status_code == 200
    assert api.delete(f"/api/connectors/{connector['id']}").status_code == 204


# ---- POST /api/connectors/:factoryId/test ---------------------------------------------------


def test_test_endpoint_validation(api: httpx.Client) -> None:
    path = "/api/connectors/http-email/test"
    assert_error(api.post(path, json={"config": http_email_config()}), 400, "guard.invalid_input")
    body = assert_error(api.post(path, json={"email": "not-an-email", "config": http_email_config()}), 400, "guard.invalid_input")
    assert body["data"]["issues"][0]["path"] == ["email"]
    assert_error(api.post(path, json={"email": "a@b.co"}), 400, "guard.invalid_input")  # config required
    assert_error(
        api.post(path, json={"phone": "123456", "config": http_email_config()}),
        400,
        "connector.unexpected_type",
        "The connector's type is unexpected.",
    )
    assert_error(
        api.post("/api/connectors/nope/test", json={"email": "a@b.co", "config": {}}),
        400,
        "connector.not_found",
        "Cannot find any available connector for type: Email.",
    )
    instance = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()}).json()
    assert_error(api.post(f"/api/connectors/{instance['id']}/test", json={"email": "a@b.co", "config": {}}), 400, "connector.not_found")
    assert_error(api.post(path, json={"email": "a@b.co", "config": {"authorization": "x"}}), 400, "connector.invalid_config")


def test_test_endpoint_really_sends_http_email(api: httpx.Client, logto_target: LogtoTarget, http_recorder) -> None:  # type: ignore[no-untyped-def]
    config = http_email_config(http_recorder.url("/send"), "Bearer s3cret")
    response = api.post("/api/connectors/http-email/test", json={"email": "user@example.com", "config": config})
    assert response.status_code == 204 and response.content == b""
    received = http_recorder.wait_for(lambda r: r.path == "/send")
    assert received.json == {"to": "user@example.com", "type": "Generic", "payload": {"code": "000000"}, "ip": "127.0.0.1"}
    assert received.headers["authorization"] == "Bearer s3cret"
    assert api.get("/api/connectors").json() == [] or logto_target.is_real  # nothing stored
    if logto_target.server is not None:
        sent = logto_target.server.sent_messages[-1]
        assert (sent.factory_id, sent.to, sent.type, sent.ok) == ("http-email", "user@example.com", "Generic", True)


def test_test_endpoint_passes_locale_and_maps_http_errors(api: httpx.Client, http_recorder) -> None:  # type: ignore[no-untyped-def]
    config = http_email_config(http_recorder.url("/send"))
    assert api.post("/api/connectors/http-email/test", json={"email": "a@b.co", "config": config, "locale": "fr"}).status_code == 204
    assert http_recorder.wait_for(lambda r: r.path == "/send").json["payload"] == {"code": "000000", "locale": "fr"}
    http_recorder.reply(500, "provider is down")
    body = assert_error(api.post("/api/connectors/http-email/test", json={"email": "a@b.co", "config": config}), 400, "connector.general")
    assert "provider is down" in body["message"]


def test_test_endpoint_connection_refused(api: httpx.Client) -> None:
    config = smtp_config(port=1)
    body = assert_error(
        api.post("/api/connectors/simple-mail-transfer-protocol/test", json={"email": "a@b.co", "config": config}),
        400,
        "connector.general",
    )
    assert body["data"]["message"].startswith("connect ECONNREFUSED 127.0.0.1:1")
    assert body["message"] == 'Error occurred in connector: {"message":"' + body["data"]["message"] + '"}'


def test_test_endpoint_smtp_uses_i18n_templates(api: httpx.Client, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    smtp_sink.clear()
    config = smtp_config(smtp_sink.port, smtp_sink.user, smtp_sink.password)
    assert api.post(
        "/api/connectors/simple-mail-transfer-protocol/test", json={"email": "plain@example.com", "config": config}
    ).status_code == 204
    mail = smtp_sink.received_by("plain@example.com")
    assert mail.subject == "Generic code" and "Your Generic code is 000000" in mail.text
    put = api.put(
        "/api/email-templates",
        json={"templates": [{"languageTag": "fr", "templateType": "Generic",
                             "details": {"subject": "Code {{code}}", "content": "Votre code : {{code}}", "contentType": "text/plain"}}]},
    )
    assert put.status_code == 200
    assert api.post(
        "/api/connectors/simple-mail-transfer-protocol/test",
        json={"email": "fr@example.com", "config": config, "locale": "fr"},
    ).status_code == 204
    french = smtp_sink.received_by("fr@example.com")
    assert french.subject == "Code 000000" and "Votre code : 000000" in french.text


# ---- POST /api/verification-codes (sends with the STORED connector) -------------------------


def test_verification_codes_use_the_stored_connector(api: httpx.Client, logto_target: LogtoTarget, http_recorder) -> None:  # type: ignore[no-untyped-def]
    logto_target.require_server("needs a tenant without an email connector")
    assert_error(
        api.post("/api/verification-codes", json={"email": "a@b.co"}),
        501,
        "connector.not_found",
        "Cannot find any available connector for type: Email.",
    )
    assert_error(api.post("/api/verification-codes", json={"email": "nope"}), 400, "guard.invalid_input")
    api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config(http_recorder.url("/code"))})
    assert api.post("/api/verification-codes", json={"email": "user@example.com"}).status_code == 204
    sent = http_recorder.wait_for(lambda r: r.path == "/code").json
    assert sent["type"] == "Generic" and sent["to"] == "user@example.com" and re.fullmatch(r"\d{6}", sent["payload"]["code"])
    wrong = "000000" if sent["payload"]["code"] != "000000" else "111111"
    verify = "/api/verification-codes/verify"
    assert_error(api.post(verify, json={"email": "user@example.com", "verificationCode": wrong}), 400, "verification_code.code_mismatch")
    assert api.post(verify, json={"email": "user@example.com", "verificationCode": sent["payload"]["code"]}).status_code == 204
    assert_error(api.post(verify, json={"email": "user@example.com", "verificationCode": sent["payload"]["code"]}), 400, "verification_code.not_found")


def test_verification_code_with_unvalidated_empty_config(api: httpx.Client, logto_target: LogtoTarget) -> None:
    logto_target.require_server("stores a broken connector")
    api.post("/api/connectors", json={"connectorId": "http-email"})  # stored as {} without validation
    assert_error(api.post("/api/verification-codes", json={"email": "a@b.co"}), 400, "connector.invalid_config")


# ---- sign-in experience ---------------------------------------------------------------------


def test_fresh_sign_in_experience(api: httpx.Client, logto_target: LogtoTarget) -> None:
    logto_target.require_server("needs a fresh tenant")
    sie = api.get("/api/sign-in-exp").json()
    assert sie["signIn"] == {"methods": [{"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}]}
    assert sie["signUp"] == {"identifiers": ["username"], "password": True, "verify": False}
    assert sie["forgotPasswordMethods"] == [] and sie["passwordExpiration"] == {}
    assert sie["languageInfo"] == {"autoDetect": True, "fallbackLanguage": "en"}
    assert sie["mfa"] == {"factors": [], "policy": "UserControlled"}


def test_email_sign_in_needs_a_connector_and_delete_breaks_it(api: httpx.Client, logto_target: LogtoTarget) -> None:
    logto_target.require_server("needs a tenant without an email connector")
    assert_error(
        api.patch("/api/sign-in-exp", json=EMAIL_SIGN_IN),
        400,
        "sign_in_experiences.enabled_connector_not_found",
        "Enabled Email connector not found.",
    )
    connector = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()}).json()
    patched = api.patch("/api/sign-in-exp", json=EMAIL_SIGN_IN)
    assert patched.status_code == 200
    assert patched.json()["signUp"] == EMAIL_SIGN_IN["signUp"]
    assert patched.json()["languageInfo"] == {"autoDetect": True, "fallbackLanguage": "en"}  # merged, untouched
    assert api.delete(f"/api/connectors/{connector['id']}").status_code == 204  # Logto does not stop it
    assert api.get("/api/sign-in-exp").json()["signIn"] == EMAIL_SIGN_IN["signIn"]
    assert_error(api.patch("/api/sign-in-exp", json=EMAIL_SIGN_IN), 400, "sign_in_experiences.enabled_connector_not_found")
    assert api.patch("/api/sign-in-exp", json=USERNAME_SIGN_IN).status_code == 200


@pytest.mark.parametrize(
    ("patch", "status", "code"),
    [
        ({"signUp": {"identifiers": ["email"], "password": True, "verify": False}}, 400, "sign_in_experiences.passwordless_requires_verify"),
        ({"signUp": {"identifiers": [], "password": True, "verify": True, "secondaryIdentifiers": [{"identifier": "email", "verify": True}]}},
         400, "sign_in_experiences.missing_sign_up_identifiers"),
        ({"signUp": {"identifiers": ["email", "email"], "password": True, "verify": True}}, 400, "sign_in_experiences.duplicated_sign_up_identifiers"),
        ({"signIn": {"methods": [{"identifier": "email", "password": False, "verificationCode": False, "isPasswordPrimary": True}]}},
         400, "sign_in_experiences.at_least_one_authentication_factor"),
        ({**EMAIL_SIGN_IN, "signIn": {"methods": [{"identifier": "email", "password": True, "verificationCode": False, "isPasswordPrimary": True}]}},
         400, "sign_in_experiences.code_sign_in_must_be_enabled"),
        ({"forgotPasswordMethods": ["PhoneVerificationCode"]}, 400, "sign_in_experiences.forgot_password_method_requires_connector"),
        ({"forgotPasswordMethods": [], "passwordExpiration": {"enabled": True, "validPeriodDays": 30}}, 422,
         "sign_in_experiences.password_expiration_requires_forgot_password"),
        ({"passwordExpiration": {"enabled": True}}, 400, "guard.invalid_input"),
        ({**EMAIL_SIGN_IN, "mfa": {"factors": ["EmailVerificationCode", "Totp"], "policy": "UserControlled"}}, 400,
         "sign_in_experiences.email_verification_code_cannot_be_used_for_sign_in"),
        ({"mfa": {"factors": ["BackupCode"], "policy": "UserControlled"}}, 400, "sign_in_experiences.backup_code_cannot_be_enabled_alone"),
        ({"languageInfo": {"autoDetect": True, "fallbackLanguage": "xx"}}, 400, "guard.invalid_input"),
        ({"signUp": {"identifiers": ["fax"], "password": True, "verify": True}}, 400, "guard.invalid_input"),
    ],
)
def test_sign_in_experience_validation(api: httpx.Client, logto_target: LogtoTarget, patch: dict, status: int, code: str) -> None:
    logto_target.require_server("asserts validation order on a known tenant state")
    api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()})
    before = api.get("/api/sign-in-exp").json()
    assert_error(api.patch("/api/sign-in-exp", json=patch), status, code)
    assert api.get("/api/sign-in-exp").json() == before  # nothing applied


def test_empty_sign_in_experience_patch_is_422(api: httpx.Client) -> None:
    body = assert_error(api.patch("/api/sign-in-exp", json={}), 422, "entity.invalid_input")
    assert body["message"] == "Invalid input. Value list must not be empty."


def test_guard_issues_name_the_field(api: httpx.Client) -> None:
    expiry = assert_error(api.patch("/api/sign-in-exp", json={"passwordExpiration": {"enabled": True}}), 400, "guard.invalid_input")
    assert "passwordExpiration" in expiry["details"]
    language = assert_error(
        api.patch("/api/sign-in-exp", json={"languageInfo": {"autoDetect": True, "fallbackLanguage": "xx"}}), 400, "guard.invalid_input"
    )
    assert ["languageInfo", "fallbackLanguage"] in [i["path"] for i in language["data"]["issues"]]


def test_forgot_password_by_email_requires_connector(api: httpx.Client, logto_target: LogtoTarget) -> None:
    logto_target.require_server("needs a tenant without an email connector")
    body = assert_error(
        api.patch("/api/sign-in-exp", json={"forgotPasswordMethods": ["EmailVerificationCode"]}),
        400,
        "sign_in_experiences.forgot_password_method_requires_connector",
    )
    assert body["message"] == "Forgot password method requires a corresponding email connector to be configured."


def test_mfa_email_code_conflicts_with_email_code_sign_in(api: httpx.Client, logto_target: LogtoTarget) -> None:
    logto_target.require_server("changes the tenant's sign-in")
    api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()})
    assert api.patch("/api/sign-in-exp", json=EMAIL_SIGN_IN).status_code == 200
    assert_error(
        api.patch("/api/sign-in-exp", json={"mfa": {"factors": ["EmailVerificationCode", "Totp"], "policy": "UserControlled"}}),
        400,
        "sign_in_experiences.email_verification_code_cannot_be_used_for_mfa",
    )


# ---- email templates ------------------------------------------------------------------------


def _template(lang: str, kind: str, subject: str = "S {{code}}") -> dict:
    return {"languageTag": lang, "templateType": kind, "details": {"subject": subject, "content": "C {{code}}"}}


def test_email_templates_crud(api: httpx.Client, logto_target: LogtoTarget) -> None:
    logto_target.require_server("needs an empty template table")
    first = api.put("/api/email-templates", json={"templates": [_template("fr", "SignIn"), _template("de", "Generic")]})
    assert first.status_code == 200
    rows = first.json()
    assert [r["languageTag"] for r in rows] == ["fr", "de"]
    assert all(re.fullmatch(r"[a-z0-9]{21}", r["id"]) for r in rows)
    assert set(rows[0]) == {"tenantId", "id", "languageTag", "templateType", "details", "createdAt"}
    again = api.put("/api/email-templates", json={"templates": [_template("fr", "SignIn", "New"), _template("en", "Register")]}).json()
    assert again[0]["id"] == rows[0]["id"] and again[0]["details"]["subject"] == "New"  # upsert keeps the id

    listed = api.get("/api/email-templates").json()
    assert [(r["languageTag"], r["templateType"]) for r in listed] == [("de", "Generic"), ("en", "Register"), ("fr", "SignIn")]
    assert [r["languageTag"] for r in api.get("/api/email-templates", params={"templateType": "SignIn"}).json()] == ["fr"]
    assert api.get("/api/email-templates", params={"languageTag": "xx"}).json() == []

    one = api.get(f"/api/email-templates/{rows[0]['id']}")
    assert one.status_code == 200 and one.json()["details"]["subject"] == "New"
    assert api.get("/api/email-templates/missing").status_code == 404

    merged = api.patch(f"/api/email-templates/{rows[0]['id']}/details", json={"contentType": "text/html"}).json()
    assert merged["details"] == {"subject": "New", "content": "C {{code}}", "contentType": "text/html"}

    assert api.delete(f"/api/email-templates/{rows[1]['id']}").status_code == 204
    gone = assert_error(api.delete(f"/api/email-templates/{rows[1]['id']}"), 404, "entity.not_exists_with_id")
    assert gone["message"] == f"The email_templates with ID `{rows[1]['id']}` does not exist."

    body = assert_error(api.delete("/api/email-templates"), 422, "connector.email_connector.bulk_deletion_no_filter")
    assert body["message"].endswith("Supported properties are: languageTag and templateType.")
    # `languageTag ?? templateType` must be truthy: an empty tag is no filter, even beside a type.
    assert_error(api.delete("/api/email-templates", params={"languageTag": "", "templateType": "SignIn"}), 422,
                 "connector.email_connector.bulk_deletion_no_filter")
    # Both filters together: rows matching both (AND), nothing else.
    api.put("/api/email-templates", json={"templates": [_template("fr", "Register")]})
    assert api.delete("/api/email-templates", params={"languageTag": "fr", "templateType": "Register"}).json() == {"rowCount": 1}
    assert api.delete("/api/email-templates", params={"languageTag": "fr"}).json() == {"rowCount": 1}
    assert api.delete("/api/email-templates", params={"languageTag": "fr"}).json() == {"rowCount": 0}
    assert [r["languageTag"] for r in api.get("/api/email-templates").json()] == ["en"]


def test_email_templates_guard(api: httpx.Client) -> None:
    assert_error(api.put("/api/email-templates", json={"templates": []}), 400, "guard.invalid_input")
    assert_error(api.put("/api/email-templates", json={"templates": [_template("fr", "Welcome")]}), 400, "guard.invalid_input")
    assert_error(api.get("/api/email-templates", params={"templateType": "Welcome"}), 400, "guard.invalid_input")


# ---- fault injection and the request log ----------------------------------------------------


def test_fault_before_fails_without_applying(api: httpx.Client, logto_target: LogtoTarget) -> None:
    server = logto_target.require_server("fault injection")
    server.faults.add(method="POST", path=r"^/api/connectors$", status=503, body={"message": "busy"}, headers={"Retry-After": "1"})
    failed = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()})
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "1" and failed.json() == {"message": "busy"}
    assert server.state.connectors == {}
    ok = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()})
    assert ok.status_code == 200  # times=1
    assert server.requests[-2:] == [("POST", "/api/connectors", 503), ("POST", "/api/connectors", 200)]


def test_fault_after_applies_then_fails(api: httpx.Client, logto_target: LogtoTarget) -> None:
    server = logto_target.require_server("fault injection")
    server.faults.add(method="POST", path=r"^/api/connectors$", status=502, when="after")
    failed = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()})
    assert failed.status_code == 502
    assert len(email_connectors(api)) == 1  # it landed
    assert server.count("POST", "/api/connectors") == 1


def test_fault_drops_connection_after_applying(api: httpx.Client, logto_target: LogtoTarget) -> None:
    server = logto_target.require_server("fault injection")
    server.faults.add(method="PATCH", path=r"^/api/connectors/", drop_connection=True, when="after")
    created = api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()}).json()
    with pytest.raises(httpx.RemoteProtocolError):
        api.patch(f"/api/connectors/{created['id']}", json={"config": {"endpoint": "http://127.0.0.1:9/new"}})
    assert server.state.connectors[created["id"]].config == {"endpoint": "http://127.0.0.1:9/new"}
    assert server.requests[-1] == ("PATCH", f"/api/connectors/{created['id']}", None)
    assert [w.method for w in server.writes()] == ["POST", "PATCH"]


def test_fault_delay_and_unlimited_times(api: httpx.Client, logto_target: LogtoTarget) -> None:
    server = logto_target.require_server("fault injection")
    server.faults.add(method="GET", path=r"^/api/sign-in-exp$", status=None, delay=0.2, times=None)
    began = time.perf_counter()
    assert api.get("/api/sign-in-exp").status_code == 200
    assert api.get("/api/sign-in-exp").status_code == 200
    assert time.perf_counter() - began >= 0.4
    server.faults.add(method="POST", path="/oidc/token", status=429, times=2)
    assert get_token(logto_target).status_code == 429
    assert get_token(logto_target).status_code == 429
    assert get_token(logto_target).status_code == 200


# ---- hygiene --------------------------------------------------------------------------------


def test_no_secret_in_reprs_or_output(api: httpx.Client, logto_target: LogtoTarget, capfd: pytest.CaptureFixture[str]) -> None:
    server = logto_target.require_server("inspects server state")
    api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config(authorization="Bearer TOPSECRET")})
    texts = [repr(server.state.connectors), repr(server.state.m2m_apps), repr(server.requests), repr(logto_target)]
    assert not any("TOPSECRET" in t or server.app_secret in t for t in texts)
    out, err = capfd.readouterr()
    assert "TOPSECRET" not in out + err and server.app_secret not in out + err


def test_unknown_route_is_404(api: httpx.Client) -> None:
    assert api.get("/api/nothing-here").status_code == 404


def test_reset_gives_a_fresh_tenant(api: httpx.Client, logto_target: LogtoTarget) -> None:
    server = logto_target.require_server("reset")
    api.post("/api/connectors", json={"connectorId": "http-email", "config": http_email_config()})
    server.faults.add(path="/never")
    server.reset()
    assert server.state.connectors == {} and len(server.faults) == 0 and server.requests == []
    assert_error(api.get("/api/connectors"), 401, "auth.unauthorized")  # tokens of the old tenant
    assert get_token(logto_target).status_code == 200
