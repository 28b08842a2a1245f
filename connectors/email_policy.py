"""Logto's email policy rules, written once: code policy ranges, block/allow list entries, MFA
factor and account-center values, and the code lifetime in words.

The stack schema, `check`, the sign-in resource and the Logto stand-in all read these, so what
`pulumi up` would have Logto refuse, `validate` refuses first. The entry rules reproduce
Logto's `isEmailListItem` / `matchesEmailListItem` (core-kit) exactly, JavaScript's `\\s`
included, so an entry we accept is one Logto accepts.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.plural import PluralRule  # at run time babel loads on first use, below

# -- verificationCodePolicy ---------------------------------------------------------------------
EXPIRATION_MIN, EXPIRATION_MAX, EXPIRATION_DEFAULT = 60, 3600, 600  # seconds
RETRY_MIN, RETRY_MAX, RETRY_DEFAULT = 1, 100, 10

# -- mfa / account center ---------------------------------------------------------------------
EMAIL_MFA_FACTOR = "EmailVerificationCode"
MFA_FACTORS = ("Totp", "WebAuthn", "BackupCode", "EmailVerificationCode", "PhoneVerificationCode")
ACCOUNT_CENTER_VALUES = ("Off", "ReadOnly", "Edit")
ACCOUNT_CENTER_FIELDS = ("name", "avatar", "profile", "email", "phone", "password", "username", "social", "customData")

def lifetime_mismatch(stated_seconds: int, live_policy: dict | None) -> str | None:
    """The emails say `stated_seconds`; what Logto's live policy makes codes live, if different."""
    live = (live_policy or {}).get("expirationDuration", EXPIRATION_DEFAULT)
    if live != stated_seconds:
        return (f"the emails say codes live {stated_seconds} s but Logto's verificationCodePolicy.expirationDuration "
                f"is {live} s: declare signInExperience.verificationCodePolicy.expirationDuration: {live} (or push yours)")
    return None


# -- block / allow list entries -----------------------------------------------------------------
# JavaScript's \s (ECMAScript WhiteSpace + LineTerminator), not Python's, so we agree with Logto.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_S = f"[^{_JS_SPACE}]"
_SPACE_RE = re.compile(f"[{_JS_SPACE}]")
# core-kit's emailOrEmailDomainRegEx (its first branch is anchored at the start only, as in Logto).
_EMAIL_OR_DOMAIN_RE = re.compile(f"^{_S}+@{_S}+\\.{_S}+|^@{_S}+\\.{_S}+$")
_WILDCARD_ONLY_DOMAIN_RE = re.compile(r"^[*.]+$")

ENTRY_EXAMPLES = "an address (abc@xyz.com), a domain (@xyz.com) or a wildcard pattern (foo*@example.com, @*.example.com)"


def _wildcard_local_ok(local: str) -> bool:
    return bool(local) and "@" not in local and not _SPACE_RE.search(local)


def _wildcard_domain_ok(domain: str) -> bool:
    return (
        bool(domain) and "." in domain and "@" not in domain and ".." not in domain
        and not domain.startswith(".") and not domain.endswith(".")
        and not _SPACE_RE.search(domain) and not _WILDCARD_ONLY_DOMAIN_RE.match(domain)
    )


def is_list_item(value: str) -> bool:
    """Logto accepts `value` as a customBlocklist / customAllowlist entry."""
    if "*" not in value:
        return bool(_EMAIL_OR_DOMAIN_RE.search(value))
    if _SPACE_RE.search(value):
        return False
    if value.startswith("@"):
        return _wildcard_domain_ok(value[1:])
    parts = value.split("@")
    return len(parts) == 2 and _wildcard_local_ok(parts[0]) and _wildcard_domain_ok(parts[1])


