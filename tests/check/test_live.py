"""`check --live` against the Logto stand-in (or a real Logto: LOGTO_ENDPOINT, LOGTO_APP_ID,
LOGTO_APP_SECRET, LOGTO_RESOURCE) and a local SESv2 server (no cloud). Tests that must seed a
state the API cannot make (direct "SQL") run on the stand-in only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from connectors.cli.check import check_command
from connectors.check.live import live_findings, secret_env_names
from connectors.stack import load_stack
from tests.check.stacks import http_tenant, ses_tenant, stack, variant, write
from tests.deliverability_world import World, fake_ses, local_dns, moto_cloudwatch, ses_world  # noqa: F401 - fixtures

pytestmark = pytest.mark.integration

EMAIL_SIGN_IN = {"signIn": {"methods": [{"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False}]}}


@pytest.fixture
def ses(ses_world: World) -> World:
    """SES, CloudWatch and DNS as a healthy production tenant `shop` has them."""
    return ses_world


def seeded(target: Any, why: str = "seeds the tenant's database directly") -> Any:
    """The stand-in, to seed a state directly; skips (saying why) against a real Logto."""
    return target.require_server(why)


def tenant_on(server: Any, base=ses_tenant, **extra: Any) -> dict[str, Any]:
    def change(t: dict[str, Any]) -> None:
        t["logto"] = {"endpoint": server.endpoint, "appId": server.app_id, "appSecret": {"secure": "v1:X"}, "resource": server.resource}
        t.update(extra)
    return variant(base, change)


def live(tmp_path: Path, server: Any, ses: World, tenant: dict[str, Any], *, production: bool = False, secret: str | None = None):
    write(tmp_path, "dev", stack({"shop": tenant}, production=production))
    spec = load_stack(tmp_path, "dev")
    env = {"LOGTO_APP_SECRET_SHOP": secret or server.app_secret}
    return live_findings(spec, env=env, sources=ses.sources())


def codes(findings) -> list[tuple[str, str]]:
    return sorted((f.code, f.severity.value) for f in findings)


def test_sign_in_needs_email_but_tenant_has_no_email_connector(tmp_path, logto_target, ses):
    seeded(logto_target).seed_sign_in_exp(**EMAIL_SIGN_IN)
    found = live(tmp_path, logto_target, ses, tenant_on(logto_target))
    assert codes(found) == [("LE201", "error")]
    assert "sign-in with email verification code" in found[0].message


def test_clean_live_tenant_has_no_findings(tmp_path, logto_target, ses):
    seeded(logto_target).seed_sign_in_exp(**EMAIL_SIGN_IN)
    seeded(logto_target).seed_connector("aws-ses-mail", {"accessKeyId": "x"})
    assert live(tmp_path, logto_target, ses, tenant_on(logto_target)) == []


def test_declared_factory_missing_in_this_logto(tmp_path, logto_target, ses):
    # the Logto Email Service exists on Logto Cloud only; the test server is OSS-flavoured
    seeded(logto_target).seed_sign_in_exp(**EMAIL_SIGN_IN)
    seeded(logto_target).seed_connector("aws-ses-mail", {"accessKeyId": "x"})
    tenant = tenant_on(logto_target, http_tenant)
    tenant["provider"] = {"type": "logto-email"}
    tenant.pop("sender")
    found = live(tmp_path, logto_target, ses, tenant)
    assert codes(found) == [("LE202", "error"), ("LE204", "info")]
    le202 = next(f for f in found if f.code == "LE202")
    assert "users would stay locked out" in le202.message


def test_breakage_allowed_while_sign_in_needs_email(tmp_path, logto_target, ses):
    seeded(logto_target).seed_sign_in_exp(**EMAIL_SIGN_IN)
    seeded(logto_target).seed_connector("aws-ses-mail", {"accessKeyId": "x"})
    found = live(tmp_path, logto_target, ses, tenant_on(logto_target, allowSignInBreakage=True))
    assert codes(found) == [("LE203", "warning")]


def test_provider_switch_is_reported_as_info(tmp_path, logto_target, ses):
    seeded(logto_target).seed_connector("simple-mail-transfer-protocol", {"host": "smtp.example.com"})
    found = live(tmp_path, logto_target, ses, tenant_on(logto_target))
    assert codes(found) == [("LE204", "info")]
    assert "simple-mail-transfer-protocol" in found[0].message and "aws-ses-mail" in found[0].message


def test_wrong_secret_is_an_error_that_never_shows_the_secret(tmp_path, logto_target, ses):
    found = live(tmp_path, logto_target, ses, tenant_on(logto_target), secret="not-the-secret-1234")
    assert codes(found) == [("LE200", "error")]
    assert "not-the-secret-1234" not in str(found[0])


def test_missing_secret_skips_logto_checks_with_a_warning(tmp_path, ses):
    write(tmp_path, "prod", stack({"shop": ses_tenant()}))
    spec = load_stack(tmp_path, "prod")
    found = live_findings(spec, env={}, sources=ses.sources())
    assert codes(found) == [("LE200", "warning")]
    assert "LOGTO_APP_SECRET_SHOP" in found[0].fix
    assert secret_env_names("prod", "acme-eu") == ["LOGTO_APP_SECRET_PROD_ACME_EU", "LOGTO_APP_SECRET_ACME_EU", "LOGTO_EMAIL_ACME_EU_APP_SECRET"]


def test_operator_commands_env_name_is_accepted(tmp_path, logto_target, ses):
    from connectors.cli.credentials import env_name

    write(tmp_path, "dev", stack({"shop": tenant_on(logto_target)}, production=False))
    env = {env_name("shop", "appSecret"): logto_target.app_secret}
    found = live_findings(load_stack(tmp_path, "dev"), env=env, sources=ses.sources())
    assert codes(found) == []


def test_ses_sandbox_is_an_error_on_production_and_info_elsewhere(tmp_path, ses):
    ses.state.production_access = False
    for production, severity in ((True, "error"), (False, "info")):
        write(tmp_path, "prod", stack({"shop": ses_tenant()}, production=production))
        found = live_findings(load_stack(tmp_path, "prod"), env={}, sources=ses.sources())
        assert ("LE210", severity) in codes(found)
        assert "sandbox" in next(f.message for f in found if f.code == "LE210")
    assert "GetAccount" in ses.state.calls


def test_ses_permission_denied_is_LE213(tmp_path, ses):
    ses.state.deny = True
    write(tmp_path, "prod", stack({"shop": ses_tenant()}))
    found = live_findings(load_stack(tmp_path, "prod"), env={}, sources=ses.sources())
    assert ("LE213", "error") in codes(found)


def test_cli_live_reads_secret_and_aws_endpoint_from_environment(tmp_path, logto_target, ses, monkeypatch):
    seeded(logto_target).seed_sign_in_exp(**EMAIL_SIGN_IN)
    ses.state.production_access = False
    write(tmp_path, "dev", stack({"shop": tenant_on(logto_target)}, production=False))
    monkeypatch.setenv("LOGTO_APP_SECRET_DEV_SHOP", logto_target.app_secret)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", ses.ses.endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", ses.moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    result = CliRunner().invoke(check_command, ["-C", str(tmp_path), "-s", "dev", "--live", "--json", "--nameserver", ses.dns.nameserver])
    doc = json.loads(result.output)
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("LE201", "error"), ("LE210", "info")]
    assert result.exit_code == 1 and doc["live"] is True
    assert logto_target.app_secret not in result.output


def test_ses_sending_disabled_and_enforcement_status(tmp_path, ses):
    ses.state.sending_enabled = False
    ses.state.enforcement_status = "PROBATION"
    write(tmp_path, "prod", stack({"shop": ses_tenant()}))
    found = live_findings(load_stack(tmp_path, "prod"), env={"LOGTO_APP_SECRET_SHOP": ""}, sources=ses.sources())
    assert codes(found) == [("LE200", "warning"), ("LE211", "error"), ("LE212", "warning")]
    assert "PROBATION" in next(f.message for f in found if f.code == "LE212")


def test_deliverability_problems_are_live_findings(tmp_path, ses):
    """`check --live` reports what the deliverability report finds: rates, paused set, DNS."""
    ses.rate("Reputation.BounceRate", 0.052)
    ses.state.configuration_sets["shop-logto-email"] = False
    ses.dns.zone.pop(("_dmarc.mail.shop.example.com", "TXT"))
    ses.dns.fail.add("bounce.mail.shop.example.com")
    write(tmp_path, "prod", stack({"shop": ses_tenant()}))
    found = live_findings(load_stack(tmp_path, "prod"), env={}, sources=ses.sources())
    assert codes(found) == [("LE200", "warning"), ("LE214", "error"), ("LE215", "error"), ("LE223", "error"),
                            ("LE225", "warning"), ("LE225", "warning")]
    le214 = next(f for f in found if f.code == "LE214")
    assert le214.path == "config.logto-email:tenants.shop.provider.alarms.bounceRate" and "5.2 %" in le214.message


def test_emails_stating_another_lifetime_than_logtos_is_a_warning(tmp_path, logto_target, ses):
    seeded(logto_target).seed_sign_in_exp(verificationCodePolicy={"expirationDuration": 1800})
    found = live(tmp_path, logto_target, ses, tenant_on(logto_target))
    le206 = [f for f in found if f.code == "LE206"]
    assert [(f.code, f.severity.value) for f in le206] == [("LE206", "warning")]
    assert "the emails say codes live 600 s" in le206[0].message and "is 1800 s" in le206[0].message
    declared = tenant_on(logto_target, signInExperience={"verificationCodePolicy": {"expirationDuration": 300}})
    le206 = [f for f in live(tmp_path, logto_target, ses, declared) if f.code == "LE206"]
    assert [(f.code, f.severity.value) for f in le206] == [("LE206", "info")] and "sets the declared 300 s" in le206[0].message
    seeded(logto_target).seed_sign_in_exp(verificationCodePolicy={"expirationDuration": 300})
    assert [f for f in live(tmp_path, logto_target, ses, declared) if f.code == "LE206"] == []
