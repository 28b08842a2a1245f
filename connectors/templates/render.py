"""Render a template set into every (locale, usage type) email, validating as it goes.

All problems (branding, catalogs, manifest, jinja errors, Logto placeholders) are collected
and raised together as one `TemplateError`, each naming its file, usage type and locale.
"""

from __future__ import annotations

import operator
import os
import re
import traceback
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import Environment, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2 import TemplateError as JinjaError
from jinja2.exceptions import SecurityError
from markupsafe import Markup, escape

from connectors import email_policy as ep
from connectors.logto_facts import (
    CODE_USAGE_TYPES,
    LOGTO_LANGUAGE_TAGS,
    REQUIRED_USAGE_TYPES,
    UsageType,
    placeholder_problems,
    placeholder_roots,
)
from connectors.templates import colors
from connectors.templates.catalog import (
    DEFAULT_DIR,
    REFERENCE_LOCALE,
    Catalog,
    _load,
    _reason,
    load_catalogs,
    missing_keys,
    unknown_tag_message,
)
from connectors.templates.environment import (
    bounded_render,
    directory_stamp,
    environment,
    set_budget,
)
from connectors.templates.model import (
    Branding,
    RenderedEmail,
    RenderedSet,
    TemplateError,
    TemplateProblem,
)
from connectors.validators import is_email_address

MANIFEST = "templates.yaml"
PARTS = ("subject", "html", "txt")
DEFAULT_FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Helvetica, Arial, sans-serif"
MONO_FONT = "'SFMono-Regular', Menlo, Consolas, 'Liberation Mono', 'Courier New', monospace"

_INLINER = css_inline.CSSInliner(keep_at_rules=True, minify_css=True, load_remote_stylesheets=False)
_CATALOG_VAR = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")
_LINK_HREF = re.compile(r"""href\s*=\s*["']\{\{\s*link\s*\}\}["']""")


# --- inputs ------------------------------------------------------------------------------


def branding_problems(b: Branding) -> list[TemplateProblem]:
    out: list[TemplateProblem] = []

    def bad(field: str, message: str) -> None:
        out.append(TemplateProblem(f"branding.{field}", message))

    if not b.product_name.strip():
        bad("product_name", "must not be empty")
    for field in ("primary_color", "background_color", "text_color"):
        if not colors.is_hex_color(getattr(b, field)):
            bad(field, f"{getattr(b, field)!r} is not a hex colour like '#4F46E5'")
    if colors.is_hex_color(b.text_color) and colors.contrast(b.text_color, "#FFFFFF") < 4.5:
        bad("text_color", f"{b.text_color} is unreadable on the white card (contrast "
            f"{colors.contrast(b.text_color, '#FFFFFF'):.1f}:1, need 4.5:1); use a dark colour")
    if b.logo_url and not re.match(r"^https?://", b.logo_url):
        bad("logo_url", "must be an http(s) URL; email clients block data: and relative images")
    if b.support_email and not is_email_address(b.support_email):
        bad("support_email", f"{b.support_email!r} is not an email address")
    if b.support_url and not re.match(r"^https?://", b.support_url):
        bad("support_url", "must be an http(s) URL")
    return out


def brand_context(b: Branding) -> dict[str, Any]:
    """Branding plus derived colours that keep every text readable on its own background."""
    primary, bg, text = (colors.normalize(c) for c in (b.primary_color, b.background_color, b.text_color))
    white = "#FFFFFF"
    return {
        "product_name": b.product_name,
        "logo_url": b.logo_url,
        "company_name": b.company_name,
        "company_address": b.company_address,
        "company_address_lines": [ln.strip() for ln in (b.company_address or "").splitlines() if ln.strip()],
        "support_email": b.support_email,
        "support_url": b.support_url,
        "color": {
            "primary": primary,
            "on_primary": colors.readable_on(primary),
            "background": bg,
            "text": text,
            "muted": colors.muted_on(white) if colors.contrast(colors.mix(text, white, 0.75), white) < 4.5
            else colors.mix(text, white, 0.75),
            "footer": colors.muted_on(bg),
            "link": primary if colors.contrast(primary, white) >= 4.5 else text,
            "wordmark": primary if colors.contrast(primary, bg) >= 3 else colors.readable_on(bg),
            "code_bg": colors.mix(primary, white, 0.06),
            "code_border": colors.mix(primary, white, 0.22),
            "border": colors.mix(text, white, 0.10),
        },
    }


