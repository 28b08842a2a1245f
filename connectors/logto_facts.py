"""Facts about Logto that several parts of the core depend on.

Kept in one place so the factory models, the templates and the deploy step agree on them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Any


class UsageType(StrEnum):
    """connector-kit's `TemplateType`: what an email is for."""

    SignIn = "SignIn"
    Register = "Register"
    ForgotPassword = "ForgotPassword"
    OrganizationInvitation = "OrganizationInvitation"
    Generic = "Generic"
    UserPermissionValidation = "UserPermissionValidation"
    BindNewIdentifier = "BindNewIdentifier"
    MfaVerification = "MfaVerification"
    BindMfa = "BindMfa"


ALL_USAGE_TYPES: tuple[UsageType, ...] = tuple(UsageType)

# The refinement of the SES, SendGrid, SMTP, Postmark and Aliyun guards
# ("Template with UsageType (…) should be provided!").
REQUIRED_USAGE_TYPES: tuple[UsageType, ...] = (
    UsageType.Register,
    UsageType.SignIn,
    UsageType.ForgotPassword,
    UsageType.Generic,
)

# Every usage type except the invitation carries a one-time code the user must see.
CODE_USAGE_TYPES: frozenset[UsageType] = frozenset(ALL_USAGE_TYPES) - {UsageType.OrganizationInvitation}

# The built-in experience languages (packages/phrases-experience). Logto resolves a request's
# locale to exactly one of these, and /api/email-templates rows are looked up by exact match.
LOGTO_LANGUAGE_TAGS: tuple[str, ...] = (
    "ar", "cs", "de", "en", "es", "fa-IR", "fr", "it", "ja", "ko", "pl-PL", "pt-PT", "pt-BR",
    "ru", "th", "tr-TR", "uk-UA", "zh-CN", "zh-HK", "zh-TW",
)

# connector-kit's replaceSendMessageHandlebars pattern.
PLACEHOLDER_RE = re.compile(r"{{\s*([\w.]+)\s*}}")

# Root keys each usage type's payload can carry (Logto's connector kit). `locale` and
# `uiLocales` ride along on every flow that knows them.
_COMMON_ROOTS = frozenset({"locale", "uiLocales"})
PLACEHOLDER_ROOTS: dict[UsageType, frozenset[str]] = {
    UsageType.SignIn: _COMMON_ROOTS | {"code", "application", "organization"},
    UsageType.Register: _COMMON_ROOTS | {"code", "application", "organization"},
    UsageType.ForgotPassword: _COMMON_ROOTS | {"code", "application", "organization"},
    UsageType.MfaVerification: _COMMON_ROOTS | {"code", "application", "organization"},
    UsageType.Generic: _COMMON_ROOTS | {"code"},
    UsageType.OrganizationInvitation: _COMMON_ROOTS | {"link", "organization", "inviter", "code"},
    UsageType.UserPermissionValidation: _COMMON_ROOTS | {"code", "user", "application"},
    UsageType.BindNewIdentifier: _COMMON_ROOTS | {"code", "user", "application"},
    UsageType.BindMfa: _COMMON_ROOTS | {"code", "user", "application"},
}


def placeholder_roots(text: str) -> list[str]:
    """Root keys of the Logto placeholders in `text`, in order of appearance."""
    return list(_placeholder_roots(text))


@lru_cache(maxsize=4096)
def _placeholder_roots(text: str) -> tuple[str, ...]:
    # cached: tenants that share a rendered set check the same emails in every connector config.
    # Every match starts at a "{": trying the pattern at each brace finds what finditer finds,
    # without the regex engine walking the rest of a 6 KB email.
    roots: list[str] = []
    at = text.find("{")
    while at >= 0:
        m = PLACEHOLDER_RE.match(text, at)
        if m:
            roots.append(m.group(1).split(".", 1)[0])
            at = text.find("{", m.end())
        else:
            at = text.find("{", at + 1)
    return tuple(roots)


def placeholder_problems(usage_type: str, *texts: str, needs_code: bool = True) -> list[str]:
    """Human-readable problems with the placeholders of one email, empty when fine.

    A code email must show `{{code}}`; `{{link}}` only exists for invitations; any other
    root that the usage type's payload never carries would reach the user literally.
    """
    problems: list[str] = []
    try:
        kind = UsageType(usage_type)
    except ValueError:
        return problems  # a free-form usage type: Logto never sends it, nothing to check
    roots = [r for t in texts for r in placeholder_roots(t)]
    if needs_code and kind in CODE_USAGE_TYPES and "code" not in roots:
        problems.append(f"{kind} email must contain the {{{{code}}}} placeholder (the one-time code)")
    allowed = PLACEHOLDER_ROOTS[kind]
    for root in dict.fromkeys(roots):
        if root not in allowed:
            if root == "link":
                problems.append(f"{{{{link}}}} only exists in OrganizationInvitation emails, not in {kind}")
            else:
                problems.append(
                    f"unknown placeholder {{{{{root}}}}} in {kind}; allowed: "
                    + ", ".join(f"{{{{{r}}}}}" for r in sorted(allowed))
                )
    return problems


# --- Logto's clean-deep (v3.4.0 defaults), applied to every connector config it stores -------------
# Desired and live configs are compared only after this cleaning, so a diff never reports an
# empty `auth: {}` that Logto would have dropped anyway.
_DROP = object()


def clean_deep(value: Any) -> Any:
    """Drop "", None, {} and [] recursively; keep False, 0 and NaN (as clean-deep does)."""
    out = _clean(value)
    if out is _DROP:
        return {} if isinstance(value, dict) else [] if isinstance(value, list) else None
    return out


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        cleaned = {k: c for k, v in value.items() if (c := _clean(v)) is not _DROP}
        return cleaned if cleaned else _DROP
    if isinstance(value, list):
        cleaned_list = [c for v in value if (c := _clean(v)) is not _DROP]
        return cleaned_list if cleaned_list else _DROP
    if value is None or value == "" and isinstance(value, str):
        return _DROP
    return value
