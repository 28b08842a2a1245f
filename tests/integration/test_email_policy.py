"""Email policy as code against the Logto stand-in (or a real Logto): code lifetime and retries,
the block/allow list, email MFA and the account center's email field, through the
`LogtoSignInEmail` provider the way the engine drives it.

Every test leaves the target as it found it (sign-in experience columns and account center).
"""

from __future__ import annotations

import json

import pytest

from connectors import deploy
from connectors.deploy.sign_in_experience import SignInExperienceError
from connectors.logto.errors import LogtoApiError
from tests.integration.deploy_support import EngineDriver, client_for, smtp_config
from tests.integration.email_support import SMTP, SignInDriver

pytestmark = pytest.mark.integration

USERNAME_PASSWORD = {"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}
COLUMNS = ("signUp", "signIn", "forgotPasswordMethods", "mfa", "verificationCodePolicy", "emailBlocklistPolicy")


@pytest.fixture
def client(logto_target):
    with client_for(logto_target) as c:
        before = c.get_sign_in_experience()
        account_center = c.get_account_center()
        had_connector = c.get_email_connector() is not None
        c.patch_sign_in_experience({
            "signUp": {"identifiers": ["username"], "password": True, "verify": False},
            "signIn": {"methods": [dict(USERNAME_PASSWORD)]},
            "forgotPasswordMethods": [],
            "mfa": {"factors": [], "policy": "UserControlled"},
            "verificationCodePolicy": {},
            "emailBlocklistPolicy": {},
        })
        c.patch_account_center({"fields": {}})
        yield c
        c.patch_sign_in_experience({k: before[k] for k in COLUMNS if k in before})
        c.patch_account_center({"enabled": account_center.get("enabled", False), "fields": account_center.get("fields") or {}})
        if not had_connector:
            deploy.delete(c, allow_sign_in_breakage=True)


@pytest.fixture
def engine(logto_target, smtp_sink, client):
    engine = EngineDriver(logto_target)
    engine.up(SMTP, smtp_config(smtp_sink))
    return engine


POLICY = {
    "verification_code_policy": {"expirationDuration": 300, "maxRetryAttempts": 5},
    "email_blocklist_policy": {"blockSubaddressing": True, "customBlocklist": ["@mailinator.com", "spam*@example.com"],
                               "customAllowlist": ["@*.acme.test"]},
    "email_mfa": True,
    "account_center_email": "Edit",
}


def test_policy_is_pushed_read_back_and_idempotent(logto_target, client, engine):
    outs = SignInDriver(logto_target).up(**POLICY)
    sie = client.get_sign_in_experience()
    assert sie["verificationCodePolicy"] == {"expirationDuration": 300, "maxRetryAttempts": 5}
    assert sie["emailBlocklistPolicy"] == POLICY["email_blocklist_policy"]
    assert "EmailVerificationCode" in sie["mfa"]["factors"] and sie["mfa"]["policy"] == "UserControlled"
    assert client.get_account_center()["fields"] == {"email": "Edit"}
    assert outs["verification_code_policy"] == POLICY["verification_code_policy"]
    assert outs["email_mfa"] is True and outs["account_center_email"] == "Edit"
    assert "MFA factor EmailVerificationCode (mfa.factors)" in outs["needs_email_connector"]
    if logto_target.server:
        writes = len(logto_target.server.writes())
        driver = SignInDriver(logto_target)
        driver.up(**POLICY)
        assert len(logto_target.server.writes()) == writes  # nothing changed: nothing written


def test_only_declared_keys_are_touched_and_destroy_restores_what_was_there(logto_target, client, engine):
    # Someone else's settings, before us: a 15-minute lifetime, subaddress blocking, account-center phone.
    client.patch_sign_in_experience({"verificationCodePolicy": {"expirationDuration": 900},
                                     "emailBlocklistPolicy": {"blockSubaddressing": True}})
    client.patch_account_center({"fields": {"phone": "ReadOnly"}})
    driver = SignInDriver(logto_target)
    driver.up(verification_code_policy={"expirationDuration": 300}, email_blocklist_policy={"customBlocklist": ["@x.test"]},
              account_center_email="Edit")
    sie = client.get_sign_in_experience()
    assert sie["verificationCodePolicy"] == {"expirationDuration": 300}
    assert sie["emailBlocklistPolicy"] == {"blockSubaddressing": True, "customBlocklist": ["@x.test"]}
    assert client.get_account_center()["fields"] == {"phone": "ReadOnly", "email": "Edit"}
    driver.destroy()
    sie = client.get_sign_in_experience()
    assert sie["verificationCodePolicy"] == {"expirationDuration": 900}  # theirs, back
    assert sie["emailBlocklistPolicy"] == {"blockSubaddressing": True}  # our list gone, theirs kept
    assert client.get_account_center()["fields"] == {"phone": "ReadOnly"}


def test_destroy_takes_back_email_mfa_before_the_connector_goes(logto_target, client, engine):
    driver = SignInDriver(logto_target)
    driver.up(email_mfa=True, account_center_email="Edit")
    with pytest.raises(deploy.SignInNeedsEmail):  # the guard sees email MFA
        engine.destroy()
    driver.destroy()  # Pulumi deletes the dependent first ...
    sie = client.get_sign_in_experience()
    assert "EmailVerificationCode" not in sie["mfa"]["factors"]
    assert client.get_account_center()["fields"] == {}
    engine.destroy()  # ... then the connector may go
    assert client.get_email_connector() is None


def test_destroy_leaves_a_value_changed_since_and_says_so(logto_target, client, engine, caplog):
    driver = SignInDriver(logto_target)
    driver.up(verification_code_policy={"expirationDuration": 300})
    client.patch_sign_in_experience({"verificationCodePolicy": {"expirationDuration": 420}})  # by hand
    with caplog.at_level("INFO"):
        driver.destroy()
    assert client.get_sign_in_experience()["verificationCodePolicy"] == {"expirationDuration": 420}
    assert "verificationCodePolicy.expirationDuration was changed since this stack set it; left as it is" in caplog.text


def test_drift_is_reported_by_refresh_and_repaired_by_up(logto_target, client, engine):
    driver = SignInDriver(logto_target)
    driver.up(verification_code_policy={"expirationDuration": 300}, email_mfa=True)
    client.patch_sign_in_experience({"verificationCodePolicy": {"expirationDuration": 1800},
                                     "mfa": {"factors": [], "policy": "UserControlled"}})
    outs = driver.refresh()
    assert outs["verification_code_policy"] == {"expirationDuration": 1800} and outs["email_mfa"] is False
    diff = driver.provider.diff(driver.id, driver.outs, driver.inputs(verification_code_policy={"expirationDuration": 300}, email_mfa=True))
    assert diff.changes and not diff.replaces
    driver.up(verification_code_policy={"expirationDuration": 300}, email_mfa=True)
    assert client.get_sign_in_experience()["verificationCodePolicy"] == {"expirationDuration": 300}
    driver.destroy()


def test_turning_email_mfa_off_that_would_leave_backup_codes_alone_fails_clearly(logto_target, client, engine):
    client.patch_sign_in_experience({"mfa": {"factors": ["EmailVerificationCode", "BackupCode"], "policy": "UserControlled"}})
    with pytest.raises(SignInExperienceError) as info:
        SignInDriver(logto_target).up(email_mfa=False)
    assert info.value.code == "sign_in_experiences.backup_code_cannot_be_enabled_alone"
    assert "Totp or WebAuthn" in str(info.value)
    assert client.get_sign_in_experience()["mfa"]["factors"] == ["EmailVerificationCode", "BackupCode"]


def test_email_mfa_without_a_connector_is_refused_by_us(logto_target, client):
    if client.get_email_connector() is not None:
        pytest.skip("the target tenant already has an email connector")
    with pytest.raises(SignInExperienceError) as info:
        SignInDriver(logto_target).up(email_mfa=True)
    assert "needs the tenant's email connector" in str(info.value)
    assert "EmailVerificationCode" not in client.get_sign_in_experience()["mfa"]["factors"]


# -- what Logto itself answers (the stand-in must answer the same) --------------------------------
def test_logto_accepts_email_mfa_with_no_email_connector(client):
    if client.get_email_connector() is not None:
        pytest.skip("the target tenant already has an email connector")
    sie = client.patch_sign_in_experience({"mfa": {"factors": ["EmailVerificationCode"], "policy": "UserControlled"}})
    assert sie["mfa"]["factors"] == ["EmailVerificationCode"]


@pytest.mark.parametrize(("key", "value", "issue"), [
    ("expirationDuration", 59, "too_small"), ("expirationDuration", 3601, "too_big"),
    ("maxRetryAttempts", 0, "too_small"), ("maxRetryAttempts", 101, "too_big"),
])
def test_out_of_range_code_policy_is_a_guard_error_with_the_zod_path(client, key, value, issue):
    with pytest.raises(LogtoApiError) as info:
        client.patch_sign_in_experience({"verificationCodePolicy": {key: value}})
    err = info.value
    assert (err.status, err.code) == (400, "guard.invalid_input")
    issues = err.data["issues"]
    assert [i["path"] for i in issues] == [["verificationCodePolicy", key]] and issues[0]["code"] == issue
    assert f'Error in key path "verificationCodePolicy.{key}": ({issue})' in (err.details or "")


def test_a_malformed_blocklist_entry_is_refused_with_its_items(client):
    with pytest.raises(LogtoApiError) as info:
        client.patch_sign_in_experience({"emailBlocklistPolicy": {"customBlocklist": ["@ok.test", "bar@foo", "@foo."]}})
    assert (info.value.status, info.value.code) == (400, "sign_in_experiences.invalid_custom_email_blocklist_format")
    assert "bar@foo" in info.value.message and "@foo." in info.value.message
    assert client.get_sign_in_experience()["emailBlocklistPolicy"] == {}


def test_account_center_patch_replaces_fields_and_refuses_unknown_values(client):
    client.patch_account_center({"fields": {"email": "Edit", "phone": "ReadOnly"}})
    assert client.patch_account_center({"fields": {"email": "Off"}})["fields"] == {"email": "Off"}
    with pytest.raises(LogtoApiError) as info:
        client.patch_account_center({"fields": {"email": "edit"}})
    assert (info.value.status, info.value.code) == (400, "guard.invalid_input")
    assert info.value.data["issues"][0]["path"] == ["fields", "email"]


def test_destroy_names_an_account_center_email_editing_it_did_not_make(logto_target, client, engine, caplog):
    client.patch_account_center({"enabled": True, "fields": {"email": "Edit"}})  # theirs
    driver = SignInDriver(logto_target)
    outs = driver.up(account_center_email="Edit")
    assert "account_center_email" not in json.loads(outs["record"])  # it was already so: not ours to take back
    assert any("account-center fields.email: Edit" in d for d in outs["needs_email_connector"])
    with caplog.at_level("INFO"):
        driver.destroy()
    assert client.get_account_center()["fields"] == {"email": "Edit"}
    assert "were not made by this stack" in caplog.text and "account-center fields.email: Edit" in caplog.text
