"""Each factory gets its own exact template format."""

from __future__ import annotations

import pytest

from connectors.providers import parse_config
from connectors.logto_facts import UsageType
from connectors.templates import RenderedSet, Sender, TemplateError, config_templates, email_template_rows
from connectors.templates.formats import format_address

ALL = [str(u) for u in UsageType]


def test_ses_and_aliyun_templates_are_html_without_content_type(rendered):
    for factory in ("aws-ses-mail", "aliyun-direct-mail"):
        fragment = config_templates(factory, rendered)
        assert list(fragment) == ["templates"]
        entries = fragment["templates"]
        assert [e["usageType"] for e in entries] == ALL
        for e in entries:
            assert set(e) == {"usageType", "subject", "content"}
            assert e["content"] == rendered.get("en", e["usageType"]).html


def test_smtp_uses_content_type(rendered):
    entries = config_templates("simple-mail-transfer-protocol", rendered)["templates"]
    assert [set(e) for e in entries] == [{"usageType", "contentType", "subject", "content"}] * 9
    assert {e["contentType"] for e in entries} == {"text/html"}


def test_sendgrid_uses_type_not_content_type(rendered):
    entries = config_templates("sendgrid-email-service", rendered)["templates"]
    assert [set(e) for e in entries] == [{"usageType", "type", "subject", "content"}] * 9
    assert {e["type"] for e in entries} == {"text/html"}


def test_mailgun_deliveries_carry_html_text_and_optional_reply_to(rendered):
    deliveries = config_templates("mailgun-email", rendered, locale="de")["deliveries"]
    assert list(deliveries) == ALL
    signin = deliveries["SignIn"]
    assert set(signin) == {"subject", "html", "text"}
    assert signin["text"] == rendered.get("de", "SignIn").text and "{{code}}" in signin["text"]
    with_reply = config_templates("mailgun-email", rendered, reply_to="help@acme.test")["deliveries"]
    assert {d["replyTo"] for d in with_reply.values()} == {"help@acme.test"}


def test_config_templates_are_in_one_locale(rendered):
    assert config_templates("aws-ses-mail", rendered)["templates"][0]["subject"] == rendered.get("en", "SignIn").subject
    de = config_templates("aws-ses-mail", rendered, locale="de")["templates"][0]
    assert de["subject"] == rendered.get("de", "SignIn").subject
    with pytest.raises(ValueError, match="not in the rendered set"):
        config_templates("aws-ses-mail", rendered, locale="it")


def test_postmark_gets_aliases_only(rendered):
    entries = config_templates("postmark-mail", rendered)["templates"]
    assert entries[:3] == [
        {"usageType": "SignIn", "templateAlias": "logto-sign-in"},
        {"usageType": "Register", "templateAlias": "logto-register"},
        {"usageType": "ForgotPassword", "templateAlias": "logto-forgot-password"},
    ]
    aliases = {e["usageType"]: e["templateAlias"] for e in entries}
    assert aliases["OrganizationInvitation"] == "logto-organization-invitation"
    assert aliases["UserPermissionValidation"] == "logto-user-permission-validation"
    assert aliases["MfaVerification"] == "logto-mfa-verification"
    custom = config_templates("postmark-mail", rendered, postmark_aliases={"SignIn": "acme-login"})["templates"]
    assert custom[0] == {"usageType": "SignIn", "templateAlias": "acme-login"}
    with pytest.raises(ValueError, match="Welcome"):
        config_templates("postmark-mail", rendered, postmark_aliases={"Welcome": "x"})


def test_factories_without_templates(rendered):
    assert config_templates("http-email", rendered) == {}
    assert config_templates("logto-email", rendered) == {}
    for factory in ("http-email", "logto-email", "postmark-mail"):
        assert email_template_rows(factory, rendered, Sender("a@b.test")) == []
    with pytest.raises(ValueError, match="unknown email connector factory"):
        config_templates("smtp", rendered)


SENDER = Sender(email="no-reply@acme.test", name="Acme, Inc.", reply_to="help@acme.test")


def test_rows_cover_every_locale_and_usage_type(rendered):
    rows = email_template_rows("simple-mail-transfer-protocol", rendered, SENDER)
    assert len(rows) == 63
    assert [(r["languageTag"], r["templateType"]) for r in rows[:2]] == [("en", "SignIn"), ("en", "Register")]
    assert {r["languageTag"] for r in rows} == set(rendered.locales)
    for row in rows:
        assert set(row) == {"languageTag", "templateType", "details"}
        email = rendered.get(row["languageTag"], row["templateType"])
        assert row["details"]["subject"] == email.subject and row["details"]["content"] == email.html


