"""The deploy step against a Logto Management API: create, noop, update, switch, rollback, delete.

Every scenario runs through the engine (`connectors.deploy`) and through the Pulumi dynamic
provider's methods, then checks the invariant (never two email connectors; one whenever the
sign-in experience needs email) and that no secret leaked into logs, errors or outputs.
"""

from __future__ import annotations

import logging
import re

import pytest

from connectors import deploy
from tests.integration.deploy_support import (
    DRIVERS,
    HTTP_AUTH_SECRET,
    assert_one_email_connector,
    client_for,
    http_config,
    smtp_config,
)

pytestmark = pytest.mark.integration

EMAIL_SIGN_IN = {
    "signUp": {"identifiers": ["email"], "password": False, "verify": True},
    "signIn": {"methods": [{"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False}]},
}
USERNAME_SIGN_IN = {
    "signUp": {"identifiers": ["username"], "password": True, "verify": False},
    "signIn": {"methods": [{"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}]},
    "forgotPasswordMethods": [],
    "mfa": {"factors": [], "policy": "UserControlled"},
}



@pytest.fixture
def client(logto_target):
    with client_for(logto_target) as c:
        yield c


@pytest.fixture(params=sorted(DRIVERS))
def driver(request, logto_target, client):
    d = DRIVERS[request.param](logto_target)
    yield d
    d.close()


@pytest.fixture
def no_leaks(logto_target, caplog, smtp_sink):
    """Collects every text a run produced; asserts at the end that none holds a secret."""
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    yield texts
    secrets = [logto_target.app_secret, HTTP_AUTH_SECRET, smtp_sink.password]
    haystack = "\n".join([caplog.text, *texts])
    for secret in secrets:
        assert secret not in haystack


@pytest.fixture(autouse=True)
def _restore_real_tenant(logto_target, client):
    """On a real Logto, put the sign-in experience, connector and template rows back as they were."""
    if not logto_target.is_real:
        yield
        return
    from tests.integration.deploy_support import TenantSnapshot

    snapshot = TenantSnapshot.take(client)
    yield
    snapshot.restore(client)


def _writes(server):
    return [(r.method, r.path) for r in server.writes()]


# -- create / noop / update / switch -------------------------------------------------------------
def test_create_with_test_send(driver, logto_target, client, http_recorder, no_leaks):
    server = logto_target.recorder
    result = driver.up("http-email", http_config(http_recorder), test_recipient="ops@example.com")
    assert result.factory_id == "http-email"
    live = client.get_email_connector()
    assert live is not None and live.id == result.connector_id
    assert live.config == http_config(http_recorder)
    # The pre-flight message really went out, with the Authorization header of the new config.
    sent = http_recorder.wait_for(lambda r: r.path == "/hook")
    assert sent.json["to"] == "ops@example.com" and sent.json["type"] == "Generic"
    assert sent.headers["authorization"] == HTTP_AUTH_SECRET
    assert _writes(server) == [("POST", "/api/connectors/http-email/test"), ("POST", "/api/connectors")]
    assert_one_email_connector(client, logto_target)
    no_leaks.extend(driver.texts)


def test_noop_sends_no_write(driver, logto_target, client, http_recorder, no_leaks):
    server = logto_target.recorder
    first = driver.up("http-email", http_config(http_recorder))
    server.clear_requests()
    # Same config plus values Logto's clean-deep drops: still equal, so nothing is written.
    again = driver.up("http-email", {**http_config(http_recorder)}, test_recipient="ops@example.com")
    assert again.connector_id == first.connector_id
    assert _writes(server) == []  # not even the test-send
    assert_one_email_connector(client, logto_target)
    no_leaks.extend(driver.texts)


def test_update_patches_in_place(driver, logto_target, client, http_recorder, no_leaks):
    server = logto_target.recorder
    first = driver.up("http-email", http_config(http_recorder))
    server.clear_requests()
    new = http_config(http_recorder, path="/hook2", secret="Bearer rotated-secret-00aa11")
    second = driver.up("http-email", new, test_recipient="ops@example.com")
    assert second.connector_id == first.connector_id  # PATCH keeps the id
    assert _writes(server) == [
        ("POST", "/api/connectors/http-email/test"),
        ("PATCH", f"/api/connectors/{first.connector_id}"),
    ]
    assert client.get_email_connector().config == new
    assert_one_email_connector(client, logto_target)
    no_leaks.extend(driver.texts)
    assert "rotated-secret-00aa11" not in "\n".join(driver.texts)


def test_switch_is_one_post_and_never_two_connectors(driver, logto_target, client, http_recorder, smtp_sink, no_leaks):
    server = logto_target.recorder
    first = driver.up("http-email", http_config(http_recorder))
    client.patch_sign_in_experience(EMAIL_SIGN_IN)
    server.clear_requests()
    smtp_sink.clear()
    second = driver.up("simple-mail-transfer-protocol", smtp_config(smtp_sink), test_recipient="ops@example.com")
    assert second.factory_id == "simple-mail-transfer-protocol"
    assert second.connector_id != first.connector_id
    writes = _writes(server)
    assert writes == [("POST", "/api/connectors/simple-mail-transfer-protocol/test"), ("POST", "/api/connectors")]
    assert ("DELETE", f"/api/connectors/{first.connector_id}") not in writes  # never delete first
    mail = smtp_sink.received_by("ops@example.com")
    assert mail.subject == "Generic code" and "000000" in mail.text
    assert_one_email_connector(client, logto_target)
    no_leaks.extend(driver.texts)


def test_calls_noop_is_one_token_and_one_read_switch_is_test_post_read_back(driver, logto_target, client, http_recorder, smtp_sink):
    """Exact Logto calls. Noop: one token and one read, no write. Switch: the plan's read, the
    test-send, the compare-and-swap read right before writing, one POST, one read-back."""
    from connectors.logto.token import TOKENS

    server = logto_target.recorder
    driver.up("http-email", http_config(http_recorder))
    client.patch_sign_in_experience(EMAIL_SIGN_IN)
    TOKENS.clear()  # a fresh process: the token is fetched once and then reused
    server.clear_requests()
    driver.up("http-email", http_config(http_recorder), test_recipient="ops@example.com")
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/oidc/token"), ("GET", "/api/connectors")]
    TOKENS.clear()
    server.clear_requests()
    driver.up("simple-mail-transfer-protocol", smtp_config(smtp_sink), test_recipient="ops@example.com")
    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", "/oidc/token"),
        ("GET", "/api/connectors"),
        ("POST", "/api/connectors/simple-mail-transfer-protocol/test"),
        ("GET", "/api/connectors"),
        ("POST", "/api/connectors"),
        ("GET", "/api/connectors"),
    ]
    assert_one_email_connector(client, logto_target)


def test_adopts_an_existing_connector(driver, logto_target, client, http_recorder, no_leaks):
    server = logto_target.recorder
    existing = client.create_connector("http-email", http_config(http_recorder))
    server.clear_requests()
    result = driver.up("http-email", http_config(http_recorder))
    assert result.connector_id == existing.id
    assert _writes(server) == []
    # Same factory, other config: adopted and updated in place, never duplicated.
    server.clear_requests()
    driver2 = type(driver)(logto_target)
    try:
        changed = driver2.up("http-email", http_config(http_recorder, path="/other"))
    finally:
        driver2.close()
    assert changed.connector_id == existing.id
    assert _writes(server) == [("PATCH", f"/api/connectors/{existing.id}")]
    assert_one_email_connector(client, logto_target)
    no_leaks.extend(driver.texts)


# -- failures ----------------------------------------------------------------------------------------
def test_failed_test_send_changes_nothing(driver, logto_target, client, http_recorder, smtp_sink, no_leaks):
    server = logto_target.recorder
    first = driver.up("http-email", http_config(http_recorder))
    before = client.get_email_connector()
    server.clear_requests()
    bad = smtp_config(smtp_sink)
    bad["auth"] = {"user": smtp_sink.user, "pass": "wrong-password-42"}
    with pytest.raises(deploy.TestSendFailed) as info:
        driver.up("simple-mail-transfer-protocol", bad, test_recipient="ops@example.com")
    text = str(info.value)
    assert "nothing was changed" in text and "connector.general" in text
    assert "wrong-password-42" not in text
    assert _writes(server) == [("POST", "/api/connectors/simple-mail-transfer-protocol/test")]
    after = client.get_email_connector()
    assert after.id == first.connector_id and after.config == before.config
    assert_one_email_connector(client, logto_target)
    no_leaks.extend([text, *driver.texts])


def _after(client, method_name, action):
    """Run `action` right after the client's next `method_name` call returned (a fault or a
    concurrent change between two calls of one run)."""
    real = getattr(client, method_name)

    def wrapped(*args, **kwargs):
        result = real(*args, **kwargs)
        setattr(client, method_name, real)
        return action(result) or result

    setattr(client, method_name, wrapped)


def _stored_otherwise(server):
    """Logto stores something other than what was sent (and answers with it)."""
    from connectors.logto.client import Connector

    def mangle(made):
        with server.lock:
            row = server.state.connectors[made.id]
            row.config = {**row.config, "storedOtherwise": "x"}
            return Connector(made.id, made.factory_id, made.type, dict(row.config))

    return mangle


def test_readback_glitch_after_switch_is_a_success_not_a_rollback(logto_target, client, http_recorder, smtp_sink, no_leaks):
    server = logto_target.require_server("fault injection")
    old = client.create_connector("http-email", http_config(http_recorder))
    client.patch_sign_in_experience(EMAIL_SIGN_IN)
    desired = deploy.Desired("simple-mail-transfer-protocol", smtp_config(smtp_sink), test_recipient="ops@example.com")
    plan = deploy.plan(client, desired, old.id)
    assert plan.action is deploy.Action.SWITCH
    server.clear_requests()
    # The read-back right after the POST fails three times (503): the second read finds the desired connector live.
    _after(client, "create_connector", lambda _: server.faults.add(method="GET", path=r"^/api/connectors$", status=503, times=3))
    outcome = deploy.apply(client, plan)
    live = client.get_email_connector()
    assert outcome.connector.id == live.id and live.matches(desired.factory_id, desired.config)
    assert [(m, p) for m, p in _writes(server) if p == "/api/connectors"] == [("POST", "/api/connectors")]  # swapped once
    assert_one_email_connector(client, logto_target)
    no_leaks.append(outcome.summary)


def test_failure_after_update_landed_is_a_success(driver, logto_target, client, http_recorder, no_leaks):
    server = logto_target.require_server("fault injection")
    first = driver.up("http-email", http_config(http_recorder))
    client.patch_sign_in_experience(EMAIL_SIGN_IN)
    # Every PATCH of the update lands but answers 500 (3 attempts): live is as desired, nothing is undone.
    server.faults.add(method="PATCH", path=r"^/api/connectors/", status=500, when="after", times=3)
    driver.up("http-email", http_config(http_recorder, path="/new"), test_recipient="ops@example.com")
    live = client.get_email_connector()
    assert live.id == first.connector_id and live.config == http_config(http_recorder, path="/new")
    assert server.count("PATCH", f"/api/connectors/{first.connector_id}") == 3
    assert_one_email_connector(client, logto_target)
    no_leaks.extend(driver.texts)


def test_stored_otherwise_puts_the_previous_back(logto_target, client, http_recorder, smtp_sink, no_leaks):
    server = logto_target.require_server("fault injection")
    old = client.create_connector("http-email", http_config(http_recorder))
    plan = deploy.plan(client, deploy.Desired("simple-mail-transfer-protocol", smtp_config(smtp_sink)), old.id)
    _after(client, "create_connector", _stored_otherwise(server))
    with pytest.raises(deploy.DeployError) as info:
        deploy.apply(client, plan)
    err = info.value
    assert err.restored is True and "was restored" in str(err) and "differs from the desired config" in str(err)
    live = client.get_email_connector()
    assert live.factory_id == "http-email" and live.config == old.config
    assert_one_email_connector(client, logto_target)
    no_leaks.append(str(err))


def test_restore_failure_says_exactly_where_the_tenant_is(logto_target, client, http_recorder, smtp_sink, no_leaks):
    server = logto_target.require_server("fault injection")
    client.create_connector("http-email", http_config(http_recorder))
    plan = deploy.plan(client, deploy.Desired("simple-mail-transfer-protocol", smtp_config(smtp_sink)))

    def mangle_then_refuse_restore(made):
        server.faults.add(method="POST", path=r"^/api/connectors$", status=422,
                          body={"code": "connector.not_found_with_connector_id", "message": "gone"}, times=1)
        return _stored_otherwise(server)(made)

    _after(client, "create_connector", mangle_then_refuse_restore)
    with pytest.raises(deploy.DeployError) as info:
        deploy.apply(client, plan)
    err = info.value
    assert err.restored is False
    assert "Restoring the previous http-email connector failed too" in str(err)
    assert "simple-mail-transfer-protocol connector" in err.state and "matches neither" in err.state
    assert "storedOtherwise" in err.state  # the path that differs, never a value
    assert_one_email_connector(client, logto_target)
    no_leaks.append(str(err))


def test_rollback_never_overwrites_a_concurrent_change(logto_target, client, http_recorder, smtp_sink, no_leaks):
    """Run B PATCHes smtp while run A switches to http: B's PATCH fails, and B writes nothing more."""
    server = logto_target.require_server("fault injection")
    mine = client.create_connector("simple-mail-transfer-protocol", smtp_config(smtp_sink))
    plan_b = deploy.plan(client, deploy.Desired("simple-mail-transfer-protocol", smtp_config(smtp_sink, subject_prefix="B ")), mine.id)
    theirs = {}

    def run_a_switches(_):
        with client_for(logto_target) as other:
            theirs["c"] = other.create_connector("http-email", http_config(http_recorder))
        server.clear_requests()

    run_a_switches(None)  # after B planned, before B writes
    with pytest.raises(deploy.LiveChanged) as info:
        deploy.apply(client, plan_b)
    assert "nothing was written" in str(info.value) and theirs["c"].id in str(info.value)
    assert _writes(server) == []  # no PATCH, no restoring POST
    live = client.get_email_connector()
    assert live.id == theirs["c"].id and live.factory_id == "http-email"
    assert_one_email_connector(client, logto_target)
    no_leaks.append(str(info.value))


def test_patch_404_after_a_concurrent_switch_restores_nothing(logto_target, client, http_recorder, smtp_sink, no_leaks):
    server = logto_target.require_server("fault injection")
    mine = client.create_connector("simple-mail-transfer-protocol", smtp_config(smtp_sink))
    plan_b = deploy.plan(client, deploy.Desired("simple-mail-transfer-protocol", smtp_config(smtp_sink, subject_prefix="B ")), mine.id)
    theirs = {}

    def run_a_switches(_):  # between B's check and B's PATCH
        with client_for(logto_target) as other:
            theirs["c"] = other.create_connector("http-email", http_config(http_recorder))
        server.clear_requests()

    _after(client, "get_email_connector", run_a_switches)
    with pytest.raises(deploy.LiveChanged) as info:
        deploy.apply(client, plan_b)
    err = info.value
    assert "neither what this run wrote nor what it found" in str(err) and theirs["c"].id in err.state
    assert _writes(server) == [("PATCH", f"/api/connectors/{mine.id}")]  # the 404 PATCH only; nothing restored
    assert client.get_email_connector().id == theirs["c"].id
    no_leaks.append(str(err))


def test_untested_change_refused_while_sign_in_needs_email(logto_target, client, http_recorder, no_leaks):
    first = deploy.deploy(client, deploy.Desired("http-email", http_config(http_recorder)))
    client.patch_sign_in_experience(EMAIL_SIGN_IN)
    new = http_config(http_recorder, path="/untested")
    with pytest.raises(deploy.TestSendRequired) as info:
        deploy.deploy(client, deploy.Desired("http-email", new), first.connector.id)
    assert "testRecipient" in str(info.value) and "signIn.methods" in str(info.value)
    assert client.get_email_connector().config == http_config(http_recorder)  # nothing changed
    # The explicit opt-out lets it through.
    deploy.deploy(client, deploy.Desired("http-email", new, allow_untested_changes=True), first.connector.id)
    assert client.get_email_connector().config == new
    no_leaks.append(str(info.value))


# -- delete guard -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sie", "needle"),
    [
        (EMAIL_SIGN_IN, "signUp.identifiers"),
        ({"signUp": {"identifiers": ["username"], "password": True, "verify": True,
                     "secondaryIdentifiers": [{"identifier": "email", "verify": True}]}}, "signUp.secondaryIdentifiers"),
        ({"signUp": {"identifiers": ["username"], "password": True, "verify": False},
          "signIn": {"methods": [{"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True},
                                 {"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False}]}},
         "signIn.methods"),
        ({"forgotPasswordMethods": ["EmailVerificationCode"]}, "forgotPasswordMethods"),
        ({"mfa": {"factors": ["EmailVerificationCode"], "policy": "UserControlled"}}, "mfa.factors"),
    ],
    ids=["sign-up", "secondary-sign-up", "sign-in-code", "forgot-password", "mfa"],
)
def test_delete_refused_while_sign_in_needs_email(driver, logto_target, client, http_recorder, sie, needle, no_leaks):
    first = driver.up("http-email", http_config(http_recorder))
    client.patch_sign_in_experience(sie)
    with pytest.raises(deploy.SignInNeedsEmail) as info:
        driver.destroy()
    assert needle in str(info.value) and "allow_sign_in_breakage" in str(info.value)
    assert client.get_email_connector().id == first.connector_id
    assert_one_email_connector(client, logto_target)
    # With the explicit override the connector goes (and the guard said what breaks).
    driver.destroy(allow_sign_in_breakage=True)
    assert client.get_email_connector() is None
    no_leaks.append(str(info.value))


def test_delete_allowed_when_sign_in_does_not_need_email(driver, logto_target, client, http_recorder, no_leaks):
    driver.up("http-email", http_config(http_recorder))
    client.patch_sign_in_experience(USERNAME_SIGN_IN)
    driver.destroy()
    assert client.get_email_connector() is None
    # Deleting what is already gone is a success.
    assert deploy.delete(client) is None
    assert_one_email_connector(client, logto_target)


def test_delete_blocked_by_logto_password_expiration_is_explained(logto_target, client, http_recorder):
    logto_target.require_server("changes password policy")
    client.create_connector("http-email", http_config(http_recorder))
    client.patch_sign_in_experience({"forgotPasswordMethods": ["EmailVerificationCode"],
                                     "passwordExpiration": {"enabled": True, "validPeriodDays": 90}})
    with pytest.raises(deploy.DeployError, match="password expiration is enabled") as info:
        deploy.delete(client, allow_sign_in_breakage=True)
    assert "password_expiration_requires_forgot_password" in str(info.value)
    assert client.get_email_connector() is not None


# -- drift -------------------------------------------------------------------------------------------------
def test_read_sees_drift(driver, logto_target, client, http_recorder, smtp_sink, no_leaks):
    first = driver.up("http-email", http_config(http_recorder))
    client.update_connector_config(first.connector_id, http_config(http_recorder, path="/changed-by-hand"))
    connector_id, factory_id, config = driver.read()
    assert (connector_id, factory_id) == (first.connector_id, "http-email")
    assert config["endpoint"].endswith("/changed-by-hand")
    # Someone switched provider in the Console: read shows the new factory and id.
    switched = client.create_connector("simple-mail-transfer-protocol", smtp_config(smtp_sink))
    connector_id, factory_id, _ = driver.read()
    assert (connector_id, factory_id) == (switched.id, "simple-mail-transfer-protocol")
    # And `up` brings it back (atomic switch, never two).
    back = driver.up("http-email", http_config(http_recorder))
    assert back.factory_id == "http-email"
    client.delete_connector(back.connector_id)
    assert driver.read() == (None, None, None)
    assert_one_email_connector(client, logto_target)
    no_leaks.extend(driver.texts)


# -- transport: tokens, 429, 5xx, no duplicate POST ------------------------------------------------------
def test_token_expiry_during_a_run(driver, logto_target, client, http_recorder, no_leaks):
    server = logto_target.require_server("expires tokens on demand")
    driver.up("http-email", http_config(http_recorder))
    tokens_before = server.count("POST", "/oidc/token")
    server.expire_tokens()
    result = driver.up("http-email", http_config(http_recorder, path="/after-expiry"))
    assert client.get_email_connector().config["endpoint"].endswith("/after-expiry")
    assert server.count("POST", "/oidc/token") == tokens_before + 1
    assert any(r.status == 401 for r in server.requests)
    assert result.factory_id == "http-email"
    no_leaks.extend(driver.texts)


def test_token_renewed_before_expiry(logto_target, http_recorder):
    server = logto_target.require_server("sets a short token lifetime")
    server.token_ttl = 2
    try:
        with client_for(logto_target) as c:
            c.list_connectors()
            import time

            time.sleep(1.6)  # past expires_in minus the margin (a quarter of 2 s)
            c.list_connectors()
    finally:
        server.token_ttl = 3600
    assert server.count("POST", "/oidc/token") == 2
    assert all(r.status != 401 for r in server.requests)


def test_429_honours_retry_after(logto_target, client, http_recorder):
    server = logto_target.require_server("fault injection")
    import time

    server.faults.add(method="GET", path=r"^/api/connectors$", status=429, headers={"Retry-After": "1"},
                      body={"code": "request.too_many_requests", "message": "slow down"})
    start = time.monotonic()
    assert client.get_email_connector() is None
    assert time.monotonic() - start >= 0.95
    assert [r.status for r in server.requests if r.path == "/api/connectors"] == [429, 200]


def test_5xx_is_retried_for_idempotent_calls(driver, logto_target, client, http_recorder, no_leaks):
    server = logto_target.require_server("fault injection")
    first = driver.up("http-email", http_config(http_recorder))
    server.faults.add(method="PATCH", path=r"^/api/connectors/", status=503, times=2)
    driver.up("http-email", http_config(http_recorder, path="/x"))
    assert [r.status for r in server.requests if r.method == "PATCH"] == [503, 503, 200]
    assert client.get_email_connector().id == first.connector_id
    no_leaks.extend(driver.texts)


def test_post_never_duplicated_after_a_dropped_connection(driver, logto_target, client, http_recorder, no_leaks):
    server = logto_target.require_server("fault injection")
    server.faults.add(method="POST", path=r"^/api/connectors$", status=None, drop_connection=True, when="after")
    result = driver.up("http-email", http_config(http_recorder))
    assert server.count("POST", "/api/connectors") == 1
    live = client.get_email_connector()
    assert live.id == result.connector_id and live.config == http_config(http_recorder)
    assert_one_email_connector(client, logto_target)
    no_leaks.extend(driver.texts)


def test_post_resent_only_when_it_clearly_did_not_land(logto_target, client, http_recorder):
    server = logto_target.require_server("fault injection")
    server.faults.add(method="POST", path=r"^/api/connectors$", status=503, when="before")
    created = client.create_connector("http-email", http_config(http_recorder))
    assert [r.status for r in server.requests if r.path == "/api/connectors" and r.method == "POST"] == [503, 200]
    assert client.get_email_connector().id == created.id


def test_test_send_never_retried_once_it_may_have_gone(logto_target, client, http_recorder):
    server = logto_target.require_server("fault injection")
    server.faults.add(method="POST", path=r"/test$", status=None, drop_connection=True, when="after")
    with pytest.raises(deploy.TestSendFailed, match="may have been applied"):
        deploy.deploy(client, deploy.Desired("http-email", http_config(http_recorder), test_recipient="ops@example.com"))
    assert server.count("POST", "/api/connectors/http-email/test") == 1
    assert client.get_email_connector() is None


def test_forbidden_token_gives_a_hint(logto_target, http_recorder):
    server = logto_target.require_server("registers an M2M app without the Management API role")
    server.add_m2m_app("no-role-app", "no-role-secret-123", scopes=())
    from connectors.logto import Forbidden, LogtoClient

    with LogtoClient(logto_target.endpoint, "no-role-app", "no-role-secret-123") as c:
        with pytest.raises(Forbidden) as info:
            c.list_connectors()
    assert "auth.forbidden" in str(info.value) and "scope=all" in str(info.value)
    assert "no-role-secret-123" not in str(info.value)


def test_wrong_app_secret_is_unauthorized_without_echo(logto_target):
    from connectors.logto import LogtoClient, Unauthorized

    with LogtoClient(logto_target.endpoint, logto_target.app_id, "wrong-secret-value-9", resource=logto_target.resource) as c:
        with pytest.raises(Unauthorized) as info:
            c.list_connectors()
    assert "oidc.invalid_client" in str(info.value)
    assert "wrong-secret-value-9" not in str(info.value)


def test_invalid_config_errors_scrub_secrets(logto_target, client):
    from connectors.logto import InvalidConfig

    secret = "leaky-api-key-7d7d7d"
    with pytest.raises(InvalidConfig) as info:
        client.create_connector("http-email", {"endpoint": 12345, "authorization": secret, "x": secret})
    assert info.value.issues
    assert secret not in str(info.value) and secret not in repr(info.value.data)
    assert re.search(r"connector\.invalid_config", str(info.value))


# -- more edges -------------------------------------------------------------------------------------------
def test_post_answered_500_after_landing_is_not_resent(logto_target, client, http_recorder):
    server = logto_target.require_server("fault injection")
    server.faults.add(method="POST", path=r"^/api/connectors$", status=500, when="after")
    outcome = deploy.deploy(client, deploy.Desired("http-email", http_config(http_recorder)))
    assert server.count("POST", "/api/connectors") == 1
    assert client.get_email_connector().id == outcome.connector.id


def test_two_email_connectors_in_the_database_stop_the_run(logto_target, client, http_recorder):
    server = logto_target.require_server("writes an inconsistent database directly")
    with server.lock:
        server.state.insert_connector_row("http-email", http_config(http_recorder))
        server.state.insert_connector_row("http-email", http_config(http_recorder, path="/2"))
    server.clear_requests()
    from connectors.logto import MoreThanOneEmailConnector

    with pytest.raises(MoreThanOneEmailConnector, match="replaces them all"):
        deploy.deploy(client, deploy.Desired("http-email", http_config(http_recorder)))
    assert _writes(server) == []


def test_create_readback_glitch_without_previous_is_a_success(logto_target, client, http_recorder, no_leaks):
    server = logto_target.require_server("fault injection")
    plan = deploy.plan(client, deploy.Desired("http-email", http_config(http_recorder)))
    wrong = [{"id": "zzzzzzzzzzzz", "connectorId": "http-email", "type": "Email", "config": {"endpoint": "x"}}]
    _after(client, "create_connector", lambda _: server.faults.add(method="GET", path=r"^/api/connectors$", status=200, body=wrong, times=1))
    outcome = deploy.apply(client, plan)
    assert outcome.connector.id == client.get_email_connector().id  # the second read shows the desired config
    assert server.count("POST", "/api/connectors") == 1
    no_leaks.append(outcome.summary)


def test_email_templates_api(logto_target, client):
    rows = client.upsert_email_templates([
        {"languageTag": "en", "templateType": "SignIn", "details": {"subject": "s", "content": "{{code}}", "contentType": "text/plain"}},
        {"languageTag": "de", "templateType": "SignIn", "details": {"subject": "d", "content": "{{code}}", "contentType": "text/plain"}},
    ])
    assert len(rows) == 2
    again = client.upsert_email_templates([
        {"languageTag": "en", "templateType": "SignIn", "details": {"subject": "s2", "content": "{{code}}"}},
    ])
    assert again[0]["id"] == next(r["id"] for r in rows if r["languageTag"] == "en")  # upsert keeps the id
    assert [r["languageTag"] for r in client.list_email_templates(template_type="SignIn")] == ["de", "en"]
    assert [r["details"]["subject"] for r in client.list_email_templates(language_tag="en")] == ["s2"]
    assert client.delete_email_template(again[0]["id"]) is True
    from connectors.logto import NotFound

    with pytest.raises(NotFound):
        client.delete_email_template(again[0]["id"])
    assert [r["languageTag"] for r in client.list_email_templates()] == ["de"]
    client.delete_email_template(next(r["id"] for r in rows if r["languageTag"] == "de"))


def test_list_factories(logto_target, client):
    ids = {f.id for f in client.list_factories() if f.type == "Email"}
    assert {"http-email", "simple-mail-transfer-protocol", "aws-ses-mail"} <= ids


def test_restore_puts_back_a_stored_config_logto_cleaned(logto_target, client, http_recorder, smtp_sink, no_leaks):
    """An IP-relay SMTP connector is stored without `auth` (clean-deep drops `auth: {}`), but
    Logto's guard requires the key: the restore must make the stored config sendable again."""
    server = logto_target.require_server("fault injection")
    relay = {**smtp_config(smtp_sink), "auth": {}}
    old = client.create_connector("simple-mail-transfer-protocol", relay)
    assert "auth" not in old.config
    plan = deploy.plan(client, deploy.Desired("http-email", http_config(http_recorder)), old.id)
    _after(client, "create_connector", _stored_otherwise(server))
    with pytest.raises(deploy.DeployError) as info:
        deploy.apply(client, plan)
    assert info.value.restored is True, str(info.value)
    live = client.get_email_connector()
    assert live.factory_id == "simple-mail-transfer-protocol" and live.config == old.config
    assert_one_email_connector(client, logto_target)
    no_leaks.append(str(info.value))


def test_read_timeout_is_retried_and_a_slow_post_is_checked_not_repeated(logto_target, http_recorder):
    server = logto_target.require_server("fault injection")
    from dataclasses import replace

    from connectors.logto import LogtoClient
    from tests.integration.deploy_support import FAST

    settings = replace(FAST, read_timeout=0.3)
    with LogtoClient(logto_target.endpoint, logto_target.app_id, logto_target.app_secret,
                     resource=logto_target.resource, settings=settings) as c:
        server.faults.add(method="GET", path=r"^/api/connectors$", status=None, delay=1.0)
        assert c.get_email_connector() is None  # first GET timed out, the retry answered
        # A POST whose answer comes too late has landed: it is found by a read, not sent again.
        server.faults.add(method="POST", path=r"^/api/connectors$", status=None, delay=1.0, when="after")
        created = c.create_connector("http-email", http_config(http_recorder))
    import time

    time.sleep(1.0)  # the server records the slow request only when it finally answers
    assert server.count("POST", "/api/connectors") == 1
    assert created.factory_id == "http-email"


def test_unreachable_logto_is_a_clear_error():
    from connectors.logto import LogtoClient, LogtoUnreachable
    from tests.integration.deploy_support import FAST
    from tests.sinks._net import free_port

    with LogtoClient(f"http://127.0.0.1:{free_port()}", "app", "unreachable-secret-1", settings=FAST) as c:
        with pytest.raises(LogtoUnreachable, match="cannot reach Logto") as info:
            c.list_connectors()
    assert "unreachable-secret-1" not in str(info.value)


_KEY_NOT_VALID_YET = {"code": "connector.general", "message": "Error occurred in connector: {\"message\":\"The security token included in the request is invalid.\"}",
                      "data": {"message": "The security token included in the request is invalid."}}


def test_a_new_key_is_waited_for_bounded(logto_target, client, http_recorder, no_leaks):
    server = logto_target.require_server("answers the provider's invalid-credential error twice")
    server.faults.add(method="POST", path=r"/test$", status=400, body=_KEY_NOT_VALID_YET, times=2)
    desired = deploy.Desired("http-email", http_config(http_recorder), test_recipient="ops@example.com", credential_wait=5)
    outcome = deploy.deploy(client, desired)
    assert outcome.connector.factory_id == "http-email"
    assert [r.status for r in server.requests if r.path.endswith("/test")] == [400, 400, 204]


def test_the_key_wait_gives_up_with_a_clear_message_and_retries_nothing_else(logto_target, client, http_recorder, no_leaks):
    server = logto_target.require_server("answers the provider's invalid-credential error")
    server.faults.add(method="POST", path=r"/test$", status=400, body=_KEY_NOT_VALID_YET, times=None)
    desired = deploy.Desired("http-email", http_config(http_recorder), test_recipient="ops@example.com", credential_wait=0.3)
    with pytest.raises(deploy.TestSendFailed) as info:
        deploy.deploy(client, desired)
    assert "still refused the credentials after" in str(info.value) and "nothing was changed" in str(info.value)
    assert client.get_email_connector() is None
    # Any other send failure is not retried.
    server.faults.clear()
    server.clear_requests()
    server.faults.add(method="POST", path=r"/test$", status=400, body={"code": "connector.general", "message": "mailbox full"}, times=None)
    with pytest.raises(deploy.TestSendFailed):
        deploy.deploy(client, desired)
    assert server.count("POST", "/api/connectors/http-email/test") == 1
    no_leaks.append(str(info.value))


def test_delete_guard_counts_account_center_and_invitations(driver, logto_target, client, http_recorder, no_leaks):
    """Logto guards neither: users changing their email, and pending invitations, need the connector."""
    import time as _time

    first = driver.up("http-email", http_config(http_recorder))
    client.patch_sign_in_experience(USERNAME_SIGN_IN)
    center = client.get_account_center()
    client._call("PATCH", "/api/account-center", json={"enabled": True, "fields": {**center.get("fields", {}), "email": "Edit"}}, idempotent=True)
    try:
        with pytest.raises(deploy.SignInNeedsEmail, match="account-center fields.email"):
            driver.destroy()
    finally:
        client._call("PATCH", "/api/account-center", json={"enabled": center.get("enabled", False), "fields": center.get("fields", {})}, idempotent=True)
    org = client._call("POST", "/api/organizations", json={"name": "guard-test-org"}, idempotent=False).json()
    try:
        client._call("POST", "/api/organization-invitations", json={
            "organizationId": org["id"], "invitee": "invitee@example.com",
            "expiresAt": int((_time.time() + 3600) * 1000), "messagePayload": False}, idempotent=False)
        with pytest.raises(deploy.SignInNeedsEmail, match="pending organization invitation"):
            driver.destroy()
    finally:
        client._call("DELETE", f"/api/organizations/{org['id']}", idempotent=True)
    driver.destroy()
    assert client.get_email_connector() is None
    assert first.connector_id
