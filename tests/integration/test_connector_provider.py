"""The dynamic provider itself: check, diff, outputs and secrets, dill round-trip, registration."""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from connectors.logto.token import TOKENS
from infra.connector import (
    LogtoEmailConnectorProvider,
    config_hash,
    diff_summary,
    pulumi_id,
    unwrap,
)
from tests.integration.deploy_support import HTTP_AUTH_SECRET, http_config

APP_SECRET = "app-secret-3e3e3e3e"
SMTP_TEMPLATES = [
    {"usageType": u, "contentType": "text/plain", "subject": f"{u} code", "content": "Code {{code}}"}
    for u in ("SignIn", "Register", "ForgotPassword", "Generic")
]


def inputs(**over):
    props = {
        "endpoint": "https://ab12cd.logto.app/",
        "app_id": "m2m-app",
        "app_secret": APP_SECRET,
        "factory_id": "http-email",
        "config": {"endpoint": "https://hooks.example.com/logto", "authorization": HTTP_AUTH_SECRET},
    }
    props.update(over)
    return props


def failures(props):
    return {f.property: f.reason for f in LogtoEmailConnectorProvider().check({}, props).failures}


def test_check_accepts_and_normalises():
    result = LogtoEmailConnectorProvider().check({}, inputs())
    assert result.failures == []
    assert result.inputs["endpoint"] == "https://ab12cd.logto.app"
    assert "allow_sign_in_breakage" not in result.inputs  # false is the default: left out of the state


def test_check_reports_missing_and_bad_fields_without_values():
    got = failures({"endpoint": "http://auth.example.com", "config": "nope", "test_recipient": "not-an-email",
                    "allow_sign_in_breakage": "yes"})
    assert set(got) == {"endpoint", "app_id", "app_secret", "factory_id", "config", "test_recipient", "allow_sign_in_breakage"}
    assert "refusing plain http" in got["endpoint"]


def test_check_validates_config_with_the_factory_model():
    got = failures(inputs(config={"endpoint": "https://x.example.com", "authorization": HTTP_AUTH_SECRET, "typo": 1}))
    assert "config" in got and "typo" in got["config"]
    assert HTTP_AUTH_SECRET not in repr(got)
    assert "factory_id" not in failures(inputs(factory_id="nope")) and "config" in failures(inputs(factory_id="nope"))


def test_check_skips_unknowns_during_preview():
    assert failures(inputs(config=rpc.UNKNOWN, endpoint=rpc.UNKNOWN)) == {}


def test_diff_is_in_place_for_config_and_masks_secrets():
    olds = {**inputs(), "endpoint": "https://ab12cd.logto.app", "resource": "https://ab12cd.logto.app/api",
            "connector_id": "c1", "config_hash": "h", "allow_sign_in_breakage": False}
    olds["config"] = rpc.wrap_rpc_secret(olds["config"])
    news = LogtoEmailConnectorProvider().check(olds, inputs(
        factory_id="simple-mail-transfer-protocol",
        config={"host": "smtp.example.com", "port": 587, "auth": {"user": "u", "pass": "smtp-pass-4242"},
                "fromEmail": "a@example.com",
                "templates": SMTP_TEMPLATES},
        app_secret="rotated-app-secret-1")).inputs
    d = LogtoEmailConnectorProvider().diff("id", olds, news)
    assert d.changes is True and d.replaces == []
    changed, summary = diff_summary(olds, news)
    assert changed == ["app_secret", "factory_id", "config"]
    assert "factory_id: http-email → simple-mail-transfer-protocol" in summary
    assert "-authorization (secret)" in summary and "+auth" in summary
    for secret in (APP_SECRET, "rotated-app-secret-1", HTTP_AUTH_SECRET, "smtp-pass-4242"):
        assert secret not in summary


def test_diff_no_change_and_tenant_change_replaces():
    olds = {**inputs(), "endpoint": "https://ab12cd.logto.app", "resource": "https://ab12cd.logto.app/api",
            "allow_sign_in_breakage": False, "connector_id": "c1"}
    news = LogtoEmailConnectorProvider().check(olds, inputs()).inputs
    assert LogtoEmailConnectorProvider().diff("id", olds, news).changes is False
    other = LogtoEmailConnectorProvider().check(olds, inputs(endpoint="https://zz99.logto.app")).inputs
    d = LogtoEmailConnectorProvider().diff("id", olds, other)
    assert d.changes is True and d.replaces == ["endpoint"]


