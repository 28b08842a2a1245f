"""`/api/sign-in-exp`: the seeded row, top-level merge on PATCH, and core's validation order."""

from __future__ import annotations

import copy
import threading
from typing import Any

from connectors import email_policy as ep
from connectors.logto_facts import LOGTO_LANGUAGE_TAGS

from . import guards as g
from .errors import MISSING, ApiError, issue_custom, issue_invalid_type
from .state import TenantState, now_ms
from .wire import FORGOT_PASSWORD_METHODS, MFA_FACTORS, MFA_POLICIES, Request, Response

SIGN_UP = g.obj(
    {
        "identifiers": g.array(g.enum(["username", "email", "phone"])),
        "password": g.boolean(),
        "verify": g.boolean(),
        "secondaryIdentifiers": g.Opt(
            g.array(
                g.obj(
                    {
                        "identifier": g.enum(["username", "email", "phone", "emailOrPhone"]),
                        "verify": g.Opt(g.boolean()),
                    }
                )
            )
        ),
    }
)
SIGN_IN = g.obj(
    {
        "methods": g.array(
            g.obj(
                {
                    "identifier": g.enum(["username", "email", "phone"]),
                    "password": g.boolean(),
                    "verificationCode": g.boolean(),
                    "isPasswordPrimary": g.boolean(),
                }
            )
        )
    }
)
SIE_SPECIFIC: dict[str, Any] = {
    "signUp": g.Opt(SIGN_UP),
    "signIn": g.Opt(SIGN_IN),
    "languageInfo": g.Opt(g.obj({"autoDetect": g.boolean(), "fallbackLanguage": g.string()})),
    "mfa": g.Opt(
        g.obj(
            {
                "factors": g.array(g.enum(MFA_FACTORS)),
                "policy": g.enum(MFA_POLICIES),
                "organizationRequired": g.Opt(g.boolean()),
            }
        )
    ),
    "forgotPasswordMethods": g.Opt(g.array(g.enum(FORGOT_PASSWORD_METHODS)), nullable=True),
    "verificationCodePolicy": g.Opt(
        g.obj(
            {
                "expirationDuration": g.Opt(g.number(integer=True, minimum=ep.EXPIRATION_MIN, maximum=ep.EXPIRATION_MAX)),
                "maxRetryAttempts": g.Opt(g.number(integer=True, minimum=ep.RETRY_MIN, maximum=ep.RETRY_MAX)),
            }
        )
    ),
    "emailBlocklistPolicy": g.Opt(
        g.obj(
            {
                "blockDisposableAddresses": g.Opt(g.boolean()),
                "blockSubaddressing": g.Opt(g.boolean()),
                "customBlocklist": g.Opt(g.array(g.string())),
                "customAllowlist": g.Opt(g.array(g.string())),
            }
        )
    ),
    "passwordExpiration": g.Opt(
        g.obj(
            {
                "enabled": g.Opt(g.boolean()),
                "validPeriodDays": g.Opt(g.number(integer=True)),
                "enabledAt": g.Opt(g.number(integer=True)),
            }
        )
    ),
}


def _sie_patch_guard(columns: list[str]) -> g.Validator:
    fields: dict[str, Any] = {c: g.Opt(g.any_json(), nullable=True) for c in columns}
    fields.update(SIE_SPECIFIC)
    return g.obj(fields)


def _password_expiration_ok(policy: dict[str, Any]) -> bool:
    """`passwordExpirationPolicyGuard`: `{enabled?: false}` or `{enabled: true, validPeriodDays>=1}`."""
    if policy.get("enabled") is True:
        days = policy.get("validPeriodDays")
        return isinstance(days, int) and not isinstance(days, bool) and days >= 1
    return policy.get("enabled") in (None, False)


