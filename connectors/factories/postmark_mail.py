"""`postmark-mail` (@logto/connector-postmark 1.2.4): templates live in Postmark, chosen by alias."""

from __future__ import annotations

from typing import ClassVar

from pydantic import field_validator

from connectors.factories._base import (
    EmailAddress,
    FactoryModel,
    NonEmptyStr,
    Strict,
    TemplateFormat,
    UsageTypeName,
    check_templates,
)
from connectors.secret import Secret


class PostmarkTemplate(Strict):
    usageType: UsageTypeName
    templateAlias: NonEmptyStr


class PostmarkMailConfig(FactoryModel):
    FACTORY_ID: ClassVar[str] = "postmark-mail"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"serverToken"})
    TEMPLATE_FORMAT: ClassVar[TemplateFormat] = TemplateFormat("aliases")
    SENDER_KEYS: ClassVar[tuple[str, ...]] = ("fromEmail",)

    serverToken: Secret
    fromEmail: EmailAddress
    templates: list[PostmarkTemplate]

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: list) -> list:
        check_templates(value)  # content lives in Postmark: no placeholder check here
        return value
