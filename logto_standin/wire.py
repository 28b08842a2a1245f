"""The request/response types the routes exchange, and Logto's shared constants."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import RawResponse

TEMPLATE_TYPES = [
    "SignIn",
    "Register",
    "ForgotPassword",
    "OrganizationInvitation",
    "Generic",
    "UserPermissionValidation",
    "BindNewIdentifier",
    "MfaVerification",
    "BindMfa",
]
EMAIL_REGEX = r"^\S+@\S+\.\S+$"
PHONE_REGEX = r"^\d+$"
MFA_FACTORS = ["Totp", "WebAuthn", "BackupCode", "EmailVerificationCode", "PhoneVerificationCode"]
MFA_POLICIES = [
    "UserControlled",
    "Mandatory",
    "PromptOnlyAtSignIn",
    "PromptAtSignInAndSignUp",
    "NoPrompt",
    "PromptAtSignInAndSignUpMandatory",
    "PromptOnlyAtSignInMandatory",
]
FORGOT_PASSWORD_METHODS = ["EmailVerificationCode", "PhoneVerificationCode"]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    raw_body: bytes
    client_ip: str
    params: dict[str, str] = field(default_factory=dict)

    def json_body(self) -> Any:
        """koa-body: JSON when sent as JSON, else `{}` (the koa-body@5 fallback)."""
        if not self.raw_body.strip():
            return {}
        ctype = self.headers.get("content-type", "")
        if "json" not in ctype:
            return {}
        try:
            parsed = json.loads(self.raw_body)
        except ValueError as error:
            raise RawResponse(400, f"invalid JSON, {error}", "text/plain; charset=utf-8") from None
        return {} if parsed is None else parsed  # `ctx.request.body ?? {}`


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-serialisable, or None for an empty body
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


