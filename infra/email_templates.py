"""`LogtoEmailTemplates`: a tenant's localized rows in Logto's i18n email templates.

A thin shell over `connectors.deploy.email_templates`, built like `infra.connector`: the
provider captures nothing (dill pickles it into the state), works from stored outputs alone on
update, read and delete, and the only secret is `app_secret` (wrapped, and listed in
`additional_secret_outputs`). Template content is not secret.

Small state: the program passes `source` (what the rows are rendered from: rendering inputs,
factory, sender) and `digests` (`lang/Type` → digest of the row's details); the provider renders
the rows where it writes them and refuses when they do not match the digests. (`templates`, the
rows themselves, is accepted instead, for callers that build rows by hand.)

Outputs: `owned` (the `lang/Type` keys this stack wrote: the only rows it will ever delete),
`originals` (details of rows that existed before and were taken over: put back, not deleted,
when given up), and `digests` (of the live owned rows after every create, update and
refresh, so drift shows up as a diff against the declared digests).
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

from connectors.deploy import email_templates as deploy_templates
from connectors.errors import ConfigError
from infra.dynamic_support import (
    FunctionProvider,
    access_failures,
    client_for,
    diff_result,
    is_unknown,
    resource_of,
    say,
    tenant_scoped_id,
    unwrap,
)

SECRET_OUTPUTS = ("app_secret",)
_INPUTS = ("endpoint", "resource", "app_id", "app_secret", "source", "digests", "test_recipient")


def pulumi_id(endpoint: str, resource: str) -> str:
    return tenant_scoped_id("logto-email-templates", endpoint, resource)


def _recorded(outs: dict[str, Any]) -> dict[str, str]:
    """Digests of the live owned rows as recorded (older states recorded the rows themselves)."""
    if outs.get("digests") is not None:
        return dict(outs["digests"])
    return deploy_templates.digests(outs.get("templates") or [])


def _state(outs: dict[str, Any]) -> deploy_templates.TemplateState:
    return deploy_templates.TemplateState(
        owned=list(outs.get("owned") or []),
        originals=dict(outs.get("originals") or {}),
        live=_recorded(outs),
    )


def _wanted(news: dict[str, Any]) -> Any:
    """The declared digests (unknown in a preview while an input is)."""
    if news.get("templates") is not None:
        rows = news["templates"]
        return rows if is_unknown(rows) else deploy_templates.digests(rows)
    return news.get("digests")


def desired_rows(props: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows to write: given, or rendered from `source` and checked against `digests`."""
    if props.get("templates") is not None:
        return list(props["templates"])
    from connectors.connector_config import render_from_source
    from connectors.templates import Sender, email_template_rows

    source = props["source"]
    rows = email_template_rows(source["factory_id"], render_from_source(source["render"]), Sender(**source["sender"]))
    got, want = deploy_templates.digests(rows), dict(props.get("digests") or {})
    if got != want:
        differ = deploy_templates.summarize(deploy_templates.digest_changes(want, got))
        raise deploy_templates.TemplateSyncError(
            f"email templates: the rows rendered here differ from the program's at {differ} (a template or an override file "
            "changed during the run?); nothing was written, run `pulumi up` again", state="unchanged (nothing was written)",
        )
    return rows


def _outputs(props: dict[str, Any], state: deploy_templates.TemplateState) -> dict[str, Any]:
    outs: dict[str, Any] = {k: props.get(k) for k in _INPUTS}
    outs["resource"] = resource_of(props)
    outs["digests"] = dict(state.live)
    outs["owned"] = list(state.owned)
    outs["originals"] = dict(state.originals)
    outs["app_secret"] = rpc.wrap_rpc_secret(outs["app_secret"])
    return outs


