"""A tenant's template directory overrides any file of the default set."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.templates import TemplateError, available_locales, render_all
from tests.templates.conftest import BRANDING


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_override_replaces_a_usage_type_file(tmp_path):
    write(tmp_path, "SignIn.subject", "[[ brand.product_name ]] login: {{code}}")
    write(tmp_path, "SignIn.txt", "Code: {{code}} ([[ t('common.expiry') ]])")
    rendered = render_all(BRANDING, ["en", "de"], tmp_path)
    assert rendered.get("en", "SignIn").subject == "Acme Cloud login: {{code}}"
    assert rendered.get("de", "SignIn").text == "Code: {{code}} (Dieser Code ist 10 Minuten lang gültig.)\n"
    assert rendered.get("en", "Register").subject == "Verify your email for Acme Cloud"  # untouched


def test_override_layout_applies_to_every_email_and_can_extend_the_default(tmp_path):
    write(tmp_path, "layout.html", """[% extends "default/layout.html" %]
[% block footer %]<p class="footer-line">Custom footer</p>[[ super() ]][% endblock %]""")
    rendered = render_all(BRANDING, ["en"], tmp_path)
    for email in rendered.emails.values():
        assert "Custom footer" in email.html
        assert "This is an automated message from Acme Cloud." in email.html


def test_override_catalog_merges_key_by_key(tmp_path):
    write(tmp_path, "locales/de.yaml", "SignIn:\n  heading: Willkommen zurück bei {product}\n")
    rendered = render_all(BRANDING, ["de"], tmp_path)
    assert "Willkommen zurück bei Acme Cloud" in rendered.get("de", "SignIn").html
    assert "Geben Sie diesen Code ein" in rendered.get("de", "SignIn").text  # the rest stays


def test_override_adds_a_locale(tmp_path):
    en = (Path(__file__).parents[2] / "connectors/templates/default/locales/en.yaml").read_text(encoding="utf-8")
    # An (abridged) Russian catalog: start from English and translate the sign-in heading.
    ru = en.replace("heading: Sign in to {product}", "heading: Вход в {product}").replace(
        'minutes:\n      one: "{count} minute"\n      other: "{count} minutes"',
        'minutes:\n      one: "{count} минуту"\n      few: "{count} минуты"\n      many: "{count} минут"\n      other: "{count} минуты"',
    ).replace(
        'seconds:\n      one: "{count} second"\n      other: "{count} seconds"',
        'seconds:\n      one: "{count} секунду"\n      few: "{count} секунды"\n      many: "{count} секунд"\n      other: "{count} секунды"',
    )
    write(tmp_path, "locales/ru.yaml", ru)
    assert "ru" in available_locales(tmp_path) and "ru" not in available_locales()
    rendered = render_all(BRANDING, ["ru", "en"], tmp_path)
    assert rendered.default_locale == "ru"
    assert "Вход в Acme Cloud" in rendered.get("ru", "SignIn").html
    assert 'lang="ru"' in rendered.get("ru", "SignIn").html
    assert "10 минут." in rendered.get("ru", "SignIn").text  # CLDR "many" for 10
    for seconds, words in ((60, "1 минуту"), (180, "3 минуты"), (1260, "21 минуту"), (90, "90 секунд")):
        assert words in render_all(BRANDING, ["ru"], tmp_path, code_lifetime_seconds=seconds).get("ru", "SignIn").text


def test_an_added_locale_needs_its_own_plural_forms(tmp_path):
    """English has one/other; Polish needs one/few/many: a copied English catalog is incomplete."""
    en = (Path(__file__).parents[2] / "connectors/templates/default/locales/en.yaml").read_text(encoding="utf-8")
    write(tmp_path, "locales/pl-PL.yaml", en)
    with pytest.raises(TemplateError) as info:
        render_all(BRANDING, ["pl-PL"], tmp_path)
    text = str(info.value)
    assert "common.lifetime.minutes.few" in text and "common.lifetime.minutes.many" in text
    assert "common.lifetime.minutes.other" not in text  # not reachable for whole numbers in Polish


def test_override_manifest_can_drop_an_optional_usage_type(tmp_path):
    write(tmp_path, "templates.yaml", "usage_types: [SignIn, Register, ForgotPassword, Generic, MfaVerification]\n")
    rendered = render_all(BRANDING, ["en"], tmp_path)
    assert rendered.usage_types == ("SignIn", "Register", "ForgotPassword", "Generic", "MfaVerification")


def test_override_is_reread_when_the_file_changes(tmp_path):
    path = write(tmp_path, "Generic.subject", "First {{code}}")
    assert render_all(BRANDING, ["en"], tmp_path).get("en", "Generic").subject == "First {{code}}"
    path.write_text("Second one {{code}}", encoding="utf-8")
    import os

    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 2_000_000_000))
    assert render_all(BRANDING, ["en"], tmp_path).get("en", "Generic").subject == "Second one {{code}}"
