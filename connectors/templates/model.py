"""The value types of the template layer: what goes in (branding, sender) and what comes out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Branding:
    """How the tenant's emails look. Only `product_name` is required; the rest has defaults."""

    product_name: str
    logo_url: str | None = None
    primary_color: str = "#4F46E5"
    background_color: str = "#F3F4F6"
    text_color: str = "#111827"
    company_name: str | None = None
    company_address: str | None = None
    support_email: str | None = None
    support_url: str | None = None

    def __post_init__(self) -> None:
        # `None` for a colour means "the default", so callers can pass optional fields through.
        for name in ("primary_color", "background_color", "text_color"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.__dataclass_fields__[name].default)


@dataclass(frozen=True)
class Sender:
    """Who the email is from. `name` is the display name; `reply_to` an address."""

    email: str
    name: str | None = None
    reply_to: str | None = None


@dataclass(frozen=True)
class RenderedEmail:
    """One email, ready for Logto: Logto placeholders (`{{code}}` …) are still literal."""

    usage_type: str
    locale: str
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class RenderedSet:
    """Every usage type in every locale. `locales[0]` is the tenant's default locale."""

    locales: tuple[str, ...]
    emails: Mapping[tuple[str, str], RenderedEmail]  # key: (locale, usage_type)
    warnings: tuple[TemplateProblem, ...] = ()  # valid but probably wrong (e.g. a hard-coded code lifetime)

    @property
    def default_locale(self) -> str:
        return self.locales[0]

    @property
    def usage_types(self) -> tuple[str, ...]:
        """The usage types of the set, in first-seen order (the manifest's order)."""
        return tuple(dict.fromkeys(usage for _, usage in self.emails))

    def get(self, locale: str, usage_type: str) -> RenderedEmail:
        try:
            return self.emails[(locale, str(usage_type))]
        except KeyError:
            raise KeyError(f"no {usage_type} email in locale {locale!r}") from None


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with a template set. `where` names the file, usage type or locale."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class TemplateError(Exception):
    """All problems found in a template set at once, so an author fixes them in one pass."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the email templates:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])