def load_manifest(override_dir: Path | None) -> tuple[list[str], list[TemplateProblem]]:
    """The usage types the set provides (`templates.yaml`); an override may drop optional ones."""
    path = override_dir / MANIFEST if override_dir and (override_dir / MANIFEST).is_file() else DEFAULT_DIR / MANIFEST
    where = str(path)
    try:
        data = _load(path, override_dir if path.parent != DEFAULT_DIR else None)
    except Exception as exc:  # noqa: BLE001 - any parse error is a problem to report
        return [], [TemplateProblem(where, f"cannot be read: {_reason(exc)}")]
    listed = data.get("usage_types") if isinstance(data, dict) else None
    if not isinstance(listed, list) or not all(isinstance(u, str) for u in listed):
        return [], [TemplateProblem(where, "must have `usage_types:` as a list of usage type names")]
    problems: list[TemplateProblem] = []
    known = [u for u in dict.fromkeys(listed) if u in UsageType.__members__]
    for u in listed:
        if u not in UsageType.__members__:
            problems.append(TemplateProblem(where, f"unknown usage type {u!r}; Logto's usage types: {', '.join(UsageType)}"))
    for req in REQUIRED_USAGE_TYPES:
        if req not in known:
            problems.append(TemplateProblem(
                where, f"missing required usage type {req}: Logto's SES, SMTP, SendGrid, Postmark and "
                "Aliyun connectors reject a config without Register, SignIn, ForgotPassword and Generic"))
    return known, problems


# --- rendering ---------------------------------------------------------------------------


class _Translator:
    """`t('SignIn.heading', email=…)` in templates: a catalog string with `{name}` filled in.

    Single braces are catalog variables; Logto's double-brace placeholders pass through.
    In HTML the string is escaped and the values too, unless they are already markup.
    """

    def __init__(self, catalog: Catalog, variables: dict[str, Any], html: bool) -> None:
        # private: the sandbox refuses `_` attributes, so a template cannot reach the catalog's paths
        self._catalog, self._variables, self._html = catalog, variables, html

    def __call__(self, key: str, **extra: Any) -> str:
        try:
            text = self._catalog.strings[key]
        except KeyError:
            raise UndefinedError(f"locale catalog {self._catalog.where} has no key {key!r}") from None
        values = {**self._variables, **extra}
        esc = escape if self._html else str
        out, pos = [], 0
        for m in _CATALOG_VAR.finditer(text):
            if m.group(1) not in values:
                raise UndefinedError(
                    f"{self._catalog.where} key {key!r} uses {{{m.group(1)}}}; available here: "
                    + ", ".join(f"{{{v}}}" for v in sorted(values)))
            out += [esc(text[pos:m.start()]), esc(values[m.group(1)])]
            pos = m.end()
        out.append(esc(text[pos:]))
        return Markup("".join(out)) if self._html else "".join(out)


@lru_cache(maxsize=256)
def _display(filename: str | None) -> str:
    """Override files by their path; default files marked as such (the author did not write them)."""
    if not filename:
        return "<template>"
    path = Path(filename)
    if path.is_relative_to(DEFAULT_DIR):
        return f"(default set) {path.relative_to(DEFAULT_DIR)}"
    return str(path)


