"""Which sign-in-experience settings stop working without an email connector.

Logto lets the email connector be deleted while sign-up or sign-in still sends email codes
(reference: logto-observed.md); users are then locked out. This is the check Logto lacks.
"""

from __future__ import annotations

from typing import Any

_EMAIL_IDENTIFIERS = ("email", "emailOrPhone")


def email_dependencies(sign_in_exp: dict[str, Any]) -> list[str]:
    """Human-readable names of the settings that need an email connector (empty: none)."""
    found: list[str] = []
    sign_up = sign_in_exp.get("signUp") or {}
    primary = [i for i in sign_up.get("identifiers") or [] if i in _EMAIL_IDENTIFIERS]
    if primary:
        found.append(f"sign-up identifier {', '.join(primary)} (signUp.identifiers)")
    secondary = [
        s.get("identifier")
        for s in sign_up.get("secondaryIdentifiers") or []
        if isinstance(s, dict) and s.get("identifier") in _EMAIL_IDENTIFIERS
    ]
    if secondary:
        found.append(f"secondary sign-up identifier {', '.join(secondary)} (signUp.secondaryIdentifiers)")
    methods = (sign_in_exp.get("signIn") or {}).get("methods") or []
    if any(isinstance(m, dict) and m.get("identifier") == "email" and m.get("verificationCode") for m in methods):
        found.append("sign-in with email verification code (signIn.methods)")
    if "EmailVerificationCode" in (sign_in_exp.get("forgotPasswordMethods") or []):
        found.append("forgot password by email verification code (forgotPasswordMethods)")
    if "EmailVerificationCode" in ((sign_in_exp.get("mfa") or {}).get("factors") or []):
        found.append("MFA factor EmailVerificationCode (mfa.factors)")
    return found
