"""A rendered set in each Logto factory's own template format.

Two destinations: the connector config (`templates[]` or Mailgun `deliveries`, one locale:
the tenant's default) and the tenant-wide rows of `PUT /api/email-templates` (every locale),
which only the factories with `I18N_ROWS` read (SES, Mailgun, SendGrid, SMTP and Aliyun).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.headerregistry import Address
from typing import Any

from connectors.factories import FactoryModel
from connectors.logto_facts import REQUIRED_USAGE_TYPES, UsageType
from connectors.providers import FACTORIES
from connectors.templates.model import (
    RenderedSet,
    Sender,
    TemplateError,
    TemplateProblem,
)

# Postmark's Console defaults.
POSTMARK_DEFAULT_ALIASES: dict[str, str] = {
    u.value: "logto-" + re.sub(r"(?<!^)(?=[A-Z])", "-", u.value).lower() for u in UsageType
}

def _factory(factory_id: str) -> type[FactoryModel]:
    """The factory's model: its TEMPLATE_FORMAT and I18N_ROWS say what this module writes."""
    model = FACTORIES.get(factory_id)
    if model is None:
        raise ValueError(f"unknown email connector factory {factory_id!r}; known: {', '.join(sorted(FACTORIES))}")
    return model


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
    fmt = _factory(factory_id).TEMPLATE_FORMAT
    if fmt.kind == "none":
        return {}
    _require(rendered)
    loc = locale or rendered.default_locale
    if loc not in rendered.locales:
        raise ValueError(f"locale {loc!r} is not in the rendered set ({', '.join(rendered.locales)})")
    emails = [rendered.get(loc, u) for u in rendered.usage_types]
    if fmt.kind == "aliases":
        aliases = {**POSTMARK_DEFAULT_ALIASES, **(postmark_aliases or {})}
        unknown = sorted(set(postmark_aliases or {}) - set(POSTMARK_DEFAULT_ALIASES))
        if unknown:
            raise ValueError(f"postmark_aliases has unknown usage types: {', '.join(unknown)}")
        return {"templates": [{"usageType": e.usage_type, "templateAlias": aliases[e.usage_type]} for e in emails]}
    if fmt.kind == "deliveries":
        return {"deliveries": {
            e.usage_type: {"subject": e.subject, "html": e.html, "text": e.text, **({"replyTo": reply_to} if reply_to else {})}
            for e in emails
        }}
    key = fmt.content_type_key  # None: the body is always HTML (SES, Aliyun)
    entries = [{"usageType": e.usage_type, **({key: "text/html"} if key else {}), "subject": e.subject, "content": e.html}
               for e in emails]
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
    reads = _factory(factory_id).I18N_ROWS
    if reads is None:
        return []
    _require(rendered)
    extra_fields, send_from = reads.fields, reads.send_from
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
