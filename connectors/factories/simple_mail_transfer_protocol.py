"""`simple-mail-transfer-protocol` (@logto/connector-smtp 1.5.4).

Logto hands the raw config to nodemailer, so every key here is a nodemailer transport option and
the guard's defaults never apply: what is not set here is nodemailer's default.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from connectors.factories._base import (
    FactoryModel,
    Flag,
    HeaderText,
    HostName,
    I18nRows,
    Mailbox,
    NonEmptyStr,
    Number,
    Strict,
    StrictInt,
    TemplateFormat,
    UsageTypeName,
    check_templates,
)
from connectors.secret import Secret

Port = Annotated[StrictInt, Field(ge=1, le=65535)]
OAuth2Type = Literal["oauth2", "OAuth2", "OAUTH2"]


class LoginAuth(Strict):
    """user/pass login; both optional for relays that authorize by IP (since 1.5.3)."""

    type: Literal["login", "Login", "LOGIN"] | None = None
    user: NonEmptyStr | None = None
    pass_: Secret | None = Field(default=None, alias="pass")


class PrivateKey(Strict):
    key: Secret
    passphrase: Secret


class OAuth2ServiceAuth(Strict):
    """OAuth2 with a service account key (2-legged)."""

    type: OAuth2Type | None = None
    user: NonEmptyStr
    privateKey: Secret | PrivateKey
    serviceClient: NonEmptyStr


class OAuth2TokenAuth(Strict):
    """OAuth2 with client credentials / tokens (3-legged)."""

    type: OAuth2Type | None = None
    user: NonEmptyStr
    clientId: NonEmptyStr | None = None
    clientSecret: Secret | None = None
    refreshToken: Secret | None = None
    accessToken: Secret | None = None
    expires: Number | None = None
    accessUrl: NonEmptyStr | None = None


# zod tries the variants in this order; so do we.
SmtpAuth = Annotated[LoginAuth | OAuth2ServiceAuth | OAuth2TokenAuth, Field(union_mode="left_to_right")]


class SmtpTemplate(Strict):
    usageType: UsageTypeName
    contentType: Literal["text/plain", "text/html"]
    subject: HeaderText
    content: NonEmptyStr


class SimpleMailTransferProtocolConfig(FactoryModel):
    FACTORY_ID: ClassVar[str] = "simple-mail-transfer-protocol"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"auth"})
    TEMPLATE_FORMAT: ClassVar[TemplateFormat] = TemplateFormat("entries", "contentType")
    I18N_ROWS: ClassVar[I18nRows | None] = I18nRows(frozenset({"contentType", "replyTo"}), "address")
    SENDER_KEYS: ClassVar[tuple[str, ...]] = ("fromEmail",)

    host: HostName
    port: Port
    auth: SmtpAuth
    fromEmail: Mailbox  # nodemailer `from`, "Name <addr>" works
    replyTo: Mailbox | None = None
    templates: list[SmtpTemplate]
    logger: Flag | None = None
    debug: Flag | None = None
    disableFileAccess: Flag | None = None
    disableUrlAccess: Flag | None = None
    name: NonEmptyStr | None = None  # HELO client hostname
    localAddress: NonEmptyStr | None = None
    connectionTimeout: Number | None = None
    greetingTimeout: Number | None = None
    socketTimeout: Number | None = None
    dnsTimeout: Number | None = None
    secure: Flag | None = None  # implicit TLS (465)
    tls: dict[str, Any] | None = None  # Node TLS options
    servername: NonEmptyStr | None = None
    ignoreTLS: Flag | None = None
    requireTLS: Flag | None = None  # STARTTLS required
    customHeaders: dict[NonEmptyStr, str | list[str]] | None = None

    @classmethod
    def payload_from_stored(cls, stored: dict[str, Any]) -> dict[str, Any]:
        # Logto drops `auth: {}` on save, but its guard requires the key on every write.
        return {"auth": {}, **stored} if "auth" not in stored else dict(stored)

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: list) -> list:
        check_templates(value, body_fields=("content",), other_fields=("subject",))
        return value

    @model_validator(mode="after")
    def _tls(self) -> SimpleMailTransferProtocolConfig:
        if self.secure and self.ignoreTLS:
            raise ValueError("secure (implicit TLS) and ignoreTLS contradict each other")
        if self.requireTLS and self.ignoreTLS:
            raise ValueError("requireTLS and ignoreTLS contradict each other")
        return self
