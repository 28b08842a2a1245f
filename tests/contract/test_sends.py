"""Real sends: the real connector packages deliver our rendered templates to local sinks.

Each config is built through our factory models (`parse_config(...).to_logto(reveal=True)`) with
templates from `connectors.templates`, then the real `sendMessage` runs and the test checks what
arrived: recipient, sender, subject, the code filled in, the HTML/text parts the factory sends.
Expected bodies are our own `fill_placeholders` of the rendered template, so these tests also
prove that it fills placeholders exactly as connector-kit does.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from connectors.providers import parse_config
from connectors.templates import Sender, config_templates, email_template_rows, fill_placeholders
from tests.contract.samples import mailgun, postmark, rendered_set, sendgrid, ses, smtp

pytestmark = pytest.mark.contract

LOCALES = ["en", "de"]  # the default locale and one other
CODE = "123456"


def payload(locale: str, **extra: Any) -> dict[str, Any]:
    return {"code": CODE, "locale": locale, "application": {"id": "app1", "name": "Example App"}, **extra}


def logto(factory_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return parse_config(factory_id, data).to_logto(reveal=True)


def normalized(text: str | None) -> str:
    return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").strip().split("\n"))


def expected(locale: str, usage: str = "SignIn", data: dict[str, Any] | None = None):
    email = rendered_set().get(locale, usage)
    data = data or payload(locale)
    return (
        fill_placeholders(email.subject, data),
        fill_placeholders(email.html, data),
        fill_placeholders(email.text, data),
    )


def assert_code_filled(body: str) -> None:
    assert CODE in body
    assert "{{" not in body and "}}" not in body


# -- SMTP -------------------------------------------------------------------------------------------

@pytest.fixture
def smtp_config(smtp_sink):
    def build(locale: str, **overrides: Any) -> dict[str, Any]:
        data = smtp(
            host=smtp_sink.host,
            port=smtp_sink.port,
            auth={"user": smtp_sink.user, "pass": smtp_sink.password},
            fromEmail="Acme <no-reply@acme.example>",
            replyTo="help@acme.example",
            customHeaders={"X-Tenant": "acme", "X-Tags": ["a", "b"]},
            **config_templates("simple-mail-transfer-protocol", rendered_set(), locale=locale),
        )
        data.update(overrides)
        return logto("simple-mail-transfer-protocol", data)

    return build


@pytest.mark.parametrize("locale", LOCALES)
def test_smtp_delivers_rendered_signin(connector_runtime, smtp_sink, smtp_config, locale: str) -> None:
    to = f"smtp-signin-{locale}@example.test"
    result = connector_runtime.send(
        "simple-mail-transfer-protocol", smtp_config(locale), to=to, type="SignIn", payload=payload(locale)
    )
    assert result.ok, (result.code, result.message)
    mail = smtp_sink.received_by(to)
    subject, html, _ = expected(locale)
    assert mail.auth_user == smtp_sink.user  # the sink refuses mail without AUTH
    assert mail.rcpt_tos == [to] and mail.to == to
    assert mail.from_ == "Acme <no-reply@acme.example>"
    assert mail.header("Reply-To") == "help@acme.example"
    assert mail.header("X-Tenant") == "acme"
    assert mail.subject == subject
    assert normalized(mail.html) == normalized(html)
    assert_code_filled(mail.html)
    assert mail.text is None  # SMTP config templates carry one content type each: ours are HTML


def test_smtp_wrong_password_is_a_general_error(connector_runtime, smtp_sink, smtp_config) -> None:
    config = smtp_config("en", auth={"user": smtp_sink.user, "pass": "not-the-password"})
    result = connector_runtime.send(
        "simple-mail-transfer-protocol", config, to="smtp-wrong@example.test", type="SignIn", payload=payload("en")
    )
    assert not result.ok and result.code == "general"
    assert "535" in result.data["message"]
    assert "not-the-password" not in json.dumps(result.data) + (result.message or "")


def test_smtp_uses_logto_i18n_rows_before_config_templates(connector_runtime, smtp_sink, smtp_config) -> None:
    """Our `/api/email-templates` rows, served through getI18nEmailTemplate, win over config templates."""
    sender = Sender(email="no-reply@acme.example", name="Acme, Inc.", reply_to="support@acme.example")
    rows = email_template_rows("simple-mail-transfer-protocol", rendered_set(), sender)
    i18n = {(r["templateType"], r["languageTag"]): r["details"] for r in rows}
    to = "smtp-i18n-de@example.test"
    result = connector_runtime.send(
        "simple-mail-transfer-protocol", smtp_config("en"), to=to, type="SignIn", payload=payload("de"),
        i18n_templates=i18n, fallback_language="en",
    )
    assert result.ok, (result.code, result.message)
    mail = smtp_sink.received_by(to)
    subject, html, _ = expected("de")
    assert mail.subject == subject
    assert normalized(mail.html) == normalized(html)
    assert mail.from_ == '"Acme, Inc." <no-reply@acme.example>'  # sendFrom replaces the whole From
    assert mail.header("Reply-To") == "support@acme.example"


def test_i18n_lookup_order_matches_logto(connector_runtime, smtp_sink, smtp_config) -> None:
    """(type, locale) -> (type, fallback) -> (Generic, fallback) -> config templates."""
    def row(tag: str) -> dict[str, str]:
        return {"subject": f"row {tag}", "content": f"<p>{tag} {{{{code}}}}</p>", "contentType": "text/html"}

    i18n = {("SignIn", "de"): row("SignIn/de"), ("SignIn", "fr"): row("SignIn/fr"), ("Generic", "fr"): row("Generic/fr")}
    cases = [
        ("SignIn", "de", "row SignIn/de"),  # exact
        ("SignIn", "ja", "row SignIn/fr"),  # type in the fallback language
        ("Register", "de", "row Generic/fr"),  # Generic in the fallback language beats config Register
    ]
    for usage, locale, subject in cases:
        to = f"smtp-lookup-{usage}-{locale}@example.test".lower()
        result = connector_runtime.send(
            "simple-mail-transfer-protocol", smtp_config("en"), to=to, type=usage, payload=payload(locale),
            i18n_templates=i18n, fallback_language="fr",
        )
        assert result.ok, (result.code, result.message)
        assert smtp_sink.received_by(to).subject == subject
    to = "smtp-lookup-none@example.test"
    result = connector_runtime.send(
        "simple-mail-transfer-protocol", smtp_config("en"), to=to, type="Register", payload=payload("de"),
        i18n_templates={("SignIn", "de"): row("x")}, fallback_language="en",
    )
    assert result.ok
    assert smtp_sink.received_by(to).subject == expected("en", "Register")[0]


def test_smtp_organization_invitation_fills_link_and_names(connector_runtime, smtp_sink, smtp_config) -> None:
    data = {
        "link": "https://app.example.com/invite?token=abc",
        "locale": "en",
        "organization": {"id": "org1", "name": "Northwind"},
        "inviter": {"id": "u1", "name": "Ada"},
    }
    to = "smtp-invite@example.test"
    result = connector_runtime.send(
        "simple-mail-transfer-protocol", smtp_config("en"), to=to, type="OrganizationInvitation", payload=data
    )
    assert result.ok, (result.code, result.message)
    mail = smtp_sink.received_by(to)
    subject, html, _ = expected("en", "OrganizationInvitation", data)
    assert mail.subject == subject
    assert normalized(mail.html) == normalized(html)
    assert 'href="https://app.example.com/invite?token=abc"' in mail.html


# -- HTTP email -------------------------------------------------------------------------------------

def test_http_email_posts_logto_json(connector_runtime, http_recorder) -> None:
    config = logto("http-email", {"endpoint": http_recorder.url("/logto/email"), "authorization": "Bearer t0k3n"})
    data = payload("de")
    result = connector_runtime.send("http-email", config, to="http@example.test", type="SignIn", payload=data,
                                    ip="203.0.113.7")
    assert result.ok, (result.code, result.message)
    request = http_recorder.requests[-1]
    assert (request.method, request.path) == ("POST", "/logto/email")
    assert request.headers["authorization"] == "Bearer t0k3n"  # verbatim, no prefix added
    assert request.headers["content-type"].startswith("application/json")
    assert request.json == {"to": "http@example.test", "type": "SignIn", "payload": data, "ip": "203.0.113.7"}


def test_http_email_without_authorization_and_error_reply(connector_runtime, http_recorder) -> None:
    config = logto("http-email", {"endpoint": http_recorder.url("/send")})
    http_recorder.reply(503, "mail relay down")
    result = connector_runtime.send("http-email", config, to="http2@example.test", type="Generic",
                                    payload={"code": "000000"})
    assert not result.ok and result.code == "general"
    assert result.data == {"message": "mail relay down"}
    request = http_recorder.requests[-1]
    assert "authorization" not in request.headers
    assert request.json == {"to": "http2@example.test", "type": "Generic", "payload": {"code": "000000"}}


# -- Mailgun (HTTP sink at http://127.0.0.1:<port>/.mailgun.net) -----------------------------------

def _basic_auth(request) -> str:
    scheme, _, value = request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(value).decode()


@pytest.mark.parametrize("locale", LOCALES)
def test_mailgun_html_delivery(connector_runtime, http_recorder, locale: str) -> None:
    templates = config_templates("mailgun-email", rendered_set(), locale=locale, reply_to="help@acme.example")
    config = logto("mailgun-email", mailgun(endpoint=http_recorder.url("/.mailgun.net"), domain="mg.acme.example",
                                            apiKey="mg-key-123", **templates))
    to = f"mailgun-{locale}@example.test"
    result = connector_runtime.send("mailgun-email", config, to=to, type="SignIn", payload=payload(locale))
    assert result.ok, (result.code, result.data)
    request = http_recorder.requests[-1]
    assert (request.method, request.path) == ("POST", "/v3/mg.acme.example/messages")
    assert _basic_auth(request) == "api:mg-key-123"
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    subject, html, text = expected(locale)
    assert request.form_value("from") == "Acme <no-reply@mg.example.com>"
    assert request.form_value("to") == to
    assert request.form_value("subject") == subject
    assert request.form_value("h:Reply-To") == "help@acme.example"
    assert request.form_value("html") == html
    assert request.form_value("text") == text
    assert_code_filled(request.form_value("html"))
    assert_code_filled(request.form_value("text"))


def test_mailgun_template_delivery_passes_payload_as_variables(connector_runtime, http_recorder) -> None:
    deliveries = {u: {"template": f"logto-{u.lower()}", "variables": {"brand": "Acme", "code": "overridden"}}
                  for u in ("SignIn", "Register", "ForgotPassword", "Generic")}
    config = logto("mailgun-email", mailgun(endpoint=http_recorder.url("/x.mailgun.net"), deliveries=deliveries))
    result = connector_runtime.send("mailgun-email", config, to="mg-tpl@example.test", type="MfaVerification",
                                    payload=payload("en"))
    assert result.ok, (result.code, result.data)
    request = http_recorder.requests[-1]
    assert request.form_value("template") == "logto-generic"  # no MfaVerification delivery: Generic
    variables = json.loads(request.form_value("h:X-Mailgun-Variables"))
    assert variables["brand"] == "Acme" and variables["code"] == CODE  # payload wins over variables


def test_mailgun_error_reply_is_general_with_status(connector_runtime, http_recorder) -> None:
    config = logto("mailgun-email", mailgun(endpoint=http_recorder.url("/.mailgun.net")))
    http_recorder.reply(401, "Forbidden")
    result = connector_runtime.send("mailgun-email", config, to="mg-401@example.test", type="SignIn",
                                    payload=payload("en"))
    assert not result.ok and result.code == "general"
    assert result.data == {"statusCode": 401, "body": "Forbidden"}


# -- AWS SES (moto server) --------------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_ses_delivers_rendered_signin(connector_runtime, moto_ses, locale: str) -> None:
    moto_ses.verify_identity("acme.example")
    config = logto("aws-ses-mail", ses(
        accessKeyId=moto_ses.access_key_id, accessKeySecret=moto_ses.secret_access_key, region=moto_ses.region,
        emailAddress="no-reply@acme.example", **config_templates("aws-ses-mail", rendered_set(), locale=locale),
    ))
    to = f"ses-{locale}@example.test"
    result = connector_runtime.send("aws-ses-mail", config, to=to, type="SignIn", payload=payload(locale),
                                    env=moto_ses.node_env)
    assert result.ok, (result.code, result.data)
    [message] = moto_ses.sent_to(to)
    subject, html, _ = expected(locale)
    assert message.source == "no-reply@acme.example"
    assert message.subject == subject
    assert message.body == html  # SES: Body.Html only
    assert_code_filled(message.body)


def test_ses_unverified_sender_is_invalid_response(connector_runtime, moto_ses) -> None:
    config = logto("aws-ses-mail", ses(
        accessKeyId=moto_ses.access_key_id, accessKeySecret=moto_ses.secret_access_key, region=moto_ses.region,
        emailAddress="no-reply@unverified.example",
    ))
    result = connector_runtime.send("aws-ses-mail", config, to="ses-unverified@example.test", type="SignIn",
                                    payload=payload("en"), env=moto_ses.node_env)
    assert not result.ok and result.code == "invalid_response"
    assert "not verified" in result.data["message"]


# -- SendGrid, Postmark, Aliyun DM (hard-coded endpoints, intercepted inside Node) ------------------

def _recorded(runtime, host: str) -> list[dict[str, Any]]:
    return [r for r in runtime.intercepted() if r["host"] == host]


@pytest.mark.parametrize("locale", LOCALES)
def test_sendgrid_request(connector_runtime, locale: str) -> None:
    host = "https://api.sendgrid.com"
    connector_runtime.intercept(host, status=202)
    connector_runtime.intercepted(clear=True)
    config = logto("sendgrid-email-service", sendgrid(
        apiKey="SG.contract-key", fromName="Acme",
        **config_templates("sendgrid-email-service", rendered_set(), locale=locale),
    ))
    to = f"sendgrid-{locale}@example.test"
    result = connector_runtime.send("sendgrid-email-service", config, to=to, type="SignIn", payload=payload(locale))
    assert result.ok, (result.code, result.data)
    [request] = _recorded(connector_runtime, host)
    subject, html, _ = expected(locale)
    assert (request["method"], request["path"]) == ("POST", "/v3/mail/send")
    assert request["headers"]["authorization"] == "Bearer SG.contract-key"
    assert request["json"] == {
        "personalizations": [{"to": [{"email": to}]}],
        "from": {"email": "no-reply@example.com", "name": "Acme"},
        "subject": subject,
        "content": [{"type": "text/html", "value": html}],
    }


def test_sendgrid_error_reply(connector_runtime) -> None:
    host = "https://api.sendgrid.com"
    connector_runtime.intercept(host, status=401, body={"errors": [{"message": "bad key", "field": None}]})
    try:
        result = connector_runtime.send("sendgrid-email-service", logto("sendgrid-email-service", sendgrid()),
                                        to="sg-401@example.test", type="SignIn", payload=payload("en"))
    finally:
        connector_runtime.intercept(host, status=202)
    assert not result.ok and result.code == "general"
    assert "bad key" in result.data["message"]


def test_postmark_request(connector_runtime) -> None:
    host = "https://api.postmarkapp.com"
    connector_runtime.intercept(host)
    connector_runtime.intercepted(clear=True)
    config = logto("postmark-mail", postmark(
        serverToken="pm-token", **config_templates("postmark-mail", rendered_set())))
    data = payload("de")
    result = connector_runtime.send("postmark-mail", config, to="pm@example.test", type="SignIn", payload=data)
    assert result.ok, (result.code, result.data)
    [request] = _recorded(connector_runtime, host)
    assert request["path"] == "/email/withTemplate"
    assert request["headers"]["x-postmark-server-token"] == "pm-token"
    body = request["json"]
    assert body["From"] == "no-reply@example.com" and body["To"] == "pm@example.test"
    assert body["TemplateAlias"] == "logto-sign-in"
    assert body["TemplateModel"] == data


@pytest.mark.parametrize("region,host", [(None, "https://dm.aliyuncs.com"),
                                         ("eu-central-1", "https://dm.eu-central-1.aliyuncs.com")])
def test_aliyun_request(connector_runtime, region: str | None, host: str) -> None:
    connector_runtime.intercept(host)
    connector_runtime.intercepted(clear=True)
    extra = {"regionId": region} if region else {}
    config = logto("aliyun-direct-mail", {
        "accessKeyId": "LTAIcontract", "accessKeySecret": "aliyun-contract-secret",
        "accountName": "no-reply@dm.acme.example", "fromAlias": "Acme", **extra,
        **config_templates("aliyun-direct-mail", rendered_set(), locale="de"),
    })
    result = connector_runtime.send("aliyun-direct-mail", config, to="ali@example.test", type="SignIn",
                                    payload=payload("de"))
    assert result.ok, (result.code, result.data)
    [request] = _recorded(connector_runtime, host)
    form = request["form"]
    subject, html, _ = expected("de")
    assert form["Action"] == "SingleSendMail" and form["AccessKeyId"] == "LTAIcontract"
    assert form["AccountName"] == "no-reply@dm.acme.example" and form["ToAddress"] == "ali@example.test"
    assert form["FromAlias"] == "Acme" and form["RegionId"] == (region or "cn-hangzhou")
    assert form["Subject"] == subject and form["HtmlBody"] == html
    assert form["Signature"] and "aliyun-contract-secret" not in request["body"]


def test_logto_email_needs_logto_cloud(connector_runtime) -> None:
    config = logto("logto-email", {"senderName": "Acme"})
    result = connector_runtime.send("logto-email", config, to="cloud@example.test", type="SignIn",
                                    payload=payload("en"))
    assert not result.ok and result.code == "not_implemented"


# -- Logto i18n rows (PUT /api/email-templates) as each real connector reads them --------------------

SENDER = Sender(email="no-reply@acme.example", name="Acme Team", reply_to="support@acme.example")


def i18n_rows(factory_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    rows = email_template_rows(factory_id, rendered_set(), SENDER)
    return {(r["templateType"], r["languageTag"]): r["details"] for r in rows}


def test_i18n_rows_only_for_factories_that_read_them() -> None:
    for factory_id in ("postmark-mail", "http-email", "logto-email"):
        assert email_template_rows(factory_id, rendered_set(), SENDER) == []


def test_ses_reads_i18n_rows(connector_runtime, moto_ses) -> None:
    moto_ses.verify_identity("acme.example")
    config = logto("aws-ses-mail", ses(accessKeyId=moto_ses.access_key_id, accessKeySecret=moto_ses.secret_access_key,
                                       region=moto_ses.region, emailAddress="Acme Team <no-reply@acme.example>"))
    to = "ses-i18n@example.test"
    result = connector_runtime.send("aws-ses-mail", config, to=to, type="SignIn", payload=payload("de"),
                                    i18n_templates=i18n_rows("aws-ses-mail"), env=moto_ses.node_env)
    assert result.ok, (result.code, result.data)
    [message] = moto_ses.sent_to(to)
    subject, html, _ = expected("de")
    assert (message.source, message.subject, message.body) == ("Acme Team <no-reply@acme.example>", subject, html)


def test_mailgun_reads_i18n_rows(connector_runtime, http_recorder) -> None:
    config = logto("mailgun-email", mailgun(endpoint=http_recorder.url("/.mailgun.net")))
    result = connector_runtime.send("mailgun-email", config, to="mg-i18n@example.test", type="SignIn",
                                    payload=payload("de"), i18n_templates=i18n_rows("mailgun-email"))
    assert result.ok, (result.code, result.data)
    request = http_recorder.requests[-1]
    subject, html, _ = expected("de")
    assert request.form_value("from") == "Acme Team <no-reply@acme.example>"  # sendFrom overrides config from
    assert request.form_value("subject") == subject
    assert request.form_value("html") == html
    assert request.form_value("text") is None  # contentType text/html: html only
    assert request.form_value("h:Reply-To") == "support@acme.example"


def test_sendgrid_reads_i18n_rows(connector_runtime) -> None:
    host = "https://api.sendgrid.com"
    connector_runtime.intercept(host, status=202)
    connector_runtime.intercepted(clear=True)
    config = logto("sendgrid-email-service", sendgrid(fromEmail="no-reply@acme.example"))
    result = connector_runtime.send("sendgrid-email-service", config, to="sg-i18n@example.test", type="SignIn",
                                    payload=payload("de"), i18n_templates=i18n_rows("sendgrid-email-service"))
    assert result.ok, (result.code, result.data)
    [request] = _recorded(connector_runtime, host)
    subject, html, _ = expected("de")
    assert request["json"]["from"] == {"email": "no-reply@acme.example", "name": "Acme Team"}  # sendFrom = name
    assert request["json"]["subject"] == subject
    assert request["json"]["content"] == [{"type": "text/html", "value": html}]


def test_aliyun_reads_i18n_rows(connector_runtime) -> None:
    host = "https://dm.aliyuncs.com"
    connector_runtime.intercept(host)
    connector_runtime.intercepted(clear=True)
    config = logto("aliyun-direct-mail", {
        "accessKeyId": "LTAIcontract", "accessKeySecret": "aliyun-contract-secret",
        "accountName": "no-reply@dm.acme.example", "fromAlias": "Config Alias",
        **config_templates("aliyun-direct-mail", rendered_set(), locale="en"),
    })
    result = connector_runtime.send("aliyun-direct-mail", config, to="ali-i18n@example.test", type="SignIn",
                                    payload=payload("de"), i18n_templates=i18n_rows("aliyun-direct-mail"))
    assert result.ok, (result.code, result.data)
    [request] = _recorded(connector_runtime, host)
    subject, html, _ = expected("de")
    assert request["form"]["FromAlias"] == "Acme Team"  # sendFrom = display name
    assert (request["form"]["Subject"], request["form"]["HtmlBody"]) == (subject, html)