def _jinja_problem(exc: Exception, name: str) -> TemplateProblem:
    """Turn a jinja exception into `file:line: message`, never a traceback."""
    if isinstance(exc, TemplateSyntaxError):
        return TemplateProblem(f"{_display(exc.filename)}:{exc.lineno}", f"syntax error: {exc.message}")
    if isinstance(exc, TemplateNotFound):
        return TemplateProblem(name, f"template file {exc.name!r} not found in the override directory or the default set")
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".txt", ".subject")):
            where = f"{_display(frame.filename)}:{frame.lineno}"
            break
    else:
        where = name
    if isinstance(exc, UndefinedError):
        kind = "undefined variable"
    elif isinstance(exc, SecurityError):
        kind = "refused by the template sandbox"
    elif isinstance(exc, JinjaError):
        kind = "error"
    else:
        kind = f"error ({type(exc).__name__})"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return TemplateProblem(where, f"{kind}: {text[:300]}{'…' if len(text) > 300 else ''}")


def _render_part(env: Environment, name: str, ctx: dict[str, Any],
                 problems: list[TemplateProblem]) -> tuple[str, str] | None:
    """(output, source file) of one template, or None with the problem recorded."""
    try:
        template = env.get_template(name)
        return bounded_render(template, ctx), _display(template.filename)
    except Exception as exc:  # noqa: BLE001 - whatever a template does is the author's problem to read
        problems.append(_jinja_problem(exc, name))
        return None


def _clean_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _catalog_origin(catalog: Catalog, message: str) -> str:
    """` (from <file> key X)` when the placeholder a message names comes from a catalog string."""
    named = re.search(r"\{\{(\w+)\}\}", message.split(" in ", 1)[0].replace("must contain", ""))
    if not named:
        return ""
    keys = [k for k, v in catalog.strings.items() if named.group(1) in placeholder_roots(v)]
    return f" (from {catalog.where} key {', '.join(keys)})" if keys else ""


def _stray_jinja(content: str) -> bool:
    """Whether `content` holds `{%`, `%}`, `{#` or `#}`: found from its few braces (faster than
    searching for each pair in a whole email)."""
    for brace, step in (("{", 1), ("}", -1)):
        at = content.find(brace)
        while at >= 0:
            near = at + step
            if 0 <= near < len(content) and content[near] in "%#":
                return True
            at = content.find(brace, at + 1)
    return False


def _check(usage: str, locale: str, part: str, source: str, content: str, catalog: Catalog,
           known: _Known = (None, None)) -> list[TemplateProblem]:
    """`known`: what a skeleton already knows of `content` (see `_Known`)."""
    where = f"{usage} email, locale {locale}, {part} ({source})"
    scan, stray = known
    msgs = placeholder_problems(usage, content if scan is None else scan, needs_code=part != "subject")
    for i, m in enumerate(msgs):
        origin = "" if m.endswith("(the one-time code)") else _catalog_origin(catalog, m)
        if origin:
            msgs[i] = m + origin
        elif m.startswith("unknown"):
            msgs[i] = m + " (jinja variables are written [[ name ]] in these templates)"
    if usage == UsageType.OrganizationInvitation:
        if part == "html" and not _LINK_HREF.search(content):
            msgs.append('OrganizationInvitation html must link to the invitation: href="{{link}}"')
        if part == "text" and "{{link}}" not in content.replace(" ", ""):
            msgs.append("OrganizationInvitation text must contain the {{link}} placeholder")
    if _stray_jinja(content) if stray is None else stray:
        msgs.append("contains {% … %} or {# … #}: jinja tags in these templates are written [% … %] and [# … #]")
    return [TemplateProblem(where, m) for m in msgs]


