"""Every problem of a template set is reported at once, naming file, usage type and locale."""

from __future__ import annotations

import pytest

from connectors.templates import Branding, TemplateError, render_all
from tests.templates.conftest import BRANDING
from tests.templates.test_overrides import write


def problems(tmp_path, locales=("en",), branding=BRANDING) -> list[str]:
    with pytest.raises(TemplateError) as info:
        render_all(branding, locales, tmp_path)
    err = info.value
    assert str(err).count("\n  - ") == len(err.problems)  # str() lists them all
    assert "Traceback" not in str(err)
    return [str(p) for p in err.problems]


def one(found: list[str], *needles: str) -> str:
    hits = [p for p in found if all(n in p for n in needles)]
    assert hits, f"no problem with {needles} in:\n" + "\n".join(found)
    return hits[0]


def test_missing_required_usage_type(tmp_path):
    write(tmp_path, "templates.yaml", "usage_types: [SignIn, ForgotPassword, OrganizationInvitation]\n")
    found = problems(tmp_path)
    one(found, "templates.yaml", "missing required usage type Register")
    one(found, "templates.yaml", "missing required usage type Generic")
    assert len(found) == 2


def test_unknown_usage_type_in_manifest(tmp_path):
    write(tmp_path, "templates.yaml", "usage_types: [SignIn, Register, ForgotPassword, Generic, Welcome]\n")
    one(problems(tmp_path), "templates.yaml", "unknown usage type 'Welcome'")


def test_code_email_without_code_in_html_and_in_text(tmp_path):
    write(tmp_path, "SignIn.html", '[% extends "layout.html" %][% block body %]<p>Hello</p>[% endblock %]')
    write(tmp_path, "layout.html", '[% extends "default/layout.html" %][% block body %][% endblock %]')
    write(tmp_path, "locales/en.yaml", "SignIn:\n  preheader: Sign in now\n")
    write(tmp_path, "Register.txt", "Welcome, no code here")
    found = problems(tmp_path, ("en", "de"))
    one(found, "SignIn email, locale en, html", "SignIn.html", "must contain the {{code}} placeholder")
    one(found, "Register email, locale de, text", "Register.txt", "must contain the {{code}} placeholder")
    assert not any("SignIn email, locale en, text" in p for p in found)  # the default text is fine


def test_link_outside_invitations(tmp_path):
    write(tmp_path, "Generic.txt", "Your code {{code}} or click {{link}}")
    one(problems(tmp_path), "Generic email, locale en, text", "{{link}} only exists in OrganizationInvitation")


def test_invitation_without_link(tmp_path):
    write(tmp_path, "OrganizationInvitation.html", '[% extends "layout.html" %][% block body %]<p>Join us</p>[% endblock %]')
    one(problems(tmp_path), "OrganizationInvitation email, locale en, html", 'href="{{link}}"')


def test_unknown_placeholder_from_a_catalog(tmp_path):
    write(tmp_path, "locales/fr.yaml", "SignIn:\n  intro: Bonjour {{user.name}}, voici votre code.\n")
    found = problems(tmp_path, ("fr",))
    msg = one(found, "SignIn email, locale fr, html", "unknown placeholder {{user}}", "fr.yaml key SignIn.intro")
    assert "{{application}}" in msg  # lists what is allowed


def test_standard_jinja_delimiters_are_caught(tmp_path):
    write(tmp_path, "Generic.subject", "{{ product_name }} {% if x %}code{% endif %}")
    found = problems(tmp_path)
    one(found, "Generic email, locale en, subject", "unknown placeholder {{product_name}}", "[[ name ]]")
    one(found, "Generic email, locale en, subject", "[% … %]")


def test_unknown_locale_is_an_error_with_a_hint(tmp_path):
    found = problems(tmp_path, ("en", "pt-br", "en-US", "fa-IR"))
    one(found, "locale pt-br", "not a Logto language tag", "did you mean 'pt-BR'")
    one(found, "locale en-US", "not a Logto language tag", "did you mean 'en'")
    one(found, "locale fa-IR", "no catalog")


def test_catalog_file_with_a_non_logto_name(tmp_path):
    write(tmp_path, "locales/zh_CN.yaml", "SignIn:\n  heading: x\n")
    one(problems(tmp_path), "zh_CN.yaml", "did you mean 'zh-CN'")


def test_new_locale_must_be_complete(tmp_path):
    write(tmp_path, "locales/ru.yaml", "SignIn:\n  subject: Ваш код\n")
    msg = one(problems(tmp_path, ("ru",)), "ru.yaml", "locale ru misses keys")
    assert "SignIn.heading" in msg and "common.expiry" in msg and "SignIn.subject" not in msg


def test_bad_catalog_yaml(tmp_path):
    write(tmp_path, "locales/de.yaml", "SignIn: [unclosed\n")
    one(problems(tmp_path, ("de",)), "de.yaml", "cannot be read")


def test_jinja_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "Register.html", '[% extends "code.html" %]\n[% block notice %]\n[% if %]\n[% endblock %]\n')
    found = problems(tmp_path, ("en", "de"))
    msg = one(found, f"{path}:3", "syntax error")
    assert sum("syntax error" in p for p in found) == 1  # reported once, not once per locale
    assert msg


def test_undefined_variable_names_file_and_line(tmp_path):
    path = write(tmp_path, "ForgotPassword.txt", "Line one {{code}}\n[[ brand.product_name ]]\n[[ brand.missing_field ]]\n")
    one(problems(tmp_path), f"{path}:3", "undefined variable", "missing_field")


def test_undefined_catalog_key_names_file_and_line(tmp_path):
    path = write(tmp_path, "Generic.subject", "\n[[ t('Generic.titel') ]]")
    one(problems(tmp_path), f"{path}:2", "has no key 'Generic.titel'")


def test_unknown_catalog_variable(tmp_path):
    write(tmp_path, "locales/en.yaml", "Generic:\n  heading: Hello {username}\n")
    one(problems(tmp_path), "en.yaml", "uses {username}", "{product}")


def test_branding_problems(tmp_path):
    bad = Branding("", primary_color="blue", text_color="#EEEEEE", logo_url="data:image/png;base64,xx",
                   support_email="nope")
    found = problems(tmp_path, ("en",), bad)
    for field in ("product_name", "primary_color", "text_color", "logo_url", "support_email"):
        one(found, f"branding.{field}")


def test_all_problems_at_once(tmp_path):
    write(tmp_path, "templates.yaml", "usage_types: [SignIn, Register, ForgotPassword, OrganizationInvitation]\n")
    write(tmp_path, "SignIn.txt", "no code")
    write(tmp_path, "Register.html", "[% if %]")
    found = problems(tmp_path, ("en", "xx"))
    one(found, "missing required usage type Generic")
    one(found, "locale xx")
    one(found, "SignIn email, locale en, text")
    one(found, "Register.html:1", "syntax error")


def test_missing_override_directory(tmp_path):
    with pytest.raises(TemplateError, match="does not exist"):
        render_all(BRANDING, ["en"], tmp_path / "nope")


def test_code_ttl_out_of_range():
    with pytest.raises(TemplateError) as info:
        render_all(BRANDING, ["en"], code_lifetime_seconds=59)
    one([str(p) for p in info.value.problems], "code_lifetime_seconds", "60 to 3600")
