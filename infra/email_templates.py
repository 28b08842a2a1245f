"""`LogtoEmailTemplates`: a tenant's localized rows in Logto's i18n email templates.

A thin shell over `connectors.deploy.email_templates`, built like `infra.connector`: the
provider captures nothing (dill pickles it into the state), works from stored outputs alone on
update, read and delete, and the only secret is `app_secret` (wrapped, and listed in
`additional_secret_outputs`). Template content is not secret.

Small state: the program passes `source` (what the rows are rendered from: rendering inputs,
factory, sender; one line of JSON, see `infra.dynamic_support.packed`) and `digest` (one digest
of the whole set of rows); the provider renders the rows where it writes them, and where it
diffs, and refuses when they do not match the digest. (`templates`, the rows themselves, is
accepted instead, for callers that build rows by hand.)

Outputs: the tenant access (`endpoint`, `resource`, `app_id`, `app_secret`), `owned` (the
`lang/Type` keys this stack wrote, the only rows it will ever delete: packed, see
`TemplateState.to_outputs`), `live` (a 48-bit digest per owned row, of the live row after every
create, update and refresh, so drift shows up as a diff naming the rows), and `originals`
(details of rows that existed before and were taken over: put back, not deleted, when given up).
"""

from __future__ import annotations

from functools import lru_cache
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
    lifted,
    packed,
    resource_of,
    say,
    tenant_scoped_id,
    unpacked,
    unwrap,
)

SECRET_OUTPUTS = ("app_secret",)
_ACCESS = ("endpoint", "resource", "app_id", "app_secret")  # kept in the outputs: read and delete need them


def pulumi_id(endpoint: str, resource: str) -> str:
    return tenant_scoped_id("logto-email-templates", endpoint, resource)


def _state(outs: dict[str, Any]) -> deploy_templates.TemplateState:
    return deploy_templates.TemplateState.from_outputs(outs)


def _wanted(news: dict[str, Any]) -> Any:
    """Key → digest of every declared row (unknown in a preview while an input is)."""
    if news.get("templates") is not None:
        rows = news["templates"]
        return rows if is_unknown(rows) else deploy_templates.digests(rows)
    source, digest = news.get("source"), news.get("digest")
    if is_unknown(source) or is_unknown(digest):
        return rpc.UNKNOWN
    return dict(_rendered_digests(source if isinstance(source, str) else packed(source), digest))


@lru_cache(maxsize=64)
def _rendered_digests(source: str, digest: str) -> tuple[tuple[str, str], ...]:
    """The row digests of what `source` renders, once per process (check renders, diff asks again)."""
    return tuple(deploy_templates.digests(desired_rows({"source": source, "digest": digest})).items())


def desired_rows(props: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows to write: given, or rendered from `source` and checked against `digest`."""
    if props.get("templates") is not None:
        return list(props["templates"])
    from connectors.connector_config import render_from_source
    from connectors.templates import Sender, email_template_rows

    source = unpacked(props["source"])
    rows = email_template_rows(source["factory_id"], render_from_source(source["render"]), Sender(**source["sender"]))
    if deploy_templates.set_digest(deploy_templates.digests(rows)) != props.get("digest"):
        raise deploy_templates.TemplateSyncError(
            "email templates: the rows rendered here differ from the program's (a template or an override file "
            "changed during the run?); nothing was written, run `pulumi up` again", state="unchanged (nothing was written)",
        )
    return rows


def _outputs(props: dict[str, Any], state: deploy_templates.TemplateState) -> dict[str, Any]:
    """The tenant access and the recorded rows; nothing else (diff reads the declared rows from
    the inputs, read and delete need no more)."""
    outs: dict[str, Any] = {k: props.get(k) for k in _ACCESS}
    outs["resource"] = props.get("resource") or None  # unset: derived from the endpoint (`resource_of`)
    outs.update(state.to_outputs())
    outs["app_secret"] = rpc.wrap_rpc_secret(outs["app_secret"])
    return outs


def check_inputs(olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
    news = unwrap(dict(news))
    failures = access_failures(news)
    rows, source, digest = news.get("templates"), news.get("source"), news.get("digest")
    if rows is not None:
        if not is_unknown(rows) and not isinstance(rows, list):
            failures.append(CheckFailure("templates", "templates must be a list of {languageTag, templateType, details}"))
        elif isinstance(rows, list) and not is_unknown(rows):
            failures.extend(CheckFailure("templates", p) for p in deploy_templates.row_problems(rows))
            news["digest"] = deploy_templates.set_digest(deploy_templates.digests(rows))
    elif not (isinstance(source, str) and isinstance(digest, str)):
        failures.append(CheckFailure("templates", "give either templates (the rows) or source and digest"))
    elif not is_unknown(source) and not is_unknown(digest):
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
        if key == "resource":  # recorded only when given: else the endpoint's default
            old = resource_of(olds)
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
        changes = deploy_templates.digest_changes(_state(olds).live, dict(wanted or {}))
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

    owned: pulumi.Output[Any]  # packed {"de en": "SignIn …"}; older state holds a list of "de/SignIn"
    live: pulumi.Output[str]

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
            # one line each in the state: `source` as compact JSON, the rows' digests as one digest
            "source": lifted(source, packed),
            "digest": lifted(digests, deploy_templates.set_digest),
            "test_recipient": test_recipient,
            "owned": None,
            "live": None,
            "originals": None,
        }
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_OUTPUTS)))
        super().__init__(LogtoEmailTemplatesProvider(), name, props, opts)