def render_all(branding: Branding, locales: Sequence[str], override_dir: Path | None = None,
               *, code_lifetime_seconds: int = ep.EXPIRATION_DEFAULT) -> RenderedSet:
    """Render every usage type of the set in every locale; `locales[0]` is the default.

    `code_lifetime_seconds` is what the emails promise: the sign-in experience's
    `verificationCodePolicy.expirationDuration` (Logto's default: 600 s). Catalogs state it
    through `{lifetime}` (plural forms of `common.lifetime.minutes|seconds`); hard-coded
    durations that disagree with it come back as `warnings`.
    """
    problems: list[TemplateProblem] = []
    override = Path(override_dir).resolve() if override_dir else None
    if override and not override.is_dir():
        raise TemplateError([TemplateProblem(str(override_dir), "template override directory does not exist")])
    problems += branding_problems(branding)
    if (not isinstance(code_lifetime_seconds, int) or isinstance(code_lifetime_seconds, bool)
            or not ep.EXPIRATION_MIN <= code_lifetime_seconds <= ep.EXPIRATION_MAX):
        problems.append(TemplateProblem("code_lifetime_seconds", f"must be whole seconds from {ep.EXPIRATION_MIN} to "
                                        f"{ep.EXPIRATION_MAX} (Logto's verificationCodePolicy.expirationDuration)"))
    catalogs, catalog_problems = load_catalogs(override)
    problems += catalog_problems
    usage_types, manifest_problems = load_manifest(override)
    problems += manifest_problems

    wanted = tuple(locales)
    if not wanted:
        problems.append(TemplateProblem("locales", "at least one locale is needed (the first is the default)"))
    reference = catalogs.get(REFERENCE_LOCALE)
    good: list[str] = []
    for locale in wanted:
        if locale in good:
            problems.append(TemplateProblem(f"locale {locale}", "listed twice"))
        elif locale not in catalogs:
            if locale not in LOGTO_LANGUAGE_TAGS:
                problems.append(TemplateProblem(f"locale {locale}", unknown_tag_message(locale)))
            else:
                problems.append(TemplateProblem(
                    f"locale {locale}", f"no catalog locales/{locale}.yaml in the override directory or the "
                    "default set (add one to serve this locale)"))
        else:
            good.append(locale)
            if reference is not None:
                gaps = missing_keys(catalogs[locale], reference)
                if gaps:
                    problems.append(TemplateProblem(catalogs[locale].where, f"locale {locale} misses keys: {', '.join(gaps)}"))
    if problems and any(p.where.startswith(("branding.", "code_lifetime")) for p in problems):
        raise TemplateError(_unique(problems))  # nothing sensible renders with a broken palette

    env = environment(override, directory_stamp(override))
    brand = brand_context(branding)
    emails: dict[tuple[str, str], RenderedEmail] = {}
    lifetime = ep.Lifetime(code_lifetime_seconds)
    warnings: list[TemplateProblem] = []
    with set_budget():
        _render_locales(env, brand, branding, good, catalogs, reference, usage_types, lifetime, override,
                        emails, problems, warnings)
    if problems:
        raise TemplateError(_unique(problems))
    return RenderedSet(tuple(good), emails, tuple(_unique(warnings)))