class SignInExperienceRoutes:
    state: TenantState
    lock: threading.RLock

    def _connector_types(self) -> list[str]:  # provided by ConnectorRoutes
        raise NotImplementedError


    def get_sie(self, request: Request) -> Response:
        with self.lock:
            return Response(200, copy.deepcopy(self.state.sign_in_exp))

    def patch_sie(self, request: Request) -> Response:
        g.parse("query", g.obj({"removeUnusedDemoSocialConnector": g.Opt(g.string())}), dict(request.query))
        with self.lock:
            current = self.state.sign_in_exp
            columns = [c for c in current if c not in ("tenantId", "id")]
            body = g.parse("body", _sie_patch_guard(columns), request.json_body())
            _guard_refinements(body)
            types = self._connector_types()
            if body.get("signUp"):
                _validate_sign_up(body["signUp"], types)
            if body.get("signIn"):
                _validate_sign_in(
                    body["signIn"], body.get("signUp") or current["signUp"], types, body.get("mfa") or current.get("mfa")
                )
            if body.get("mfa"):
                _validate_mfa(body["mfa"], body.get("signIn") or current["signIn"])
            if body.get("emailBlocklistPolicy") is not None:
                body["emailBlocklistPolicy"] = _parse_email_blocklist_policy(body["emailBlocklistPolicy"], self.cloud)
            forgot = body.get("forgotPasswordMethods")
            if forgot:
                email, phone = forgot_password_availability(types, forgot)
                for method in forgot:
                    if method == "EmailVerificationCode" and not email:
                        raise ApiError(400, "sign_in_experiences.forgot_password_method_requires_connector", {"method": "email"})
                    if method == "PhoneVerificationCode" and not phone:
                        raise ApiError(400, "sign_in_experiences.forgot_password_method_requires_connector", {"method": "sms"})
            requested = body.get("passwordExpiration")
            if requested is not None and requested.get("enabled") is False:
                expiration: dict[str, Any] = {"enabled": False}
            else:
                expiration = {**current.get("passwordExpiration", {}), **(requested or {})}
            if not _password_expiration_ok(expiration):
                raise ApiError(422, "sign_in_experiences.password_expiration_invalid_period_days")
            if expiration.get("enabled"):
                stored = current.get("passwordExpiration", {})
                expiration["enabledAt"] = stored.get("enabledAt") if stored.get("enabled") and stored.get("enabledAt") else now_ms()
                methods = forgot if forgot is not None else current.get("forgotPasswordMethods")
                email, phone = forgot_password_availability(types, methods)
                if not (email or phone):
                    raise ApiError(422, "sign_in_experiences.password_expiration_requires_forgot_password")
            update = {k: v for k, v in body.items() if k != "passwordExpiration"}
            if requested is not None:
                update["passwordExpiration"] = expiration
            if not update:  # observed: 422, the update helper refuses an empty value list
                raise ApiError(422, "entity.invalid_input")
            current.update(copy.deepcopy(update))
            return Response(200, copy.deepcopy(current))




def _guard_refinements(body: dict[str, Any]) -> None:
    """Checks Logto 1.42 makes in the body guard itself (so 400 `guard.invalid_input`, observed):
    an unknown fallback language, and password expiration enabled without a period."""
    issues: list[dict[str, Any]] = []
    language_info = body.get("languageInfo")
    if language_info and language_info.get("fallbackLanguage") not in LOGTO_LANGUAGE_TAGS:
        issues.append(issue_custom(["languageInfo", "fallbackLanguage"], "Invalid language tag"))
    expiration = body.get("passwordExpiration")
    if isinstance(expiration, dict) and expiration.get("enabled") is True and "validPeriodDays" not in expiration:
        issues.append(issue_invalid_type(["passwordExpiration", "validPeriodDays"], "number", MISSING))
    if issues:
        raise ApiError.guard("body", issues)


def _parse_email_blocklist_policy(policy: dict[str, Any], cloud: bool) -> dict[str, Any]:
    """Core's parseEmailBlocklistPolicy: Cloud-only disposable check, list formats, deduplication."""
    if policy.get("blockDisposableAddresses") and not cloud:
        raise ApiError(
            400, "request.invalid_input",
            {"details": "Disposable email domain validation is not supported in this environment"},
        )
    out = dict(policy)
    for key, code in (
        ("customBlocklist", "sign_in_experiences.invalid_custom_email_blocklist_format"),
        ("customAllowlist", "sign_in_experiences.invalid_custom_email_allowlist_format"),
    ):
        if key in out:
            items = list(dict.fromkeys(out[key]))
            bad = [i for i in items if not ep.is_list_item(i)]
            if bad:
                raise ApiError(400, code, {"items": bad})
            out[key] = items
    blocked = ep.allowlist_blocked(out.get("customAllowlist") or [], out.get("customBlocklist") or [], bool(out.get("blockSubaddressing")))
    if blocked:
        raise ApiError(
            422, "sign_in_experiences.email_allowlist_entries_blocked",
            {"items": [f"{a} blocked by {b}" for a, b in blocked]},
        )
    return out


def forgot_password_availability(types: list[str], methods: list[str] | None) -> tuple[bool, bool]:
    """Core's getForgotPasswordAvailability: `null` methods fall back to "any connector of the type"."""
    if methods is None:
        return "Email" in types, "Sms" in types
    return (
        "EmailVerificationCode" in methods and "Email" in types,
        "PhoneVerificationCode" in methods and "Sms" in types,
    )


