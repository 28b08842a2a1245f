"""`aliyun-direct-mail` (@logto/connector-aliyun-dm 1.6.1): SingleSendMail, HTML body."""

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

AliyunRegion = Literal["cn-hangzhou", "ap-southeast-1", "ap-southeast-2", "eu-central-1", "us-east-1"]
ALIYUN_REGIONS: tuple[str, ...] = AliyunRegion.__args__  # type: ignore[attr-defined]


class AliyunTemplate(Strict):
    usageType: UsageTypeName
    subject: HeaderText
    content: NonEmptyStr


class AliyunDirectMailConfig(FactoryModel):
    FACTORY_ID: ClassVar[str] = "aliyun-direct-mail"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"accessKeySecret"})
    TEMPLATE_FORMAT: ClassVar[TemplateFormat] = TemplateFormat("entries")
    I18N_ROWS: ClassVar[I18nRows | None] = I18nRows(send_from="name")
    SENDER_KEYS: ClassVar[tuple[str, ...]] = ("fromAlias", "accountName")

    accessKeyId: NonEmptyStr
    accessKeySecret: Secret
    regionId: AliyunRegion | None = None  # Logto sends to cn-hangzhou when unset
    accountName: EmailAddress  # the sender address configured in Direct Mail
    fromAlias: HeaderText | None = None
    templates: list[AliyunTemplate]

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: list) -> list:
        check_templates(value, body_fields=("content",), other_fields=("subject",))
        return value