def _render_locales(env: Environment, brand: dict[str, Any], branding: Branding, good: list[str],
                    catalogs: dict[str, Catalog], reference: Catalog | None, usage_types: list[str],
                    lifetime: ep.Lifetime, override: Path | None, emails: dict[tuple[str, str], RenderedEmail],
                    problems: list[TemplateProblem], warnings: list[TemplateProblem]) -> None:
    """Every (locale, usage type) email into `emails`; stops at the first refusal by the sandbox."""
    slots = _Slots.of(brand) if _SKELETONS_ON and _default_templates_only(override) else None
    for locale in good:
        catalog = catalogs[locale]
        phrase = _lifetime_phrase(catalog, lifetime, problems if reference is None else [])  # else: missing_keys says it
        variables: dict[str, str | int] = {
            "product": branding.product_name, "company": branding.company_name or branding.product_name, "lifetime": phrase,
        }
        if lifetime.whole_minutes is not None:  # `{minutes}` (older catalogs) only where it is true
            variables["minutes"] = lifetime.whole_minutes
        font = catalog.strings.get("meta.font_family")
        base = {
            "brand": brand, "locale": locale, "lang": locale, "dir": catalog.strings.get("meta.dir", "ltr"),
            "font_family": f"{font}, {DEFAULT_FONT}" if font else DEFAULT_FONT, "mono_font": MONO_FONT,
            "code_ttl_minutes": lifetime.whole_minutes, "code_lifetime_seconds": lifetime.seconds,
            "code_lifetime": phrase,
        }
        skeletons = _skeletons(env, catalog, phrase, lifetime, slots) if slots is not None else None
        for usage in usage_types:
            email: _Email | None = None
            if skeletons is not None and slots is not None:
                if usage not in skeletons:
                    skeletons[usage] = _Skeleton.build(
                        _render_email(env, {**base, "brand": slots.brand}, usage, catalog,
                                      {**variables, **slots.variables}, []), len(slots.values) // len(_WRITERS))
                skeleton = skeletons[usage]
                if skeleton is not None and skeleton.slots <= slots.verbatim and skeleton.plain <= slots.plain:
                    email = skeleton.fill(slots)
            if email is None:
                email = _render_email(env, base, usage, catalog, variables, problems)
            if email is None:
                if any("refused by the template sandbox" in p.message for p in problems):
                    return  # the same template would be refused again in every email
                continue
            subject, text, html = email.subject, email.text, email.html
            if not subject:
                problems.append(TemplateProblem(f"{usage} email, locale {locale}, subject ({email.sources[0]})",
                                                "subject is empty"))
            for part, content, source, known in (("subject", subject, email.sources[0], email.known[0]),
                                                 ("html", html, email.sources[2], email.known[2]),
                                                 ("text", text, email.sources[1], email.known[1])):
                problems += _check(usage, locale, part, source, content, catalog, known)
            if override and usage in CODE_USAGE_TYPES:  # the default set states {lifetime} only (tested)
                warnings += _lifetime_warnings(usage, locale, (subject, text), email.sources[:2], catalog, lifetime)
            emails[(locale, usage)] = RenderedEmail(usage, locale, subject, html, text)


@dataclass(frozen=True)
class _Email:
    """One email's three parts, cleaned and inlined, and the files they came from (subject, text, html)."""

    subject: str
    text: str
    html: str
    sources: tuple[str, str, str]
    known: tuple[_Known, _Known, _Known] = ((None, None), (None, None), (None, None))


# What a skeleton knows of a part without reading it: a text with the same Logto placeholders
# (None: read the part) and whether it holds a stray jinja tag (None: look).
_Known = tuple[str | None, bool | None]


def _render_email(env: Environment, base: dict[str, Any], usage: str, catalog: Catalog,
                  variables: dict[str, Any], problems: list[TemplateProblem]) -> _Email | None:
    """Subject, text and html of one email, or None with the problems recorded."""
    got: dict[str, tuple[str, str] | None] = {}
    for part, suffix, as_html in (("subject", "subject", False), ("text", "txt", False), ("html", "html", True)):
        rendered_subject = got.get("subject")
        ctx = {**base, "usage_type": usage, "t": _Translator(catalog, variables, as_html),
               "subject": rendered_subject[0] if rendered_subject else ""}
        got[part] = _render_part(env, f"{usage}.{suffix}", ctx, problems)
    parts = {name: out for name, out in got.items() if out is not None}  # (content, source) of each part
    if len(parts) < len(got):
        return None
    try:
        html = _INLINER.inline(parts["html"][0]).strip() + "\n"
    except ValueError as exc:
        problems.append(TemplateProblem(parts["html"][1], f"CSS could not be inlined: {exc}"))
        return None
    return _Email(" ".join(parts["subject"][0].split()), _clean_text(parts["text"][0]), html,
                  (parts["subject"][1], parts["text"][1], parts["html"][1]))


# --- skeletons: the default set rendered once per locale and shape of branding -------------
#
# Most of an email does not depend on the branding's values: the default templates only print
# them (`[[ brand.product_name ]]`, `{product}` in a catalog string) or test whether they are
# set. So the default set is rendered and css-inlined once with a marker in place of every
# branding value (a "skeleton"), and each branding fills its values into the markers. That is
# byte for byte the full render when the value comes through the whitespace clean-up of subject
# and text unchanged and holds no control or marker character (`_verbatim`), and when each
# marker's place says how the full render would write the value there: every marker but a
# colour's carries a probe, `&'"<>`, and what escaping and the HTML parser of css-inlining make
# of it tells the place (`_PLACES`: as is in subject and text, escaped for HTML text, for an
# attribute, or kept escaped in a comment). Other values, and override templates (which may do
# anything with a value), take the full render. The checks give the same answers as on the
# full render: from the skeleton's literals where no value can be part of a match (`_Part`),
# else from the finished email.

_SKELETONS_ON = True  # tests switch it off to compare against the full render
_PROBE = "&'\"<>"
_MARK = re.compile("\ue000(\\d+)([^\ue000\ue001]*)\ue001")
_MARKER_CHARS = re.compile("[\ue000\ue001]")
_NOT_VERBATIM = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff]")
_SPECIAL = re.compile("[&<>\"']")
_TAG_CHARS = re.compile("[{}%#]")
_IN_PLACEHOLDER = re.compile(r"\{\{[\s\w.]*\ue000")  # a marker (as joined in `_Part`) where a placeholder could begin


