"""`sendgrid-email-service` (@logto/connector-sendgrid-email 1.5.4). Note the field `type`."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import field_validator

from connectors.factories._base import (
    EmailAddress,
    FactoryModel,
    HeaderText,
    I18nRows,
    NonEmptyStr,
    Strict,
    TemplateFormat,
    UsageTypeName,
    check_templates,
)
from connectors.secret import Secret


class SendGridTemplate(Strict):
    usageType: UsageTypeName
    type: Literal["text/plain", "text/html"]
    subject: HeaderText
    content: NonEmptyStr


class SendgridEmailServiceConfig(FactoryModel):
    FACTORY_ID: ClassVar[str] = "sendgrid-email-service"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"apiKey"})
    TEMPLATE_FORMAT: ClassVar[TemplateFormat] = TemplateFormat("entries", "type")
    I18N_ROWS: ClassVar[I18nRows | None] = I18nRows(frozenset({"contentType"}), "name")
    SENDER_KEYS: ClassVar[tuple[str, ...]] = ("fromName", "fromEmail")

    apiKey: Secret
    fromEmail: EmailAddress  # a plain address; the name goes in fromName
    fromName: HeaderText | None = None
    templates: list[SendGridTemplate]

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: list) -> list:
        check_templates(value, body_fields=("content",), other_fields=("subject",))
        return value
