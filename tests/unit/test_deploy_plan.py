"""Plan, diff, summary and masking of the deploy step (pure logic, no server)."""

from __future__ import annotations

import pytest

from connectors.deploy import Action, Desired, config_changes, email_dependencies, make_plan
from connectors.logto.client import Connector
from connectors.logto.masking import Scrubber, is_secret_key, mask_config, secret_values
from connectors.secret import SECRET_MARKER

SMTP_PASS = "smtp-pass-9f3b2a"
SES_SECRET = "ses-secret-ZX81QW"


def smtp(**over):
    cfg = {
        "host": "smtp.example.com",
        "port": 587,
        "fromEmail": "noreply@example.com",
        "auth": {"user": "mailer", "pass": SMTP_PASS},
        "templates": [
            {"usageType": u, "subject": f"{u} code", "content": "Code {{code}}", "contentType": "text/plain"}
            for u in ("SignIn", "Register", "ForgotPassword", "Generic")
        ],
    }
    cfg.update(over)
    return cfg


def ses():
    return {
        "accessKeyId": "AKIAEXAMPLE",
        "accessKeySecret": SES_SECRET,
        "region": "eu-west-1",
        "emailAddress": "noreply@example.com",
        "templates": [{"usageType": "Generic", "subject": "s", "content": "{{code}}"}],
    }


def live(factory="simple-mail-transfer-protocol", cfg=None, id_="abc123def456"):
    return Connector(id=id_, factory_id=factory, type="Email", config=cfg if cfg is not None else smtp())


def test_create_when_no_connector():
    p = make_plan(None, Desired("simple-mail-transfer-protocol", smtp()))
    assert p.action is Action.CREATE and p.writes
    assert p.summary == "create simple-mail-transfer-protocol (the tenant has no email connector)"


def test_noop_after_cleaning():
    # Logto drops "", None, {} and []: a desired config with them equals the stored one.
    desired = smtp(tls={}, replyTo="", customHeaders=None)
    p = make_plan(live(), Desired("simple-mail-transfer-protocol", desired), known_id="abc123def456")
    assert p.action is Action.NOOP and not p.writes


def test_adopt_unrecorded_equal_connector():
    p = make_plan(live(), Desired("simple-mail-transfer-protocol", smtp()), known_id=None)
    assert p.action is Action.ADOPT and not p.writes
    assert "adopt" in p.summary and "abc123def456" in p.summary


def test_adopt_with_different_config_is_an_update_never_a_create():
    p = make_plan(live(), Desired("simple-mail-transfer-protocol", smtp(fromEmail="x@example.com")))
    assert p.action is Action.UPDATE and p.adopted
    assert p.summary == "adopt simple-mail-transfer-protocol connector abc123def456, update: fromEmail"


def test_update_summary_names_templates_by_usage_type_and_masks_secrets():
    new = smtp(fromEmail="other@example.com")
    new["templates"][0]["subject"] = "Your sign-in code"
    new["auth"] = {"user": "mailer", "pass": "rotated-pass-77"}
    p = make_plan(live(), Desired("simple-mail-transfer-protocol", new), known_id="abc123def456")
    assert p.action is Action.UPDATE
    assert p.summary == "update: fromEmail, auth.pass (secret), templates[SignIn].subject"
    assert SMTP_PASS not in p.summary and "rotated-pass-77" not in p.summary
    assert SMTP_PASS not in repr(p) and "rotated-pass-77" not in repr(p)


def test_switch_is_a_single_post_plan():
    p = make_plan(live(), Desired("aws-ses-mail", ses()), known_id="abc123def456")
    assert p.action is Action.SWITCH and p.writes
    assert p.summary.startswith("switch simple-mail-transfer-protocol → aws-ses-mail")
    assert SES_SECRET not in p.summary and SMTP_PASS not in p.summary


