"""The email part of the sign-in experience through the `LogtoSignInEmail` provider.

Order matters in Logto: email sign-in needs a connector (create it first), and Logto lets the
connector go while sign-in still needs it (relax first). These tests drive the provider like
the engine and the deploy step like `pulumi destroy` does, in that order and in the wrong one.
"""

from __future__ import annotations

import copy
import json

import pytest

from connectors import deploy
from connectors.deploy import email_dependencies
from connectors.deploy.sign_in_experience import SignInExperienceError
from tests.integration.deploy_support import EngineDriver, client_for, smtp_config
from tests.integration.email_support import SMTP, SignInDriver

pytestmark = pytest.mark.integration

USERNAME_PASSWORD = {"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}



@pytest.fixture
def client(logto_target):
    with client_for(logto_target) as c:
        before = c.get_sign_in_experience()
        connector = c.get_email_connector()
        yield c
        # On a real Logto, put the sign-in experience back before the connector is removed or restored.
        c.patch_sign_in_experience({k: before[k] for k in ("signUp", "signIn", "forgotPasswordMethods", "mfa")})
        if connector is None:
            deploy.delete(c, allow_sign_in_breakage=False)
        else:
            from connectors.deploy.engine import sendable

            deploy.deploy(c, deploy.Desired(connector.factory_id, sendable(connector.factory_id, connector.config),
                                            allow_untested_changes=True))


def _baseline(client) -> dict:
    """A username + password tenant (the OSS seed), whatever the target had."""
    return client.patch_sign_in_experience({
        "signUp": {"identifiers": ["username"], "password": True, "verify": False},
        "signIn": {"methods": [dict(USERNAME_PASSWORD)]},
        "forgotPasswordMethods": [],
        "mfa": {"factors": [], "policy": "UserControlled"},
    })


def _connector(logto_target, smtp_sink) -> EngineDriver:
    engine = EngineDriver(logto_target)
    engine.up(SMTP, smtp_config(smtp_sink))
    return engine


def test_wrong_order_fails_with_logtos_error_and_changes_nothing(logto_target, client):
    before = _baseline(client)
    if client.get_email_connector() is not None:
        pytest.skip("the target tenant already has an email connector")
    with pytest.raises(SignInExperienceError) as info:
        SignInDriver(logto_target).up(email_sign_in=True)
    err = info.value
    assert err.code == "sign_in_experiences.enabled_connector_not_found"
    assert "400 sign_in_experiences.enabled_connector_not_found" in str(err)
    assert "create the connector first" in str(err)
    assert client.get_sign_in_experience()["signIn"] == before["signIn"]


def test_apply_then_full_teardown_leaves_username_sign_in_and_zero_email_dependence(logto_target, client, smtp_sink):
    _baseline(client)
    engine = _connector(logto_target, smtp_sink)
    driver = SignInDriver(logto_target)
    outs = driver.up(email_sign_up=True, email_sign_in=True, forgot_password=True)
    assert (outs["email_sign_up"], outs["email_sign_in"], outs["forgot_password"]) == (True, True, True)
    sie = client.get_sign_in_experience()
    methods = sie["signIn"]["methods"]
    assert USERNAME_PASSWORD in methods  # kept
    assert {"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False} in methods
    assert sie["signUp"]["identifiers"] == ["username"] and sie["signUp"]["verify"] is True
    assert {"identifier": "email", "verify": True} in sie["signUp"]["secondaryIdentifiers"]
    assert sie["forgotPasswordMethods"] == ["EmailVerificationCode"]
    assert len(email_dependencies(sie)) == 3
    # A second `up` with the same settings changes nothing.
    client_writes_before = len(logto_target.server.writes()) if logto_target.server else None
    driver.up(email_sign_up=True, email_sign_in=True, forgot_password=True)
    if logto_target.server:
        assert len(logto_target.server.writes()) == client_writes_before

    # The connector's delete guard trips while our settings are in place ...
    with pytest.raises(deploy.SignInNeedsEmail):
        engine.destroy()
    # ... and `pulumi destroy` deletes the dependent first: relax, then the connector goes.
    driver.destroy()
    engine.destroy()
    sie = client.get_sign_in_experience()
    assert email_dependencies(sie) == []
    assert sie["signIn"]["methods"] == [USERNAME_PASSWORD]
    assert sie["signUp"]["identifiers"] == ["username"] and sie["signUp"]["verify"] is False
    assert not sie["signUp"].get("secondaryIdentifiers")
    assert sie["forgotPasswordMethods"] == []
    assert client.get_email_connector() is None


def test_relax_takes_back_only_our_parts(logto_target, client, smtp_sink):
    _baseline(client)
    engine = _connector(logto_target, smtp_sink)
    client.patch_sign_in_experience({"forgotPasswordMethods": ["EmailVerificationCode"]})  # theirs, before us
    driver = SignInDriver(logto_target)
    outs = driver.up(email_sign_in=True, forgot_password=True)
    record = json.loads(outs["record"])  # one line of JSON in the state, defaults left out
    assert "forgot_password_added" not in record and record["sign_in_method_added"] is True
    driver.destroy()
    sie = client.get_sign_in_experience()
    assert sie["forgotPasswordMethods"] == ["EmailVerificationCode"]  # not ours: left alone
    assert all(m["identifier"] != "email" for m in sie["signIn"]["methods"])
    assert email_dependencies(sie) == ["forgot password by email verification code (forgotPasswordMethods)"]
    with pytest.raises(deploy.SignInNeedsEmail):  # so the guard still protects the tenant
        engine.destroy()


def test_relax_never_leaves_zero_sign_in_methods(logto_target, client, smtp_sink):
    _baseline(client)
    _connector(logto_target, smtp_sink)
    driver = SignInDriver(logto_target)
    driver.up(email_sign_in=True)
    # Someone removes username sign-in by hand: only our email-code method is left.
    client.patch_sign_in_experience({"signIn": {"methods": [
        {"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False}]}})
    driver.destroy()
    sie = client.get_sign_in_experience()
    assert sie["signIn"]["methods"] == [USERNAME_PASSWORD]
    assert email_dependencies(sie) == []


def test_drift_is_seen_by_refresh_and_repaired_by_up(logto_target, client, smtp_sink):
    _baseline(client)
    _connector(logto_target, smtp_sink)
    driver = SignInDriver(logto_target)
    driver.up(email_sign_in=True)
    sie = client.get_sign_in_experience()
    methods = [m for m in sie["signIn"]["methods"] if m["identifier"] != "email"]
    client.patch_sign_in_experience({"signIn": {"methods": methods}})
    outs = driver.refresh()
    assert outs["email_sign_in"] is False
    diff = driver.provider.diff(driver.id, driver.outs, driver.inputs(email_sign_in=True))
    assert diff.changes and not diff.replaces
    driver.up(email_sign_in=True)
    assert driver.refresh()["email_sign_in"] is True
    driver.destroy()


def test_mfa_conflict_is_refused_before_any_write(logto_target, client, smtp_sink):
    _baseline(client)
    _connector(logto_target, smtp_sink)
    client.patch_sign_in_experience({"mfa": {"factors": ["Totp", "EmailVerificationCode"], "policy": "UserControlled"}})
    before = copy.deepcopy(client.get_sign_in_experience())
    with pytest.raises(SignInExperienceError) as info:
        SignInDriver(logto_target).up(email_sign_in=True)
    assert "MFA factor" in str(info.value) and "emailSignIn: false" in str(info.value)
    assert client.get_sign_in_experience()["signIn"] == before["signIn"]


def test_turning_email_sign_in_off_keeps_email_password(logto_target, client, smtp_sink):
    _baseline(client)
    _connector(logto_target, smtp_sink)
    client.patch_sign_in_experience({"signIn": {"methods": [
        dict(USERNAME_PASSWORD),
        {"identifier": "email", "password": True, "verificationCode": True, "isPasswordPrimary": True}]}})
    driver = SignInDriver(logto_target)
    outs = driver.up(email_sign_in=False)
    assert outs["email_sign_in"] is False
    methods = client.get_sign_in_experience()["signIn"]["methods"]
    assert {"identifier": "email", "password": True, "verificationCode": False, "isPasswordPrimary": True} in methods
    assert USERNAME_PASSWORD in methods


def test_relax_under_password_expiration_fails_clearly(logto_target, client, smtp_sink):
    _baseline(client)
    engine = _connector(logto_target, smtp_sink)
    driver = SignInDriver(logto_target)
    driver.up(forgot_password=True)
    client.patch_sign_in_experience({"passwordExpiration": {"enabled": True, "validPeriodDays": 90}})
    try:
        with pytest.raises(SignInExperienceError) as info:
            driver.destroy()
        assert info.value.code == "sign_in_experiences.password_expiration_requires_forgot_password"
        assert "disable passwordExpiration" in str(info.value)
        assert client.get_sign_in_experience()["forgotPasswordMethods"] == ["EmailVerificationCode"]
    finally:
        client.patch_sign_in_experience({"passwordExpiration": {"enabled": False}})
    driver.destroy()
    engine.destroy()
    assert email_dependencies(client.get_sign_in_experience()) == []


def test_calls_a_change_is_one_read_and_one_patch_a_noop_one_read(logto_target, client, smtp_sink):
    """The PATCH answers with the settings: nothing reads them again."""
    recorder = logto_target.recorder
    _baseline(client)
    engine = _connector(logto_target, smtp_sink)
    driver = SignInDriver(logto_target)
    recorder.clear_requests()
    driver.up(email_sign_in=True)
    assert [(r.method, r.path) for r in recorder.requests if r.path == "/api/sign-in-exp"] == [
        ("GET", "/api/sign-in-exp"), ("PATCH", "/api/sign-in-exp")]
    recorder.clear_requests()
    driver.up(email_sign_in=True)
    assert [(r.method, r.path) for r in recorder.requests if r.path == "/api/sign-in-exp"] == [("GET", "/api/sign-in-exp")]
    recorder.clear_requests()
    driver.destroy()
    assert [(r.method, r.path) for r in recorder.requests if r.path == "/api/sign-in-exp"] == [
        ("GET", "/api/sign-in-exp"), ("PATCH", "/api/sign-in-exp")]
    engine.destroy()