def _validate_sign_up(sign_up: dict[str, Any], types: list[str]) -> None:
    identifiers = sign_up["identifiers"]
    secondary = sign_up.get("secondaryIdentifiers") or []
    if secondary and not identifiers:
        raise ApiError(400, "sign_in_experiences.missing_sign_up_identifiers")
    primary = set(identifiers)
    second = [s["identifier"] for s in secondary]
    duplicated = len(primary) != len(identifiers) or len(set(second)) != len(second)
    for ident in set(second):
        if ident == "emailOrPhone":
            duplicated = duplicated or "email" in primary or "phone" in primary
        else:
            duplicated = duplicated or ident in primary
    if duplicated:
        raise ApiError(400, "sign_in_experiences.duplicated_sign_up_identifiers")
    if any(i != "username" for i in identifiers) or any(i != "username" for i in second):
        if not sign_up["verify"]:
            raise ApiError(400, "sign_in_experiences.passwordless_requires_verify")
    for entry in secondary:
        if entry["identifier"] != "username" and not entry.get("verify"):
            raise ApiError(400, "sign_in_experiences.passwordless_requires_verify")
    if ("email" in primary or "email" in second or "emailOrPhone" in second) and "Email" not in types:
        raise ApiError(400, "sign_in_experiences.enabled_connector_not_found", {"type": "Email"})
    if ("phone" in primary or "phone" in second or "emailOrPhone" in second) and "Sms" not in types:
        raise ApiError(400, "sign_in_experiences.enabled_connector_not_found", {"type": "Sms"})


def _validate_sign_in(
    sign_in: dict[str, Any], sign_up: dict[str, Any], types: list[str], mfa: dict[str, Any] | None
) -> None:
    methods = sign_in["methods"]
    if any(m["verificationCode"] and m["identifier"] == "email" for m in methods) and "Email" not in types:
        raise ApiError(400, "sign_in_experiences.enabled_connector_not_found", {"type": "Email"})
    if any(m["verificationCode"] and m["identifier"] == "phone" for m in methods) and "Sms" not in types:
        raise ApiError(400, "sign_in_experiences.enabled_connector_not_found", {"type": "Sms"})
    if not all(m["password"] or m["verificationCode"] for m in methods):
        raise ApiError(400, "sign_in_experiences.at_least_one_authentication_factor")
    if sign_up.get("verify") and not sign_up.get("password"):
        if not all(m["verificationCode"] or m["identifier"] == "username" for m in methods):
            raise ApiError(400, "sign_in_experiences.code_sign_in_must_be_enabled")
    for identifier in _code_factors_signing_in((mfa or {}).get("factors") or [], methods):
        raise ApiError(400, f"sign_in_experiences.{identifier}_verification_code_cannot_be_used_for_sign_in")


def _validate_mfa(mfa: dict[str, Any], sign_in: dict[str, Any]) -> None:
    factors = mfa["factors"]
    if len(set(factors)) != len(factors):
        raise ApiError(400, "sign_in_experiences.duplicated_mfa_factors")
    if "BackupCode" in factors and len(factors) <= 1:
        raise ApiError(400, "sign_in_experiences.backup_code_cannot_be_enabled_alone")
    for identifier in _code_factors_signing_in(factors, sign_in.get("methods", [])):
        raise ApiError(400, f"sign_in_experiences.{identifier}_verification_code_cannot_be_used_for_mfa")


def _code_factors_signing_in(factors: list[str], methods: list[dict[str, Any]]) -> list[str]:
    """Identifiers (email, phone) whose verification code is both an MFA factor and a sign-in
    method: Logto refuses that pairing from either side, with a code naming the side."""
    return [
        identifier for identifier, factor in (("email", "EmailVerificationCode"), ("phone", "PhoneVerificationCode"))
        if factor in factors and any(m["identifier"] == identifier and m["verificationCode"] for m in methods)
    ]


ACCOUNT_CENTER_PATCH = g.obj(
    {
        "enabled": g.Opt(g.boolean()),
        "fields": g.Opt(g.obj({f: g.Opt(g.enum(list(ep.ACCOUNT_CENTER_VALUES))) for f in ep.ACCOUNT_CENTER_FIELDS})),
        "webauthnRelatedOrigins": g.Opt(g.array(g.string())),
        "deleteAccountUrl": g.Opt(g.string(max_len=2048)),
    }
)


class AccountCenterRoutes:
    """`/api/account-center`: the single row; PATCH replaces each given column (`fields` whole)."""

    state: TenantState
    lock: threading.RLock

    def get_account_center(self, request: Request) -> Response:
        with self.lock:
            return Response(200, copy.deepcopy(self.state.account_center))

    def patch_account_center(self, request: Request) -> Response:
        body = g.parse("body", ACCOUNT_CENTER_PATCH, request.json_body())
        with self.lock:
            if "webauthnRelatedOrigins" in body:
                body["webauthnRelatedOrigins"] = list(dict.fromkeys(body["webauthnRelatedOrigins"]))
            self.state.account_center.update(copy.deepcopy(body))
            return Response(200, copy.deepcopy(self.state.account_center))
