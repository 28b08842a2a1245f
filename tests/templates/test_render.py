"""The default set renders every usage type in every shipped locale, correctly and quickly."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from connectors.logto_facts import CODE_USAGE_TYPES, LOGTO_LANGUAGE_TAGS, UsageType
from connectors.templates import Branding, available_locales, fill_placeholders, render_all
from tests.templates.conftest import BRANDING, LOCALES

CODE_TYPES = sorted(CODE_USAGE_TYPES)


def test_every_usage_type_in_every_locale(rendered):
    assert rendered.locales == LOCALES
    assert rendered.default_locale == "en"
    assert set(rendered.usage_types) == set(UsageType)
    assert len(rendered.emails) == 9 * 7
    for (locale, usage), email in rendered.emails.items():
        assert (email.locale, email.usage_type) == (locale, usage)
        assert email.subject and "\n" not in email.subject
        assert email.html.startswith("<!DOCTYPE html>")
        assert f'lang="{locale}"' in email.html
        assert "Acme Cloud" in email.text


def test_shipped_locales_are_logto_tags():
    shipped = available_locales()
    assert set(LOCALES) <= set(shipped)
    assert all(tag in LOGTO_LANGUAGE_TAGS for tag in shipped)


def test_every_shipped_locale_is_complete_and_translated():
    shipped = available_locales()
    rendered = render_all(BRANDING, ["en", *(t for t in shipped if t != "en")])
    for locale in shipped:
        if locale == "en":
            continue
        for usage in UsageType:
            assert rendered.get(locale, usage).subject != rendered.get("en", usage).subject, (locale, usage)


@pytest.mark.parametrize("usage", CODE_TYPES)
def test_code_placeholder_is_literal_in_html_and_text(rendered, usage):
    for locale in LOCALES:
        email = rendered.get(locale, usage)
        # visible in the code box, not only in the hidden preheader
        assert re.search(r'<span class="code"[^>]*>\{\{code\}\}</span>', email.html)
        assert "\n    {{code}}\n" in email.text
        assert "{{link}}" not in email.html + email.text


def test_invitation_links_and_has_no_code(rendered):
    for locale in LOCALES:
        email = rendered.get(locale, "OrganizationInvitation")
        hrefs = re.findall(r'href="([^"]*)"', email.html)
        assert hrefs.count("{{link}}") >= 2  # the button and the copy-paste link
        assert "{{code}}" not in email.html + email.text + email.subject
        assert "{{link}}" in email.text
        assert "{{organization.name}}" in email.subject


def test_filled_in_by_logto_the_user_sees_the_values(rendered):
    """What Logto's replaceSendMessageHandlebars makes of our output: no placeholder left."""
    payload = {"code": "246810", "link": "https://app.test/i?t=a&b=c", "organization": {"name": "Northwind"}}
    for email in rendered.emails.values():
        for part in (email.subject, email.html, email.text):
            filled = fill_placeholders(part, payload)
            assert "{{" not in filled
        if email.usage_type == "OrganizationInvitation":
            assert 'href="https://app.test/i?t=a&b=c"' in fill_placeholders(email.html, payload)
        else:
            assert "246810" in fill_placeholders(email.html, payload)


ENGLISH_WORDS = re.compile(r"\b(your|sign|verify|verification|reset|password|invited|join|confirm|two-step|email)\b", re.I)


def test_translations_differ_and_no_english_leaks(rendered):
    for locale in LOCALES[1:]:
        for usage in UsageType:
            en, other = rendered.get("en", usage), rendered.get(locale, usage)
            assert other.subject != en.subject, (locale, usage)
            assert not ENGLISH_WORDS.search(other.subject.replace("Acme Cloud", "")), (locale, usage, other.subject)
            en_intro = en.text.split("\n\n")[2]
            assert en_intro not in other.text, (locale, usage)
            assert not ENGLISH_WORDS.search(other.text.replace("Acme", "").replace("support@acme.test", "")
                                            .replace("help.acme.test", "")), (locale, usage)


