"""The email part of a tenant's sign-in experience: apply exactly it, and relax exactly it.

Read-modify-write of `GET/PATCH /api/sign-in-exp`, touching only the email entries of
`signUp`, `signIn.methods` and `forgotPasswordMethods`; username, phone, social and every
other setting is sent back as it was (or not sent at all). The email policy is handled the same
way: the declared keys of `verificationCodePolicy` / `emailBlocklistPolicy` (each column is
PATCHed whole, its other keys as they were), `EmailVerificationCode` in `mfa.factors`, and
`fields.email` of `/api/account-center` (whose PATCH replaces `fields` whole). What we changed
is recorded (`Record`, with the value found before), so relaxing on destroy removes our parts
and nothing else, and restores a value only while it is still the one we wrote.

Logto's rules shape the edits:
- `signUp.identifiers` is an OR list; the only multi-value form is `["email", "phone"]`. So
  email joins `[]`/`["phone"]` as a primary identifier, and joins a `username` sign-up as a
  required secondary identifier (`secondaryIdentifiers: [{identifier: email, verify: true}]`).
- Any email identifier needs `signUp.verify: true`.
- A sign-up identifier must be a sign-in identifier (the Console's rule), so an email sign-up
  also gets an email sign-in method (password if sign-up sets one, else a code).
- With `verify && !password`, every non-username sign-in method needs `verificationCode`.
- Email codes cannot be both a sign-in method and an MFA factor.
- Every sign-in method needs a factor; relaxing never leaves zero methods (it falls back to
  the methods we found before our first change, else username + password, and says so).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from connectors.deploy.guard import email_dependencies
from connectors.logto.errors import LogtoApiError, LogtoError
from connectors.logto.masking import scrubbed_logger

if TYPE_CHECKING:
    from connectors.logto.client import LogtoClient

log = scrubbed_logger(__name__)

EMAIL_CODE = "EmailVerificationCode"
USERNAME_PASSWORD = {"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}


class SignInExperienceError(Exception):
    """The email settings could not be applied or relaxed. Text holds setting names, no secrets.

    `state`: what is live afterwards, in words ("" when nothing was attempted)."""

    def __init__(self, message: str, code: str | None = None, state: str = "") -> None:
        self.code = code
        self.state = state
        super().__init__(message)


POLICY_COLUMNS = ("verificationCodePolicy", "emailBlocklistPolicy")


@dataclass(frozen=True)
class EmailSettings:
    """The declared email part; None = leave that setting as it is.

    `verification_code_policy` / `email_blocklist_policy` hold only the declared keys (Logto's
    names); the other keys of those columns are never touched. `account_center_email` is
    `fields.email` of `/api/account-center` (Off, ReadOnly, Edit).
    """

    email_sign_up: bool | None = None
    email_sign_in: bool | None = None
    forgot_password: bool | None = None
    verification_code_policy: dict[str, Any] | None = None
    email_blocklist_policy: dict[str, Any] | None = None
    email_mfa: bool | None = None
    account_center_email: str | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def policy(self, column: str) -> dict[str, Any]:
        return dict({"verificationCodePolicy": self.verification_code_policy,
                     "emailBlocklistPolicy": self.email_blocklist_policy}[column] or {})


@dataclass
class Record:
    """What this stack changed, so relaxing undoes exactly that."""

    sign_in_method_added: bool = False  # we appended the email sign-in method
    sign_in_code_enabled: bool = False  # we turned on verificationCode of an existing email method
    sign_up_identifier_added: str | None = None  # "primary" | "secondary"
    sign_up_verify_set: bool = False  # we turned signUp.verify from false to true
    forgot_password_added: bool = False  # we added EmailVerificationCode to forgotPasswordMethods
    prior_sign_in_methods: list[dict[str, Any]] | None = None  # before our first change
    # per policy column, per key we manage: {"had": key existed before us, "prior": its value, "wrote": ours}
    policies: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    mfa_factor_added: bool = False  # we added EmailVerificationCode to mfa.factors
    account_center_email: dict[str, Any] | None = None  # {"had", "prior", "wrote"} of fields.email

    def to_dict(self) -> dict[str, Any]:
        """The fields not at their default (`from_dict` fills those in): a short record in the state."""
        empty = type(self)()
        return {k: v for k, v in asdict(self).items() if v != getattr(empty, k)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Record:
        known = {f.name for f in fields(cls)}
        return cls(**{k: copy.deepcopy(v) for k, v in (data or {}).items() if k in known})

    @property
    def anything(self) -> bool:
        return bool(
            self.sign_in_method_added or self.sign_in_code_enabled or self.sign_up_identifier_added
            or self.sign_up_verify_set or self.forgot_password_added or any(self.policies.values())
            or self.mfa_factor_added or self.account_center_email
        )


@dataclass
class Edit:
    """A PATCH body (only the changed top-level fields) and what to tell the operator."""

    patch: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    record: Record = field(default_factory=Record)
    live: dict[str, Any] | None = None  # the row after applying, when it was read or returned


# -- reading ----------------------------------------------------------------------------------
def _email_method(methods: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((m for m in methods if m.get("identifier") == "email"), None)


def live_settings(sie: dict[str, Any]) -> EmailSettings:
    """The email part as it is live (each field a bool)."""
    sign_up = sie.get("signUp") or {}
    methods = (sie.get("signIn") or {}).get("methods") or []
    email_m = _email_method(methods)
    secondary = [s.get("identifier") for s in sign_up.get("secondaryIdentifiers") or [] if isinstance(s, dict)]
    return EmailSettings(
        email_sign_up="email" in (sign_up.get("identifiers") or []) or "email" in secondary or "emailOrPhone" in secondary,
        email_sign_in=bool(email_m and email_m.get("verificationCode")),
        forgot_password=EMAIL_CODE in (sie.get("forgotPasswordMethods") or []),
        verification_code_policy=dict(sie.get("verificationCodePolicy") or {}),
        email_blocklist_policy=dict(sie.get("emailBlocklistPolicy") or {}),
        email_mfa=EMAIL_CODE in ((sie.get("mfa") or {}).get("factors") or []),
    )


def policy_drift(want: EmailSettings, sie: dict[str, Any], account_center: dict[str, Any] | None = None) -> list[str]:
    """Declared policy settings whose live value differs, in words (empty: in sync)."""
    out: list[str] = []
    for column in POLICY_COLUMNS:
        live = sie.get(column) or {}
        for key, value in want.policy(column).items():
            if live.get(key) != value:
                out.append(f"{column}.{key} is {live.get(key, 'unset')!r}, declared {value!r}")
    if want.email_mfa is not None and live_settings(sie).email_mfa != want.email_mfa:
        out.append(f"email MFA (mfa.factors) is {'on' if not want.email_mfa else 'off'}, declared {'on' if want.email_mfa else 'off'}")
    if want.account_center_email is not None and account_center is not None:
        live_ac = (account_center.get("fields") or {}).get("email", "Off")
        if live_ac != want.account_center_email:
            out.append(f"account center fields.email is {live_ac}, declared {want.account_center_email}")
    return out


def summary(sie: dict[str, Any]) -> dict[str, Any]:
    """What an operator wants to see: the email-related settings and what needs the connector."""
    sign_up = sie.get("signUp") or {}
    return {
        "sign_up_identifiers": list(sign_up.get("identifiers") or []),
        "secondary_identifiers": [s.get("identifier") for s in sign_up.get("secondaryIdentifiers") or [] if isinstance(s, dict)],
        "sign_up_verify": bool(sign_up.get("verify")),
        "sign_in_methods": [_method_text(m) for m in (sie.get("signIn") or {}).get("methods") or []],
        "forgot_password_methods": sie.get("forgotPasswordMethods"),
        "mfa_factors": list((sie.get("mfa") or {}).get("factors") or []),
        "verification_code_policy": dict(sie.get("verificationCodePolicy") or {}),
        "email_blocklist_policy": dict(sie.get("emailBlocklistPolicy") or {}),
        "needs_email_connector": email_dependencies(sie),
    }


def _method_text(m: dict[str, Any]) -> str:
    factors = [f for f, on in (("password", m.get("password")), ("code", m.get("verificationCode"))) if on]
    return f"{m.get('identifier')}+{'/'.join(factors) or 'nothing'}"


# -- applying ---------------------------------------------------------------------------------
def plan_apply(sie: dict[str, Any], want: EmailSettings, record: Record | None = None, *, sms_connector: bool = False) -> Edit:
    """The PATCH that makes the email part `want`, from the live row and our previous record.

    `sms_connector`: the tenant has an SMS connector (only consulted to turn a null
    forgotPasswordMethods, which means "every method with a connector", into an explicit list).
    """
    rec = Record.from_dict((record or Record()).to_dict())
    sign_up = copy.deepcopy(sie.get("signUp") or {"identifiers": [], "password": True, "verify": False})
    methods = copy.deepcopy((sie.get("signIn") or {}).get("methods") or [])
    forgot = copy.deepcopy(sie.get("forgotPasswordMethods"))
    before_methods = copy.deepcopy(methods)
    notes: list[str] = []
    if rec.prior_sign_in_methods is None:
        rec.prior_sign_in_methods = copy.deepcopy(methods)

    ids: list[str] = list(sign_up.get("identifiers") or [])
    secondary: list[dict[str, Any]] = list(sign_up.get("secondaryIdentifiers") or [])

    if want.email_sign_in is True:
        email_m = _email_method(methods)
        if email_m is None:
            methods.append({"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False})
            rec.sign_in_method_added = True
        elif not email_m.get("verificationCode"):
            email_m["verificationCode"] = True
            rec.sign_in_code_enabled = True
    elif want.email_sign_in is False:
        email_m = _email_method(methods)
        if email_m is not None and email_m.get("verificationCode"):
            if email_m.get("password"):
                email_m["verificationCode"] = False
                email_m["isPasswordPrimary"] = True
            else:
                methods.remove(email_m)
        rec.sign_in_method_added = rec.sign_in_method_added and _email_method(methods) is not None
        rec.sign_in_code_enabled = False

    if want.email_sign_up is True:
        has = "email" in ids or any(s.get("identifier") in ("email", "emailOrPhone") for s in secondary)
        if not has:
            if ids in ([], ["phone"]):
                ids = ["email", *ids]
                rec.sign_up_identifier_added = "primary"
            else:
                secondary.append({"identifier": "email", "verify": True})
                rec.sign_up_identifier_added = "secondary"
        if not sign_up.get("verify"):
            sign_up["verify"] = True
            rec.sign_up_verify_set = True
        if _email_method(methods) is None:  # a sign-up identifier must be a sign-in identifier
            password = bool(sign_up.get("password"))
            methods.append({"identifier": "email", "password": password, "verificationCode": not password, "isPasswordPrimary": password})
            rec.sign_in_method_added = True
            notes.append(
                "added an email sign-in method (" + ("email + password" if password else "email + code")
                + ") because email is a sign-up identifier"
            )
    elif want.email_sign_up is False:
        if "email" in ids:
            ids = [i for i in ids if i != "email"]
        secondary = [s for s in secondary if s.get("identifier") != "email"]
        rec.sign_up_identifier_added = None
        if rec.sign_up_verify_set and not _needs_verify(ids, secondary):
            sign_up["verify"] = False
            rec.sign_up_verify_set = False

    if want.forgot_password is True:
        if forgot is None:
            notes.append("forgotPasswordMethods is null: Logto offers every method that has a connector, email included")
        elif EMAIL_CODE not in forgot:
            forgot = [*forgot, EMAIL_CODE]
            rec.forgot_password_added = True
    elif want.forgot_password is False:
        if forgot is None:
            forgot = ["PhoneVerificationCode"] if sms_connector else []
            notes.append(
                "forgotPasswordMethods was null (every method with a connector): set to "
                f"{forgot} to turn email off and keep the rest"
            )
        elif EMAIL_CODE in forgot:
            forgot = [m for m in forgot if m != EMAIL_CODE]
        rec.forgot_password_added = False

    sign_up["identifiers"] = ids
    if secondary or "secondaryIdentifiers" in sign_up:
        sign_up["secondaryIdentifiers"] = secondary
    _fallback_methods(methods, rec, notes)
    extra = _apply_policies(sie, want, rec)
    mfa = _apply_mfa(sie, want, rec)
    if mfa is not None:
        extra["mfa"] = mfa
    new = {**sie, "signUp": sign_up, "signIn": {**(sie.get("signIn") or {}), "methods": methods}, "forgotPasswordMethods": forgot, **extra}
    _precheck(new, want)
    patch = _patch(sie, sign_up, methods, forgot, before_methods)
    patch.update(extra)
    return Edit(patch, notes, rec)


def _apply_policies(sie: dict[str, Any], want: EmailSettings, rec: Record) -> dict[str, Any]:
    """New values of the policy columns whose declared keys differ (the other keys kept as live)."""
    out: dict[str, Any] = {}
    for column in POLICY_COLUMNS:
        declared = want.policy(column)
        live = dict(sie.get(column) or {})
        managed = rec.policies.setdefault(column, {})
        for key in [k for k in managed if k not in declared]:
            del managed[key]  # no longer declared: left as it is, and no longer ours to take back
        new = {**live, **declared}
        for key, value in declared.items():
            if key not in managed and live.get(key) != value:
                managed[key] = {"had": key in live, "prior": copy.deepcopy(live.get(key)), "wrote": copy.deepcopy(value)}
            elif key in managed:
                managed[key]["wrote"] = copy.deepcopy(value)
        if new != live:
            out[column] = new
        if not managed:
            del rec.policies[column]
    return out


def _without_email_factor(mfa: dict[str, Any], what: str) -> dict[str, Any]:
    factors = [f for f in mfa.get("factors") or [] if f != EMAIL_CODE]
    if factors == ["BackupCode"]:
        raise SignInExperienceError(
            f"cannot {what}: backup codes would be the only MFA factor left, which Logto refuses; add another "
            "factor (Totp or WebAuthn) or remove BackupCode in the Console first",
            "sign_in_experiences.backup_code_cannot_be_enabled_alone",
        )
    return {**mfa, "factors": factors}


def _apply_mfa(sie: dict[str, Any], want: EmailSettings, rec: Record) -> dict[str, Any] | None:
    """The new `mfa` object when the email factor changes, else None."""
    mfa = copy.deepcopy(sie.get("mfa") or {"factors": [], "policy": "UserControlled"})
    has = EMAIL_CODE in (mfa.get("factors") or [])
    if want.email_mfa is True and not has:
        rec.mfa_factor_added = True
        return {**mfa, "factors": [*(mfa.get("factors") or []), EMAIL_CODE]}
    if want.email_mfa is False:
        rec.mfa_factor_added = False
        if has:
            return _without_email_factor(mfa, "turn email MFA off")
    if want.email_mfa is None:
        rec.mfa_factor_added = False
    return None


def plan_relax(sie: dict[str, Any], record: Record) -> Edit:
    """The PATCH that takes back what `record` says we changed (before the connector goes)."""
    sign_up = copy.deepcopy(sie.get("signUp") or {})
    methods = copy.deepcopy((sie.get("signIn") or {}).get("methods") or [])
    forgot = copy.deepcopy(sie.get("forgotPasswordMethods"))
    before_methods = copy.deepcopy(methods)
    notes: list[str] = []
    email_m = _email_method(methods)
    if record.sign_in_method_added and email_m is not None:
        methods.remove(email_m)
    elif record.sign_in_code_enabled and email_m is not None:
        if email_m.get("password"):
            email_m["verificationCode"] = False
            email_m["isPasswordPrimary"] = True
        else:
            methods.remove(email_m)
    ids = list(sign_up.get("identifiers") or [])
    secondary = list(sign_up.get("secondaryIdentifiers") or [])
    if record.sign_up_identifier_added == "primary":
        ids = [i for i in ids if i != "email"]
    elif record.sign_up_identifier_added == "secondary":
        secondary = [s for s in secondary if s.get("identifier") != "email"]
    if record.sign_up_verify_set and not _needs_verify(ids, secondary):
        sign_up["verify"] = False
    if sign_up:
        sign_up["identifiers"] = ids
        if secondary:
            sign_up["secondaryIdentifiers"] = secondary
        elif "secondaryIdentifiers" in sign_up:  # we emptied it: leave it out, as it was
            del sign_up["secondaryIdentifiers"]
    if record.forgot_password_added and forgot and EMAIL_CODE in forgot:
        forgot = [m for m in forgot if m != EMAIL_CODE]
    _fallback_methods(methods, record, notes)
    patch = _patch(sie, sign_up, methods, forgot, before_methods)
    mfa = sie.get("mfa") or {}
    if record.mfa_factor_added and EMAIL_CODE in (mfa.get("factors") or []):
        patch["mfa"] = _without_email_factor(mfa, "take back email MFA")
    for column, managed in record.policies.items():
        live = dict(sie.get(column) or {})
        restored = dict(live)
        for key, entry in managed.items():
            if live.get(key) != entry.get("wrote"):  # compare and swap: someone changed it since
                notes.append(f"{column}.{key} was changed since this stack set it; left as it is")
            elif entry.get("had"):
                restored[key] = copy.deepcopy(entry.get("prior"))
            else:
                restored.pop(key, None)
        if restored != live:
            patch[column] = restored
    return Edit(patch, notes, Record())


def _needs_verify(ids: list[str], secondary: list[dict[str, Any]]) -> bool:
    return any(i != "username" for i in ids) or any(s.get("identifier") != "username" for s in secondary)


def _fallback_methods(methods: list[dict[str, Any]], record: Record, notes: list[str]) -> None:
    """Never leave the tenant without a sign-in method."""
    if methods:
        return
    prior = [
        m for m in record.prior_sign_in_methods or []
        if not (m.get("identifier") == "email" and m.get("verificationCode") and not m.get("password"))
    ]
    for m in prior:
        if m.get("identifier") == "email":
            m["verificationCode"] = False
    fallback = prior or [dict(USERNAME_PASSWORD)]
    methods.extend(copy.deepcopy(fallback))
    notes.append(
        "no sign-in method would be left: restored "
        + ", ".join(_method_text(m) for m in fallback)
        + (" (the methods before our first change)" if prior else " (username + password)")
    )


def _precheck(new: dict[str, Any], want: EmailSettings) -> None:
    """Logto's rules we can break ourselves, explained in terms of the stack's settings."""
    sign_up = new["signUp"]
    methods = new["signIn"]["methods"]
    factors = (new.get("mfa") or {}).get("factors") or []
    if EMAIL_CODE in factors and any(m.get("identifier") == "email" and m.get("verificationCode") for m in methods):
        fix = (
            "set signInExperience.emailSignIn: false (so email codes serve MFA only), or emailMfa: false"
            if want.email_mfa else
            "remove EmailVerificationCode from the tenant's MFA factors, or set signInExperience.emailSignIn: false"
        )
        raise SignInExperienceError(
            "email verification codes cannot be both a sign-in method and an MFA factor in Logto: " + fix,
            "sign_in_experiences.email_verification_code_cannot_be_used_for_sign_in",
        )
    if "email" in (sign_up.get("identifiers") or []) and _email_method(methods) is None:
        raise SignInExperienceError(
            "email is the tenant's primary sign-up identifier, so it must stay a sign-in method (users who "
            "signed up with an email address could not sign in): set signInExperience.emailSignUp: false as "
            "well, or keep emailSignIn",
            "sign_in_experiences.miss_sign_up_identifier_in_sign_in",
        )
    if sign_up.get("verify") and not sign_up.get("password"):
        bad = [m["identifier"] for m in methods if not m.get("verificationCode") and m.get("identifier") != "username"]
        if bad:
            hint = " (set signInExperience.emailSignIn: true)" if "email" in bad else ""
            raise SignInExperienceError(
                f"the tenant's sign-up sets no password, so Logto needs verification-code sign-in for {', '.join(bad)}{hint}",
                "sign_in_experiences.code_sign_in_must_be_enabled",
            )


def _patch(
    sie: dict[str, Any], sign_up: dict[str, Any], methods: list[dict[str, Any]], forgot: Any, before_methods: list[dict[str, Any]]
) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    if sign_up and sign_up != (sie.get("signUp") or {}):
        patch["signUp"] = sign_up
    if methods != before_methods:
        patch["signIn"] = {**(sie.get("signIn") or {}), "methods": methods}
    if forgot != sie.get("forgotPasswordMethods"):
        patch["forgotPasswordMethods"] = forgot
    return patch


# -- account center ----------------------------------------------------------------------------
def plan_account_center(account_center: dict[str, Any], want: EmailSettings, record: Record) -> dict[str, Any] | None:
    """The `/api/account-center` PATCH that makes `fields.email` what is declared (None: nothing to do)."""
    fields_ = dict(account_center.get("fields") or {})
    if want.account_center_email is None:
        record.account_center_email = None  # no longer declared: left as it is
        return None
    live = fields_.get("email")
    if record.account_center_email is None and live != want.account_center_email:
        record.account_center_email = {"had": "email" in fields_, "prior": live, "wrote": want.account_center_email}
    elif record.account_center_email is not None:
        record.account_center_email["wrote"] = want.account_center_email
    if live == want.account_center_email:
        return None
    return {"fields": {**fields_, "email": want.account_center_email}}


def plan_account_center_relax(account_center: dict[str, Any], record: Record, notes: list[str]) -> dict[str, Any] | None:
    entry = record.account_center_email
    if not entry:
        return None
    fields_ = dict(account_center.get("fields") or {})
    if fields_.get("email") != entry.get("wrote"):
        notes.append("account center fields.email was changed since this stack set it; left as it is")
        return None
    if entry.get("had"):
        fields_["email"] = entry.get("prior")
    else:
        fields_.pop("email", None)
    return {"fields": fields_}


# -- talking to Logto -------------------------------------------------------------------------
WRONG_ORDER_HINT = (
    "Logto accepts email sign-up/sign-in only while the tenant has an email connector: create the "
    "connector first (in the program the sign-in experience depends on LogtoEmailConnector)"
)


def apply(client: LogtoClient, want: EmailSettings, record: Record | None = None) -> Edit:
    """Read, edit the email part, PATCH (only when something changes)."""
    try:
        sie = client.get_sign_in_experience()
        sms = False
        if want.forgot_password is False and sie.get("forgotPasswordMethods") is None:
            sms = any(c.type == "Sms" for c in client.list_connectors())
    except LogtoError as exc:
        raise SignInExperienceError(
            f"could not read the sign-in experience, so nothing was changed: {exc}", state="unchanged (nothing was written)"
        ) from None
    edit = plan_apply(sie, want, record, sms_connector=sms)
    edit.live = sie
    if "mfa" in edit.patch and want.email_mfa and client.get_email_connector() is None:
        # Logto accepts email MFA without an email connector; users would then get no codes.
        raise SignInExperienceError(
            "email MFA needs the tenant's email connector, and there is none: " + WRONG_ORDER_HINT,
            "sign_in_experiences.enabled_connector_not_found",
        )
    if edit.patch:
        try:
            after = _send(client, edit.patch, "apply the email sign-in settings")
        except SignInExperienceError as exc:
            after = _settle(client, sie, edit.patch, exc)  # returns only when the PATCH did land
        edit.live = after
        log.info("sign-in experience: changed %s", ", ".join(edit.patch))
        kept = policy_drift(want, after)
        if kept:  # read back: a Logto that drops a key it does not know answers 200 all the same
            edit.notes.append("Logto did not keep every declared setting (is this Logto older?): " + "; ".join(kept))
    if want.account_center_email is None:
        edit.record.account_center_email = None  # no longer declared: left as it is
    else:
        account_center = _account_center(client)
        ac_patch = plan_account_center(account_center, want, edit.record)
        if ac_patch:
            _send_account_center(client, ac_patch, "set the account center's email field")
            edit.patch["accountCenter.fields.email"] = want.account_center_email
        if want.account_center_email == "Edit" and not account_center.get("enabled"):
            edit.notes.append("the Account Center is disabled: fields.email (Edit) takes effect once it is enabled")
    for note in edit.notes:
        log.warning("sign-in experience: %s", note)
    return edit


def _account_center(client: LogtoClient) -> dict[str, Any]:
    try:
        return client.get_account_center()
    except LogtoError as exc:
        raise SignInExperienceError(f"could not read the account center settings: {exc}") from None


def _send_account_center(client: LogtoClient, patch: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        return client.patch_account_center(patch)
    except LogtoError as exc:
        raise SignInExperienceError(f"could not {what}: {exc}", getattr(exc, "code", None)) from None


def relax(client: LogtoClient, record: Record) -> Edit:
    """Take back our email settings; remaining email dependencies (not ours) are reported."""
    try:
        sie = client.get_sign_in_experience()
    except LogtoError as exc:
        raise SignInExperienceError(
            f"could not read the sign-in experience, so nothing was relaxed: {exc}", state="unchanged (nothing was written)"
        ) from None
    edit = plan_relax(sie, record)
    account_center: dict[str, Any] | None = None
    if record.account_center_email:  # the Account API's email codes go first, with the sign-in part
        ac_patch = plan_account_center_relax(_account_center(client), record, edit.notes)
        if ac_patch:
            account_center = _send_account_center(client, ac_patch, "take back the account center's email field")
    if edit.patch:
        try:
            sie = _send(client, edit.patch, "relax the email sign-in settings")
        except SignInExperienceError as exc:
            sie = _settle(client, sie, edit.patch, exc)
    if account_center is None:
        try:
            account_center = client.get_account_center()
        except LogtoError:
            account_center = None  # a Logto without the Account Center: nothing of it needs email
    left = email_dependencies(sie, account_center)
    if left:
        edit.notes.append(
            "these email settings were not made by this stack and were left as they are (the connector's "
            "delete guard will refuse while they remain): " + "; ".join(left)
        )
    return edit


def _settle(client: LogtoClient, before: dict[str, Any], patch: dict[str, Any], cause: SignInExperienceError) -> dict[str, Any]:
    """After a failed PATCH, the live row decides (compare and swap): landed → success (so what
    we changed stays recorded); as before → unchanged; otherwise somebody else's → untouched."""
    try:
        live = client.get_sign_in_experience()
    except LogtoError as exc:
        raise SignInExperienceError(
            f"{cause}; the sign-in experience could not be read afterwards ({exc}): run again to see where it is",
            cause.code, state="unknown (could not be read)",
        ) from None
    if all(live.get(k) == v for k, v in patch.items()):
        log.warning("sign-in experience: the PATCH landed despite: %s", cause)
        return live
    fields_ = ", ".join(sorted(patch))
    if all(live.get(k) == before.get(k) for k in patch):
        raise SignInExperienceError(
            f"{cause}; nothing changed: {fields_} are as before", cause.code, state=f"unchanged ({fields_} as before)"
        )
    raise SignInExperienceError(
        f"{cause}; {fields_} were changed by somebody else meanwhile, so nothing more was written; live now: "
        f"{summary(live)}", cause.code, state=f"changed by somebody else: {summary(live)}",
    )


def _send(client: LogtoClient, patch: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        return client.patch_sign_in_experience(patch)
    except LogtoApiError as exc:
        hint = {
            "sign_in_experiences.enabled_connector_not_found": f" — {WRONG_ORDER_HINT}",
            "sign_in_experiences.password_expiration_requires_forgot_password": (
                " — password expiration is on, so Logto needs a forgot-password method: disable "
                "passwordExpiration or add another method (e.g. PhoneVerificationCode) first"
            ),
        }.get(exc.code or "", "")
        raise SignInExperienceError(f"could not {what}: {exc}{hint}", exc.code) from None
    except LogtoError as exc:
        raise SignInExperienceError(f"could not {what}: {exc}") from None
