"""spec + rendered templates (+ provider outputs) → the factory model."""

from __future__ import annotations

from pathlib import Path

from connectors.connector_config import GENERATED, build_connector_config, mailbox, placeholders_in, render_tenant
from connectors.secret import SECRET_MARKER, Secret
from connectors.stack import load_stack

ROOT = Path(__file__).resolve().parents[2]
dev = load_stack(ROOT, "dev")


def test_ses_config_without_provider_outputs_names_its_placeholders():
    shop = dev.tenants["shop"]
    payload = build_connector_config(shop, render_tenant(shop, ROOT)).to_logto(reveal=True)
    assert payload["accessKeyId"] == GENERATED and payload["accessKeySecret"] == SECRET_MARKER
    assert placeholders_in(payload) == ["accessKeyId", "accessKeySecret"]


def test_ses_config_with_provider_outputs_is_complete():
    shop = dev.tenants["shop"]
    generated = {"access_key_id": "AKIDEXAMPLE", "secret_access_key": Secret("k3y"), "configuration_set_name": "shop-logto-email"}
    payload = build_connector_config(shop, render_tenant(shop, ROOT), generated).to_logto(reveal=True)
    assert placeholders_in(payload) == []
    assert payload["accessKeySecret"] == "k3y" and payload["configurationSetName"] == "shop-logto-email"
    assert payload["emailAddress"] == "Shop <no-reply@mail.dev.shop.example.com>"


def test_smtp_security_and_mailgun_region():
    internal = dev.tenants["internal"]
    smtp = build_connector_config(internal, render_tenant(internal, ROOT)).to_logto()
    assert smtp["requireTLS"] is True and "secure" not in smtp
    partners = dev.tenants["partners"]
    mg = build_connector_config(partners, render_tenant(partners, ROOT)).to_logto()
    assert mg["endpoint"] == "https://api.eu.mailgun.net" and set(mg["deliveries"]) >= {"SignIn", "Register", "ForgotPassword", "Generic"}


def test_display_names_with_specials_are_quoted():
    from connectors.stack.models import TenantSpec

    t = TenantSpec.model_validate({
        "logto": {"endpoint": "https://a.logto.app", "appId": "a", "appSecret": "s"},
        "provider": {"type": "http", "endpoint": "https://m.example.com/x"},
        "sender": {"email": "a@example.com", "name": "Acme, Inc."},
    })
    assert mailbox(t) == '"Acme, Inc." <a@example.com>'


def test_equal_branding_and_locales_render_once_and_a_changed_override_renders_again(tmp_path):
    from connectors import connector_config
    from connectors.templates import render_all

    shop = dev.tenants["shop"]
    twin = shop.model_copy(update={"logto": shop.logto.model_copy(update={"endpoint": "https://othertenant.logto.app"})})
    first = render_tenant(shop, ROOT)
    assert render_tenant(twin, ROOT) is first  # shared, not rendered again
    assert first == render_all(connector_config.template_branding(shop), shop.locales)  # and the same output
    other = shop.model_copy(update={"locales": ["en"]})
    assert render_tenant(other, ROOT) is not first

    (tmp_path / "mail").mkdir()
    subject = tmp_path / "mail" / "SignIn.subject"
    subject.write_text("Your code v1", encoding="utf-8")
    with_dir = shop.model_copy(update={"templates": shop.templates.model_copy(update={"directory": "mail"})})
    v1 = render_tenant(with_dir, tmp_path)
    assert v1.get("en", "SignIn").subject.startswith("Your code v1")
    subject.write_text("Your code v2, longer", encoding="utf-8")
    v2 = render_tenant(with_dir, tmp_path)
    assert v2 is not v1 and v2.get("en", "SignIn").subject.startswith("Your code v2")


def test_a_different_code_lifetime_is_a_different_rendering():
    shop = dev.tenants["shop"]
    sie = shop.sign_in_experience
    assert sie is not None
    from connectors.stack.models import VerificationCodePolicySpec

    policy = VerificationCodePolicySpec.model_validate({"expirationDuration": 1800})
    longer = shop.model_copy(update={"sign_in_experience": sie.model_copy(update={"verification_code_policy": policy})})
    assert longer.sign_in_experience.code_lifetime_seconds == 1800 != shop.sign_in_experience.code_lifetime_seconds
    assert render_tenant(longer, ROOT) is not render_tenant(shop, ROOT)
    assert render_tenant(longer, ROOT) != render_tenant(shop, ROOT)
