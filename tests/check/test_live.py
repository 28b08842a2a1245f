"""`check --live` against our Logto-compatible test server and a local SESv2 server (no cloud)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from connectors.check.cli import check_command
from connectors.check.live import live_findings, secret_env_names
from connectors.spec import load_stack
from tests.check.stacks import http_tenant, ses_tenant, stack, variant, write
from tests.sesv2_fake import FakeSes

pytestmark = pytest.mark.integration

EMAIL_SIGN_IN = {"signIn": {"methods": [{"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False}]}}


@pytest.fixture(scope="module")
def fake_ses() -> Iterator[FakeSes]:
    with FakeSes() as server:
        yield server


@pytest.fixture
def ses(fake_ses: FakeSes) -> FakeSes:
    fake_ses.reset()
    return fake_ses


def tenant_on(server: Any, base=ses_tenant, **extra: Any) -> dict[str, Any]:
    def change(t: dict[str, Any]) -> None:
        t["logto"] = {"endpoint": server.url, "appId": server.app_id, "appSecret": {"secure": "v1:X"}, "resource": server.resource}
        t.update(extra)
    return variant(base, change)


def live(tmp_path: Path, server: Any, ses: FakeSes, tenant: dict[str, Any], *, production: bool = False, secret: str | None = None):
    write(tmp_path, "dev", stack({"shop": tenant}, production=production))
    spec = load_stack(tmp_path, "dev")
    env = {"LOGTO_APP_SECRET_SHOP": secret or server.app_secret}
    return live_findings(spec, env=env, ses=lambda region: ses.client())


def codes(findings) -> list[tuple[str, str]]:
    return sorted((f.code, f.severity.value) for f in findings)


def test_sign_in_needs_email_but_tenant_has_no_email_connector(tmp_path, fresh_logto_server, ses):
    fresh_logto_server.seed_sign_in_exp(**EMAIL_SIGN_IN)
    found = live(tmp_path, fresh_logto_server, ses, tenant_on(fresh_logto_server))
    assert codes(found) == [("LE201", "error")]
    assert "sign-in with email verification code" in found[0].message


def test_clean_live_tenant_has_no_findings(tmp_path, fresh_logto_server, ses):
    fresh_logto_server.seed_sign_in_exp(**EMAIL_SIGN_IN)
    fresh_logto_server.seed_connector("aws-ses-mail", {"accessKeyId": "x"})
    assert live(tmp_path, fresh_logto_server, ses, tenant_on(fresh_logto_server)) == []


def test_declared_factory_missing_in_this_logto(tmp_path, fresh_logto_server, ses):
    # the Logto Email Service exists on Logto Cloud only; the test server is OSS-flavoured
    fresh_logto_server.seed_sign_in_exp(**EMAIL_SIGN_IN)
    fresh_logto_server.seed_connector("aws-ses-mail", {"accessKeyId": "x"})
    tenant = tenant_on(fresh_logto_server, http_tenant)
    tenant["provider"] = {"type": "logto-email"}
    tenant.pop("sender")
    found = live(tmp_path, fresh_logto_server, ses, tenant)
    assert codes(found) == [("LE202", "error"), ("LE204", "info")]
    le202 = next(f for f in found if f.code == "LE202")
    assert "users would stay locked out" in le202.message


def test_breakage_allowed_while_sign_in_needs_email(tmp_path, fresh_logto_server, ses):
    fresh_logto_server.seed_sign_in_exp(**EMAIL_SIGN_IN)
    fresh_logto_server.seed_connector("aws-ses-mail", {"accessKeyId": "x"})
    found = live(tmp_path, fresh_logto_server, ses, tenant_on(fresh_logto_server, allowSignInBreakage=True))
    assert codes(found) == [("LE203", "warning")]


def test_provider_switch_is_reported_as_info(tmp_path, fresh_logto_server, ses):
    fresh_logto_server.seed_connector("simple-mail-transfer-protocol", {"host": "smtp.example.com"})
    found = live(tmp_path, fresh_logto_server, ses, tenant_on(fresh_logto_server))
    assert codes(found) == [("LE204", "info")]
    assert "simple-mail-transfer-protocol" in found[0].message and "aws-ses-mail" in found[0].message


def test_wrong_secret_is_an_error_that_never_shows_the_secret(tmp_path, fresh_logto_server, ses):
    found = live(tmp_path, fresh_logto_server, ses, tenant_on(fresh_logto_server), secret="not-the-secret-1234")
    assert codes(found) == [("LE200", "error")]
    assert "not-the-secret-1234" not in str(found[0])


def test_missing_secret_skips_logto_checks_with_a_warning(tmp_path, ses):
    write(tmp_path, "prod", stack({"shop": ses_tenant()}))
    spec = load_stack(tmp_path, "prod")
    found = live_findings(spec, env={}, ses=lambda region: ses.client())
    assert codes(found) == [("LE200", "warning")]
    assert "LOGTO_APP_SECRET_SHOP" in found[0].fix
    assert secret_env_names("prod", "acme-eu") == ["LOGTO_APP_SECRET_PROD_ACME_EU", "LOGTO_APP_SECRET_ACME_EU", "LOGTO_EMAIL_ACME_EU_APP_SECRET"]


def test_operator_commands_env_name_is_accepted(tmp_path, fresh_logto_server, ses):
    from connectors.operator_credentials import env_name

    write(tmp_path, "dev", stack({"shop": tenant_on(fresh_logto_server)}, production=False))
    env = {env_name("shop", "appSecret"): fresh_logto_server.app_secret}
    found = live_findings(load_stack(tmp_path, "dev"), env=env, ses=lambda region: ses.client())
    assert codes(found) == []


def test_ses_sandbox_is_an_error_on_production_and_info_elsewhere(tmp_path, ses):
    ses.state.production_access = False
    for production, severity in ((True, "error"), (False, "info")):
        write(tmp_path, "prod", stack({"shop": ses_tenant()}, production=production))
        found = live_findings(load_stack(tmp_path, "prod"), env={}, ses=lambda region: ses.client())
        assert ("LE210", severity) in codes(found)
        assert "sandbox" in next(f.message for f in found if f.code == "LE210")
    assert "GetAccount" in ses.state.calls


def test_ses_permission_denied_is_LE213(tmp_path, ses):
    ses.state.deny = True
    write(tmp_path, "prod", stack({"shop": ses_tenant()}))
    found = live_findings(load_stack(tmp_path, "prod"), env={}, ses=lambda region: ses.client())
    assert ("LE213", "error") in codes(found)


def test_cli_live_reads_secret_and_aws_endpoint_from_environment(tmp_path, fresh_logto_server, ses, monkeypatch):
    fresh_logto_server.seed_sign_in_exp(**EMAIL_SIGN_IN)
    ses.state.production_access = False
    write(tmp_path, "dev", stack({"shop": tenant_on(fresh_logto_server)}, production=False))
    monkeypatch.setenv("LOGTO_APP_SECRET_DEV_SHOP", fresh_logto_server.app_secret)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", ses.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    result = CliRunner().invoke(check_command, ["-C", str(tmp_path), "-s", "dev", "--live", "--json"])
    doc = json.loads(result.output)
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("LE201", "error"), ("LE210", "info")]
    assert result.exit_code == 1 and doc["live"] is True
    assert fresh_logto_server.app_secret not in result.output


class _AccountServer:
    """A local SESv2 `GetAccount` endpoint answering a fixed account document."""

    def __init__(self, account: dict[str, Any]) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        body = json.dumps(account).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200 if self.path.startswith("/v2/email/account") else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "_AccountServer":
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def client(self, region: str):
        import boto3

        host, port = self.httpd.server_address[:2]
        return boto3.client("sesv2", endpoint_url=f"http://{host}:{port}", region_name=region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


def test_ses_sending_disabled_and_enforcement_status(tmp_path):
    account = {"ProductionAccessEnabled": True, "SendingEnabled": False, "EnforcementStatus": "PROBATION",
               "SendQuota": {"Max24HourSend": 50000.0, "MaxSendRate": 14.0, "SentLast24Hours": 0.0}}
    write(tmp_path, "prod", stack({"shop": ses_tenant()}))
    with _AccountServer(account) as server:
        found = live_findings(load_stack(tmp_path, "prod"), env={"LOGTO_APP_SECRET_SHOP": ""}, ses=server.client)
    assert codes(found) == [("LE200", "warning"), ("LE211", "error"), ("LE212", "warning")]
    assert "PROBATION" in next(f.message for f in found if f.code == "LE212")


def test_emails_stating_another_lifetime_than_logtos_is_a_warning(tmp_path, fresh_logto_server, ses):
    fresh_logto_server.seed_sign_in_exp(verificationCodePolicy={"expirationDuration": 1800})
    found = live(tmp_path, fresh_logto_server, ses, tenant_on(fresh_logto_server))
    le205 = [f for f in found if f.code == "LE205"]
    assert [(f.code, f.severity.value) for f in le205] == [("LE205", "warning")]
    assert "the emails say codes live 600 s" in le205[0].message and "is 1800 s" in le205[0].message
    declared = tenant_on(fresh_logto_server, signInExperience={"verificationCodePolicy": {"expirationDuration": 300}})
    le205 = [f for f in live(tmp_path, fresh_logto_server, ses, declared) if f.code == "LE205"]
    assert [(f.code, f.severity.value) for f in le205] == [("LE205", "info")] and "sets the declared 300 s" in le205[0].message
    fresh_logto_server.seed_sign_in_exp(verificationCodePolicy={"expirationDuration": 300})
    assert [f for f in live(tmp_path, fresh_logto_server, ses, declared) if f.code == "LE205"] == []
