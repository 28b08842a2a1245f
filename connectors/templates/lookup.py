"""Which email of a rendered set Logto would send for a usage type and a locale.

Logto's order for a tenant's templates: the exact (type, locale), then (type, fallback
language), then (Generic, fallback language); a connector's own templates fall back from the
type to Generic. Here the fallback language is the set's default locale (the tenant's first).
"""

from __future__ import annotations

from connectors.logto_facts import UsageType
from connectors.templates.model import RenderedEmail, RenderedSet


def pick_email(rendered: RenderedSet, usage_type: str, locale: str | None) -> RenderedEmail | None:
    """The email for `usage_type` in `locale`, with Logto's fallbacks; None if even Generic is missing."""
    fallback = rendered.default_locale
    candidates = [(usage_type, locale)] if locale else []
    candidates += [(usage_type, fallback), (str(UsageType.Generic), fallback)]
    for usage, loc in candidates:
        email = rendered.emails.get((loc, str(usage)))
        if email is not None:
            return email
    return None