def test_german_uses_formal_address_and_cjk_gets_cjk_fonts(rendered):
    assert "Geben Sie diesen Code ein" in rendered.get("de", "SignIn").text
    assert "Hiragino Sans" in rendered.get("ja", "SignIn").html
    assert "PingFang SC" in rendered.get("zh-CN", "SignIn").html
    assert "PingFang SC" not in rendered.get("en", "SignIn").html


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.classed: list[tuple[str, dict[str, str | None]]] = []
        self.style_blocks: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "style":
            self._in_style = True
        elif attrs.get("class"):
            self.classed.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style_blocks.append(data)


def test_css_is_inlined(rendered):
    for email in (rendered.get("en", "SignIn"), rendered.get("ja", "OrganizationInvitation")):
        parsed = _Elements()
        parsed.feed(email.html)
        # every classed element got its style inline (only the body class is decorative)
        unstyled = [(t, a["class"]) for t, a in parsed.classed if not a.get("style")]
        assert unstyled == [], unstyled
        # what is left in <style> is only the responsive @media block
        css = "".join(parsed.style_blocks).strip()
        assert css.startswith("@media") and css.count("@media") == 1
        assert re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*\s*\}", "", css).strip() == ""
    code = re.search(r'<span class="code" style="([^"]*)"', rendered.get("en", "SignIn").html).group(1)
    assert "monospace" in code and "font-size:34px" in code


def test_branding_reaches_the_email(rendered):
    html = rendered.get("en", "SignIn").html
    assert 'src="https://cdn.acme.test/logo.png"' in html and 'alt="Acme Cloud"' in html
    assert 'href="mailto:support@acme.test"' in html
    assert 'href="https://help.acme.test"' in html
    assert "Acme, Inc.<br>1 Market St, San Francisco, CA 94105" in html
    assert "#4F46E5" in rendered.get("en", "OrganizationInvitation").html  # the default primary on the button


def test_minimal_branding_has_sensible_defaults():
    rendered = render_all(Branding("Tiny"), ["en"])
    email = rendered.get("en", "SignIn")
    assert '<span class="wordmark"' in email.html and ">Tiny</span>" in email.html
    assert "mailto:" not in email.html and "<img" not in email.html
    assert "This is an automated message from Tiny." in email.text


def test_light_primary_gets_dark_button_label_and_readable_footer_on_dark_background():
    b = Branding("Night", primary_color="#FACC15", background_color="#0F172A")
    html = render_all(b, ["en"]).get("en", "OrganizationInvitation").html
    button = re.search(r'<a class="button" [^>]*style="([^"]*)"', html).group(1)
    assert "color:#111827" in button  # dark text on yellow, not white
    footer = re.search(r'<p class="footer-line" style="([^"]*)"', html).group(1)
    colour = re.search(r"color:(#[0-9A-F]{6})", footer).group(1)
    from connectors.templates.colors import contrast

    assert contrast(colour, "#0F172A") >= 4.5


def test_values_are_escaped_but_placeholders_are_not():
    b = Branding('Q&A <Tools>', company_name='"Quote" & Co')
    rendered = render_all(b, ["en"])
    email = rendered.get("en", "Register")
    assert "Q&amp;A &lt;Tools&gt;" in email.html and "<Tools>" not in email.html
    assert "Q&A <Tools>" in email.text and "Q&A <Tools>" in email.subject  # plain text is not HTML


def test_code_ttl_is_configurable():
    rendered = render_all(BRANDING, ["en", "de"], code_lifetime_seconds=300)
    assert "expires in 5 minutes" in rendered.get("en", "SignIn").text
    assert "5 Minuten" in rendered.get("de", "SignIn").text


def test_rendering_is_deterministic(rendered):
    again = render_all(BRANDING, LOCALES)
    assert again.emails == rendered.emails


def test_emails_stay_small_and_clean(rendered):
    for email in rendered.emails.values():
        assert len(email.html.encode()) < 30_000  # Gmail clips messages over ~102 KB
        for part in (email.subject, email.html, email.text):
            assert "[[" not in part and "[%" not in part and "[#" not in part
