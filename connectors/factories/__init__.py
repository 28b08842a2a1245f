"""One exact config model per Logto email connector factory, keyed by factory id."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from connectors.errors import ConfigError, Problem, problems_from_validation
from connectors.factories._base import FactoryModel
from connectors.factories.aliyun_direct_mail import AliyunDirectMailConfig
from connectors.factories.aws_ses_mail import AwsSesMailConfig
from connectors.factories.http_email import HttpEmailConfig
from connectors.factories.logto_email import LogtoEmailConfig
from connectors.factories.mailgun_email import MailgunEmailConfig
from connectors.factories.postmark_mail import PostmarkMailConfig
from connectors.factories.sendgrid_email_service import SendgridEmailServiceConfig
from connectors.factories.simple_mail_transfer_protocol import SimpleMailTransferProtocolConfig

FACTORIES: dict[str, type[FactoryModel]] = {
    m.FACTORY_ID: m
    for m in (
        AwsSesMailConfig,
        MailgunEmailConfig,
        SendgridEmailServiceConfig,
        SimpleMailTransferProtocolConfig,
        HttpEmailConfig,
        PostmarkMailConfig,
        AliyunDirectMailConfig,
        LogtoEmailConfig,
    )
}

# Factories whose connectors read Logto's i18n email templates (/api/email-templates).
I18N_TEMPLATE_FACTORIES: frozenset[str] = frozenset(
    {"aws-ses-mail", "mailgun-email", "sendgrid-email-service", "simple-mail-transfer-protocol", "aliyun-direct-mail"}
)
CLOUD_ONLY_FACTORIES: frozenset[str] = frozenset({"logto-email"})


def parse_config(factory_id: str, data: Any, *, path: str = "") -> FactoryModel:
    """Validate `data` as `factory_id`'s config; ConfigError lists every problem, values never shown."""
    model = FACTORIES.get(factory_id)
    if model is None:
        raise ConfigError([Problem(path, f"unknown connector factory {factory_id!r}; one of: {', '.join(FACTORIES)}")])
    if not isinstance(data, dict):
        raise ConfigError([Problem(path, "the connector config must be an object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, path)) from None


__all__ = [
    "CLOUD_ONLY_FACTORIES",
    "FACTORIES",
    "FactoryModel",
    "I18N_TEMPLATE_FACTORIES",
    "parse_config",
    *(m.__name__ for m in FACTORIES.values()),
]