def _html_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _html_attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;")


def _escaped(value: str) -> str:
    return str(escape(value))


# What the probe reads as in each place, and how a value is written there: (place number, how).
# The place numbers index the ways of writing that `_Slots` prepares.
_WRITERS: tuple[Callable[[str], str], ...] = (str, _html_text, _html_attribute, _escaped)
_PLACES = {"": 0, _PROBE: 0, _html_text(_PROBE): 1, _html_attribute(_PROBE): 2, _escaped(_PROBE): 3}
_BRAND_FIELDS = ("product_name", "logo_url", "company_name", "company_address", "support_email", "support_url")
_DEFAULT_TEMPLATES = tuple(sorted(p.name for p in DEFAULT_DIR.iterdir() if p.is_file() and p.name != MANIFEST))
_SKELETON_CACHE: OrderedDict[tuple[Any, ...], dict[str, _Skeleton | None] | None] = OrderedDict()
_SKELETON_CACHE_SIZE = 128  # least recently used (environment, catalog, lifetime, shape) entries of ≤ 9 emails (~20 KB each)


def _marker(index: int, probe: str = _PROBE) -> str:
    """Slot `index`; colours (`#RRGGBB`, in CSS too, where a probe would break the rule) carry none."""
    return f"\ue000{index}{probe}\ue001"


def _verbatim(value: str) -> bool:
    """Whether `value` comes through the whitespace clean-up unchanged and holds no control or
    marker character (HTML's special characters are written per place, see `_PLACES`)."""
    return value == " ".join(value.split()) and not _NOT_VERBATIM.search(value)


def _default_templates_only(override: Path | None) -> bool:
    """No override file takes the place of a default template (catalogs and the manifest may)."""
    return override is None or not any(os.path.lexists(override / name) for name in _DEFAULT_TEMPLATES)


