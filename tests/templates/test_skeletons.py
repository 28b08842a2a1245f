"""The default set's skeletons (rendered once per locale and shape of branding, then filled in)
give exactly what the full render gives, for any branding; and they are what renders it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from connectors.templates import Branding, TemplateError, render_all
from connectors.templates import render as r
from tests.templates.test_render_matrix import BRANDINGS

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Characters that escaping, the HTML parser, whitespace clean-up or the checks treat specially,
# the marker characters themselves, and plain ones.
TRICKY = list("&<>\"'{}[]%#=\\/;:.,-_ \t\n\r\x00\x07\x85\xa0\u2028\u00e9\u65e5\ue000\ue001\ufeff") + ["{{", "}}", "{%", "#}"]
TEXT = st.lists(st.sampled_from(TRICKY) | st.text("abcXYZ019", min_size=1, max_size=4), max_size=6).map("".join)
COLOUR = st.from_regex(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", fullmatch=True)


@contextmanager
def _full_render() -> Iterator[None]:
    r._SKELETONS_ON = False
    try:
        yield
    finally:
        r._SKELETONS_ON = True


def _outcome(*args: Any, **kwargs: Any) -> Any:
    try:
        rendered = render_all(*args, **kwargs)
    except TemplateError as exc:
        return str(exc)
    return rendered.locales, dict(rendered.emails), rendered.warnings


def _same_as_full_render(*args: Any, **kwargs: Any) -> None:
    fast = _outcome(*args, **kwargs)
    with _full_render():
        full = _outcome(*args, **kwargs)
    assert fast == full


@PROPERTY
@given(product=TEXT.filter(str.strip) | st.sampled_from(["Acme", "Acme Cloud", "10 Minute Mail"]),
       company=st.none() | TEXT, address=st.none() | TEXT, email=st.none() | st.sampled_from(["a@b.example", "x y@z"]),
       url=st.none() | st.sampled_from(["https://h.example/a?b=1&c=2", "https://h.example", "ftp://x"]),
       logo=st.none() | st.sampled_from(["https://l.example/logo.png", "https://l.example/{{code}}.png"]),
       primary=COLOUR, background=COLOUR, text=st.sampled_from(["#111827", "#000", "#1f2937"]),
       locales=st.sampled_from([("en",), ("de", "ja"), ("ko", "fr", "pt-BR")]),
       lifetime=st.sampled_from([600, 60, 90, 3600]))
def test_any_branding_renders_as_the_full_render_does(product: str, company: str | None, address: str | None,
                                                       email: str | None, url: str | None, logo: str | None,
                                                       primary: str, background: str, text: str,
                                                       locales: tuple[str, ...], lifetime: int) -> None:
    branding = Branding(product_name=product, company_name=company, company_address=address, support_email=email,
                        support_url=url, logo_url=logo, primary_color=primary, background_color=background,
                        text_color=text)
    _same_as_full_render(branding, locales, code_lifetime_seconds=lifetime)


@pytest.mark.parametrize("name", sorted(BRANDINGS))
def test_the_matrix_brandings_render_as_the_full_render_does(name: str) -> None:
    """Among them: a logo (the name in an attribute), quotes, ampersands and angle brackets everywhere."""
    _same_as_full_render(BRANDINGS[name], ["en", "ja", "de"], code_lifetime_seconds=90)


def test_a_catalog_string_with_marker_characters_renders_in_full(tmp_path: Path) -> None:
    (tmp_path / "locales").mkdir()
    (tmp_path / "locales" / "en.yaml").write_text('SignIn:\n  heading: "Hi \\ue0000\\ue001 {product}"\n', encoding="utf-8")
    _same_as_full_render(Branding(product_name="Acme", company_name="Acme Inc"), ["en", "de"], tmp_path)
    assert "Hi \ue0000\ue001 Acme" in render_all(Branding(product_name="Acme"), ["en"], tmp_path).get("en", "SignIn").html


@pytest.mark.parametrize("name", ["SignIn.subject", "layout.html", "code.txt"])
def test_an_override_template_renders_in_full(tmp_path: Path, name: str) -> None:
    """An override template may do anything with a value (here: upper-case it), so no skeleton."""
    (tmp_path / name).write_text("[% extends 'default/" + name + "' %]" if name != "SignIn.subject"
                                 else "[[ brand.product_name|upper ]] {{code}}", encoding="utf-8")
    assert not r._default_templates_only(tmp_path)
    _same_as_full_render(Branding(product_name="Acme"), ["en"], tmp_path)
    if name == "SignIn.subject":
        assert render_all(Branding(product_name="Acme"), ["en"], tmp_path).get("en", "SignIn").subject == "ACME {{code}}"


def test_a_second_branding_of_the_same_shape_renders_no_template(monkeypatch: pytest.MonkeyPatch) -> None:
    """What makes rendering cheap per distinct email: the skeletons are reused, not re-rendered."""
    render_all(Branding(product_name="First", company_name="First Inc."), ["en", "de"])
    calls: list[str] = []
    real = r._render_email

    def counting(*args: Any) -> Any:
        calls.append(args[2])
        return real(*args)

    monkeypatch.setattr(r, "_render_email", counting)
    second = render_all(Branding(product_name="Second", primary_color="#0F766E", company_name="Second Inc."), ["en", "de"])
    assert calls == []
    assert "Second Inc." in second.get("de", "SignIn").html and "#0F766E" in second.get("de", "SignIn").html
    joes = render_all(Branding(product_name="Joe's <Q&A>", company_name="Second Inc."), ["en"])  # escaped per place
    assert calls == []
    assert "Joe's &lt;Q&amp;A&gt;" in joes.get("en", "SignIn").html and "Joe's <Q&A>" in joes.get("en", "SignIn").text
    render_all(Branding(product_name="Joe  Doe", company_name="Second Inc."), ["en"])  # whitespace: full render
    assert len(calls) == 9


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(["{", "}", "{{", "}}", " ", "\n", "a", ".", "b.c", "x_1", "é", "code"]), max_size=16).map("".join))
def test_placeholder_roots_are_what_the_connector_kit_pattern_finds(text: str) -> None:
    """The brace scan behind the placeholder checks finds exactly the pattern's matches."""
    from connectors.logto_facts import PLACEHOLDER_RE, placeholder_roots

    assert placeholder_roots(text) == [m.group(1).split(".", 1)[0] for m in PLACEHOLDER_RE.finditer(text)]


