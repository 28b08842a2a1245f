"""Which tenant settings stop working without an email connector.

Logto lets the email connector be deleted while sign-up, sign-in, password reset, email MFA,
the account center or organization invitations still send email; users are then locked out
or never get their mail. This is the check Logto lacks, written once for the delete guard, the
test-send requirement, the sign-in resource and `check --live`.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)


class EmailDependencyReader(Protocol):
    """What `live_email_dependencies` reads from a tenant (LogtoClient satisfies it)."""

    def get_sign_in_experience(self) -> dict[str, Any]: ...
    def get_account_center(self) -> dict[str, Any]: ...
    def list_organization_invitations(self) -> list[dict[str, Any]]: ...

_EMAIL_IDENTIFIERS = ("email", "emailOrPhone")
EMAIL_CODE = "EmailVerificationCode"


def email_dependencies(
    sign_in_exp: dict[str, Any],
    account_center: dict[str, Any] | None = None,
    pending_invitations: int = 0,
) -> list[str]:
    """Human-readable names of the settings that need an email connector (empty: none)."""
    found: list[str] = []
    sign_up = sign_in_exp.get("signUp") or {}
    primary = [i for i in sign_up.get("identifiers") or [] if i in _EMAIL_IDENTIFIERS]
    if primary:
        found.append(f"sign-up identifier {', '.join(primary)} (signUp.identifiers)")
    secondary = [
        s["identifier"]
        for s in sign_up.get("secondaryIdentifiers") or []
        if isinstance(s, dict) and s.get("identifier") in _EMAIL_IDENTIFIERS
    ]
    if secondary:
        found.append(f"secondary sign-up identifier {', '.join(secondary)} (signUp.secondaryIdentifiers)")
    methods = (sign_in_exp.get("signIn") or {}).get("methods") or []
    if any(isinstance(m, dict) and m.get("identifier") == "email" and m.get("verificationCode") for m in methods):
        found.append("sign-in with email verification code (signIn.methods)")
    if "forgotPasswordMethods" in sign_in_exp and sign_in_exp["forgotPasswordMethods"] is None:
        # null is Logto's "every method that has a connector": email as long as there is one
        found.append("forgot password by any connector, email included (forgotPasswordMethods: null)")
    elif EMAIL_CODE in (sign_in_exp.get("forgotPasswordMethods") or []):
        found.append("forgot password by email verification code (forgotPasswordMethods)")
    if EMAIL_CODE in ((sign_in_exp.get("mfa") or {}).get("factors") or []):
        found.append("MFA factor EmailVerificationCode (mfa.factors)")
    center = account_center or {}
    if center.get("enabled") and ((center.get("fields") or {}).get("email")) == "Edit":
        found.append("account center lets users change their email by code (account-center fields.email: Edit)")
    if pending_invitations:
        found.append(f"{pending_invitations} pending organization invitation(s) (organization-invitations)")
    return found


def live_email_dependencies(client: EmailDependencyReader, sign_in_exp: dict[str, Any] | None = None) -> list[str]:
    """Every dependency on email the tenant has right now (sign-in experience, account center,
    pending organization invitations). Settings this Logto does not have count as off."""
    from connectors.logto.errors import NotFound

    sie = client.get_sign_in_experience() if sign_in_exp is None else sign_in_exp
    try:
        center: dict[str, Any] | None = client.get_account_center()
    except NotFound:  # a Logto without the account center
        center = None
    try:
        pending = sum(1 for i in client.list_organization_invitations() if i.get("status") == "Pending")
    except NotFound:
        pending = 0
    return email_dependencies(sie, center, pending)
