"""Run `infra/__main__.py` under `pulumi.runtime.set_mocks` with a stack file's config.

Every registration is recorded with its inputs exactly as the SDK serialised them (secrets
still wrapped in Pulumi's secret signature), its parent and its dependencies, in order.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import inspect
import json
import logging
import os
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pulumi
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import rpc

from connectors.stack import read_yaml


class _ExpectedProgramFailure(logging.Filter):
    """A program that fails on purpose (e.g. SES sandbox refused) leaves outputs nobody awaits;
    asyncio reports each one with a traceback when it is collected. The test inspects the error
    itself, so those reports are noise that would bury real failures in CI output."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (record.getMessage().startswith("Future exception was never retrieved") and isinstance(exc, pulumi.RunError))


logging.getLogger("asyncio").addFilter(_ExpectedProgramFailure())

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "infra" / "__main__.py"
SIG = rpc._special_sig_key  # "4dabf18193072939515e22adb298388d"
SECRET_SIG = rpc._special_secret_sig
ACCOUNT = "123456789012"
EVENTS: list[str] = []  # registrations and fake-SES calls, in order (shared with tests)


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    custom: bool
    provider: str
    delete_before_replace: bool


@dataclass
class Run:
    registrations: list[Registration] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    stack_outputs_secret: bool = False
    secrets: dict[str, str] = field(default_factory=dict)  # config path -> test secret value
    error: BaseException | None = None

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def named(self, name: str) -> Registration:
        found = [r for r in self.registrations if r.name == name]
        assert len(found) == 1, f"{name}: {len(found)} registrations"
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.registrations if r.urn == urn)

    def descendants(self, urn: str) -> list[Registration]:
        out, todo = [], [urn]
        while todo:
            parent = todo.pop()
            for r in self.registrations:
                if r.parent == parent:
                    out.append(r)
                    todo.append(r.urn)
        return out


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG) == SECRET_SIG


def strip_secrets(value: Any) -> Any:
    """The value with every secret-wrapped part replaced by a marker."""
    if is_secret(value):
        return "<<secret>>"
    if isinstance(value, pulumi.asset.FileArchive):  # the relay's code: its path is the searchable part
        return f"<<archive {value.path}>>"
    if isinstance(value, pulumi.asset.AssetArchive):
        return {k: strip_secrets(v) for k, v in value.assets.items()}
    if isinstance(value, dict):
        return {k: strip_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_secrets(v) for v in value]
    return value


def unwrap(value: Any) -> Any:
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


