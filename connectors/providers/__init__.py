"""The provider registry: every provider type of the stack schema, one module each.

Every per-provider table elsewhere (the schema's union and type list, the factory of each type,
the factory models by id, which factories read Logto's i18n rows, the storage rule, generated
keys, the infra module) is derived from `PROVIDERS`. Adding a provider: write its module (stack
model, `connector_config`, `PROVIDER`), add it to `PROVIDERS` and to `ProviderSpec` below (the one
static union type checkers narrow on; a test keeps both lists equal).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationError

from connectors.errors import ConfigError, Problem, problems_from_validation
from connectors.factories._base import FactoryModel
from connectors.providers import (
    aliyun,
    aws_ses,
    http,
    logto_email,
    mailgun,
    postmark,
    relay,
    sendgrid,
    ses_smtp,
    smtp,
)
from connectors.providers._base import (
    GENERATED,
    GENERATED_URL,
    ConnectorInputs,
    GeneratedKey,
    Provider,
)

PROVIDERS: tuple[Provider[Any], ...] = (
    aws_ses.PROVIDER, ses_smtp.PROVIDER, smtp.PROVIDER, http.PROVIDER, mailgun.PROVIDER,
    sendgrid.PROVIDER, postmark.PROVIDER, aliyun.PROVIDER, logto_email.PROVIDER, relay.PROVIDER,
)

# The schema's `provider:` block: one model per provider, picked by `type`.
ProviderSpec = Annotated[
    aws_ses.AwsSesProvider | ses_smtp.SesSmtpProvider | smtp.SmtpProvider | http.HttpProvider | mailgun.MailgunProvider | sendgrid.SendgridProvider | postmark.PostmarkProvider | aliyun.AliyunProvider | logto_email.LogtoEmailProvider | relay.RelayProvider,
    Field(discriminator="type"),
]

BY_TYPE: dict[str, Provider[Any]] = {p.type: p for p in PROVIDERS}
PROVIDER_TYPES: tuple[str, ...] = tuple(BY_TYPE)
FACTORY_OF_PROVIDER: dict[str, str] = {p.type: p.factory_id for p in PROVIDERS}
# The Logto factory models by factory id (several providers may share one factory).
FACTORIES: dict[str, type[FactoryModel]] = {p.factory_id: p.factory for p in PROVIDERS}
# Factories whose connectors read Logto's i18n email templates (/api/email-templates).
I18N_TEMPLATE_FACTORIES: frozenset[str] = frozenset(f for f, m in FACTORIES.items() if m.I18N_ROWS is not None)
CLOUD_ONLY_FACTORIES: frozenset[str] = frozenset(f for f, m in FACTORIES.items() if m.CLOUD_ONLY)


def provider_of(type_name: str) -> Provider[Any]:
    """The registry record of a provider type (the schema only admits registered types)."""
    return BY_TYPE[type_name]


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
    "BY_TYPE", "CLOUD_ONLY_FACTORIES", "FACTORIES", "FACTORY_OF_PROVIDER", "GENERATED", "GENERATED_URL",
    "I18N_TEMPLATE_FACTORIES", "PROVIDERS", "PROVIDER_TYPES", "ConnectorInputs", "GeneratedKey", "Provider",
    "ProviderSpec", "parse_config", "provider_of",
]
