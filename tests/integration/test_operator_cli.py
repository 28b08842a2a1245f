"""`python -m connectors status` and `test-send` against a Logto Management API (test server or real).

A throw-away project declares one SMTP tenant that points at the Logto target and the AUTH
SMTP sink; secrets come from environment variables, as an operator would give them. Every
output is checked for the app secret and the SMTP password.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors import deploy
from connectors.cli import cli
from connectors.connector_config import build_connector_config, render_tenant, template_sender
from connectors.deploy import email_templates as tpl
from connectors.deploy import sign_in_experience as sie_core
from connectors.logto.token import TOKENS
from connectors.cli.credentials import CredentialSource, env_name
from connectors.stack import load_stack
from connectors.templates import email_template_rows
from tests.integration.deploy_support import client_for

pytestmark = pytest.mark.integration

TENANT = "acme-eu"
STACK = "ops"
FAST = {"LOGTO_EMAIL_WAIT_INITIAL": "0.01", "LOGTO_EMAIL_WAIT_MAX": "0.05", "LOGTO_EMAIL_WAIT_JITTER": "0.01",
        "LOGTO_EMAIL_ATTEMPTS": "2", "LOGTO_EMAIL_CONNECT_TIMEOUT": "2"}


@pytest.fixture(autouse=True)
def _commands():
    TOKENS.clear()
    yield
    TOKENS.clear()


@pytest.fixture
def project(tmp_path, logto_target, smtp_sink) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: logto-email\n")
    resource = f"\n        resource: {logto_target.resource}" if logto_target.is_real else ""
    (tmp_path / f"Pulumi.{STACK}.yaml").write_text(f"""config:
  logto-email:tenants:
    {TENANT}:
      logto:
        endpoint: {logto_target.endpoint}
        appId: {logto_target.app_id}
        appSecret:
          secure: v1:c2VjcmV0LWNpcGhlcnRleHQ={resource}
      provider:
        type: smtp
        host: {smtp_sink.host}
        port: {smtp_sink.port}
        security: none
        username: {smtp_sink.user}
        password:
          secure: v1:cGFzc3dvcmQtY2lwaGVydGV4dA==
      sender:
        email: no-reply@example.com
        name: Acme
      locales: [en, de]
      templates:
        storage: logto
      testRecipient: ops@example.com
      signInExperience:
        emailSignIn: true
        forgotPassword: true
