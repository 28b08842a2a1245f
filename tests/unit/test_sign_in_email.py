"""Planning the email part of the sign-in experience: pure edits on the row Logto returns."""

from __future__ import annotations

import pytest

from connectors.deploy.guard import email_dependencies
from connectors.deploy.sign_in_experience import (
    EmailSettings,
    Record,
    SignInExperienceError,
    live_settings,
    plan_apply,
    plan_relax,
)
from logto_standin.state import seed_sign_in_experience

OSS = seed_sign_in_experience(cloud=False)
USERNAME_PASSWORD = {"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}
CLOUD = seed_sign_in_experience(cloud=True)


def patched(sie, edit):
    return {**sie, **edit.patch}


def test_oss_seed_gets_email_as_secondary_identifier_and_relax_restores_the_seed():
    edit = plan_apply(OSS, EmailSettings(email_sign_up=True, email_sign_in=True, forgot_password=True))
    after = patched(OSS, edit)
    live = live_settings(after)
    assert (live.email_sign_up, live.email_sign_in, live.forgot_password) == (True, True, True)
    assert after["signUp"]["identifiers"] == ["username"]
    relaxed = patched(after, plan_relax(after, edit.record))
    for key in ("signUp", "signIn", "forgotPasswordMethods"):
        assert relaxed[key] == OSS[key], key
    assert email_dependencies(relaxed) == []


def test_cloud_seed_turns_on_the_code_of_the_existing_email_method_and_back():
    edit = plan_apply(CLOUD, EmailSettings(email_sign_in=True))
    assert edit.record.sign_in_code_enabled and not edit.record.sign_in_method_added
    assert set(edit.patch) == {"signIn"}  # nothing else is sent
    after = patched(CLOUD, edit)
    assert after["signIn"]["methods"] == [{"identifier": "email", "password": True, "verificationCode": True, "isPasswordPrimary": True}]
    relaxed = patched(after, plan_relax(after, edit.record))
    assert relaxed["signIn"] == CLOUD["signIn"]
    assert email_dependencies(relaxed) == ["sign-up identifier email (signUp.identifiers)"]  # Cloud's seed, not ours


@pytest.mark.parametrize(("before", "after"), [([], ["email"]), (["phone"], ["email", "phone"])])
def test_email_joins_an_or_list_as_a_primary_identifier(before, after):
    sie = {**OSS, "signUp": {"identifiers": before, "password": True, "verify": bool(before)}}
    edit = plan_apply(sie, EmailSettings(email_sign_up=True))
    assert edit.patch["signUp"]["identifiers"] == after and edit.patch["signUp"]["verify"] is True
    assert edit.record.sign_up_identifier_added == "primary"
    # An email sign-up needs an email sign-in method: a password one, since sign-up sets a password.
    assert {"identifier": "email", "password": True, "verificationCode": False, "isPasswordPrimary": True} in edit.patch["signIn"]["methods"]
    assert edit.notes
    relaxed = patched(patched(sie, edit), plan_relax(patched(sie, edit), edit.record))
    assert relaxed["signUp"]["identifiers"] == before and relaxed["signIn"] == OSS["signIn"]


def test_nothing_to_do_sends_nothing():
    after = patched(OSS, plan_apply(OSS, EmailSettings(email_sign_in=True)))
    assert plan_apply(after, EmailSettings(email_sign_in=True)).patch == {}
    assert plan_apply(OSS, EmailSettings(email_sign_in=False, email_sign_up=False, forgot_password=False)).patch == {}


def test_passwordless_sign_up_needs_code_sign_in():
    sie = {**CLOUD, "signUp": {"identifiers": ["email"], "password": False, "verify": True},
           "signIn": {"methods": [dict(USERNAME_PASSWORD),
                                  {"identifier": "email", "password": True, "verificationCode": True, "isPasswordPrimary": True}]}}
    with pytest.raises(SignInExperienceError) as info:
        plan_apply(sie, EmailSettings(email_sign_in=False))
    assert info.value.code == "sign_in_experiences.code_sign_in_must_be_enabled"
    assert "emailSignIn: true" in str(info.value)


def test_a_primary_email_sign_up_keeps_an_email_sign_in_method():
    sie = {**CLOUD, "signUp": {"identifiers": ["email"], "password": False, "verify": True},
           "signIn": {"methods": [{"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False}]}}
    with pytest.raises(SignInExperienceError) as info:
        plan_apply(sie, EmailSettings(email_sign_in=False))
    assert info.value.code == "sign_in_experiences.miss_sign_up_identifier_in_sign_in"
    edit = plan_apply(sie, EmailSettings(email_sign_in=False, email_sign_up=False))
    assert edit.patch["signIn"]["methods"] == [USERNAME_PASSWORD] and "username + password" in edit.notes[-1]


def test_forgot_password_null_means_derived_from_connectors():
    sie = {**OSS, "forgotPasswordMethods": None}
    on = plan_apply(sie, EmailSettings(forgot_password=True))
    assert on.patch == {} and "null" in on.notes[0]
    off = plan_apply(sie, EmailSettings(forgot_password=False))
    assert off.patch == {"forgotPasswordMethods": []}
    keep_sms = plan_apply(sie, EmailSettings(forgot_password=False), sms_connector=True)
    assert keep_sms.patch == {"forgotPasswordMethods": ["PhoneVerificationCode"]}


def test_relax_falls_back_to_username_password_when_nothing_else_is_known():
    sie = {**OSS, "signIn": {"methods": [{"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False}]}}
    edit = plan_relax(sie, Record(sign_in_method_added=True))
    assert edit.patch["signIn"]["methods"] == [{"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}]
    assert "username + password" in edit.notes[0]


def test_record_round_trips_through_outputs():
    rec = plan_apply(OSS, EmailSettings(True, True, True)).record
    assert Record.from_dict(rec.to_dict()) == rec
    assert Record.from_dict({"unknown": 1, "forgot_password_added": True}).forgot_password_added


def test_a_setting_logto_drops_is_reported_after_the_patch():
    from connectors.deploy.sign_in_experience import apply

    class DroppingLogto:
        """A Logto that answers 200 but strips a key it does not know (as zod does)."""

        def __init__(self) -> None:
            self.sie = {**OSS, "emailBlocklistPolicy": {}}

        def get_sign_in_experience(self):
            return self.sie

        def patch_sign_in_experience(self, changes):
            changes = dict(changes)
            changes["emailBlocklistPolicy"] = {k: v for k, v in changes["emailBlocklistPolicy"].items() if k != "customAllowlist"}
            self.sie = {**self.sie, **changes}
            return self.sie

    edit = apply(DroppingLogto(), EmailSettings(email_blocklist_policy={"blockSubaddressing": True, "customAllowlist": ["@a.test"]}))
    assert any("did not keep" in n and "emailBlocklistPolicy.customAllowlist" in n for n in edit.notes)
