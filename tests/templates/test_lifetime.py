"""Every default email states the declared code lifetime, in every shipped locale, with that
locale's plural form; a custom template that hard-codes another lifetime is warned about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors import email_policy as ep
from connectors.cli import cli
from connectors.logto_facts import CODE_USAGE_TYPES
from connectors.templates import available_locales, render_all
from tests.templates.conftest import BRANDING

# (one minute, ten minutes, ninety seconds) as each shipped catalog must say them
EXPECTED = {
    "en": ("expires in 1 minute.", "expires in 10 minutes.", "expires in 90 seconds."),
    "de": ("1 Minute lang", "10 Minuten lang", "90 Sekunden lang"),
    "fr": ("dans 1 minute.", "dans 10 minutes.", "dans 90 secondes."),
    "es": ("en 1 minuto.", "en 10 minutos.", "en 90 segundos."),
    "it": ("tra 1 minuto.", "tra 10 minuti.", "tra 90 secondi."),
    "pt-BR": ("em 1 minuto.", "em 10 minutos.", "em 90 segundos."),
    "ja": ("有効期限は1分です", "有効期限は10分です", "有効期限は90秒です"),
    "ko": ("1분 후에", "10분 후에", "90초 후에"),
    "zh-CN": ("在 1 分钟后", "在 10 分钟后", "在 90 秒后"),
    "zh-TW": ("在 1 分鐘後", "在 10 分鐘後", "在 90 秒後"),
}


def test_every_shipped_locale_is_covered():
    assert set(available_locales()) == set(EXPECTED)


@pytest.mark.parametrize("locale", sorted(EXPECTED))
def test_each_locale_states_the_lifetime_with_its_plural_form(locale):
    for seconds, words in zip((60, 600, 90), EXPECTED[locale]):
        rendered = render_all(BRANDING, [locale], code_lifetime_seconds=seconds)
        for usage in CODE_USAGE_TYPES:
            email = rendered.get(locale, usage)
            assert words in email.text, (usage, seconds)
            assert words.split(".")[0] in email.html, (usage, seconds)
        assert rendered.warnings == ()


@pytest.mark.parametrize("seconds", [60, 61, 120, 300, 599, 600, 900, 1260, 3599, 3600])
def test_no_default_email_states_any_other_duration(seconds):
    rendered = render_all(BRANDING, list(EXPECTED), code_lifetime_seconds=seconds)
    for (locale, usage), email in rendered.emails.items():
        stated = {s for _, s in ep.stated_lifetimes(email.text + "\n" + email.subject)}
        if usage in CODE_USAGE_TYPES:
            assert stated == {seconds}, (locale, usage, stated)
        else:
            assert stated == set(), (locale, usage)
    assert rendered.warnings == ()


def test_large_counts_are_plain_digits():
    assert "expires in 3599 seconds." in render_all(BRANDING, ["en"], code_lifetime_seconds=3599).get("en", "SignIn").text
    assert "3599 Sekunden" in render_all(BRANDING, ["de"], code_lifetime_seconds=3599).get("de", "SignIn").text


def test_preheader_states_it_too():
    html = render_all(BRANDING, ["en"], code_lifetime_seconds=300).get("en", "SignIn").html
    assert "It expires in 5 minutes." in html


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_hard_coded_lifetime_that_disagrees_is_a_warning(tmp_path):
    write(tmp_path, "SignIn.txt", "Your code: {{code}}\nIt expires in 15 minutes.\n")
    rendered = render_all(BRANDING, ["en"], tmp_path, code_lifetime_seconds=600)
    [warning] = rendered.warnings
    assert "SignIn email, locale en" in warning.where and str(tmp_path / "SignIn.txt") in warning.where
    assert "'15 minutes'" in warning.message and "600 s" in warning.message and "{lifetime}" in warning.message
    assert render_all(BRANDING, ["en"], tmp_path, code_lifetime_seconds=900).warnings == ()


def test_a_catalog_override_that_hard_codes_it_is_named_by_key(tmp_path):
    write(tmp_path, "locales/de.yaml", "common:\n  expiry: Der Code gilt 5 Minuten.\n")
    rendered = render_all(BRANDING, ["de"], tmp_path, code_lifetime_seconds=600)
    assert rendered.warnings and all("key common.expiry" in w.where for w in rendered.warnings)


def test_older_catalogs_with_minutes_still_work_for_whole_minutes(tmp_path):
    write(tmp_path, "locales/en.yaml", "common:\n  expiry: Valid for {minutes} min.\n")
    assert "Valid for 10 min." in render_all(BRANDING, ["en"], tmp_path).get("en", "SignIn").text
    with pytest.raises(Exception) as info:  # 90 s is not whole minutes: {minutes} would lie
        render_all(BRANDING, ["en"], tmp_path, code_lifetime_seconds=90)
    assert "{minutes}" in str(info.value) and "{lifetime}" in str(info.value)


def test_validate_prints_the_warning_and_stays_valid(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: logto-email\n")
    write(tmp_path, "tpl/SignIn.txt", "Code {{code}}, valid 30 minutes.\n")
    (tmp_path / "Pulumi.t.yaml").write_text(
        "config:\n  logto-email:tenants:\n    acme:\n"
        "      logto: {endpoint: https://a.logto.app, appId: a, appSecret: {secure: v1:x}}\n"
        "      provider: {type: smtp, host: smtp.example.com, port: 587}\n"
        "      sender: {email: a@example.com}\n"
        "      branding: {productName: Acme}\n"
        "      templates: {directory: tpl}\n"
        "      signInExperience: {verificationCodePolicy: {expirationDuration: 300}}\n"
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", "-s", "t", "-C", str(tmp_path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["valid"] and any("'30 minutes'" in w["message"] and "300 s" in w["message"] for w in doc["warnings"])
    plain = runner.invoke(cli, ["validate", "-s", "t", "-C", str(tmp_path)], catch_exceptions=False)
    assert plain.exit_code == 0 and "warning: config.logto-email:tenants.acme.templates" in plain.output