""")
    return tmp_path


@pytest.fixture
def env(logto_target, smtp_sink) -> dict[str, str]:
    return {**FAST, env_name(TENANT, "appSecret"): logto_target.app_secret, env_name(TENANT, "password"): smtp_sink.password}


def run(project: Path, env: dict[str, str], *args: str):
    result = CliRunner().invoke(cli, [*args, "--stack", STACK, "-C", str(project), "--no-pulumi"], env=env, catch_exceptions=False)
    return result


def assert_no_secret(output: str, *secrets: str) -> None:
    for s in secrets:
        assert s not in output


def converge(project: Path, env: dict[str, str], target) -> None:
    """Bring the tenant to the declared state the way `pulumi up` would (engine + the new cores)."""
    spec = load_stack(project, STACK)
    tenant = spec.tenants[TENANT]
    creds = CredentialSource(STACK, project, env=env, use_pulumi=False).resolve(TENANT, tenant)
    rendered = render_tenant(tenant, project)
    config = build_connector_config(creds.tenant, rendered, creds.generated).to_logto(reveal=True)
    with client_for(target) as client:
        deploy.deploy(client, deploy.Desired(tenant.factory_id, config))
        tpl.sync(client, email_template_rows(tenant.factory_id, rendered, template_sender(tenant)))
        sie_core.apply(client, sie_core.EmailSettings(email_sign_in=True, forgot_password=True))


@pytest.fixture
def cleanup(logto_target):
    if not logto_target.is_real:  # the stand-in is reset for every test
        yield
        return
    from tests.integration.deploy_support import TenantSnapshot

    with client_for(logto_target) as client:
        snapshot = TenantSnapshot.take(client)
    yield
    with client_for(logto_target) as client:  # leave a real tenant as we found it
        snapshot.restore(client)


def test_status_on_a_fresh_tenant_reports_what_is_missing(project, env, logto_target, smtp_sink, cleanup):
    with client_for(logto_target) as client:
        if client.get_email_connector() is not None:
            pytest.skip("the target tenant already has an email connector")
    result = run(project, env, "status", "--json")
    assert result.exit_code == 3, result.output
    doc = json.loads(result.output)
    (t,) = doc["tenants"]
    assert t["live"] is None and t["connector"]["action"] == "create"
    assert t["sign_in"]["drift"] == ["email_sign_in", "forgot_password"]
    assert len(t["templates"]["drift"]) == 18 and t["templates"]["drift"][0].startswith("+de/")
    assert t["credentials"] == {"logto.appSecret": f"env {env_name(TENANT, 'appSecret')}", "provider.password": "env LOGTO_EMAIL_ACME_EU_PASSWORD"}
    assert_no_secret(result.output, logto_target.app_secret, smtp_sink.password)


def test_status_in_sync_then_drift_with_secrets_masked(project, env, logto_target, smtp_sink, cleanup):
    converge(project, env, logto_target)
    result = run(project, env, "status", "--json")
    assert result.exit_code == 0, result.output
    (t,) = json.loads(result.output)["tenants"]
    assert t["live"]["factory"] == "simple-mail-transfer-protocol" and t["live"]["sender"] == "Acme <no-reply@example.com>"
    assert t["connector"]["in_sync"] and t["templates"]["drift"] == [] and t["sign_in"]["drift"] == []
    assert t["templates"]["rows_by_language"]["de"] >= 9
    assert "sign-in with email verification code (signIn.methods)" in t["sign_in"]["needs_email_connector"]

    # Someone rotates the SMTP password in the Console and edits a German subject.
    rotated = "rotated-smtp-password-77"
    with client_for(logto_target) as client:
        live = client.get_email_connector()
        client.update_connector_config(live.id, {**deploy.engine.sendable(live.factory_id, live.config), "auth": {"user": smtp_sink.user, "pass": rotated}})
        client.upsert_email_templates([{"languageTag": "de", "templateType": "SignIn", "details": {"subject": "geändert", "content": "{{code}}"}}])
    table = run(project, env, "status")
    assert table.exit_code == 3, table.output
    assert "drift" in table.output and "auth.pass (secret)" in table.output and "~de/SignIn" in table.output
    assert "sign-in methods: username+password, email+code" in table.output
    doc = run(project, env, "status", "--json")
    assert doc.exit_code == 3
    (t,) = json.loads(doc.output)["tenants"]
    assert {"path": "auth.pass", "kind": "changed", "secret": True} in t["connector"]["changes"]
    for out in (table.output, doc.output):
        assert_no_secret(out, logto_target.app_secret, smtp_sink.password, rotated, "geändert")


def test_status_with_a_wrong_app_secret_exits_4_without_echoing_it(project, env, logto_target):
    wrong = "definitely-wrong-secret-9b7c"
    result = run(project, {**env, env_name(TENANT, "appSecret"): wrong}, "status")
    assert result.exit_code == 4, result.output
    assert "error:" in result.output and ("invalid_client" in result.output or "401" in result.output)
    assert_no_secret(result.output, wrong, logto_target.app_secret)


def test_test_send_uses_the_rows_of_the_locale_and_saves_nothing(project, env, logto_target, smtp_sink, cleanup):
    converge(project, env, logto_target)
    with client_for(logto_target) as client:
        before = client.get_email_connector()
    to = "ops-de@example.com"
    result = run(project, env, "test-send", "--tenant", TENANT, "--to", to, "--locale", "de")
    assert result.exit_code == 0, result.output
    assert "nothing was saved" in result.output
    mail = smtp_sink.received_by(to)
    assert "Bestätigungscode" in (mail.subject or "") and "000000" in (mail.html or "")
    assert mail.auth_user == smtp_sink.user
    with client_for(logto_target) as client:
        after = client.get_email_connector()
    assert (after.id, after.config) == (before.id, before.config)
    doc = run(project, env, "test-send", "-t", TENANT, "--to", "ops-fr@example.com", "--locale", "fr", "--json")
    assert doc.exit_code == 0 and json.loads(doc.output)["sent"] is True
    assert "not one of the tenant's locales" in json.loads(doc.output)["notes"][-1]
    assert "as they are live in Logto" in json.loads(doc.output)["notes"][0]
    assert_no_secret(result.output + doc.output, logto_target.app_secret, smtp_sink.password)


def test_test_send_failures_and_usage_errors(project, env, logto_target, smtp_sink):
    missing = run(project, {k: v for k, v in env.items() if "PASSWORD" not in k}, "test-send", "-t", TENANT, "--to", "a@example.com")
    assert missing.exit_code == 4 and "LOGTO_EMAIL_ACME_EU_PASSWORD" in missing.output
    wrong = "wrong-smtp-password-31"
    refused = run(project, {**env, env_name(TENANT, "password"): wrong}, "test-send", "-t", TENANT, "--to", "b@example.com")
    assert refused.exit_code == 4 and "test message not sent" in refused.output
    assert_no_secret(refused.output, wrong, logto_target.app_secret)
    assert run(project, env, "test-send", "-t", TENANT, "--to", "not-an-address").exit_code == 2
    assert run(project, env, "test-send", "-t", TENANT, "--to", "a@example.com", "--locale", "de-DE").exit_code == 2
    assert run(project, env, "test-send", "-t", "nope", "--to", "a@example.com").exit_code == 2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell script")
def test_secrets_from_the_pulumi_cli(tmp_path, project):
    """The exact commands run when the Pulumi CLI is installed (a stand-in script answers them,
    since the Pulumi CLI cannot be installed on this machine)."""
    log = tmp_path / "calls.log"
    fake = tmp_path / "pulumi"
    fake.write_text(f"""#!/bin/sh