def test_diff_added_removed_and_list_items():
    old = {"a": 1, "list": [1, 2], "templates": [{"usageType": "SignIn", "subject": "a"}]}
    new = {"b": 2, "list": [1, 3], "templates": [{"usageType": "Register", "subject": "a"}]}
    got = [str(c) for c in config_changes(old, new)]
    assert got == ["-a", "list[1]", "-templates[SignIn]", "+templates[Register]", "+b"]


def test_diff_type_change_counts():
    assert [str(c) for c in config_changes({"port": 587}, {"port": "587"})] == ["port"]


@pytest.mark.parametrize(
    "key", ["apiKey", "accessKeySecret", "pass", "password", "serverToken", "authorization", "Authorization",
            "clientSecret", "privateKey", "refreshToken", "accessToken", "appSecret", "webhook_secret"],
)
def test_secret_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["host", "port", "fromEmail", "accessKeyId", "region", "templates", "user"])
def test_non_secret_keys(key):
    assert not is_secret_key(key)


def test_mask_config_and_secret_values():
    cfg = smtp(customHeaders={"Authorization": "Bearer tok-123456"})
    masked = mask_config(cfg)
    assert masked["auth"] == {"user": "mailer", "pass": SECRET_MARKER}
    assert masked["customHeaders"]["Authorization"] == SECRET_MARKER
    assert set(secret_values(cfg)) == {SMTP_PASS, "Bearer tok-123456"}


def test_scrubber_catches_plain_and_json_escaped_forms():
    secret = 'p"ss\\word-1'
    scrub = Scrubber([secret, "abc"])  # "abc" is too short to scrub safely
    import json

    text = "Error occurred in connector: " + json.dumps({"message": f"auth failed for {secret}"})
    assert secret not in scrub(text) and json.dumps(secret)[1:-1] not in scrub(text)
    assert scrub({"issues": [{"received": secret}]}) == {"issues": [{"received": SECRET_MARKER}]}
    assert scrub("abc") == "abc"


SIE_FRESH = {
    "signUp": {"identifiers": ["username"], "password": True, "verify": False},
    "signIn": {"methods": [{"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}]},
    "forgotPasswordMethods": [],
    "mfa": {"factors": [], "policy": "UserControlled"},
}


def test_guard_fresh_tenant_needs_no_email():
    assert email_dependencies(SIE_FRESH) == []
    # email + password sign-in alone sends no code
    sie = {**SIE_FRESH, "signIn": {"methods": [{"identifier": "email", "password": True, "verificationCode": False}]}}
    assert email_dependencies(sie) == []


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"signUp": {"identifiers": ["email"], "password": False, "verify": True}}, "signUp.identifiers"),
        ({"signUp": {"identifiers": ["username"], "password": True, "verify": True,
                     "secondaryIdentifiers": [{"identifier": "emailOrPhone", "verify": True}]}}, "signUp.secondaryIdentifiers"),
        ({"signIn": {"methods": [{"identifier": "email", "password": False, "verificationCode": True}]}}, "signIn.methods"),
        ({"forgotPasswordMethods": ["EmailVerificationCode"]}, "forgotPasswordMethods"),
        ({"mfa": {"factors": ["Totp", "EmailVerificationCode"]}}, "mfa.factors"),
    ],
)
def test_guard_names_each_setting(patch, needle):
    found = email_dependencies({**SIE_FRESH, **patch})
    assert len(found) == 1 and needle in found[0]


def test_guard_counts_every_dependency_on_email():
    assert email_dependencies({**SIE_FRESH, "forgotPasswordMethods": None}) == [
        "forgot password by any connector, email included (forgotPasswordMethods: null)"]
    assert email_dependencies(SIE_FRESH, {"enabled": True, "fields": {"email": "Edit"}})[0].startswith("account center")
    assert email_dependencies(SIE_FRESH, {"enabled": True, "fields": {"email": "ReadOnly"}}) == []
    assert email_dependencies(SIE_FRESH, {"enabled": False, "fields": {"email": "Edit"}}) == []
    assert email_dependencies(SIE_FRESH, None, pending_invitations=2) == [
        "2 pending organization invitation(s) (organization-invitations)"]