def _wildcard_re(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", re.DOTALL)


def matches(item: str, email: str) -> bool:
    """Logto's matching: case-insensitive; `@…` entries match the domain, others the address."""
    item, email = item.lower(), email.lower()
    domain = email.split("@")[1] if "@" in email else ""
    if item.startswith("@"):
        pattern = item[1:]
        return bool(domain) and (bool(_wildcard_re(pattern).match(domain)) if "*" in pattern else domain == pattern)
    return bool(_wildcard_re(item).match(email)) if "*" in item else email == item


def suggest_entry(value: str) -> str | None:
    """The entry an invalid `value` most likely meant, or None."""
    text = _SPACE_RE.sub("", value).strip(",;")
    candidates: list[str] = []
    if text and text != value:
        candidates.append(text)
    if text.startswith("*@"):  # "*@xyz.com" is valid, but people also write "*.xyz.com"
        candidates.append(text)
    if "@" not in text and "." in text:
        if text.startswith("*."):
            candidates.append("@" + text)
        candidates.append("@" + text.lstrip("*."))
    if text.count("@") > 1:
        candidates.append(text[: text.index("@") + 1] + text[text.index("@") :].replace("@", ""))
        candidates.append("@" + text.replace("@", "", text.count("@")))
    if text.endswith(".") or ".." in text:
        candidates.append(re.sub(r"\.{2,}", ".", text).rstrip("."))
    for c in candidates:
        if c != value and is_list_item(c):
            return c
    return None


def entry_problems(entries: list[str], what: str) -> list[str]:
    """Messages for the invalid and repeated entries of one list (empty when fine)."""
    problems: list[str] = []
    for i, entry in enumerate(entries):
        if not is_list_item(entry):
            hint = suggest_entry(entry)
            problems.append(
                f"{what}[{i}] is not {ENTRY_EXAMPLES}" + (f" (did you mean {hint!r}?)" if hint else "")
            )
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        key = entry.lower()
        if key in seen:
            problems.append(f"{what}[{i}] repeats {what}[{seen[key]}] (entries match case-insensitively): remove one")
        else:
            seen[key] = i
    return problems


def allowlist_blocked(allow: list[str], block: list[str], block_subaddressing: bool) -> list[tuple[str, str]]:
    """Allowlist entries no address could ever pass, with what blocks them (Logto 422s these).

    Covers the certain cases: an exact allow entry matched by a block entry, a block entry equal
    to the allow entry, and a `+` address allowed while subaddressing is blocked.
    """
    out: list[tuple[str, str]] = []
    for a in allow:
        if not is_list_item(a):
            continue
        local = a.split("@", 1)[0]
        if block_subaddressing and not a.startswith("@") and "+" in local and "*" not in local:
            out.append((a, "blockSubaddressing"))
            continue
        for b in block:
            if not is_list_item(b):
                continue
            if a.lower() == b.lower() or ("*" not in a and _covers_exact(b, a)):
                out.append((a, b))
                break
    return out


def _covers_exact(block: str, allow: str) -> bool:
    if allow.startswith("@"):
        return block.startswith("@") and matches(block, "x" + allow)
    return matches(block, allow)


def did_you_mean(value: str, options: tuple[str, ...]) -> str:
    """` (did you mean 'X'?)` for a near miss among `options`, else ''."""
    lowered = {o.lower(): o for o in options}
    if value.lower() in lowered:
        return f" (did you mean {lowered[value.lower()]!r}?)"
    near = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


# -- the code lifetime in words ----------------------------------------------------------------
@dataclass(frozen=True)
class Lifetime:
    """How long a code lives, as the emails state it: whole minutes when it is, else seconds."""

    seconds: int

    @property
    def unit(self) -> str:
        return "minutes" if self.seconds % 60 == 0 else "seconds"

    @property
    def count(self) -> int:
        return self.seconds // 60 if self.seconds % 60 == 0 else self.seconds

    @property
    def whole_minutes(self) -> int | None:
        return self.seconds // 60 if self.seconds % 60 == 0 else None


# CLDR's plural rules of each Logto language, as babel ships them (a test compares them with
# babel's locale data). Evaluating a rule needs only `babel.plural`; loading a locale's whole
# CLDR data for it would cost every command a third of a second.
PLURAL_RULES: dict[str, dict[str, str]] = {
    "ar": {"few": "n mod 100 in 3..10", "many": "n mod 100 in 11..99", "one": "n in 1", "two": "n in 2", "zero": "n in 0"},
    "cs": {"few": "i in 2..4 and v in 0", "many": "v not in 0", "one": "i in 1 and v in 0"},
    "de": {"one": "i in 1 and v in 0"},
    "en": {"one": "i in 1 and v in 0"},
    "es": {"many": "e in 0 and i not in 0 and i mod 1000000 in 0 and v in 0 or e not in 0..5", "one": "n in 1"},
    "fa-IR": {"one": "i in 0 or n in 1"},
    "fr": {"many": "e in 0 and i not in 0 and i mod 1000000 in 0 and v in 0 or e not in 0..5", "one": "i in 0..1"},
    "it": {"many": "e in 0 and i not in 0 and i mod 1000000 in 0 and v in 0 or e not in 0..5", "one": "i in 1 and v in 0"},
    "ja": {},
    "ko": {},
    "pl-PL": {"few": "v in 0 and i mod 10 in 2..4 and i mod 100 not in 12..14", "many": "v in 0 and i not in 1 and i mod 10 in 0..1 or v in 0 and i mod 10 in 5..9 or v in 0 and i mod 100 in 12..14", "one": "i in 1 and v in 0"},
    "pt-PT": {"many": "e in 0 and i not in 0 and i mod 1000000 in 0 and v in 0 or e not in 0..5", "one": "i in 1 and v in 0"},
    "pt-BR": {"many": "e in 0 and i not in 0 and i mod 1000000 in 0 and v in 0 or e not in 0..5", "one": "i in 0..1"},
    "ru": {"few": "v in 0 and i mod 10 in 2..4 and i mod 100 not in 12..14", "many": "v in 0 and i mod 10 in 0 or v in 0 and i mod 10 in 5..9 or v in 0 and i mod 100 in 11..14", "one": "v in 0 and i mod 10 in 1 and i mod 100 not in 11"},
    "th": {},
    "tr-TR": {"one": "n in 1"},
    "uk-UA": {"few": "v in 0 and i mod 10 in 2..4 and i mod 100 not in 12..14", "many": "v in 0 and i mod 10 in 0 or v in 0 and i mod 10 in 5..9 or v in 0 and i mod 100 in 11..14", "one": "v in 0 and i mod 10 in 1 and i mod 100 not in 11"},
    "zh-CN": {},
    "zh-HK": {},
    "zh-TW": {},
}


@lru_cache(maxsize=64)
def _plural_rule(tag: str) -> PluralRule:
    from babel import Locale
    from babel.plural import PluralRule

    rules = PLURAL_RULES.get(tag)
    return PluralRule(rules) if rules is not None else Locale.parse(tag, sep="-").plural_form


def plural_category(tag: str, n: int) -> str:
    """CLDR plural category of the integer `n` in the Logto language `tag` (one, few, other …)."""
    return str(_plural_rule(tag)(n))


# The CLDR categories a lifetime count (1..3600) reaches in each Logto language: what a catalog
# of that language must provide. Kept as data because asking CLDR for 3,600 counts per language
# costs a second at start-up; a test recomputes it from babel for every tag.
PLURAL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "ar": ("one", "two", "few", "many", "other"), "cs": ("one", "few", "other"), "de": ("one", "other"),
    "en": ("one", "other"), "es": ("one", "other"), "fa-IR": ("one", "other"), "fr": ("one", "other"),
    "it": ("one", "other"), "ja": ("other",), "ko": ("other",), "pl-PL": ("one", "few", "many"),
    "pt-PT": ("one", "other"), "pt-BR": ("one", "other"), "ru": ("one", "few", "many"), "th": ("other",),
    "tr-TR": ("one", "other"), "uk-UA": ("one", "few", "many"), "zh-CN": ("other",), "zh-HK": ("other",),
    "zh-TW": ("other",),
}
_CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")


