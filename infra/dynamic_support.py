"""What every Logto dynamic provider here shares.

Module-level functions only: the SDK dill-pickles providers into the stack state, so nothing
here may hold a client, a secret or any other state.

The state stays small (issue 16: at most 30 KB per tenant as `pulumi stack export` prints it,
indented): outputs keep only what diff, read and delete need, not a copy of every input, and
nested bookkeeping that no one edits (`source`) is kept as one line of compact JSON (`packed`).
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
from collections.abc import Callable
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime import rpc

from connectors.logto.client import LogtoClient
from connectors.logto.endpoint import default_resource, normalize_endpoint
from connectors.logto.errors import LogtoError
from connectors.logto.masking import scrubbed_logger

log = scrubbed_logger("infra")


def unwrap(value: Any) -> Any:
    """Props with any Pulumi secret wrapper removed, at any depth, and numbers as declared.

    The engine's wire format carries every number as a double, so a declared `port: 2525` reaches
    the provider as 2525.0: integral floats become ints again, or strict models refuse them and
    JSON comparisons with what Logto holds (2525) never match.
    """
    if rpc.is_rpc_secret(value):
        return unwrap(value["value"])
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def packed(value: Any) -> str:
    """`value` as one compact JSON text (keys sorted, `None` left out): `pulumi stack export`
    indents every nested object and list, which would triple a small mapping's size in the state."""
    return json.dumps(_without_none(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def unpacked(value: Any) -> Any:
    """What `packed` packed; an object as older versions recorded it, unchanged."""
    return json.loads(value) if isinstance(value, str) else value


def lifted(value: Any, fn: Callable[[Any], Any]) -> Any:
    """`fn(value)` for a resource's input: at once for plain data (no Output to wait for, as the
    program passes it), else once the value is known; `None` stays `None`."""
    if value is None:
        return None
    if _has_output(value):
        return pulumi.Output.from_input(value).apply(fn)
    return fn(value)


def _has_output(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_output(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_output(v) for v in value)
    return isinstance(value, pulumi.Output) or inspect.isawaitable(value)


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def is_unknown(value: Any) -> bool:
    """True when the value, or anything inside it, is only known after apply (preview)."""
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return value == rpc.UNKNOWN


def resource_of(props: dict[str, Any]) -> str:
    return props.get("resource") or default_resource(normalize_endpoint(props["endpoint"]))


def tenant_scoped_id(kind: str, endpoint: str, resource: str) -> str:
    """A Pulumi id stable per tenant and per kind of resource (Logto's own ids change)."""
    digest = hashlib.sha256(f"{normalize_endpoint(endpoint)}|{resource}".encode()).hexdigest()[:16]
    return f"{kind}-{digest}"


def access_failures(news: dict[str, Any]) -> list[CheckFailure]:
    """Check the tenant-access inputs every Logto resource takes; normalizes `endpoint` in place."""
    failures = [CheckFailure(k, f"{k} is required") for k in ("endpoint", "app_id", "app_secret") if not news.get(k)]
    endpoint = news.get("endpoint")
    if isinstance(endpoint, str) and endpoint and not is_unknown(endpoint):
        try:
            news["endpoint"] = normalize_endpoint(endpoint)
        except LogtoError as exc:
            failures.append(CheckFailure("endpoint", str(exc)))
    return failures


# Pointing a resource at another endpoint or indicator means another tenant: replace, never update.
REPLACE_ON = ("endpoint", "resource")


def diff_result(label: str, id_: str, changed: list[str], summary: str, *, delete_before_replace: bool) -> DiffResult:
    """The engine's answer to `diff`, telling the operator what changed (paths only, never values)."""
    if changed:
        say(f"{label} {id_}: {summary}")
    replaces = [k for k in changed if k in REPLACE_ON]
    return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=delete_before_replace)


def client_for(props: dict[str, Any]) -> LogtoClient:
    """A client from unwrapped props (endpoint, app_id, app_secret, resource)."""
    return LogtoClient(props["endpoint"], props["app_id"], props["app_secret"], resource=props.get("resource") or None)


def say(message: str) -> None:
    """Tell the operator (Pulumi's log) and the Python log; never fail a deployment for it."""
    log.info("%s", message)
    with contextlib.suppress(Exception):  # logging must never fail a deployment
        pulumi.log.info(message)


class FunctionProvider(ResourceProvider):
    """A provider that is only a table of module-level functions.

    Subclasses name the functions; instances hold nothing, so the pickle the engine stores in
    the state is a reference to the class and can carry no client and no secret. So the pickle
    is stored as it is, not as a secret (the SDK's default, for providers that might capture
    one): still a secret if it ever captured a secret Output.
    """

    serialize_as_secret_always = False

    check_fn: ClassVar[staticmethod[[dict[str, Any], dict[str, Any]], CheckResult]]
    diff_fn: ClassVar[staticmethod[[str, dict[str, Any], dict[str, Any]], DiffResult]]
    create_fn: ClassVar[staticmethod[[dict[str, Any]], CreateResult]]
    read_fn: ClassVar[staticmethod[[str, dict[str, Any]], ReadResult]]
    update_fn: ClassVar[staticmethod[[str, dict[str, Any], dict[str, Any]], UpdateResult]]
    delete_fn: ClassVar[staticmethod[[str, dict[str, Any]], None]]

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return type(self).check_fn(_olds, news)

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return type(self).diff_fn(_id, _olds, _news)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return type(self).create_fn(props)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return type(self).read_fn(id_, props)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        return type(self).update_fn(_id, _olds, _news)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        type(self).delete_fn(_id, _props)
