"""The tenant's "database": connectors, sign-in experience, email templates, M2M apps, tokens.

Tests may read and seed these directly (the equivalent of running SQL against Logto's DB),
which is how states the API refuses to create, such as two email connector rows, are reached.
"""

from __future__ import annotations

import copy
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any

_ALPHABET = string.digits + string.ascii_lowercase


def generate_id(length: int) -> str:
    """`buildIdGenerator(length)`: lowercase alphanumerics (12 for connectors, 21 standard)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class ConnectorRow:
    id: str
    connector_id: str
    config: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    sync_profile: bool = False
    enable_token_storage: bool = False
    created_at: int = field(default_factory=now_ms)

    def __repr__(self) -> str:  # config holds secrets in clear: never print it
        return f"ConnectorRow(id={self.id!r}, connector_id={self.connector_id!r}, config=<{len(self.config)} keys>)"


@dataclass
class EmailTemplateRow:
    id: str
    language_tag: str
    template_type: str
    details: dict[str, Any]
    tenant_id: str = "default"
    created_at: int = field(default_factory=now_ms)

    def response(self) -> dict[str, Any]:
        return {
            "tenantId": self.tenant_id,
            "id": self.id,
            "languageTag": self.language_tag,
            "templateType": self.template_type,
            "details": copy.deepcopy(self.details),
            "createdAt": self.created_at,
        }


@dataclass
class M2MApp:
    app_id: str
    app_secret: str
    scopes: tuple[str, ...] = ("all",)  # what its roles grant on the Management API

    def __repr__(self) -> str:
        return f"M2MApp(app_id={self.app_id!r}, app_secret=<hidden>, scopes={self.scopes!r})"


@dataclass
class IssuedToken:
    app_id: str
    scope: str | None
    expires_at: float
    revoked: bool = False

    def valid(self) -> bool:
        return not self.revoked and time.time() < self.expires_at


@dataclass
class SentMessage:
    """One test-send attempt (`POST /api/connectors/:factoryId/test`); no config, no secrets."""

    factory_id: str
    to: str
    type: str
    payload: dict[str, Any]
    ip: str | None
    ok: bool
    error_code: str | None = None


@dataclass
class Passcode:
    """A Management API verification code (`POST /api/verification-codes`)."""

    code: str
    created_at: float = field(default_factory=time.time)
    try_count: int = 0


def seed_sign_in_experience(cloud: bool, tenant_id: str = "default") -> dict[str, Any]:
    """A fresh tenant's row (`SCHEMAS/src/seeds/sign-in-experience.ts` + column defaults)."""
    if cloud:
        sign_up = {"identifiers": ["email"], "password": True, "verify": True}
        methods = [{"identifier": "email", "password": True, "verificationCode": False, "isPasswordPrimary": True}]
    else:
        sign_up = {"identifiers": ["username"], "password": True, "verify": False}
        methods = [{"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}]
    return {
        "tenantId": tenant_id,
        "id": "default",
        "color": {"primaryColor": "#6139F6", "isDarkModeEnabled": False, "darkPrimaryColor": "#8768F8"},
        "branding": {},
        "hideLogtoBranding": False,
        "languageInfo": {"autoDetect": True, "fallbackLanguage": "en"},
        "termsOfUseUrl": None,
        "privacyPolicyUrl": None,
        "agreeToTermsPolicy": "Automatic",
        "signIn": {"methods": methods},
        "signUp": sign_up,
        "socialSignIn": {},
        "socialSignInConnectorTargets": [],
        "signInMode": "SignInAndRegister",
        "customCss": None,
        "customContent": {},
        "customUiAssets": None,
        "customUiCsp": {},
        "passwordPolicy": {},
        "mfa": {"factors": [], "policy": "UserControlled"},
        "adaptiveMfa": {},
        "singleSignOnEnabled": False,
        "supportEmail": None,
        "supportWebsiteUrl": None,
        "unknownSessionRedirectUrl": None,
        "captchaPolicy": {},
        "sentinelPolicy": {},
        "emailBlocklistPolicy": {},
        "verificationCodePolicy": {},
        "forgotPasswordMethods": [],
        "passkeySignIn": {},
        "signUpProfileFields": [],
        "passwordExpiration": {},
        "usernamePolicy": {
            "caseSensitive": True,
            "minLength": 1,
            "maxLength": 128,
            "allowedChars": {"lowercase": True, "uppercase": True, "numbers": True, "underscore": True},
        },
    }


def seed_account_center(tenant_id: str = "default") -> dict[str, Any]:
    """The `account_centers` row of a fresh tenant (`GET /api/account-center`)."""
    return {"tenantId": tenant_id, "id": "default", "enabled": False, "fields": {}, "webauthnRelatedOrigins": []}


@dataclass
class TenantState:
    cloud: bool = False
    tenant_id: str = "default"
    connectors: dict[str, ConnectorRow] = field(default_factory=dict)
    email_templates: dict[str, EmailTemplateRow] = field(default_factory=dict)
    m2m_apps: dict[str, M2MApp] = field(default_factory=dict)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    sent_messages: list[SentMessage] = field(default_factory=list)
    passcodes: dict[tuple[str, str], Passcode] = field(default_factory=dict)  # (type, recipient)
    sign_in_exp: dict[str, Any] = field(default_factory=dict)
    account_center: dict[str, Any] = field(default_factory=dict)
    organizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    organization_invitations: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.sign_in_exp:
            self.sign_in_exp = seed_sign_in_experience(self.cloud, self.tenant_id)
        if not self.account_center:  # observed on a fresh tenant: disabled, no fields
            self.account_center = seed_account_center(self.tenant_id)

    # -- direct "SQL" for tests ----------------------------------------------------------

    def insert_connector_row(
        self,
        connector_id: str,
        config: dict[str, Any] | None = None,
        *,
        id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ConnectorRow:
        """INSERT a row with no validation and no replacement (e.g. a second email row)."""
        row = ConnectorRow(
            id=id or generate_id(12),
            connector_id=connector_id,
            config=copy.deepcopy(config or {}),
            metadata=copy.deepcopy(metadata or {}),
        )
        self.connectors[row.id] = row
        return row

    def insert_email_template(
        self, language_tag: str, template_type: str, details: dict[str, Any]
    ) -> EmailTemplateRow:
        for row in self.email_templates.values():
            if (row.language_tag, row.template_type) == (language_tag, template_type):
                row.details = copy.deepcopy(details)
                return row
        row = EmailTemplateRow(
            generate_id(21), language_tag, template_type, copy.deepcopy(details), tenant_id=self.tenant_id
        )
        self.email_templates[row.id] = row
        return row

    def patch_sign_in_exp(self, **fields: Any) -> None:
        """Overwrite sign-in experience columns without any validation."""
        self.sign_in_exp.update(copy.deepcopy(fields))