echo "$@" >> {log}
case "$*" in
  "config get --path logto-email:tenants.{TENANT}.logto.appSecret --stack {STACK} --non-interactive") echo "from-pulumi-app-secret";;
  "config get --path logto-email:tenants.{TENANT}.provider.password --stack {STACK} --non-interactive") echo "error: configuration key not found" >&2; exit 255;;
  "stack output --json --show-secrets --stack {STACK} --non-interactive") echo '{{"{TENANT}": {{"accessKeyId": "AKIAFROMOUTPUT"}}}}';;
  *) exit 3;;
esac
""")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    source = CredentialSource(STACK, project, env={}, pulumi_bin=str(fake))
    tenant = load_stack(project, STACK).tenants[TENANT]
    creds = source.resolve(TENANT, tenant)
    assert creds.tenant.logto.app_secret.reveal() == "from-pulumi-app-secret"
    assert creds.sources == {"logto.appSecret": "pulumi config"}
    assert creds.missing == ["provider.password: set LOGTO_EMAIL_ACME_EU_PASSWORD (pulumi config had none)"]
    assert source.pulumi_errors == ["pulumi config get: error: configuration key not found"]
    assert source.generated(TENANT, "access_key_id").value == "AKIAFROMOUTPUT"
    # The environment wins over the stack.
    env_first = CredentialSource(STACK, project, env={env_name(TENANT, "appSecret"): "env-wins"}, pulumi_bin=str(fake))
    assert env_first.config_secret(TENANT, "logto.appSecret").source == "env LOGTO_EMAIL_ACME_EU_APP_SECRET"
    assert "from-pulumi-app-secret" not in repr(creds) and "from-pulumi" not in repr(source.config_secret(TENANT, "logto.appSecret"))
    assert os.path.exists(log)


def test_status_notes_a_fallback_language_without_rows(project, env, logto_target, cleanup):
    converge(project, env, logto_target)
    with client_for(logto_target) as client:
        info = client.get_sign_in_experience()["languageInfo"]
        client.patch_sign_in_experience({"languageInfo": {**info, "fallbackLanguage": "fr"}})
        try:
            result = run(project, env, "status", "--json")
        finally:
            client.patch_sign_in_experience({"languageInfo": info})
    assert result.exit_code == 0, result.output  # a note, not drift
    (t,) = json.loads(result.output)["tenants"]
    assert t["templates"]["fallback_language"] == "fr"
    assert "fallback language fr has no declared rows" in t["templates"]["note"]


def test_status_of_an_ses_tenant_compares_what_it_can_and_names_the_rest(tmp_path, logto_target):
    server = logto_target.require_server("seeds a live SES connector without sending through AWS")
    from connectors.logto_facts import clean_deep
    from connectors.secret import Secret

    (tmp_path / "Pulumi.yaml").write_text("name: logto-email\n")
    (tmp_path / f"Pulumi.{STACK}.yaml").write_text(f"""config:
  logto-email:tenants:
    shop:
      logto: {{endpoint: {logto_target.endpoint}, appId: {logto_target.app_id}, appSecret: {{secure: v1:YQ==}}}}
      provider: {{type: aws-ses, region: eu-west-1, domain: mail.example.com}}
      sender: {{email: no-reply@mail.example.com, name: Shop}}
