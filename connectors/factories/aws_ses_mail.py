"""`aws-ses-mail` (AWS Direct Mail, @logto/connector-aws-ses 1.5.4): SESv2 SendEmail, HTML only."""

from __future__ import annotations

from typing import ClassVar

from pydantic import field_validator

from connectors.factories._base import (
    FactoryModel,
    HeaderText,
    I18nRows,
    Mailbox,
    NonEmptyStr,
    Strict,
    TemplateFormat,
    UsageTypeName,
    check_templates,
)
from connectors.secret import Secret


class SesTemplate(Strict):
    usageType: UsageTypeName
    subject: HeaderText
    content: NonEmptyStr  # always sent as Body.Html


class AwsSesMailConfig(FactoryModel):
    FACTORY_ID: ClassVar[str] = "aws-ses-mail"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"accessKeySecret"})
    TEMPLATE_FORMAT: ClassVar[TemplateFormat] = TemplateFormat("entries")
    I18N_ROWS: ClassVar[I18nRows | None] = I18nRows()
    SENDER_KEYS: ClassVar[tuple[str, ...]] = ("emailAddress",)

    accessKeyId: NonEmptyStr
    accessKeySecret: Secret
    region: NonEmptyStr
    emailAddress: Mailbox | None = None  # FromEmailAddress; "Name <addr>" allowed
    emailAddressIdentityArn: NonEmptyStr | None = None
    feedbackForwardingEmailAddress: Mailbox | None = None
    feedbackForwardingEmailAddressIdentityArn: NonEmptyStr | None = None
    configurationSetName: NonEmptyStr | None = None
    templates: list[SesTemplate]

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: list) -> list:
        check_templates(value, body_fields=("content",), other_fields=("subject",))
        return value
