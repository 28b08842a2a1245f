"""`python -m connectors test-send` of a relay tenant: Logto stand-in → relay (127.0.0.1) → SMTP sink."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from connectors.cli import cli
from connectors.logto.token import TOKENS
from connectors.cli.credentials import env_name
from tests.relay.conftest import TOKEN, relay_config, smtp_upstream

STACK, TENANT = "ops", "acme-eu"


def project(tmp_path: Path, logto_server, provider_yaml: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: logto-email\n")
    (tmp_path / f"Pulumi.{STACK}.yaml").write_text(f"""config:
  logto-email:tenants:
    {TENANT}:
      logto:
        endpoint: {logto_server.url}
        appId: {logto_server.app_id}
        appSecret:
          secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=
      provider:
        type: relay
        tokens:
          - secure: v1:dG9rZW4tY2lwaGVydGV4dA==
        upstream: {{type: sendgrid, apiKey: {{secure: v1:c2cta2V5}}}}
{provider_yaml}
      sender: {{email: no-reply@example.com, name: Acme}}
      locales: [en, de]
""")
    return tmp_path


def run(path: Path, env: dict[str, str], *args: str):
    TOKENS.clear()
    return CliRunner().invoke(cli, [*args, "--stack", STACK, "-C", str(path), "--no-pulumi"], env=env, catch_exceptions=False)


def test_test_send_of_a_relay_tenant(tmp_path, logto_server, start_relay, smtp_sink) -> None:
    logto_server.reset()
    relay = start_relay(relay_config(smtp_upstream(smtp_sink)))
    path = project(tmp_path, logto_server, f"        endpoint: {relay.url}")
    env = {env_name(TENANT, "appSecret"): logto_server.app_secret, env_name(TENANT, "relayToken"): TOKEN}
    result = run(path, env, "test-send", "-t", TENANT, "--to", "ops@example.test", "--locale", "de")
    assert result.exit_code == 0, result.output
    assert "000000" in smtp_sink.received_by("ops@example.test").text
    assert TOKEN not in result.output and logto_server.app_secret not in result.output
    missing = run(path, {env_name(TENANT, "appSecret"): logto_server.app_secret}, "test-send", "-t", TENANT, "--to", "x@example.test")
    assert missing.exit_code == 4 and "LOGTO_EMAIL_ACME_EU_RELAY_TOKEN" in missing.output


def test_a_deployed_relay_needs_its_endpoint_from_the_stack(tmp_path, logto_server) -> None:
    path = project(tmp_path, logto_server, "        aws: {region: eu-west-1}")
    env = {env_name(TENANT, "appSecret"): logto_server.app_secret, env_name(TENANT, "relayToken"): TOKEN}
    result = run(path, env, "test-send", "-t", TENANT, "--to", "x@example.test")
    assert result.exit_code == 4 and "LOGTO_EMAIL_ACME_EU_RELAY_ENDPOINT" in result.output