""")
    tenant = load_stack(tmp_path, STACK).tenants["shop"]
    key_secret = "live-ses-secret-key-0123456789abcdefghij"
    generated = {"access_key_id": "AKIALIVE0000000000", "secret_access_key": Secret(key_secret),
                 "identity_arn": "arn:aws:ses:eu-west-1:123456789012:identity/mail.example.com",
                 "configuration_set_name": "shop-logto-email"}
    live = build_connector_config(tenant, render_tenant(tenant, tmp_path), generated).to_logto(reveal=True)
    server.seed_connector("aws-ses-mail", clean_deep(live))
    env = {**FAST, env_name("shop", "appSecret"): logto_target.app_secret}

    result = run(tmp_path, env, "status", "--json")
    assert result.exit_code == 0, result.output
    (t,) = json.loads(result.output)["tenants"]
    assert t["connector"]["in_sync"] and t["live"]["sender"] == "Shop <no-reply@mail.example.com>"
    assert sorted(t["connector"]["not_compared"]) == ["accessKeyId", "accessKeySecret", "emailAddressIdentityArn"]
    assert any("LOGTO_EMAIL_SHOP_SECRET_ACCESS_KEY" in m for m in t["missing"])

    # With the key from the environment it is compared too: a stale key id is drift, the secret stays unnamed.
    stale = {**env, env_name("shop", "access_key_id"): "AKIASTALE000000000", env_name("shop", "secret_access_key"): key_secret}
    result = run(tmp_path, stale, "status", "--json")
    assert result.exit_code == 3, result.output
    (t,) = json.loads(result.output)["tenants"]
    assert [c["path"] for c in t["connector"]["changes"]] == ["accessKeyId"]
    assert t["connector"]["not_compared"] == ["emailAddressIdentityArn"]
    assert key_secret not in result.output and logto_target.app_secret not in result.output


def test_status_reports_the_email_policy_its_drift_and_account_center_dependence(project, env, logto_target, smtp_sink, cleanup):
    stack = project / f"Pulumi.{STACK}.yaml"
    stack.write_text(stack.read_text() + "        verificationCodePolicy: {expirationDuration: 300}\n"
                     "        emailBlocklistPolicy: {customBlocklist: ['@mailinator.com']}\n"
                     "        accountCenterEmail: Edit\n")
    converge(project, env, logto_target)
    with client_for(logto_target) as client:
        before_sie, before_ac = client.get_sign_in_experience(), client.get_account_center()
        sie_core.apply(client, sie_core.EmailSettings(
            email_sign_in=True, forgot_password=True, verification_code_policy={"expirationDuration": 300},
            email_blocklist_policy={"customBlocklist": ["@mailinator.com"]}, account_center_email="Edit"))
        client.patch_account_center({"enabled": True})
    try:
        result = run(project, env, "status", "--json")
        (t,) = json.loads(result.output)["tenants"]
        assert result.exit_code == 0, t["policy"]
        assert t["policy"]["drift"] == [] and t["policy"]["live"]["account_center"] == {"enabled": True, "email": "Edit"}
        assert any("account-center fields.email: Edit" in d for d in t["sign_in"]["needs_email_connector"])
        # Someone sets a 30-minute lifetime in the Console: the emails (5 minutes) would now lie.
        with client_for(logto_target) as client:
            client.patch_sign_in_experience({"verificationCodePolicy": {"expirationDuration": 1800}})
        table = run(project, env, "status")
        assert table.exit_code == 3, table.output
        flat = " ".join(table.output.split())
        assert "verificationCodePolicy.expirationDuration is 1800, declared 300" in flat
        assert "the emails say codes live 300 s but Logto's verificationCodePolicy.expirationDuration is 1800 s" in flat
        assert "codes live 1800 s, 10 tries; email MFA off; account center on, email Edit" in flat
    finally:
        with client_for(logto_target) as client:
            client.patch_sign_in_experience({k: before_sie[k] for k in ("verificationCodePolicy", "emailBlocklistPolicy")})
            client.patch_account_center({"enabled": before_ac.get("enabled", False), "fields": before_ac.get("fields") or {}})