def reachable_plural_categories(tag: str) -> tuple[str, ...]:
    """Ask CLDR (slow): the categories of every count 1..3600 in `tag`, in CLDR order."""
    found = {plural_category(tag, n) for n in range(1, EXPIRATION_MAX + 1)}
    return tuple(c for c in _CLDR_ORDER if c in found)


def plural_categories(tag: str) -> tuple[str, ...]:
    """The categories a lifetime can fall in for the Logto language `tag`, in CLDR order."""
    known = PLURAL_CATEGORIES.get(tag)
    return known if known is not None else reachable_plural_categories(tag)


def format_count(tag: str, n: int) -> str:
    """`n` as the emails write it: plain digits (counts stay below 3,600, where most locales do
    not group, and loading number formats would cost every command a fifth of a second)."""
    return str(n)


# Phrases that state a code lifetime in the shipped languages (a number and a time unit).
_HARDCODED_LIFETIME = re.compile(
    r"(?<![\d{.,])(\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+|\d{1,4})\s*(?:-\s*)?("
    r"(?:minutes?|mins?|seconds?|secs?|hours?|Minuten|Minute|Sekunden|Sekunde|Stunden|Stunde|minutos?|segundos?|"
    r"horas?|minuti|minuto|secondi|secondo|ore|ora|secondes?|heures?)(?![^\W\d_])"
    r"|分钟|分鐘|分|秒|時間|小时|小時|분|초|시간)",
    re.IGNORECASE,
)


def stated_lifetimes(text: str) -> list[tuple[str, int]]:
    """(phrase, seconds) for every hard-coded duration in `text` (e.g. "15 minutes" → 900)."""
    out: list[tuple[str, int]] = []
    for m in _HARDCODED_LIFETIME.finditer(text):
        n, unit = int(re.sub(r"\D", "", m.group(1))), m.group(2).lower()
        if unit.startswith(("h", "stund", "ora", "ore", "heure")) or unit in ("時間", "小时", "小時", "시간"):
            factor = 3600
        elif unit.startswith(("s", "sek")) or unit in ("秒", "초"):
            factor = 1
        else:
            factor = 60
        out.append((m.group(0), n * factor))
    return out