@dataclass(frozen=True)
class _Slots:
    """A branding as marker slots: the values, which of them are `_verbatim`, the marked context."""

    shape: tuple[Any, ...]  # what the templates may test: which fields are set, how many address lines
    values: tuple[str, ...]  # each value written in each place: place p of slot i at p * slots + i
    verbatim: frozenset[int]  # slots whose value is `_verbatim`
    plain: frozenset[int]  # ... and has none of HTML's special characters
    tagged: frozenset[int]  # written values (numbered as `values`) with a character of a jinja tag pair: {}%#
    braced: frozenset[int]  # ... with a brace
    stray: frozenset[int]  # ... with a whole pair (`_stray_jinja`)
    brand: dict[str, Any]
    variables: dict[str, str]

    @classmethod
    def of(cls, brand: dict[str, Any]) -> _Slots:
        colours: dict[str, str] = brand["color"]
        lines: list[str] = brand["company_address_lines"]
        values = (*(brand[f] or "" for f in _BRAND_FIELDS), *colours.values(), *lines)
        marked = {f: _marker(i) if brand[f] else brand[f] for i, f in enumerate(_BRAND_FIELDS)}
        first_colour = len(_BRAND_FIELDS)
        first_line = first_colour + len(colours)
        marked_brand = {
            **{k: marked.get(k) for k in brand},
            "company_address_lines": [_marker(first_line + i) for i in range(len(lines))],
            "color": {k: _marker(first_colour + i, "") for i, k in enumerate(colours)},
        }
        company = marked["company_name"] if brand["company_name"] else marked["product_name"]
        return cls(
            shape=(tuple(brand[f] if not brand[f] else True for f in _BRAND_FIELDS), tuple(colours), len(lines),
                   tuple(brand)),
            values=(written := tuple(write(v) for write in _WRITERS for v in values)),
            verbatim=(verbatim := frozenset(i for i, v in enumerate(values) if v and _verbatim(v))),
            plain=frozenset(i for i in verbatim if not _SPECIAL.search(values[i])),
            **_written_facts(written),
            brand=marked_brand,
            variables={"product": marked["product_name"], "company": company},
        )


def _written_facts(written: Sequence[str]) -> dict[str, frozenset[int]]:
    """`_Slots.tagged`, `braced` and `stray` of the written values."""
    return {"tagged": frozenset(i for i, v in enumerate(written) if _TAG_CHARS.search(v)),
            "braced": frozenset(i for i, v in enumerate(written) if "{" in v or "}" in v),
            "stray": frozenset(i for i, v in enumerate(written) if _stray_jinja(v))}


@dataclass(frozen=True)
class _Part:
    """One part of a skeleton: literal pieces, the written values between them, and what the
    checks need. A check's match lies in one literal unless it touches a value: so without a
    value that could reach one, the literals answer it (`fill`)."""

    literals: tuple[str, ...]
    get: Callable[[Sequence[str]], tuple[str, ...]]  # the written values between the pieces
    used: frozenset[int]  # their numbers
    scan: str | None  # the literals joined by a marker character: their placeholders, None if a value could be in one
    stray: bool  # a jinja tag pair within a literal
    touching: frozenset[int]  # values next to one of {}%# or to another value (a pair could straddle)

    @classmethod
    def of(cls, pieces: list[str], numbers: tuple[int, ...]) -> _Part:
        literals = tuple(pieces)
        joined = "\ue000".join(literals)
        touching = {n for k, n in enumerate(numbers)
                    if not literals[k] or not literals[k + 1] or literals[k][-1] in "{}%#" or literals[k + 1][0] in "{}%#"}
        return cls(literals, _getter(numbers), frozenset(numbers), None if _IN_PLACEHOLDER.search(joined) else joined,
                   any(_stray_jinja(lit) for lit in literals), frozenset(touching))

    def fill(self, values: Sequence[str], slots: _Slots) -> tuple[str, _Known]:
        text = "".join([x for pair in zip(self.literals, self.get(values)) for x in pair]) + self.literals[-1]
        tagged = self.used & slots.tagged
        scan = None if tagged & slots.braced else self.scan
        stray = None if tagged & self.touching else bool(tagged & slots.stray) or self.stray
        return text, (scan, stray)


