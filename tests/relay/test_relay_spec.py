"""`provider: relay` in a stack file: validation, the connector config it makes, the checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.check import check_stack
from connectors.connector_config import GENERATED_URL, build_connector_config, placeholders_in, render_tenant
from connectors.errors import ConfigError
from connectors.stack import load_stack, spec_from_config
from relay.config import from_tenant
from tests.check.stacks import sec, stack, write


def relay_tenant(**provider: Any) -> dict[str, Any]:
    return {
        "logto": {"endpoint": "https://relayprod7.logto.app", "appId": "relayapp", "appSecret": sec("RELAYAPP")},
        "provider": {
            "type": "relay", "tokens": [sec("TOKEN0"), sec("TOKEN1")],
            "upstream": {"type": "sendgrid", "apiKey": sec("SG")},
            "aws": {"region": "eu-west-1"},
            **provider,
        },
        "sender": {"email": "no-reply@relay.example.com", "name": "Relay"},
        "branding": {"productName": "Relay"},
        "testRecipient": "canary@example.com",
    }


def load(tmp_path: Path, tenant: dict[str, Any], production: bool = False):
    write(tmp_path, "t", stack({"acme": tenant}, production=production))
    (tmp_path / "Pulumi.yaml").write_text("name: logto-email\nruntime: python\n")
    return load_stack(tmp_path, "t")


def test_a_relay_tenant_loads_with_encrypted_tokens(tmp_path) -> None:
    spec = load(tmp_path, relay_tenant())
    p = spec.tenants["acme"].provider
    assert p.type == "relay" and len(p.tokens) == 2 and not p.tokens[0].known
    assert spec.tenants["acme"].factory_id == "http-email"


@pytest.mark.parametrize("change, path, words", [
    ({"endpoint": "https://relay.example.com/"}, "provider", "exactly one of endpoint"),
    ({"aws": None}, "provider", "exactly one of endpoint"),
    ({"tokens": []}, "provider.tokens", "at least 1"),
    ({"tokens": ["plain-token-123456"]}, "provider.tokens[0]", "secure"),
    ({"upstream": {"type": "smoke-signals"}}, "provider.upstream", "type"),
    ({"upstream": {"type": "mailgun", "domain": "mg.example.com"}}, "provider.upstream.apiKey", "required"),
    ({"aws": {"region": "eu-west-1", "vpcCidr": "10.0.0.0/8"}}, "provider.aws.vpcCidr", ""),
])
def test_bad_relay_settings_name_their_path(tmp_path, change, path, words) -> None:
    tenant = relay_tenant()
    tenant["provider"] = {k: v for k, v in {**tenant["provider"], **change}.items() if v is not None}
    with pytest.raises(ConfigError) as err:
        load(tmp_path, tenant)
    text = str(err.value)
    assert f"acme.{path}" in text and words in text
    assert "plain-token-123456" not in text


def test_templates_in_logto_are_refused_for_the_relay(tmp_path) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, {**relay_tenant(), "templates": {"storage": "logto"}})
    assert "templates.storage" in str(err.value)


def decrypted(**provider: Any):
    tenant = relay_tenant(**provider)
    tenant["logto"]["appSecret"] = "app-secret-1"
    tenant["provider"]["tokens"] = ["tok-new-123456", "tok-old-654321"]
    tenant["provider"]["upstream"]["apiKey"] = "SG.secret-123456"
    return spec_from_config("t", {"tenants": {"acme": tenant}}).tenants["acme"]


def test_connector_config_points_at_the_relay_with_the_first_token() -> None:
    tenant = decrypted()
    rendered = render_tenant(tenant)
    preview = build_connector_config(tenant, rendered).to_logto(reveal=True)
    assert preview == {"endpoint": GENERATED_URL, "authorization": "Bearer tok-new-123456"}
    assert placeholders_in(preview) == ["endpoint"]  # `pulumi up` must fill it before anything is pushed
    live = build_connector_config(tenant, rendered, {"relay_endpoint": "https://x.lambda-url.eu-west-1.on.aws/"})
    assert live.to_logto(reveal=True)["endpoint"] == "https://x.lambda-url.eu-west-1.on.aws/"
    local = decrypted(endpoint="http://127.0.0.1:8787/", aws=None)
    assert build_connector_config(local, rendered).to_logto(reveal=True)["endpoint"] == "http://127.0.0.1:8787/"


def test_relay_config_from_the_tenant() -> None:
    config = from_tenant(decrypted())
    assert config.authorizations == ["Bearer tok-new-123456", "Bearer tok-old-654321"]
    assert config.upstream.type == "sendgrid" and config.locales == ["en"]
    assert "tok-new" not in repr(config) and "SG.secret" not in repr(config)


def test_production_relay_on_plain_http_is_an_error(tmp_path) -> None:
    tenant = relay_tenant(endpoint="http://relay.example.com/send")
    del tenant["provider"]["aws"]
    write(tmp_path, "prod", stack({"acme": tenant}))
    (tmp_path / "Pulumi.yaml").write_text("name: logto-email\nruntime: python\n")
    spec, findings = check_stack(tmp_path, "prod")
    assert spec is not None and "LE123" in [f.code for f in findings]


def test_promote_copies_the_relays_portable_settings_and_never_a_token(tmp_path) -> None:
    from connectors.promote import plan_promotion

    dev = relay_tenant(codeTtlSeconds=900, aws={"region": "eu-west-1", "memoryMb": 512, "logRetentionDays": 7})
    prod = relay_tenant(aws={"region": "eu-central-1"})
    prod["provider"]["tokens"] = [sec("PRODTOKEN")]
    write(tmp_path, "dev", stack({"acme": dev}, production=False))
    write(tmp_path, "prod", stack({"acme": prod}))
    (tmp_path / "Pulumi.yaml").write_text("name: logto-email\nruntime: python\n")
    plan = plan_promotion(tmp_path, "dev", "prod")
    paths = {c.path for c in plan.changes}
    assert paths == {"tenants.acme.provider.codeTtlSeconds", "tenants.acme.provider.aws.memoryMb"}
