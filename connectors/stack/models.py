"""The stack schema: what a `Pulumi.<stack>.yaml` declares under `logto-email:`.

YAML keys are camelCase (Pulumi's convention); attributes are snake_case. Fields marked
`portable` are the proven settings `promote` copies from one stack to another; every other field
is bound to its environment (endpoints, domains, zones, secrets, recipients) and never copied.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from connectors import email_policy as ep
from connectors.logto_facts import LOGTO_LANGUAGE_TAGS
from connectors.providers import FACTORY_OF_PROVIDER, PROVIDER_TYPES, ProviderSpec
from connectors.providers.aliyun import AliyunProvider
from connectors.providers.aws_ses import (
    BOUNCE_RATE_DEFAULTS,
    COMPLAINT_RATE_DEFAULTS,
    AlarmsSpec,
    AlertsSpec,
    AwsSesProvider,
    EventsSpec,
    RateThresholds,
    ReadinessSpec,
    SesEventType,
)
from connectors.providers.http import HttpProvider
from connectors.providers.logto_email import LogtoEmailProvider
from connectors.providers.mailgun import MailgunProvider
from connectors.providers.postmark import PostmarkProvider
from connectors.providers.relay import (
    RELAY_UPSTREAM_TYPES,
    RelayAwsSpec,
    RelayMailgunUpstream,
    RelayPostmarkUpstream,
    RelayProvider,
    RelaySendgridUpstream,
    RelaySesUpstream,
    RelayUpstream,
)
from connectors.providers.sendgrid import SendgridProvider
from connectors.providers.ses_smtp import SesSmtpProvider
from connectors.providers.smtp import SmtpProvider
from connectors.schema import (
    PORTABLE,
    DmarcPolicy,
    DmarcSpec,
    DnsRecord,
    DnsSpec,
    Model,
    Port,
    portable,
)
from connectors.secret import Secret
from connectors.validators import EmailAddress, HeaderText, HttpUrl, LogtoEndpoint

_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")  # pydantic's (Rust) `$` is the very end

Color = Annotated[str, Field(pattern=_COLOR_RE.pattern)]
_TAG_LIKE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}")


# --- Logto -------------------------------------------------------------------------------------
class LogtoSpec(Model):
    """The tenant's Management API access (an M2M app with the `all` permission)."""

    endpoint: LogtoEndpoint = Field(description="Logto endpoint, e.g. https://<tenant-id>.logto.app or http://localhost:3001")
    app_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,128}$")] = Field(description="M2M application id")
    app_secret: Secret = Field(description="M2M application secret (a `secure:` value)")
    resource: HttpUrl | None = Field(None, description="Management API indicator; default derived from the endpoint")

    @field_validator("endpoint")
    @classmethod
    def _no_path(cls, v: str) -> str:
        return v.rstrip("/")


# --- sender, branding, templates ----------------------------------------------------------------
class SenderSpec(Model):
    email: EmailAddress = Field(description="From address; its domain must be the provider's sending domain")
    name: HeaderText | None = portable(None, description="display name, e.g. Acme")
    reply_to: EmailAddress | None = Field(None, description="Reply-To address")


class BrandingSpec(Model):
    product_name: HeaderText = portable(description="shown in subjects and headings")
    logo_url: HttpUrl | None = portable(None, description="logo image (PNG, ~2x of 160 px wide)")
    primary_color: Color = portable("#5D34F2", description="buttons, code box accent")
    background_color: Color = portable("#F5F5F7", description="page background")
    text_color: Color = portable("#1F1F24", description="body text")
    company_name: HeaderText | None = portable(None, description="footer")
    company_address: str | None = portable(None, description="footer (postal address)")
    support_email: EmailAddress | None = portable(None, description="footer: where users get help")
    support_url: HttpUrl | None = portable(None, description="footer: help center link")


class TemplatesSpec(Model):
    directory: str | None = portable(None, description="your template directory, overriding any default file")
    storage: Literal["connector", "logto"] = portable(
        "connector", description="connector: in the connector config; logto: Logto's i18n email templates"
    )


