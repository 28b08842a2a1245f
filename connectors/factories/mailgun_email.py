"""`mailgun-email` (@logto/connector-mailgun 1.5.6): HTML deliveries or Mailgun templates."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, field_validator

from connectors.factories._base import (
    FactoryModel,
    HeaderText,
    I18nRows,
    Mailbox,
    NonEmptyStr,
    Strict,
    TemplateFormat,
    UsageTypeName,
)
from connectors.logto_facts import REQUIRED_USAGE_TYPES, placeholder_problems
from connectors.secret import Secret

US_ENDPOINT = "https://api.mailgun.net"
EU_ENDPOINT = "https://api.eu.mailgun.net"


def _mailgun_endpoint(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be a URL such as https://api.eu.mailgun.net")
    if not value.endswith(".mailgun.net"):
        raise ValueError(f"must end with .mailgun.net ({US_ENDPOINT} or {EU_ENDPOINT})")
    return value


class HtmlDelivery(Strict):
    html: NonEmptyStr
    text: NonEmptyStr | None = None
    subject: HeaderText | None = None
    replyTo: Mailbox | None = None  # sent as h:Reply-To, not rendered


class TemplateDelivery(Strict):
    template: NonEmptyStr  # a template stored in Mailgun
    variables: dict[str, Any] | None = None
    subject: HeaderText | None = None
    replyTo: Mailbox | None = None


Delivery = Annotated[HtmlDelivery | TemplateDelivery, Field(union_mode="left_to_right")]


class MailgunEmailConfig(FactoryModel):
    FACTORY_ID: ClassVar[str] = "mailgun-email"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"apiKey"})
    TEMPLATE_FORMAT: ClassVar[TemplateFormat] = TemplateFormat("deliveries")
    I18N_ROWS: ClassVar[I18nRows | None] = I18nRows(frozenset({"contentType", "replyTo"}), "address")
    SENDER_KEYS: ClassVar[tuple[str, ...]] = ("from",)

    endpoint: Annotated[NonEmptyStr, AfterValidator(_mailgun_endpoint)] | None = None
    domain: NonEmptyStr
    apiKey: Secret
    from_: Mailbox = Field(alias="from")
    deliveries: dict[UsageTypeName, Delivery]


    @field_validator("deliveries")
    @classmethod
    def _deliveries(cls, deliveries: dict) -> dict:
        problems: list[str] = []
        missing = [t for t in REQUIRED_USAGE_TYPES if t not in deliveries]
        if missing:
            problems.append(
                f"deliveries must include {', '.join(missing)} (Logto falls back to Generic, "
                "but an empty or partial set fails at send time)"
            )
        for kind, delivery in deliveries.items():
            if isinstance(delivery, HtmlDelivery):
                found = placeholder_problems(kind, delivery.html)
                if delivery.text is not None:
                    found += [p for p in placeholder_problems(kind, delivery.text) if p not in found]
                found += [p for p in placeholder_problems(kind, delivery.subject or "", needs_code=False) if p not in found]
                problems += [f"deliveries.{kind}: {p}" for p in found]
        if problems:
            raise ValueError("\n".join(problems))
        return deliveries