@pytest.mark.parametrize(("factory", "details"), [
    ("aws-ses-mail", {"subject", "content"}),
    ("aliyun-direct-mail", {"subject", "content", "sendFrom"}),
    ("sendgrid-email-service", {"subject", "content", "contentType", "sendFrom"}),
    ("simple-mail-transfer-protocol", {"subject", "content", "contentType", "replyTo", "sendFrom"}),
    ("mailgun-email", {"subject", "content", "contentType", "replyTo", "sendFrom"}),
])
def test_rows_only_carry_what_the_factory_reads(rendered, factory, details):
    rows = email_template_rows(factory, rendered, SENDER)
    assert {frozenset(r["details"]) for r in rows} == {frozenset(details)}


def test_send_from_means_a_mailbox_or_a_name(rendered):
    def send_from(factory: str, sender: Sender) -> str | None:
        return email_template_rows(factory, rendered, sender)[0]["details"].get("sendFrom")

    assert send_from("simple-mail-transfer-protocol", SENDER) == '"Acme, Inc." <no-reply@acme.test>'
    assert send_from("mailgun-email", Sender("no-reply@acme.test", "Acme")) == "Acme <no-reply@acme.test>"
    assert send_from("mailgun-email", Sender("no-reply@acme.test")) == "no-reply@acme.test"
    assert send_from("sendgrid-email-service", SENDER) == "Acme, Inc."
    assert send_from("aliyun-direct-mail", SENDER) == "Acme, Inc."
    assert send_from("sendgrid-email-service", Sender("no-reply@acme.test")) is None  # no name: nothing to send
    plain = email_template_rows("simple-mail-transfer-protocol", rendered, Sender("a@acme.test"))[0]["details"]
    assert "replyTo" not in plain


def test_format_address_quotes_when_needed():
    assert format_address("Acme", "a@b.test") == "Acme <a@b.test>"
    assert format_address('Say "hi"', "a@b.test") == '"Say \\"hi\\"" <a@b.test>'
    assert format_address("Café Ünïcode", "a@b.test") == "Café Ünïcode <a@b.test>"


def test_set_without_a_required_type_is_refused(rendered):
    partial = RenderedSet(("en",), {k: v for k, v in rendered.emails.items() if k == ("en", "SignIn")})
    with pytest.raises(TemplateError, match="Register"):
        config_templates("aws-ses-mail", partial)
    with pytest.raises(TemplateError, match="Generic"):
        email_template_rows("aws-ses-mail", partial, SENDER)


BASE_CONFIGS = {
    "aws-ses-mail": {"accessKeyId": "AKIAEXAMPLE", "accessKeySecret": "s3cret-value", "region": "eu-west-1"},
    "aliyun-direct-mail": {"accessKeyId": "LTAIexample", "accessKeySecret": "s3cret-value",
                           "accountName": "no-reply@dm.acme.test"},
    "simple-mail-transfer-protocol": {"host": "smtp.acme.test", "port": 587, "auth": {"user": "u", "pass": "p-1"},
                                      "fromEmail": "Acme <no-reply@acme.test>"},
    "sendgrid-email-service": {"apiKey": "SG.key", "fromEmail": "no-reply@acme.test"},
    "mailgun-email": {"domain": "mg.acme.test", "apiKey": "key-1", "from": "Acme <no-reply@mg.acme.test>"},
    "postmark-mail": {"serverToken": "pm-token", "fromEmail": "no-reply@acme.test"},
}


@pytest.mark.parametrize("factory", sorted(BASE_CONFIGS))
def test_fragments_pass_the_factory_models(rendered, factory):
    """The fragment completes a config the factory model (mirror of Logto's guard) accepts."""
    for locale in ("en", "ja"):
        config = {**BASE_CONFIGS[factory], **config_templates(factory, rendered, locale=locale)}
        parse_config(factory, config)


def test_one_from_formatter_for_connector_config_and_rows():
    """`Acme "Mail"` and `Jo\\Co` come out the same, valid, way in the connector config and the
    i18n rows, and parse back to the same name and address with the standard library."""
    import email.utils

    from connectors.connector_config import mailbox
    from connectors.stack.models import TenantSpec

    for name in ('Acme "Mail"', "Jo\\Co", "Acme, Inc.", "Plain", "Café Ünïcode", "a@b"):
        tenant = TenantSpec.model_validate({
            "logto": {"endpoint": "https://t.logto.app", "appId": "a", "appSecret": "s"},
            "provider": {"type": "http", "endpoint": "https://mail.example.com/send", "authorization": "x"},
            "sender": {"email": "no-reply@example.com", "name": name},
        })
        formatted = format_address(name, "no-reply@example.com")
        assert mailbox(tenant) == formatted
        assert email.utils.parseaddr(formatted) == (name, "no-reply@example.com")
    assert format_address('Acme "Mail"', "a@b.test") == '"Acme \\"Mail\\"" <a@b.test>'
    assert format_address("Jo\\Co", "a@b.test") == '"Jo\\\\Co" <a@b.test>'