def check_inputs(olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
    news = unwrap(dict(news))
    failures = access_failures(news)
    rows, source, digests = news.get("templates"), news.get("source"), news.get("digests")
    if rows is not None:
        if not is_unknown(rows) and not isinstance(rows, list):
            failures.append(CheckFailure("templates", "templates must be a list of {languageTag, templateType, details}"))
        elif isinstance(rows, list) and not is_unknown(rows):
            failures.extend(CheckFailure("templates", p) for p in deploy_templates.row_problems(rows))
            news["digests"] = deploy_templates.digests(rows)  # what diff and the state compare
    elif not (isinstance(source, dict) and isinstance(digests, dict)):
        failures.append(CheckFailure("templates", "give either templates (the rows) or source and digests"))
    elif not is_unknown(source) and not is_unknown(digests):
        try:
            failures.extend(CheckFailure("templates", p) for p in deploy_templates.row_problems(desired_rows(news)))
        except (deploy_templates.TemplateSyncError, ConfigError) as exc:
            failures.append(CheckFailure("templates", str(exc)))
    return CheckResult(news, failures)


def diff_summary(olds: dict[str, Any], news: dict[str, Any]) -> tuple[list[str], str]:
    olds, news = unwrap(dict(olds)), unwrap(dict(news))
    changed: list[str] = []
    parts: list[str] = []
    for key in ("endpoint", "resource", "app_id"):
        old, new = olds.get(key), news.get(key)
        if key == "resource" and (new is None or is_unknown(new)):
            continue
        if old != new:
            changed.append(key)
            parts.append(f"{key}: {old} → {new}" if not is_unknown(new) else f"{key} (known after apply)")
    if olds.get("app_secret") != news.get("app_secret"):
        changed.append("app_secret")
        parts.append("app_secret (secret, rotated)")
    wanted = _wanted(news)
    if is_unknown(wanted):
        changed.append("templates")
        parts.append("templates (known after apply)")
    else:
        old_digests, new_digests = _recorded(olds), dict(wanted or {})
        changes = deploy_templates.digest_changes(old_digests, new_digests)
        if changes:
            changed.append("templates")
            parts.append("templates: " + deploy_templates.summarize(changes))
    return changed, "; ".join(parts) if parts else "no changes"


def diff_props(id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
    return diff_result("email templates", id_, *diff_summary(olds, news), delete_before_replace=True)


def create_templates(props: dict[str, Any]) -> CreateResult:
    props = unwrap(dict(props))
    with client_for(props) as client:
        state, the_plan = deploy_templates.sync(client, desired_rows(props), None, test_recipient=props.get("test_recipient") or None)
    say(f"email templates: {the_plan.summary}")
    return CreateResult(pulumi_id(props["endpoint"], resource_of(props)), _outputs(props, state))


def update_templates(id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
    olds, news = unwrap(dict(olds)), unwrap(dict(news))
    with client_for(news) as client:
        state, the_plan = deploy_templates.sync(client, desired_rows(news), _state(olds), test_recipient=news.get("test_recipient") or None)
    say(f"email templates: {the_plan.summary}")
    return UpdateResult(_outputs(news, state))


def read_templates(id_: str, props: dict[str, Any]) -> ReadResult:
    """Live rows of the owned keys; a changed or deleted row shows as drift on the next diff."""
    props = unwrap(dict(props))
    state = _state(props)
    recorded = dict(state.live)
    with client_for(props) as client:
        state.live = deploy_templates.digests(
            {"languageTag": deploy_templates.split_key(k)[0], "templateType": deploy_templates.split_key(k)[1], "details": v}
            for k, v in deploy_templates.read(client, state.owned).items()
        )
    drift = deploy_templates.digest_changes(recorded, state.live)
    if drift:
        say(f"email templates drift: {deploy_templates.summarize(drift)}")
    return ReadResult(id_, _outputs(props, state))


def delete_templates(id_: str, props: dict[str, Any]) -> None:
    props = unwrap(dict(props))
    with client_for(props) as client:
        the_plan = deploy_templates.remove(client, _state(props))
    say(f"email templates: removed {len(the_plan.delete)} row(s), restored {len(the_plan.restore)} taken-over row(s)")


class LogtoEmailTemplatesProvider(FunctionProvider):
    """Stateless: every method is a module-level function of this module."""

    check_fn = staticmethod(check_inputs)
    diff_fn = staticmethod(diff_props)
    create_fn = staticmethod(create_templates)
    read_fn = staticmethod(read_templates)
    update_fn = staticmethod(update_templates)
    delete_fn = staticmethod(delete_templates)


class LogtoEmailTemplates(pulumi.dynamic.Resource, module="logto", name="EmailTemplates"):
    """The rows of `/api/email-templates` this stack owns (one per language × usage type)."""

    owned: pulumi.Output[list[str]]
    digests: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        *,
        endpoint: pulumi.Input[str],
        app_id: pulumi.Input[str],
        app_secret: pulumi.Input[str],
        templates: pulumi.Input[list[dict[str, Any]]] | None = None,
        source: pulumi.Input[dict[str, Any]] | None = None,
        digests: pulumi.Input[dict[str, str]] | None = None,
        resource: pulumi.Input[str] | None = None,
        test_recipient: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "endpoint": endpoint,
            "resource": resource,
            "app_id": app_id,
            "app_secret": pulumi.Output.secret(app_secret),
            "templates": templates,
            "source": source,
            "digests": digests,
            "test_recipient": test_recipient,
            "owned": None,
            "originals": None,
        }
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_OUTPUTS)))
        super().__init__(LogtoEmailTemplatesProvider(), name, props, opts)
