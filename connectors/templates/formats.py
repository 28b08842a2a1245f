"""A rendered set in each Logto factory's own template format.

Two destinations: the connector config (`templates[]` or Mailgun `deliveries`, one locale:
the tenant's default) and the tenant-wide rows of `PUT /api/email-templates` (every locale),
which only SES, Mailgun, SendGrid, SMTP and Aliyun read.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from collections.abc import Mapping
from typing import Any

from connectors.logto_facts import REQUIRED_USAGE_TYPES, UsageType
from connectors.templates.model import RenderedSet, Sender, TemplateError, TemplateProblem

# Postmark's Console defaults.
POSTMARK_DEFAULT_ALIASES: dict[str, str] = {
    u.value: "logto-" + re.sub(r"(?<!^)(?=[A-Z])", "-", u.value).lower() for u in UsageType
}

# Factories with templates in their config, and the per-entry shape each one expects.
_TEMPLATE_LIST_FACTORIES = {"aws-ses-mail", "simple-mail-transfer-protocol", "sendgrid-email-service",
                             "aliyun-direct-mail"}
_NO_TEMPLATE_FACTORIES = {"http-email", "logto-email"}

# Which `details` fields of /api/email-templates each factory reads, and what
# `sendFrom` means to it: the whole From header, or only the display name.
_ROW_FIELDS: dict[str, tuple[frozenset[str], str | None]] = {
    "aws-ses-mail": (frozenset(), None),
    "mailgun-email": (frozenset({"contentType", "replyTo"}), "address"),
    "sendgrid-email-service": (frozenset({"contentType"}), "name"),
    "simple-mail-transfer-protocol": (frozenset({"contentType", "replyTo"}), "address"),
    "aliyun-direct-mail": (frozenset(), "name"),
}
KNOWN_FACTORIES = frozenset(_TEMPLATE_LIST_FACTORIES | _NO_TEMPLATE_FACTORIES | {"mailgun-email", "postmark-mail"})


def _check_factory(factory_id: str) -> None:
    if factory_id not in KNOWN_FACTORIES:
        raise ValueError(f"unknown email connector factory {factory_id!r}; known: {', '.join(sorted(KNOWN_FACTORIES))}")


def _require(rendered: RenderedSet) -> None:
    missing = [u for u in REQUIRED_USAGE_TYPES if u not in rendered.usage_types]
    if missing:
        raise TemplateError([TemplateProblem("rendered set", f"missing required usage type {u}") for u in missing])


def config_templates(factory_id: str, rendered: RenderedSet, *, locale: str | None = None,
                     reply_to: str | None = None, postmark_aliases: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The template part of a factory's connector config, in one locale (default: the first).

    `reply_to` goes into Mailgun deliveries (the only config template format that has one;
    SMTP's replyTo is a config-level field). `postmark_aliases` overrides the default aliases.
    """
    _check_factory(factory_id)
    if factory_id in _NO_TEMPLATE_FACTORIES:
        return {}
    _require(rendered)
    loc = locale or rendered.default_locale
    if loc not in rendered.locales:
        raise ValueError(f"locale {loc!r} is not in the rendered set ({', '.join(rendered.locales)})")
    emails = [rendered.get(loc, u) for u in rendered.usage_types]
    if factory_id == "postmark-mail":
        aliases = {**POSTMARK_DEFAULT_ALIASES, **(postmark_aliases or {})}
        unknown = sorted(set(postmark_aliases or {}) - set(POSTMARK_DEFAULT_ALIASES))
        if unknown:
            raise ValueError(f"postmark_aliases has unknown usage types: {', '.join(unknown)}")
        return {"templates": [{"usageType": e.usage_type, "templateAlias": aliases[e.usage_type]} for e in emails]}
    if factory_id == "mailgun-email":
        return {"deliveries": {
            e.usage_type: {"subject": e.subject, "html": e.html, "text": e.text, **({"replyTo": reply_to} if reply_to else {})}
            for e in emails
        }}
    if factory_id == "simple-mail-transfer-protocol":
        entries = [{"usageType": e.usage_type, "contentType": "text/html", "subject": e.subject, "content": e.html}
                   for e in emails]
    elif factory_id == "sendgrid-email-service":
        entries = [{"usageType": e.usage_type, "type": "text/html", "subject": e.subject, "content": e.html}
                   for e in emails]
    else:  # aws-ses-mail, aliyun-direct-mail: the body is always HTML
        entries = [{"usageType": e.usage_type, "subject": e.subject, "content": e.html} for e in emails]
    return {"templates": entries}




def format_address(name: str | None, email: str) -> str:
    """The one From/Reply-To formatter: `Name <addr>`, with the display name quoted and escaped
    exactly when RFC 5322 needs it (`"Acme, Inc." <a@b>`, `"Jo\\\\Co" <a@b>`), by the standard
    library's `email.headerregistry.Address`. Non-ASCII names stay readable (the connector's
    mailer encodes them on the wire)."""
    if not name:
        return email
    local, _, domain = email.rpartition("@")
    return str(Address(display_name=name, username=local, domain=domain))


def email_template_rows(factory_id: str, rendered: RenderedSet, sender: Sender) -> list[dict[str, Any]]:
    """Rows for `PUT /api/email-templates` (every locale × usage type), with only the detail
    fields this factory reads; `[]` for factories that never read them (Postmark, HTTP, Logto)."""
    _check_factory(factory_id)
    if factory_id not in _ROW_FIELDS:
        return []
    _require(rendered)
    extra_fields, send_from = _ROW_FIELDS[factory_id]
    rows: list[dict[str, Any]] = []
    for locale in rendered.locales:
        for usage in rendered.usage_types:
            email = rendered.get(locale, usage)
            details: dict[str, str] = {"subject": email.subject, "content": email.html}
            if "contentType" in extra_fields:
                details["contentType"] = "text/html"
            if "replyTo" in extra_fields and sender.reply_to:
                details["replyTo"] = sender.reply_to
            if send_from == "address":
                details["sendFrom"] = format_address(sender.name, sender.email)
            elif send_from == "name" and sender.name:
                details["sendFrom"] = sender.name
            rows.append({"languageTag": locale, "templateType": usage, "details": details})
    return rows
