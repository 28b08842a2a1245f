"""What every factory model shares: strict parsing, masked secrets, Logto-exact output."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)

from connectors.logto_facts import (
    REQUIRED_USAGE_TYPES,
    UsageType,
    clean_deep,
    placeholder_problems,
)
from connectors.validators import (  # noqa: F401  (re-exported to the factory modules)
    EmailAddress,
    HeaderText,
    HostName,
    HttpUrl,
    Mailbox,
    NonEmptyStr,
)

Number = Annotated[StrictInt | StrictFloat, Field(ge=0)]
Flag = StrictBool

def _usage_type(value: str) -> str:
    try:
        return UsageType(value).value
    except ValueError:
        raise ValueError(
            f"unknown usage type; one of: {', '.join(UsageType)} (Logto would never send it)"
        ) from None


UsageTypeName = Annotated[StrictStr, AfterValidator(_usage_type)]


@dataclass(frozen=True)
class TemplateFormat:
    """How a factory's config carries templates: not at all, a `templates[]` list of entries
    (with the key naming the body's MIME type, if any), Postmark's aliases, Mailgun's deliveries."""

    kind: Literal["none", "entries", "aliases", "deliveries"]
    content_type_key: str | None = None


@dataclass(frozen=True)
class I18nRows:
    """A factory that reads Logto's i18n email templates: which `details` fields besides subject
    and content it reads, and what `sendFrom` means to it (the whole From header, or the name)."""

    fields: frozenset[str] = frozenset()
    send_from: Literal["address", "name"] | None = None


class FactoryModel(BaseModel):
    """Base of every connector config model. Field names are Logto's exact JSON names."""

    # defer_build: a model is built when first used, so a command pays only for the factories its
    # stack uses (every factory is imported by the provider registry).
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True, strict=False, defer_build=True)

    FACTORY_ID: ClassVar[str]
    # Which top-level keys hold secrets (masked in every view, revealed only on the wire).
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset()
    TEMPLATE_FORMAT: ClassVar[TemplateFormat]
    # Set when the factory's connector reads Logto's i18n email templates (/api/email-templates).
    I18N_ROWS: ClassVar[I18nRows | None] = None
    # Where the config keeps its sender (display name first when there are two; none is secret).
    SENDER_KEYS: ClassVar[tuple[str, ...]] = ()
    # Offered only by Logto Cloud.
    CLOUD_ONLY: ClassVar[bool] = False

    def to_logto(self, reveal: bool = False) -> dict[str, Any]:
        """The config to send to Logto: exact JSON names, unset fields left out.

        Not cleaned: the guard validates the raw object, and some required keys are legitimately
        empty (an SMTP relay that authorizes by IP sends `auth: {}`).
        """
        return self.model_dump(
            mode="json", by_alias=True, exclude_none=True, context={"reveal_secrets": reveal}
        )

    def to_stored(self, reveal: bool = False) -> dict[str, Any]:
        """The config as Logto stores and returns it: `to_logto()` after Logto's clean-deep."""
        return clean_deep(self.to_logto(reveal))

    @classmethod
    def payload_from_stored(cls, stored: dict[str, Any]) -> dict[str, Any]:
        """A config read back from Logto, made sendable again (puts back required empty keys)."""
        return dict(stored)

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        yield from super().__repr_args__()  # Secret values repr as masked themselves


class Strict(BaseModel):
    """Nested objects: unknown keys rejected, like the top level."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True, defer_build=True)  # as above


def check_templates(
    entries: list[Any],
    *,
    key: str = "usageType",
    body_fields: tuple[str, ...] = (),
    other_fields: tuple[str, ...] = (),
) -> None:
    """Logto's required-usage-types refinement, plus our stricter checks.

    Duplicates are refused (Logto silently uses the first), and code emails must show {{code}}.
    """
    types = [getattr(e, key) for e in entries]
    missing = [t for t in REQUIRED_USAGE_TYPES if t not in types]
    problems: list[str] = []
    if missing:
        problems.append(f"Template with UsageType ({', '.join(missing)}) should be provided!")
    dupes = sorted({t for t in types if types.count(t) > 1})
    if dupes:
        problems.append(f"usage type listed more than once: {', '.join(dupes)} (Logto uses only the first)")
    for entry in entries:
        kind = getattr(entry, key)
        body = [getattr(entry, f) or "" for f in body_fields]
        other = [getattr(entry, f) or "" for f in other_fields]
        found = placeholder_problems(kind, *body, needs_code=bool(body_fields))
        found += [p for p in placeholder_problems(kind, *other, needs_code=False) if p not in found]
        problems += [f"templates[{kind}]: {p}" for p in found]
    if problems:
        raise ValueError("\n".join(problems))
