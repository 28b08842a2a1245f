"""`LogtoEmailTemplates`: a tenant's localized rows in Logto's i18n email templates.

A thin shell over `connectors.deploy.email_templates`, built like `infra.connector`: the
provider captures nothing (dill pickles it into the state), works from stored outputs alone on
update, read and delete, and the only secret is `app_secret` (wrapped, and listed in
`additional_secret_outputs`). Template content is not secret.

Outputs: `owned` (the `lang/Type` keys this stack wrote: the only rows it will ever delete),
`originals` (details of rows that existed before and were taken over: put back, not deleted,
when given up), `row_ids`, and `templates` (the live owned rows after every create, update and
refresh, so drift shows up as a diff against the declared rows).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.runtime import rpc

from connectors.deploy import email_templates as deploy_templates
from infra.dynamic_support import FunctionProvider, diff_result, access_failures, client_for, is_unknown, resource_of, say, tenant_scoped_id, unwrap


SECRET_OUTPUTS = ("app_secret",)
_INPUTS = ("endpoint", "resource", "app_id", "app_secret", "templates", "test_recipient")


def pulumi_id(endpoint: str, resource: str) -> str:
    return tenant_scoped_id("logto-email-templates", endpoint, resource)


def _state(outs: dict[str, Any]) -> deploy_templates.TemplateState:
    return deploy_templates.TemplateState(
        owned=list(outs.get("owned") or []),
        originals=dict(outs.get("originals") or {}),
        row_ids=dict(outs.get("row_ids") or {}),
        live=deploy_templates.by_key(outs.get("templates") or []),
    )


def _outputs(props: dict[str, Any], state: deploy_templates.TemplateState) -> dict[str, Any]:
    outs: dict[str, Any] = {k: props.get(k) for k in _INPUTS}
    outs["resource"] = resource_of(props)
    outs["templates"] = state.rows()
    outs["owned"] = list(state.owned)
    outs["originals"] = dict(state.originals)
    outs["row_ids"] = dict(state.row_ids)
    outs["app_secret"] = rpc.wrap_rpc_secret(outs["app_secret"])
    return outs


def check_inputs(olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
    news = unwrap(dict(news))
    failures = access_failures(news)
    rows = news.get("templates")
    if rows is None or (not is_unknown(rows) and not isinstance(rows, list)):
        failures.append(CheckFailure("templates", "templates must be a list of {languageTag, templateType, details}"))
    elif isinstance(rows, list) and not is_unknown(rows):
        failures.extend(CheckFailure("templates", p) for p in deploy_templates.row_problems(rows))
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
    rows = news.get("templates")
    if is_unknown(rows):
        changed.append("templates")
        parts.append("templates (known after apply)")
    else:
        changes = deploy_templates.details_changes(deploy_templates.by_key(olds.get("templates") or []), deploy_templates.by_key(rows or []))
        if changes:
            changed.append("templates")
            parts.append("templates: " + deploy_templates.summarize(changes))
    return changed, "; ".join(parts) if parts else "no changes"


def diff_props(id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
    return diff_result("email templates", id_, *diff_summary(olds, news), delete_before_replace=True)


def create_templates(props: dict[str, Any]) -> CreateResult:
    props = unwrap(dict(props))
    with client_for(props) as client:
        state, the_plan = deploy_templates.sync(client, props["templates"], None, test_recipient=props.get("test_recipient") or None)
    say(f"email templates: {the_plan.summary}")
    return CreateResult(pulumi_id(props["endpoint"], resource_of(props)), _outputs(props, state))


def update_templates(id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
    olds, news = unwrap(dict(olds)), unwrap(dict(news))
    with client_for(news) as client:
        state, the_plan = deploy_templates.sync(client, news["templates"], _state(olds), test_recipient=news.get("test_recipient") or None)
    say(f"email templates: {the_plan.summary}")
    return UpdateResult(_outputs(news, state))


def read_templates(id_: str, props: dict[str, Any]) -> ReadResult:
    """Live rows of the owned keys; a changed or deleted row shows as drift on the next diff."""
    props = unwrap(dict(props))
    state = _state(props)
    with client_for(props) as client:
        state.live = deploy_templates.read(client, state.owned)
    recorded = deploy_templates.by_key(props.get("templates") or [])
    drift = deploy_templates.details_changes(recorded, state.live)
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
    row_ids: pulumi.Output[dict[str, str]]
    templates: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self,
        name: str,
        *,
        endpoint: pulumi.Input[str],
        app_id: pulumi.Input[str],
        app_secret: pulumi.Input[str],
        templates: pulumi.Input[list[dict[str, Any]]],
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
            "test_recipient": test_recipient,
            "owned": None,
            "originals": None,
            "row_ids": None,
        }
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_OUTPUTS)))
        super().__init__(LogtoEmailTemplatesProvider(), name, props, opts)