class VerificationCodePolicySpec(Model):
    """Logto's `verificationCodePolicy`: how long an emailed code lives and how many wrong tries it survives."""

    expiration_duration: StrictInt | None = portable(
        None, description=f"code lifetime in seconds, {ep.EXPIRATION_MIN}–{ep.EXPIRATION_MAX} (Logto's default {ep.EXPIRATION_DEFAULT}); the emails state it"
    )
    max_retry_attempts: StrictInt | None = portable(
        None, description=f"wrong tries before a code is invalidated, {ep.RETRY_MIN}–{ep.RETRY_MAX} (default {ep.RETRY_DEFAULT})"
    )

    @field_validator("expiration_duration")
    @classmethod
    def _expiration(cls, v: int | None) -> int | None:
        if v is not None and not ep.EXPIRATION_MIN <= v <= ep.EXPIRATION_MAX:
            raise ValueError(
                f"must be {ep.EXPIRATION_MIN}–{ep.EXPIRATION_MAX} seconds (Logto refuses anything else; "
                f"{ep.EXPIRATION_DEFAULT} = 10 minutes is its default)"
            )
        return v

    @field_validator("max_retry_attempts")
    @classmethod
    def _retries(cls, v: int | None) -> int | None:
        if v is not None and not ep.RETRY_MIN <= v <= ep.RETRY_MAX:
            raise ValueError(f"must be {ep.RETRY_MIN}–{ep.RETRY_MAX} (Logto refuses anything else; {ep.RETRY_DEFAULT} is its default)")
        return v

    def logto(self) -> dict[str, int]:
        """The declared keys, as Logto names them."""
        return {k: v for k, v in (("expirationDuration", self.expiration_duration), ("maxRetryAttempts", self.max_retry_attempts)) if v is not None}


class EmailBlocklistPolicySpec(Model):
    """Logto's `emailBlocklistPolicy`: which addresses may sign up, link or change an email."""

    block_disposable_addresses: StrictBool | None = portable(None, description="refuse disposable mailbox domains (Logto Cloud only)")
    block_subaddressing: StrictBool | None = portable(None, description="refuse sub-addresses such as user+tag@example.com")
    custom_blocklist: list[str] | None = portable(None, description=f"refused entries: {ep.ENTRY_EXAMPLES}")
    custom_allowlist: list[str] | None = portable(None, description="when non-empty, only matching addresses are accepted (same entry syntax)")

    @field_validator("custom_blocklist", "custom_allowlist")
    @classmethod
    def _entries(cls, v: list[str] | None, info: Any) -> list[str] | None:
        if v is None:
            return v
        problems = ep.entry_problems(v, to_camel(info.field_name))
        if problems:
            raise ValueError("\n".join(problems))
        return v

    @model_validator(mode="after")
    def _allow_not_blocked(self) -> EmailBlocklistPolicySpec:
        blocked = ep.allowlist_blocked(self.custom_allowlist or [], self.custom_blocklist or [], bool(self.block_subaddressing))
        if blocked:
            raise ValueError("\n".join(
                f"customAllowlist entry {a!r} can never be used: {b} blocks it (Logto refuses this); remove one of them"
                for a, b in blocked
            ))
        return self

    def logto(self) -> dict[str, Any]:
        pairs = (
            ("blockDisposableAddresses", self.block_disposable_addresses), ("blockSubaddressing", self.block_subaddressing),
            ("customBlocklist", self.custom_blocklist), ("customAllowlist", self.custom_allowlist),
        )
        return {k: list(v) if isinstance(v, list) else v for k, v in pairs if v is not None}


class SignInExperienceSpec(Model):
    """The email part of the sign-in experience; unset means: leave it as it is."""

    email_sign_up: StrictBool | None = portable(None, description="email is a sign-up identifier (verified by code)")
    email_sign_in: StrictBool | None = portable(None, description="sign-in with email + verification code")
    forgot_password: StrictBool | None = portable(None, description="reset a forgotten password by email code")
    verification_code_policy: VerificationCodePolicySpec | None = portable(
        None, description="code lifetime and retry limit (only the keys set here are managed)"
    )
    email_blocklist_policy: EmailBlocklistPolicySpec | None = portable(
        None, description="email block/allow policy (only the keys set here are managed)"
    )
    email_mfa: StrictBool | None = portable(None, description="EmailVerificationCode is an MFA factor (sends MfaVerification/BindMfa)")
    account_center_email: str | None = portable(
        None, description="Account Center `fields.email`: Off, ReadOnly or Edit (Edit sends BindNewIdentifier codes)"
    )

    @field_validator("account_center_email")
    @classmethod
    def _account_center(cls, v: str | None) -> str | None:
        if v is not None and v not in ep.ACCOUNT_CENTER_VALUES:
            raise ValueError(f"must be one of {', '.join(ep.ACCOUNT_CENTER_VALUES)}{ep.did_you_mean(v, ep.ACCOUNT_CENTER_VALUES)}")
        return v

    @model_validator(mode="after")
    def _mfa_not_sign_in(self) -> SignInExperienceSpec:
        if self.email_mfa and self.email_sign_in:
            raise ValueError(
                "emailMfa and emailSignIn cannot both be true: Logto does not let email codes be both a sign-in "
                "method and an MFA factor; set one of them to false"
            )
        return self

    def resource_inputs(self) -> dict[str, Any]:
        """The declared settings as the sign-in resource's inputs (undeclared ones left out)."""
        values = {
            "email_sign_up": self.email_sign_up, "email_sign_in": self.email_sign_in,
            "forgot_password": self.forgot_password, "email_mfa": self.email_mfa,
            "verification_code_policy": self.verification_code_policy.logto() if self.verification_code_policy else None,
            "email_blocklist_policy": self.email_blocklist_policy.logto() if self.email_blocklist_policy else None,
            "account_center_email": self.account_center_email,
        }
        return {k: v for k, v in values.items() if v is not None and v != {}}

    @property
    def code_lifetime_seconds(self) -> int | None:
        """The declared code lifetime, None when not declared (Logto then uses its own)."""
        return self.verification_code_policy.expiration_duration if self.verification_code_policy else None


