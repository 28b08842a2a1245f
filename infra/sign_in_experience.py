"""`LogtoSignInEmail`: the email part of a tenant's sign-in experience as a Pulumi dynamic resource.

Built like `infra.connector` (stateless, dill-safe provider; the only secret is `app_secret`).
It must come after the email connector and go before it, because Logto refuses email sign-in
without a connector and lets the connector be deleted under a sign-in that needs it. The
resource therefore takes the connector as an argument and always `depends_on` it: Pulumi
creates a dependency before its dependents and deletes dependents first, so `up` runs
connector → sign-in experience and `destroy` runs sign-in experience (relax) → connector.

Inputs `email_sign_up`, `email_sign_in`, `forgot_password`, `email_mfa` are true/false/None
(None = leave alone); `verification_code_policy` / `email_blocklist_policy` are mappings of
Logto's keys (only those keys are managed); `account_center_email` is Off/ReadOnly/Edit. Outputs carry the same keys with the *live* value of every managed setting (so drift
shows as a diff after `pulumi refresh`), `record` (what this stack changed: all that destroy
takes back; one line of JSON, its fields at their defaults left out) and `notes` (fallbacks and
settings left alone, in words; only when there are any).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)
from pulumi.runtime import rpc

from connectors.deploy import sign_in_experience as deploy_sign_in
from connectors.email_policy import ACCOUNT_CENTER_VALUES
from infra.dynamic_support import (
    FunctionProvider,
    access_failures,
    client_for,
    diff_result,
    is_unknown,
    packed,
    resource_of,
    say,
    tenant_scoped_id,
    unpacked,
    unwrap,
)

SECRET_OUTPUTS = ("app_secret",)
FLAGS = ("email_sign_up", "email_sign_in", "forgot_password", "email_mfa")
POLICIES = ("verification_code_policy", "email_blocklist_policy")  # dicts of Logto keys: only those are managed
SETTINGS = (*FLAGS, *POLICIES, "account_center_email")
_INPUTS = ("endpoint", "resource", "app_id", "app_secret", *SETTINGS)


def pulumi_id(endpoint: str, resource: str) -> str:
    return tenant_scoped_id("logto-sign-in-email", endpoint, resource)


def _want(props: dict[str, Any]) -> deploy_sign_in.EmailSettings:
    return deploy_sign_in.EmailSettings(**{k: props.get(k) for k in SETTINGS})


def _live(props: dict[str, Any], sie: dict[str, Any], account_center: dict[str, Any] | None) -> dict[str, Any]:
    """The live value of every managed setting (unmanaged ones None); policies: the declared keys only."""
    live = deploy_sign_in.live_settings(sie)
    out: dict[str, Any] = {}
    for key in FLAGS:
        out[key] = getattr(live, key) if props.get(key) is not None else None
    for key in POLICIES:
        declared, now = props.get(key), getattr(live, key) or {}
        out[key] = {k: now.get(k) for k in declared} if isinstance(declared, dict) else None
    ac = props.get("account_center_email")
    out["account_center_email"] = (
        ((account_center or {}).get("fields") or {}).get("email", "Off") if ac is not None else None
    )
    return out


def _outputs(
    props: dict[str, Any], sie: dict[str, Any], record: deploy_sign_in.Record, notes: list[str], account_center: dict[str, Any] | None = None
) -> dict[str, Any]:
    outs: dict[str, Any] = {k: props.get(k) for k in _INPUTS}
    outs["resource"] = props.get("resource") or None  # unset: derived from the endpoint (`resource_of`)
    outs.update(_live(props, sie, account_center))
    outs["record"] = packed(record.to_dict())  # one line in the state (see `packed`)
    if notes:
        outs["notes"] = list(notes)
    outs["needs_email_connector"] = deploy_sign_in.email_dependencies(sie, account_center)
    outs["app_secret"] = rpc.wrap_rpc_secret(outs["app_secret"])
    return outs


def check_inputs(olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
    news = unwrap(dict(news))
    failures = access_failures(news)
    for key in FLAGS:
        value = news.get(key)
        if value is not None and not is_unknown(value) and not isinstance(value, bool):
            failures.append(CheckFailure(key, f"{key} must be true, false or unset (leave alone)"))
    for key in POLICIES:
        value = news.get(key)
        if value is not None and not is_unknown(value) and not isinstance(value, dict):
            failures.append(CheckFailure(key, f"{key} must be a mapping of Logto's keys or unset"))
    ac = news.get("account_center_email")
    if ac is not None and not is_unknown(ac) and ac not in ACCOUNT_CENTER_VALUES:
        failures.append(CheckFailure("account_center_email", f"account_center_email must be one of {', '.join(ACCOUNT_CENTER_VALUES)}"))
    if all(news.get(k) is None for k in SETTINGS):
        failures.append(CheckFailure("email_sign_up", "set at least one of " + ", ".join(SETTINGS)))
    return CheckResult(news, failures)


def diff_summary(olds: dict[str, Any], news: dict[str, Any]) -> tuple[list[str], str]:
    olds, news = unwrap(dict(olds)), unwrap(dict(news))
    changed: list[str] = []
    parts: list[str] = []
    for key in ("endpoint", "resource", "app_id", *SETTINGS):
        old, new = olds.get(key), news.get(key)
        if key == "resource" and (new is None or is_unknown(new)):
            continue
        if key == "resource":  # recorded only when given: else the endpoint's default
            old = resource_of(olds)
        if old != new:
            changed.append(key)
            if key in SETTINGS and new is None:
                parts.append(f"{key}: no longer managed (left as it is)")
            else:
                parts.append(f"{key}: {old} → {new}" if not is_unknown(new) else f"{key} (known after apply)")
    if olds.get("app_secret") != news.get("app_secret"):
        changed.append("app_secret")
        parts.append("app_secret (secret, rotated)")
    return changed, "; ".join(parts) if parts else "no changes"


def diff_props(id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
    return diff_result("sign-in experience", id_, *diff_summary(olds, news), delete_before_replace=True)


def _apply(props: dict[str, Any], record: deploy_sign_in.Record | None) -> dict[str, Any]:
    with client_for(props) as client:
        edit = deploy_sign_in.apply(client, _want(props), record)
        assert edit.live is not None
        sie = edit.live
        account_center = client.get_account_center() if props.get("account_center_email") is not None else None
    changed = ", ".join(edit.patch) or "nothing to change"
    say(f"sign-in experience (email part): {changed}" + "".join(f"; {n}" for n in edit.notes))
    return _outputs(props, sie, edit.record, edit.notes, account_center)


def create_settings(props: dict[str, Any]) -> CreateResult:
    props = unwrap(dict(props))
    return CreateResult(pulumi_id(props["endpoint"], resource_of(props)), _apply(props, None))


def update_settings(id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
    olds, news = unwrap(dict(olds)), unwrap(dict(news))
    return UpdateResult(_apply(news, deploy_sign_in.Record.from_dict(unpacked(olds.get("record")))))


def read_settings(id_: str, props: dict[str, Any]) -> ReadResult:
    props = unwrap(dict(props))
    with client_for(props) as client:
        sie = client.get_sign_in_experience()
        account_center = client.get_account_center() if props.get("account_center_email") is not None else None
    outs = _outputs(props, sie, deploy_sign_in.Record.from_dict(unpacked(props.get("record"))), list(props.get("notes") or []), account_center)
    drift = deploy_sign_in.policy_drift(_want(props), sie, account_center)
    drift += [f"{k} is {outs[k]}" for k in ("email_sign_up", "email_sign_in", "forgot_password") if props.get(k) is not None and outs[k] != props.get(k)]
    if drift:
        say("sign-in experience drift: " + ", ".join(drift))
    return ReadResult(id_, outs)


def delete_settings(id_: str, props: dict[str, Any]) -> None:
    """Relax what we changed (runs before the connector's delete: it depends on the connector)."""
    props = unwrap(dict(props))
    with client_for(props) as client:
        edit = deploy_sign_in.relax(client, deploy_sign_in.Record.from_dict(unpacked(props.get("record"))))
    say("sign-in experience: relaxed " + (", ".join(edit.patch) or "nothing (no email setting of ours left)")
         + "".join(f"; {n}" for n in edit.notes))


class LogtoSignInEmailProvider(FunctionProvider):
    """Stateless: every method is a module-level function of this module."""

    check_fn = staticmethod(check_inputs)
    diff_fn = staticmethod(diff_props)
    create_fn = staticmethod(create_settings)
    read_fn = staticmethod(read_settings)
    update_fn = staticmethod(update_settings)
    delete_fn = staticmethod(delete_settings)


class LogtoSignInEmail(pulumi.dynamic.Resource, module="logto", name="SignInEmail"):
    """The email sign-up / sign-in / forgot-password settings of one tenant."""

    email_sign_up: pulumi.Output[bool | None]
    email_sign_in: pulumi.Output[bool | None]
    forgot_password: pulumi.Output[bool | None]
    email_mfa: pulumi.Output[bool | None]
    verification_code_policy: pulumi.Output[dict[str, Any] | None]
    email_blocklist_policy: pulumi.Output[dict[str, Any] | None]
    account_center_email: pulumi.Output[str | None]
    record: pulumi.Output[Any]  # a JSON string; older state holds an object
    needs_email_connector: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        *,
        connector: pulumi.Resource,
        endpoint: pulumi.Input[str],
        app_id: pulumi.Input[str],
        app_secret: pulumi.Input[str],
        email_sign_up: pulumi.Input[bool] | None = None,
        email_sign_in: pulumi.Input[bool] | None = None,
        forgot_password: pulumi.Input[bool] | None = None,
        email_mfa: pulumi.Input[bool] | None = None,
        verification_code_policy: pulumi.Input[dict[str, Any]] | None = None,
        email_blocklist_policy: pulumi.Input[dict[str, Any]] | None = None,
        account_center_email: pulumi.Input[str] | None = None,
        resource: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "endpoint": endpoint,
            "resource": resource,
            "app_id": app_id,
            "app_secret": pulumi.Output.secret(app_secret),
            "email_sign_up": email_sign_up,
            "email_sign_in": email_sign_in,
            "forgot_password": forgot_password,
            "email_mfa": email_mfa,
            "verification_code_policy": verification_code_policy,
            "email_blocklist_policy": email_blocklist_policy,
            "account_center_email": account_center_email,
            "record": None,
            "notes": None,
            "needs_email_connector": None,
        }
        opts = pulumi.ResourceOptions.merge(
            opts,
            pulumi.ResourceOptions(depends_on=[connector], additional_secret_outputs=list(SECRET_OUTPUTS)),
        )
        super().__init__(LogtoSignInEmailProvider(), name, props, opts)
