"""The stack schema: shipped stacks load; broken ones fail naming file, YAML path and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from connectors.errors import ConfigError
from connectors.stack import available_stacks, load_stack, spec_from_config
from connectors.secret import Secret

ROOT = Path(__file__).resolve().parents[2]
PLAINTEXT = "plain-text-secret-9f8e7d"

GOOD_TENANT = """
      logto:
        endpoint: https://abc123.logto.app
        appId: app
        appSecret:
          secure: v1:abc:def
      provider:
        type: smtp
        host: smtp.example.com
        port: 587
        username: u
        password:
          secure: v1:ghi:jkl
      sender:
        email: no-reply@example.com
        name: Example
"""


def write_stack(tmp_path: Path, body: str, name: str = "t") -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: logto-email\nruntime: python\n")
    (tmp_path / f"Pulumi.{name}.yaml").write_text(textwrap.dedent(body))
    return tmp_path


def stack_with(tenant_yaml: str) -> str:
    return "config:\n  logto-email:tenants:\n    acme:\n" + textwrap.indent(textwrap.dedent(tenant_yaml), "      ")


@pytest.mark.parametrize("stack", available_stacks(ROOT))
def test_shipped_stacks_load(stack):
    spec = load_stack(ROOT, stack)
    assert spec.tenants
    for tenant in spec.tenants.values():
        assert isinstance(tenant.logto.app_secret, Secret) and not tenant.logto.app_secret.known


def test_shipped_stacks_cover_several_providers_and_prod_is_production():
    dev, prod = load_stack(ROOT, "dev"), load_stack(ROOT, "prod")
    assert len({t.provider.type for t in dev.tenants.values()}) >= 4
    assert prod.production and not dev.production
    assert set(prod.tenants) <= set(dev.tenants)


def test_defaults(tmp_path):
    spec = load_stack(write_stack(tmp_path, stack_with(GOOD_TENANT)), "t")
    t = spec.tenants["acme"]
    assert spec.production is False
    assert t.locales == ["en"] and t.templates.storage == "connector" and t.allow_sign_in_breakage is False
    assert t.provider.effective_security == "starttls" and t.factory_id == "simple-mail-transfer-protocol"


BROKEN = {
    "typo in a key": (GOOD_TENANT.replace("name: Example", "nmae: Example"),
                      "tenants.acme.sender.nmae", "unknown key (did you mean 'name'?)"),
    "port as text": (GOOD_TENANT.replace("port: 587", "port: '587'"),
                     "tenants.acme.provider.port", "valid integer"),
    "port out of range": (GOOD_TENANT.replace("port: 587", "port: 70000"),
                          "tenants.acme.provider.port", "less than or equal to 65535"),
    "plain-text secret": (GOOD_TENANT.replace("password:\n          secure: v1:ghi:jkl", f"password: {PLAINTEXT}"),
                          "tenants.acme.provider.password", "pulumi config set --secret --path 'tenants.acme.provider.password'"),
    "missing secret": (GOOD_TENANT.replace("        appSecret:\n          secure: v1:abc:def\n", ""),
                       "tenants.acme.logto.appSecret", "is required"),
    "unknown provider": (GOOD_TENANT.replace("type: smtp", "type: sendgird"),
                         "tenants.acme.provider.type", "one of: aws-ses, ses-smtp, smtp"),
    "bad locale": (GOOD_TENANT + "      locales: [en, pt]\n", "tenants.acme.locales", "did you mean 'pt-PT' or 'pt-BR'?"),
    "bad sender": (GOOD_TENANT.replace("no-reply@example.com", "no-reply"), "tenants.acme.sender.email", "email address"),
    "bad endpoint": (GOOD_TENANT.replace("https://abc123.logto.app", "abc123.logto.app"), "tenants.acme.logto.endpoint", "http(s) URL"),
    "half smtp credentials": (GOOD_TENANT.replace("        username: u\n", ""), "tenants.acme.provider", "both username and password"),
    "missing template dir": (GOOD_TENANT + "      templates:\n        directory: no/such/dir\n", "tenants.acme.templates.directory", "does not exist"),
    "sender off the SES domain": ("""
      logto: {endpoint: https://a.logto.app, appId: a, appSecret: {secure: v1:x}}
      provider: {type: aws-ses, region: eu-west-1, domain: mail.example.com}
      sender: {email: no-reply@other.org}
    """, "tenants.acme.sender.email", "sending domain"),
    "two DNS choices": ("""
      logto: {endpoint: https://a.logto.app, appId: a, appSecret: {secure: v1:x}}
      provider: {type: aws-ses, region: eu-west-1, domain: mail.example.com, dns: {route53ZoneId: Z1, external: true}}
      sender: {email: no-reply@mail.example.com}
    """, "tenants.acme.provider.dns", "set only one of"),
    "bad DMARC policy": ("""
      logto: {endpoint: https://a.logto.app, appId: a, appSecret: {secure: v1:x}}
      provider: {type: aws-ses, region: eu-west-1, domain: mail.example.com, dmarc: {policy: block}}
      sender: {email: no-reply@mail.example.com}
    """, "tenants.acme.provider.dmarc.policy", "'none', 'quarantine' or 'reject'"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_stack_fails_with_a_clear_message(tmp_path, case):
    tenant, path, message = BROKEN[case]
    project = write_stack(tmp_path, stack_with(tenant))
    with pytest.raises(ConfigError) as exc:
        load_stack(project, "t")
    text = str(exc.value)
    assert "Pulumi.t.yaml" in text
    assert path in text, text
    assert message in text, text
    assert "Traceback" not in text and PLAINTEXT not in text
    assert "line " in text  # points at the YAML line


def test_every_error_is_reported_at_once(tmp_path):
    tenant = GOOD_TENANT.replace("port: 587", "port: 0").replace("name: Example", "nmae: x")
    with pytest.raises(ConfigError) as exc:
        load_stack(write_stack(tmp_path, stack_with(tenant)), "t")
    assert len(exc.value.problems) == 2


@pytest.mark.parametrize("body,message", [
    ("config:\n  logto-email:tenant: {}\n", "unknown setting (fix: use logto-email:tenants)"),
    ("config:\n  aws:region: eu-west-1\n", "declare at least one tenant"),
    ("config:\n  logto-email:tenants:\n    Bad_Key: {}\n", "lower-case letters"),
    ("config: [\n", "not valid YAML"),
    ("config:\n  logto-email:production: maybe\n  logto-email:tenants: {}\n", "must be true or false"),
])
def test_stack_level_errors(tmp_path, body, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_stack(write_stack(tmp_path, body), "t")


def test_missing_stack_file_lists_the_stacks(tmp_path):
    write_stack(tmp_path, stack_with(GOOD_TENANT), name="dev")
    with pytest.raises(ConfigError, match="stacks here: dev"):
        load_stack(tmp_path, "prod")


def test_program_mode_takes_plain_secrets():
    raw = {
        "production": "true",
        "tenants": {"acme": {
            "logto": {"endpoint": "https://a.logto.app", "appId": "a", "appSecret": "decrypted"},
            "provider": {"type": "http", "endpoint": "https://m.example.com/x", "authorization": "Bearer t"},
            "sender": {"email": "a@example.com"},
        }},
    }
    spec = spec_from_config("prod", raw)
    assert spec.production is True
    assert spec.tenants["acme"].logto.app_secret.reveal() == "decrypted"
    assert "decrypted" not in repr(spec)


def test_config_reference_is_current():
    from connectors.stack.reference_sync import BLOCK, TARGET, synced

    text = TARGET.read_text(encoding="utf-8")
    assert BLOCK.search(text), f"{TARGET.name} lost its config-reference markers"
    assert synced(text) == text, "docs/configuration.md is stale: run python -m connectors.stack.reference_sync"


def test_wrong_shapes_name_the_expected_keys_in_line_order(tmp_path):
    body = stack_with("""
      logto: https://a.logto.app
      provider: {type: http, endpoint: "https://m.example.com/x"}
      sender: no-reply@example.com
      locales: en
    """)
    with pytest.raises(ConfigError) as exc:
        load_stack(write_stack(tmp_path, body), "t")
    text = str(exc.value)
    assert "tenants.acme.logto: must be a mapping" in text and "expected keys: endpoint, appId, appSecret, resource" in text
    assert "tenants.acme.sender: must be a mapping" in text and "LogtoSpec" not in text and "SenderSpec" not in text
    assert "tenants.acme.locales: must be a list" in text
    lines = [int(p.path.split(":")[0].removeprefix("line ")) for p in exc.value.problems]
    assert lines == sorted(lines)