class TenantSpec(Model):
    logto: LogtoSpec = Field(description="the tenant's Management API access")
    provider: ProviderSpec = Field(description="the email provider; `type` picks the Logto connector")
    sender: SenderSpec | None = Field(None, description="From/Reply-To (required except for logto-email)")
    locales: list[str] = portable(["en"], min_length=1, description="Logto language tags; the first is the default")
    branding: BrandingSpec | None = Field(None, description="how the emails look")
    templates: TemplatesSpec = Field(default_factory=TemplatesSpec, description="where templates come from and live")
    test_recipient: EmailAddress | None = Field(None, description="gets a test email before any connector change")
    sign_in_experience: SignInExperienceSpec | None = Field(None, description="email settings of the sign-in experience")
    allow_sign_in_breakage: StrictBool = Field(False, description="let destroy delete a connector sign-in needs")
    allow_untested_changes: StrictBool = Field(
        False, description="opt out of the test recipient: connector changes may go live untested (check reports it)"
    )

    @field_validator("locales")
    @classmethod
    def _locales(cls, v: list[str]) -> list[str]:
        bad = [t for t in v if t not in LOGTO_LANGUAGE_TAGS]
        if bad:
            hints = []
            for t in bad:
                near = [x for x in LOGTO_LANGUAGE_TAGS if x.lower() == t.lower() or x.split("-")[0] == t.split("-")[0].lower()]
                shown = repr(t) if _TAG_LIKE.fullmatch(t) else "an entry"  # never echo what is not a tag
                hints.append(shown + (f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""))
            raise ValueError(
                f"not a language Logto resolves: {', '.join(hints)}; use one of {', '.join(LOGTO_LANGUAGE_TAGS)}"
            )
        if len(set(v)) != len(v):
            raise ValueError("a locale is listed twice")
        return v

    @model_validator(mode="after")
    def _sender_needed(self) -> TenantSpec:
        if self.provider.type != "logto-email" and self.sender is None:
            raise ValueError(f"sender (email, name) is required for provider {self.provider.type}")
        if self.provider.type == "logto-email" and self.sender is not None and self.sender.email:
            pass  # the address is Logto's; only sender.name is used
        return self

    @model_validator(mode="after")
    def _test_recipient_needed(self) -> TenantSpec:
        sie = self.sign_in_experience
        needs_email = sie is not None and True in (sie.email_sign_up, sie.email_sign_in, sie.forgot_password)
        if needs_email and self.test_recipient is None and not self.allow_untested_changes:
            raise ValueError(
                "signInExperience makes sign-in need email, so every connector change must be test-sent first: "
                "set testRecipient (a mailbox that gets the test message), or allowUntestedChanges: true to opt out"
            )
        return self

    @property
    def factory_id(self) -> str:
        return FACTORY_OF_PROVIDER[self.provider.type]


class StackSpec(BaseModel):
    """A whole stack: its name, whether it is production, and its tenants by key."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    stack: str
    production: bool = False
    tenants: dict[str, TenantSpec]
    source: str | None = None  # the stack file it came from, for messages
    project_dir: str = "."


# The provider models are part of the stack schema's surface (each lives in its provider module).
__all__ = [
    "BOUNCE_RATE_DEFAULTS",
    "COMPLAINT_RATE_DEFAULTS",
    "FACTORY_OF_PROVIDER",
    "PORTABLE",
    "PROVIDER_TYPES",
    "RELAY_UPSTREAM_TYPES",
    "AlarmsSpec",
    "AlertsSpec",
    "AliyunProvider",
    "AwsSesProvider",
    "BrandingSpec",
    "DmarcPolicy",
    "DmarcSpec",
    "DnsRecord",
    "DnsSpec",
    "EmailBlocklistPolicySpec",
    "EventsSpec",
    "HttpProvider",
    "LogtoEmailProvider",
    "LogtoSpec",
    "MailgunProvider",
    "Model",
    "Port",
    "PostmarkProvider",
    "ProviderSpec",
    "RateThresholds",
    "ReadinessSpec",
    "RelayAwsSpec",
    "RelayMailgunUpstream",
    "RelayPostmarkUpstream",
    "RelayProvider",
    "RelaySendgridUpstream",
    "RelaySesUpstream",
    "RelayUpstream",
    "SenderSpec",
    "SendgridProvider",
    "SesEventType",
    "SesSmtpProvider",
    "SignInExperienceSpec",
    "SmtpProvider",
    "StackSpec",
    "TemplatesSpec",
    "TenantSpec",
    "VerificationCodePolicySpec",
    "portable",
]
