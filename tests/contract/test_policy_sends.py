"""The templates this policy work changed, sent through the real connector packages.

Code emails rendered for a declared lifetime in several locales, and the invitation with and
without an organization logo, go through the real SMTP connector (config templates) and the
real SES connector (Logto's i18n rows) to real local sinks; what arrives must state the
declared lifetime in the locale's words, carry the code, and leave no placeholder behind.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pytest

from connectors.providers import parse_config
from connectors.templates import Branding, Sender, config_templates, email_template_rows, fill_placeholders, render_all
from tests.contract.samples import ses, smtp

pytestmark = pytest.mark.contract

CODE = "271828"
LIFETIMES = {  # seconds -> what each locale must say
    90: {"en": "90 seconds", "de": "90 Sekunden", "ja": "90秒", "pt-BR": "90 segundos"},
    60: {"en": "1 minute.", "de": "1 Minute lang", "ja": "1分", "pt-BR": "1 minuto."},
    1800: {"en": "30 minutes", "de": "30 Minuten", "ja": "30分", "pt-BR": "30 minutos"},
}
LOCALES = ["en", "de", "ja", "pt-BR"]


@lru_cache(maxsize=4)
def rendered(seconds: int):
    return render_all(Branding(product_name="Acme", primary_color="#0F766E"), LOCALES, code_lifetime_seconds=seconds)


def smtp_config(sink: Any, seconds: int, locale: str) -> dict[str, Any]:
    data = smtp(host=sink.host, port=sink.port, auth={"user": sink.user, "pass": sink.password},
                fromEmail="Acme <no-reply@acme.example>", **config_templates("simple-mail-transfer-protocol", rendered(seconds), locale=locale))
    return parse_config("simple-mail-transfer-protocol", data).to_logto(reveal=True)


@pytest.mark.parametrize("seconds", sorted(LIFETIMES))
@pytest.mark.parametrize("usage", ["SignIn", "MfaVerification", "BindMfa", "BindNewIdentifier"])
def test_smtp_sends_the_declared_lifetime_in_each_locale(connector_runtime, smtp_sink, seconds, usage):
    for locale in LOCALES:
        to = f"life-{seconds}-{usage}-{locale}@example.test".lower()
        payload = {"code": CODE, "locale": locale, "application": {"id": "a1", "name": "Shop"}}
        result = connector_runtime.send("simple-mail-transfer-protocol", smtp_config(smtp_sink, seconds, locale),
                                        to=to, type=usage, payload=payload)
        assert result.ok, (result.code, result.message)
        mail = smtp_sink.received_by(to)
        email = rendered(seconds).get(locale, usage)
        assert mail.subject == fill_placeholders(email.subject, payload)
        assert CODE in mail.html and "{{" not in mail.html
        assert LIFETIMES[seconds][locale] in mail.html, (locale, usage)
        others = [w for s, words in LIFETIMES.items() if s != seconds for w in [words[locale]]]
        assert not any(w in mail.html for w in others)


def test_ses_sends_the_lifetime_from_logtos_i18n_rows(connector_runtime, moto_ses):
    moto_ses.verify_identity("acme.example")
    rows = email_template_rows("aws-ses-mail", rendered(1800), Sender(email="no-reply@acme.example", name="Acme"))
    i18n = {(r["templateType"], r["languageTag"]): r["details"] for r in rows}
    config = parse_config("aws-ses-mail", ses(
        accessKeyId=moto_ses.access_key_id, accessKeySecret=moto_ses.secret_access_key, region=moto_ses.region,
        emailAddress="no-reply@acme.example", **config_templates("aws-ses-mail", rendered(1800), locale="en"),
    )).to_logto(reveal=True)
    to = "ses-life-de@example.test"
    result = connector_runtime.send("aws-ses-mail", config, to=to, type="SignIn", payload={"code": CODE, "locale": "de"},
                                    i18n_templates=i18n, fallback_language="en", env=moto_ses.node_env)
    assert result.ok, (result.code, result.data)
    [message] = moto_ses.sent_to(to)
    assert "30 Minuten" in message.body and CODE in message.body and "{{" not in message.body


@pytest.mark.parametrize("logo", [None, "https://cdn.northwind.example/logo.png"])
def test_smtp_invitation_shows_the_organizations_logo_only_when_it_has_one(connector_runtime, smtp_sink, logo):
    branding = {"logoUrl": logo} if logo else {}
    payload = {"link": "https://app.example.com/invite?t=1", "locale": "en",
               "organization": {"id": "o1", "name": "Northwind", "branding": branding}}
    to = f"invite-logo-{bool(logo)}@example.test".lower()
    result = connector_runtime.send("simple-mail-transfer-protocol", smtp_config(smtp_sink, 600, "en"), to=to,
                                    type="OrganizationInvitation", payload=payload)
    assert result.ok, (result.code, result.message)
    html = smtp_sink.received_by(to).html
    assert f"background-image:url('{logo or ''}')" in html
    assert ">Northwind</td>" in html and "{{" not in html
