"""The stack-config schema: `Pulumi.<stack>.yaml` → typed, validated tenant specs."""

from connectors.spec.loader import (
    NAMESPACE,
    available_stacks,
    load_stack,
    read_yaml,
    spec_from_config,
    stack_file,
    stack_from_document,
)
from connectors.spec.models import (
    FACTORY_OF_PROVIDER,
    PROVIDER_TYPES,
    AliyunProvider,
    AwsSesProvider,
    BrandingSpec,
    DnsRecord,
    DnsSpec,
    HttpProvider,
    LogtoEmailProvider,
    LogtoSpec,
    MailgunProvider,
    PostmarkProvider,
    SenderSpec,
    SendgridProvider,
    SesSmtpProvider,
    SignInExperienceSpec,
    SmtpProvider,
    StackSpec,
    TemplatesSpec,
    TenantSpec,
)

__all__ = [name for name in dir() if not name.startswith("_")]
