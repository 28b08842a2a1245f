"""`LogtoEmailConnector`: the tenant's one active email connector as a Pulumi dynamic resource.

The provider is a thin shell over `connectors.deploy`: it holds no state, no client and no
secret (the SDK dill-pickles it into the stack state), and works from the stored outputs alone
on update, read and delete. Secrets live only under `app_secret` and `config`, which are
returned wrapped as Pulumi secrets and also listed in `additional_secret_outputs`.

Small state: the config keeps one reference for its rendered template part (see
`connectors.deploy.content`), `source` is one line of JSON, flags at their default are left out,
and the outputs keep what diff, read and delete need (not `source` nor `credential_wait`).

The engine runs the provider in `python -m pulumi.dynamic` inside the project's venv, so this
package must be importable there (`uv sync` installs it in editable mode).
"""

from __future__ import annotations

import hashlib
import hmac
import json
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

from connectors import deploy
from connectors.deploy.content import (
    ContentMismatch,
    compact,
    expand,
    refs_in,
    texts_of,
)
from connectors.deploy.diff import config_changes
from connectors.errors import ConfigError
from connectors.logto.client import Connector
from connectors.logto.endpoint import normalize_endpoint
from connectors.logto.errors import LogtoError
from connectors.logto_facts import clean_deep
from connectors.validators import is_email_address
from infra.dynamic_support import (
    FunctionProvider,
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

SECRET_OUTPUTS = ("app_secret", "config")
_INPUTS = (
    "endpoint", "resource", "app_id", "app_secret", "factory_id", "config",
    "test_recipient", "allow_sign_in_breakage", "allow_untested_changes",
    "source",  # what the config's template references are rendered from (see `_full_config`)
)
_REQUIRED = ("endpoint", "app_id", "app_secret", "factory_id", "config")
_FLAGS = ("allow_sign_in_breakage", "allow_untested_changes")  # recorded only when true
_KEPT = ("endpoint", "app_id", "app_secret", "factory_id", "test_recipient")  # outputs besides those computed


# -- helpers (module level: nothing is captured by the pickled provider) ------------------------


def pulumi_id(endpoint: str, resource: str) -> str:
    """Stable per tenant (the Logto connector id changes on every POST)."""
    return tenant_scoped_id("logto-email-connector", endpoint, resource)


def config_hash(app_secret: str, config: dict[str, Any]) -> str:
    """HMAC of the cleaned config, keyed with the app secret: shows change, reveals nothing."""
    canonical = json.dumps(clean_deep(config), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "hmac-sha256:" + hmac.new(app_secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def _known_parts(props: dict[str, Any]) -> dict[str, Any]:
    """Reference → text or config part, rendered here from `source` for the factory."""
    from connectors.connector_config import render_from_source

    if not props.get("source"):
        raise ContentMismatch("config holds template references but no source to render them from")
    return texts_of(render_from_source(unpacked(props["source"])), props.get("factory_id"))


def _full_config(props: dict[str, Any]) -> dict[str, Any]:
    """The config Logto gets: the input with each template reference (`connectors.deploy.content`)
    replaced by the text or part rendered here from `source`. The state keeps only the references."""
    config = props["config"]
    if not refs_in(config):
        return config
    return expand(config, _known_parts(props))


def _comparable(config: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
    """A config as far as the texts rendered from the new `source` explain it: a recorded config
    whose references differ in form only (an older version kept one per body) compares equal, and
    a changed rendered part stays one reference (its old text is in no state)."""
    if not refs_in(config) or is_unknown(news.get("source")) or is_unknown(news.get("factory_id")):
        return config
    try:
        known = _known_parts(news)
    except (ContentMismatch, ConfigError):
        return config
    return compact(expand(config, known) if refs_in(config) <= set(known) else config, known)


def _desired(props: dict[str, Any]) -> deploy.Desired:
    return deploy.Desired(
        factory_id=props["factory_id"],
        config=_full_config(props),
        test_recipient=props.get("test_recipient") or None,
        allow_sign_in_breakage=bool(props.get("allow_sign_in_breakage")),
        allow_untested_changes=bool(props.get("allow_untested_changes")),
        credential_wait=float(props.get("credential_wait") or 0),
    )


def _outputs(props: dict[str, Any], connector: Connector, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """What diff, read and delete need, plus connector_id/config_hash; secrets only under
    app_secret and config."""
    outs: dict[str, Any] = {k: props.get(k) for k in _KEPT}
    outs["resource"] = resource_of(props)
    outs.update({flag: True for flag in _FLAGS if props.get(flag)})
    cfg = props["config"] if config is None else config
    outs["config"] = cfg
    outs["factory_id"] = connector.factory_id
    outs["connector_id"] = connector.id
    outs["config_hash"] = config_hash(props["app_secret"], cfg)
    for key in SECRET_OUTPUTS:
        outs[key] = rpc.wrap_rpc_secret(outs[key])
    return outs


def check_inputs(olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
    news = unwrap(dict(news))
    failures: list[CheckFailure] = []
    for key in _REQUIRED:
        value = news.get(key)
        if value is None or value == "" or value == {}:
            failures.append(CheckFailure(key, f"{key} is required"))
    endpoint = news.get("endpoint")
    if isinstance(endpoint, str) and endpoint and not is_unknown(endpoint):
        try:
            news["endpoint"] = normalize_endpoint(endpoint)
        except LogtoError as exc:
            failures.append(CheckFailure("endpoint", str(exc)))
    for key in ("app_id", "app_secret", "factory_id", "resource", "test_recipient"):
        value = news.get(key)
        if value is not None and not is_unknown(value) and not isinstance(value, str):
            failures.append(CheckFailure(key, f"{key} must be a string"))
    recipient = news.get("test_recipient")
    if isinstance(recipient, str) and recipient and not is_unknown(recipient) and not is_email_address(recipient):
        failures.append(CheckFailure("test_recipient", "test_recipient must be an email address"))
    for flag in _FLAGS:
        allow = news.get(flag)
        if allow is not None and not is_unknown(allow) and not isinstance(allow, bool):
            failures.append(CheckFailure(flag, f"{flag} must be true or false"))
    config, factory = news.get("config"), news.get("factory_id")
    if config is not None and not is_unknown(config) and not isinstance(config, dict):
        failures.append(CheckFailure("config", "config must be an object (the exact Logto connector config)"))
    elif isinstance(config, dict) and isinstance(factory, str) and factory and not is_unknown(factory) and not is_unknown(config):
        from connectors.providers import parse_config

        try:
            if not is_unknown(news.get("source")):
                parse_config(factory, _full_config(news), path="config")
        except ConfigError as exc:  # never carries values
            failures.extend(CheckFailure("config", str(p)) for p in exc.problems)
        except ContentMismatch as exc:
            failures.append(CheckFailure("config", str(exc)))
    return CheckResult(news, failures)


def diff_summary(olds: dict[str, Any], news: dict[str, Any]) -> tuple[list[str], str]:
    """Changed input keys, and a line describing them with every secret masked."""
    olds, news = unwrap(dict(olds)), unwrap(dict(news))
    changed: list[str] = []
    parts: list[str] = []
    for key in _INPUTS:
        old, new = olds.get(key), news.get(key)
        if key == "source":  # how the references are rendered, not what: a change of text shows in config
            continue
        if key == "resource" and (new is None or is_unknown(new)):  # unset: the default, as recorded in the outputs
            continue
        if key in ("allow_sign_in_breakage", "allow_untested_changes"):
            old, new = bool(old), bool(new) if not is_unknown(new) else new
        if key == "config":
            if is_unknown(new):
                changed.append(key)
                parts.append("config (known after apply)")
                continue
            changes = config_changes(_comparable(old or {}, news), _comparable(new or {}, news))
            if changes:
                changed.append(key)
                parts.append("config: " + ", ".join(str(c) for c in changes))
            continue
        if old == new or (old in (None, "") and new in (None, "")):
            continue
        changed.append(key)
        if key == "app_secret":
            parts.append("app_secret (secret, rotated)")
        elif key == "factory_id" and not is_unknown(new):
            parts.append(f"factory_id: {old} → {new} (atomic switch)")
        else:
            parts.append(f"{key}: {old!s} → {new!s}" if not is_unknown(new) else f"{key} (known after apply)")
    return changed, "; ".join(parts) if parts else "no changes"


def diff_props(id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
    return diff_result("email connector", id_, *diff_summary(olds, news), delete_before_replace=False)


def create_connector(props: dict[str, Any]) -> CreateResult:
    props = unwrap(dict(props))
    with client_for(props) as client:
        outcome = deploy.deploy(client, _desired(props), known_id=None)
    say(f"email connector: {outcome.summary}")
    return CreateResult(pulumi_id(props["endpoint"], resource_of(props)), _outputs(props, outcome.connector))


def update_connector(id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
    olds, news = unwrap(dict(olds)), unwrap(dict(news))
    with client_for(news) as client:
        outcome = deploy.deploy(client, _desired(news), known_id=olds.get("connector_id"))
    say(f"email connector: {outcome.summary}")
    return UpdateResult(_outputs(news, outcome.connector))


def read_connector(id_: str, props: dict[str, Any]) -> ReadResult:
    """Live state for `pulumi refresh`: drift shows as a changed factory/config/connector id."""
    props = unwrap(dict(props))
    with client_for(props) as client:
        live = deploy.read(client)
    if live is None:
        return ReadResult("", {})  # gone: the next `up` creates it again
    # Live template text equal to what the state references is recorded as that reference again.
    live_config = compact(live.config, refs_in(props.get("config") or {}))
    changes = config_changes(props.get("config") or {}, live_config)
    if live.id != props.get("connector_id") or live.factory_id != props.get("factory_id") or changes:
        drift = ", ".join(str(c) for c in changes) or "no config change"
        say(f"email connector drift: live {live.factory_id} connector {live.id} ({drift})")
    return ReadResult(id_, _outputs(props, live, config=live_config))


def delete_connector(id_: str, props: dict[str, Any]) -> None:
    props = unwrap(dict(props))
    with client_for(props) as client:
        deleted = deploy.delete(
            client, allow_sign_in_breakage=bool(props.get("allow_sign_in_breakage")), expected_id=props.get("connector_id") or None
        )
    say(f"email connector {deleted} deleted" if deleted else "email connector already gone")


class LogtoEmailConnectorProvider(FunctionProvider):
    """Stateless: every method is a module-level function of this module."""

    check_fn = staticmethod(check_inputs)
    diff_fn = staticmethod(diff_props)
    create_fn = staticmethod(create_connector)
    read_fn = staticmethod(read_connector)
    update_fn = staticmethod(update_connector)
    delete_fn = staticmethod(delete_connector)


class LogtoEmailConnector(pulumi.dynamic.Resource, module="logto", name="EmailConnector"):
    """The active email connector of one Logto tenant (a singleton, updated in place)."""

    connector_id: pulumi.Output[str]
    factory_id: pulumi.Output[str]
    config_hash: pulumi.Output[str]
    resource: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        endpoint: pulumi.Input[str],
        app_id: pulumi.Input[str],
        app_secret: pulumi.Input[str],
        factory_id: pulumi.Input[str],
        config: pulumi.Input[dict[str, Any]],
        resource: pulumi.Input[str] | None = None,
        test_recipient: pulumi.Input[str] | None = None,
        allow_sign_in_breakage: pulumi.Input[bool] = False,
        allow_untested_changes: pulumi.Input[bool] = False,
        credential_wait: pulumi.Input[float] = 0,
        source: pulumi.Input[dict[str, Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "endpoint": endpoint,
            "resource": resource,
            "app_id": app_id,
            "app_secret": pulumi.Output.secret(app_secret),
            "factory_id": factory_id,
            "config": pulumi.Output.secret(config),
            "test_recipient": test_recipient,
            "allow_sign_in_breakage": allow_sign_in_breakage,
            "allow_untested_changes": allow_untested_changes,
            "credential_wait": credential_wait,
            # one line in the state; the flags and the wait only when not at their default
            "source": lifted(source, packed),
            "connector_id": None,
            "config_hash": None,
        }
        for key in (*_FLAGS, "credential_wait"):
            if isinstance(props[key], (bool, int, float)) and not props[key]:
                props[key] = None
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_OUTPUTS))
        )
        super().__init__(LogtoEmailConnectorProvider(), name, props, opts)