class Mocks(pmocks.Mocks):
    """Plausible provider outputs: ARNs, DKIM tokens, access keys, Mailgun records."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        EVENTS.append(f"register {args.typ} {args.name}")
        inputs = unwrap(args.inputs)
        out: dict[str, Any] = dict(inputs)
        rid = f"{args.name}-id"
        region = inputs.get("region", "eu-west-1")
        digest = hashlib.sha256(args.name.encode()).hexdigest()
        t = args.typ
        if t == "aws:sesv2/emailIdentity:EmailIdentity":
            out["arn"] = f"arn:aws:ses:{region}:{ACCOUNT}:identity/{inputs['emailIdentity']}"
            out["dkimSigningAttributes"] = {
                **inputs.get("dkimSigningAttributes", {}),
                "tokens": [f"{digest[i * 8:(i + 1) * 8]}dkim{i}" for i in range(3)],
                "status": "PENDING",
            }
            rid = inputs["emailIdentity"]
        elif t == "aws:sesv2/configurationSet:ConfigurationSet":
            out["arn"] = f"arn:aws:ses:{region}:{ACCOUNT}:configuration-set/{inputs['configurationSetName']}"
        elif t == "aws:sns/topic:Topic":
            out["arn"] = f"arn:aws:sns:{region}:{ACCOUNT}:{args.name}"
        elif t == "aws:iam/user:User":
            out["name"] = f"{args.name}-{digest[:7]}"
            out["arn"] = f"arn:aws:iam::{ACCOUNT}:user/logto-email/{out['name']}"
        elif t == "aws:iam/accessKey:AccessKey":
            rid = "AKIA" + digest[:16].upper()
            out["secret"] = rpc.wrap_rpc_secret(f"MOCKSECRETKEY{digest[:27]}")
        elif t == "aws:secretsmanager/secret:Secret":
            out["arn"] = f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{args.name}-{digest[:6]}"
            rid = out["arn"]
        elif t == "mailgun:index/domain:Domain":
            name = inputs["name"]
            out["sendingRecordsSets"] = [
                {"recordType": "TXT", "name": name, "value": "v=spf1 include:mailgun.org ~all", "valid": "unknown"},
                {"recordType": "TXT", "name": f"pdk1._domainkey.{name}", "value": "k=rsa; p=" + "M" * 392, "valid": "unknown"},
                {"recordType": "CNAME", "name": f"email.{name}", "value": "eu.mailgun.org", "valid": "unknown"},
            ]
        elif t == "aws:ec2/eip:Eip":
            out["publicIp"] = f"198.51.100.{int(digest[:2], 16) % 250 + 1}"
            out["allocationId"] = f"eipalloc-{digest[:17]}"
        elif t == "aws:lambda/functionUrl:FunctionUrl":
            out["functionUrl"] = f"https://{digest[:32]}.lambda-url.{region}.on.aws/"
        elif t in ("aws:cloudwatch/logGroup:LogGroup", "aws:iam/role:Role", "aws:lambda/function:Function",
                   "aws:lambda/layerVersion:LayerVersion", "aws:dynamodb/table:Table"):
            kind = t.split(":")[1].split("/")[0]
            out["arn"] = f"arn:aws:{kind}:{region}:{ACCOUNT}:{args.name}"
        elif t == "aws:secretsmanager/secretVersion:SecretVersion":
            out["versionId"] = f"v-{digest[:12]}"
        elif t.startswith("pulumi-python:dynamic"):
            out["connector_id"] = f"conn{digest[:8]}"
        return rid, out

    def call(self, args: pmocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.run.calls.append((args.token, dict(args.args)))
        if args.token == "aws:route53/getZone:getZone":
            name = args.args["name"]
            return {"zoneId": f"ZMOCK{hashlib.sha256(name.encode()).hexdigest()[:10].upper()}", "name": name, "id": "z"}, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/deployer", "userId": "AIDMOCK", "id": ACCOUNT}, []
        raise NotImplementedError(f"no mock for invoke {args.token}")


class RecordingMonitor(pmocks.MockMonitor):
    def __init__(self, mocks: Mocks, run: Run) -> None:
        super().__init__(mocks)
        self.run = run

    def RegisterResource(self, request):  # noqa: N802 - gRPC name
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.run.registrations.append(Registration(
                type=request.type,
                name=request.name,
                urn=response.urn,
                inputs=rpc.deserialize_properties(request.object),
                outputs=self.resources[response.urn].state if response.urn in self.resources else {},
                parent=request.parent,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                custom=request.custom,
                provider=request.provider,
                delete_before_replace=request.deleteBeforeReplace,
            ))
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC name
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.run.stack_outputs = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


def tenants_config(tenants: dict[str, Any], production: bool = False) -> dict[str, str]:
    """Config for a stack declared in code (decrypted values, as the program receives them)."""
    return {"logto-email:tenants": json.dumps(tenants), "logto-email:production": json.dumps(production)}


def stack_config(stack_file: Path, doc: dict[str, Any] | None = None) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """The file's `logto-email:*` config (or `doc`, already parsed) as Pulumi hands it to a program.

    Every `secure:` value becomes a unique test value (what Pulumi would decrypt, the same every
    run); keys that hold one are marked secret, as Pulumi does.
    """
    doc = read_yaml(stack_file) if doc is None else doc
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    secrets: dict[str, str] = {}

    def plain(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            if set(node) == {"secure"}:
                value = f"tst{hashlib.sha256(f'{stack_file.name}:{path}'.encode()).hexdigest()[:20]}"
                secrets[path] = value
                return value
            return {str(k): plain(v, f"{path}.{k}") for k, v in node.items()}
        if isinstance(node, list):
            return [plain(v, f"{path}[{i}]") for i, v in enumerate(node)]
        return node

    for key, value in (doc.get("config") or {}).items():
        before = len(secrets)
        value = plain(value, str(key))
        config[str(key)] = value if isinstance(value, str) else json.dumps(value)
        if len(secrets) > before:
            secret_keys.append(str(key))
    return config, secret_keys, secrets


NOT_CHECKED = "not checked (mocks)"


def _no_aws_check(identity: str, *_: Any, **__: Any) -> str:
    """SES readiness under mocks: nothing exists in AWS, so the boto3 check is not run."""
    return NOT_CHECKED


async def _resolved(value: Any) -> tuple[Any, bool]:
    """An export with every Output in it awaited, and whether any was secret: what the engine
    records. (`Output.from_input` would do it too, but lifts every key and value of every nested
    mapping into an Output of its own: a cost of the harness, not of the program.)"""
    if isinstance(value, pulumi.Output):
        inner, secret = await _resolved(await value.future())
        return inner, secret or await value.is_secret()
    if isinstance(value, dict):
        items = [(k, *(await _resolved(v))) for k, v in value.items()]
        return {k: v for k, v, _ in items}, any(s for _, _, s in items)
    if isinstance(value, (list, tuple)):
        pairs = [await _resolved(v) for v in value]
        return [v for v, _ in pairs], any(s for _, s in pairs)
    if inspect.isawaitable(value):
        return await _resolved(await value)
    return value, False


def run_program(
    stack: str,
    config: dict[str, str],
    secret_keys: list[str] | None = None,
    *,
    preview: bool = False,
    secrets: dict[str, str] | None = None,
    program_fn: Callable[[], None] | None = None,
) -> Run:
    """Run the real program (or `program_fn`) once; its error, if any, is returned, not raised.

    SES readiness is not checked (nothing exists in AWS) unless LOGTO_EMAIL_READINESS=run, which
    tests set after pointing boto3 at a local SESv2 server (AWS_ENDPOINT_URL_SESV2).
    """
    from infra import readiness

    run = Run(secrets=dict(secrets or {}))
    EVENTS.clear()
    mocks = Mocks(run)
    pulumi.runtime.settings.ROOT.set(None)  # a fresh stack per run
    asyncio.set_event_loop(asyncio.new_event_loop())  # a test before (asyncio.run, uvicorn) may have left none
    pulumi.runtime.set_mocks(mocks, project="logto-email", stack=stack, preview=preview, monitor=RecordingMonitor(mocks, run))
    pulumi.runtime.set_all_config(config, secret_keys or [])

    @pmocks.test
    def program() -> Any:
        if program_fn is not None:
            program_fn()
        else:
            runpy.run_path(str(PROGRAM), run_name="__main__")
        exports = dict(pulumi.runtime.settings.get_root_resource().outputs)

        async def collect() -> None:  # mocks finish the stack before the program runs: read it here
            run.stack_outputs, run.stack_outputs_secret = await _resolved(exports)

        return asyncio.ensure_future(collect())

    cwd = os.getcwd()
    thresholds = gc.get_threshold()  # the program tunes the collector for its own process: not for the test session
    real_check = readiness.check_ses
    if os.environ.get("LOGTO_EMAIL_READINESS") != "run":
        readiness.check_ses = _no_aws_check  # type: ignore[assignment]
    try:
        os.chdir(ROOT)
        program()
    except BaseException as exc:  # noqa: BLE001 - the test inspects it
        run.error = exc
    finally:
        os.chdir(cwd)
        gc.set_threshold(*thresholds)
        readiness.check_ses = real_check  # type: ignore[assignment]
    return run


def run_stack_file(path: Path, *, preview: bool = False) -> Run:
    config, secret_keys, secrets = stack_config(path)
    stack = path.name[len("Pulumi."):-len(".yaml")]
    return run_program(stack, config, secret_keys, preview=preview, secrets=secrets)


def leaked(run: Run, extra: set[str] | None = None) -> list[str]:
    """Secret values found in clear: outside secret-wrapped inputs, in exports, in pickled providers."""
    values = set(run.secrets.values()) | set(extra or ())
    for r in run.of_type("aws:iam/accessKey:AccessKey"):
        values.add(unwrap(r.outputs["secret"]))
    clear = json.dumps([strip_secrets(r.inputs) for r in run.registrations])
    clear += json.dumps(run.stack_outputs) + "".join(provider_blob(r.inputs) for r in run.registrations)
    return [v for v in values if v and v in clear]


def provider_blob(inputs: dict[str, Any]) -> str:
    """The dynamic resource's pickled provider, decoded, so a test can look inside it too."""
    raw = inputs.get("__provider")
    return base64.b64decode(raw).decode("latin-1") if isinstance(raw, str) else ""