def test_id_is_stable_per_tenant_and_hash_is_keyed():
    assert pulumi_id("https://a.logto.app/", "r") == pulumi_id("https://a.logto.app", "r")
    assert pulumi_id("https://a.logto.app", "r") != pulumi_id("https://b.logto.app", "r")
    cfg = {"endpoint": "https://x", "authorization": HTTP_AUTH_SECRET, "empty": ""}
    assert config_hash("k1", cfg) == config_hash("k1", {"endpoint": "https://x", "authorization": HTTP_AUTH_SECRET})
    assert config_hash("k1", cfg) != config_hash("k2", cfg)
    import hashlib
    import json

    plain = hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()
    assert plain not in config_hash("k1", cfg)


@pytest.mark.integration
def test_outputs_hold_secrets_only_under_app_secret_and_config(logto_target, http_recorder, caplog):
    TOKENS.clear()
    provider = LogtoEmailConnectorProvider()
    props = provider.check({}, {
        "endpoint": logto_target.endpoint, "resource": logto_target.resource, "app_id": logto_target.app_id,
        "app_secret": logto_target.app_secret, "factory_id": "http-email", "config": http_config(http_recorder),
    }).inputs
    created = provider.create(props)
    outs = created.outs
    assert rpc.is_rpc_secret(outs["app_secret"]) and rpc.is_rpc_secret(outs["config"])
    public = {k: v for k, v in outs.items() if k not in ("app_secret", "config")}
    for secret in (logto_target.app_secret, HTTP_AUTH_SECRET):
        assert secret not in repr(public) and secret not in caplog.text
    assert set(outs) >= {"endpoint", "resource", "app_id", "factory_id", "connector_id", "config_hash", "test_recipient"}
    # no copy of what diff, read and delete do not need (the state stays small); flags only when set
    assert not set(outs) & {"source", "credential_wait", "allow_sign_in_breakage", "allow_untested_changes"}
    assert created.id == pulumi_id(logto_target.endpoint, logto_target.resource)
    # update, read and delete work from the stored outputs alone.
    assert provider.read(created.id, outs).id == created.id
    news = provider.check(outs, {**unwrap(outs), "config": http_config(http_recorder, path="/v2")}).inputs
    updated = provider.update(created.id, outs, news).outs
    assert unwrap(updated)["connector_id"] == unwrap(outs)["connector_id"]
    assert unwrap(updated)["config_hash"] != unwrap(outs)["config_hash"]
    provider.delete(created.id, updated)
    assert provider.read(created.id, updated).id == ""


def test_provider_survives_dill_round_trip_in_a_fresh_interpreter(tmp_path):
    blob = serialize_provider(LogtoEmailConnectorProvider())
    assert APP_SECRET not in base64.b64decode(blob).decode("latin-1")
    script = textwrap.dedent(
        f"""
        import base64, dill, sys
        provider = dill.loads(base64.b64decode({blob!r}))
        result = provider.check({{}}, {{"endpoint": "http://example.com", "app_id": "a", "app_secret": "s",
                                      "factory_id": "http-email", "config": {{"endpoint": "https://x.example.com"}}}})
        print(type(provider).__module__, sorted(f.property for f in result.failures))
        print(vars(provider))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["infra.connector ['endpoint']", "{}"]


@pytest.mark.program
def test_resource_registers_with_secret_outputs():
    """Under pulumi mocks: the resource's type, and app_secret/config marked secret."""
    import pulumi

    seen = {}

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args):
            seen["type"] = args.typ
            seen["inputs"] = args.inputs
            return "logto-email-connector-x", {**args.inputs, "connector_id": "c1"}

        def call(self, args):
            return {}

    pulumi.runtime.set_mocks(Mocks(), preview=False)
    from infra.connector import LogtoEmailConnector

    res = LogtoEmailConnector(
        "email", endpoint="https://ab12cd.logto.app", app_id="a", app_secret=APP_SECRET,
        factory_id="http-email", config={"endpoint": "https://x.example.com", "authorization": HTTP_AUTH_SECRET},
    )
    async def is_secret(output):
        return await output.is_secret()

    import asyncio

    loop = asyncio.get_event_loop()
    assert loop.run_until_complete(is_secret(res.app_secret))  # type: ignore[attr-defined]
    assert loop.run_until_complete(is_secret(res.config))  # type: ignore[attr-defined]
    assert seen["type"] == "pulumi-python:dynamic/logto:EmailConnector"