@dataclass(frozen=True)
class _Skeleton:
    """One email with markers: subject, text and html as `_Part`s, and the slots they show."""

    parts: tuple[_Part, _Part, _Part]
    sources: tuple[str, str, str]
    slots: frozenset[int]  # the slots it shows: their values must be `_verbatim`
    plain: frozenset[int]  # ... shown as is in the HTML (unescaped): their values must be plain too

    @classmethod
    def build(cls, email: _Email | None, count: int) -> _Skeleton | None:
        """None when the email does not render (the full render reports why), a marker did not
        come through whole (a marker character outside a marker) or its probe reads in a way
        `_PLACES` does not know. `count`: the number of slots."""
        if email is None:
            return None
        split = [_MARK.split(part) for part in (email.subject, email.text, email.html)]
        if any(_MARKER_CHARS.search(p) for s in split for p in s[::3]):
            return None
        parts: list[_Part] = []
        shown: set[int] = set()
        plain: set[int] = set()
        for part, pieces in zip(("subject", "text", "html"), split):
            marks = list(zip(map(int, pieces[1::3]), pieces[2::3]))
            if any(probe not in _PLACES for _, probe in marks):
                return None
            parts.append(_Part.of(pieces[::3], tuple(_PLACES[probe] * count + slot for slot, probe in marks)))
            shown.update(slot for slot, _ in marks)
            if part == "html":
                plain.update(slot for slot, probe in marks if _PLACES[probe] == 0)
        return cls((parts[0], parts[1], parts[2]), email.sources, frozenset(shown), frozenset(plain))

    def fill(self, slots: _Slots) -> _Email:
        (s, ks), (t, kt), (h, kh) = (part.fill(slots.values, slots) for part in self.parts)
        return _Email(s, t, h, self.sources, (ks, kt, kh))


def _getter(numbers: tuple[int, ...]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    """`values -> (values[n] for n in numbers)`, always a tuple (itemgetter of one item is not)."""
    if len(numbers) == 1:
        only = numbers[0]
        return lambda values: (values[only],)
    return operator.itemgetter(*numbers) if numbers else (lambda values: ())


def _skeletons(env: Environment, catalog: Catalog, phrase: str, lifetime: ep.Lifetime,
               slots: _Slots) -> dict[str, _Skeleton | None] | None:
    """The skeletons of one locale (by usage type), filled in as they are first needed; None
    when a catalog string holds a marker character (it would read as a slot)."""
    strings = tuple(catalog.strings.items())
    key = (env, catalog.locale, strings, phrase, lifetime.seconds, slots.shape)
    if key in _SKELETON_CACHE:
        _SKELETON_CACHE.move_to_end(key)
        return _SKELETON_CACHE[key]
    if len(_SKELETON_CACHE) >= _SKELETON_CACHE_SIZE:
        _SKELETON_CACHE.popitem(last=False)
    found = _SKELETON_CACHE[key] = None if any(_MARKER_CHARS.search(v) for _, v in strings) else {}
    return found


def _lifetime_phrase(catalog: Catalog, lifetime: ep.Lifetime, problems: list[TemplateProblem]) -> str:
    """"10 minutes" / "1 Minute" / "90秒": the catalog's plural form for this locale and count."""
    category = ep.plural_category(catalog.locale, lifetime.count)
    key = f"common.lifetime.{lifetime.unit}.{category}"
    text = catalog.strings.get(key)
    if text is None:
        problems.append(TemplateProblem(catalog.where, f"locale {catalog.locale} has no {key} (the code lifetime, "
                                        f"{lifetime.seconds} s, needs the {category!r} plural form)"))
        return ""
    return text.replace("{count}", ep.format_count(catalog.locale, lifetime.count))


def _lifetime_warnings(usage: str, locale: str, parts: tuple[str, ...], sources: tuple[str, ...],
                       catalog: Catalog, lifetime: ep.Lifetime) -> list[TemplateProblem]:
    """A duration written into a template or catalog that is not the declared code lifetime."""
    out: list[TemplateProblem] = []
    for content, source in zip(parts, sources):
        for phrase, seconds in ep.stated_lifetimes(content):
            if seconds != lifetime.seconds:
                origin = next((f"{catalog.where} key {k}" for k, v in catalog.strings.items() if phrase in v), source)
                out.append(TemplateProblem(
                    f"{usage} email, locale {locale} ({origin})",
                    f"states {phrase!r} but codes live {lifetime.seconds} s (verificationCodePolicy.expirationDuration): "
                    "write {lifetime} in the catalog (or [[ code_lifetime ]] in a template) instead of a fixed duration"))
    return out


def _unique(problems: list[TemplateProblem]) -> list[TemplateProblem]:
    return list(dict.fromkeys(problems))