PIECE = st.lists(st.sampled_from(["{", "}", "{{", "}}", "%", "#", " ", "a", ".", "code", "\ue000"]), max_size=6).map("".join)


@settings(max_examples=1500, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(PIECE, st.integers(0, 2)), min_size=1, max_size=5), PIECE,
       st.lists(PIECE.filter(bool), min_size=3, max_size=3))
@example([("{{ ", 0), ("", 1)], " }}", ["code", "a.b", "x"])  # values inside a placeholder
@example([("{", 0)], "", ["%", "a", "b"])  # a pair across a value's edge
def test_what_a_skeleton_part_knows_is_what_reading_the_filled_text_finds(
        marked: list[tuple[str, int]], last: str, values: list[str]) -> None:
    """The placeholder text and the stray-tag answer a part gives without reading the email agree
    with reading it, wherever values sit and whatever braces they hold."""
    from connectors.logto_facts import placeholder_roots

    literals = [lit.replace("\ue000", "") for lit, _ in marked] + [last.replace("\ue000", "")]
    part = r._Part.of(literals, tuple(n for _, n in marked))
    slots = r._Slots(shape=(), values=tuple(values), verbatim=frozenset(), plain=frozenset(), brand={}, variables={},
                     **r._written_facts(values))
    text, (scan, stray) = part.fill(values, slots)
    assert text == "".join(lit + values[n] for lit, (_, n) in zip(literals, marked)) + literals[-1]
    if scan is not None:
        assert placeholder_roots(scan) == placeholder_roots(text)
    if stray is not None:
        assert stray == r._stray_jinja(text)
