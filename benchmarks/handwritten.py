"""The hand-written program issue 16 compares the Pulumi program with, generated from a record of
what the program registered (`program_runner.py program`).

    python benchmarks/handwritten.py RECORD.json PROGRAM.py     # also writes PROGRAM.pyc

PROGRAM.py is what a user would write by hand to get the same resources: one constructor call per
resource, in the program's order, with the same names, parents, providers and dependencies, and
literal keyword arguments. It uses the classes a program uses: the provider SDKs' typed resources
and their `...Args` input types (`pulumi_aws.sesv2.EmailIdentity(...)`), dynamic resources of the
Logto types around the project's providers, given their props as recorded (each dill-serializes
its provider, as any dynamic resource must), explicit
providers, and `pulumi.ComponentResource` for the components. Secrets are passed through
`pulumi.Output.secret`, as a program reading `config.require_secret` would. Nothing else: no stack
parsing, no validation, no rendering, no Output plumbing between resources (what one resource
needs of another is written out as a literal, and the ordering kept by `depends_on`).
"""

from __future__ import annotations

import importlib
import json
import py_compile
import sys
import typing
from pathlib import Path
from typing import Any

from pulumi import _types
from pulumi.runtime import rpc

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The project's dynamic resources, by type token: a hand-written program constructs them like any class.
DYNAMIC = {
    "pulumi-python:dynamic/logto:EmailConnector": "infra.connector.LogtoEmailConnector",
    "pulumi-python:dynamic/logto:EmailTemplates": "infra.email_templates.LogtoEmailTemplates",
    "pulumi-python:dynamic/logto:SignInEmail": "infra.sign_in_experience.LogtoSignInEmail",
}
# Inputs every dynamic resource adds itself (its pickled provider).
DYNAMIC_OWN = {"__provider"}


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def _sdk_class(type_token: str) -> tuple[str, type]:
    """('pulumi_aws.sesv2', EmailIdentity) for 'aws:sesv2/emailIdentity:EmailIdentity'; providers too."""
    pkg, module, name = type_token.split(":")
    if pkg == "pulumi" and module == "providers":
        path, cls_name = f"pulumi_{name.replace('-', '_')}", "Provider"
    else:
        mod = module.split("/", 1)[0]
        path, cls_name = f"pulumi_{pkg.replace('-', '_')}" + ("" if mod == "index" else f".{mod}"), name
    try:
        m = importlib.import_module(path)
    except ImportError:  # python keywords get a trailing underscore (lambda_)
        path += "_"
        m = importlib.import_module(path)
    return path, getattr(m, cls_name)


def _input_type_of(typ: Any) -> type | None:
    """The `@input_type` class inside Optional[Input[X]] / Input[Sequence[Input[X]]], if any."""
    if isinstance(typ, type) and _types.is_input_type(typ):
        return typ
    for arg in typing.get_args(typ):
        found = _input_type_of(arg)
        if found is not None:
            return found
    return None


class _Writer:
    """Python source for record values, as a user would type them."""

    def __init__(self) -> None:
        self.args_classes: dict[type, str] = {}

    def value(self, v: Any, typ: Any = None) -> str:
        if _is_secret(v):
            return f"S({self.value(v['value'], typ)})"
        if isinstance(v, float) and v.is_integer():
            return repr(int(v))  # the engine's wire format has only doubles; a user writes 600
        if isinstance(v, dict):
            cls = _input_type_of(typ) if typ is not None else None
            if cls is not None:
                return self.args(cls, v)
            return "{" + ", ".join(f"{k!r}: {self.value(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(self.value(x, typ) for x in v) + "]"
        return repr(v)

    def args(self, cls: type, values: dict[str, Any]) -> str:
        """`module.XArgs(python_name=...)` for a nested input type."""
        names = {pulumi_name: py for py, pulumi_name in _types.input_type_py_to_pulumi_names(cls).items()}
        types = _types.input_type_types(cls)
        where = self.args_classes.setdefault(cls, f"{cls.__module__.rsplit('.', 1)[0]}.{cls.__name__}")
        return f"{where}(" + ", ".join(
            f"{names[k]}={self.value(v, types.get(names[k]))}" for k, v in values.items()
        ) + ")"


def generate(record: list[dict[str, Any]]) -> str:
    """The hand-written program for `record` (see the module docstring)."""
    w = _Writer()
    imports: set[str] = set()
    lines: list[str] = []
    var: dict[str, str] = {}  # urn -> variable
    dynamic_classes: dict[str, str] = {}  # type name -> its class, written once
    for i, r in enumerate(record):
        v = f"r{i}"
        opts = []
        if r["parent"] and r["parent"] in var:
            opts.append(f"parent={var[r['parent']]}")
        deps = [var[u] for u in r["dependencies"] if u in var]
        if r.get("provider"):
            opts.append(f"provider={var[r['provider'].rsplit('::', 1)[0]]}")
        inputs: dict[str, Any] = dict(r["inputs"])
        if not r["custom"]:
            if deps:
                opts.append(f"depends_on=[{', '.join(deps)}]")
            call = f"pulumi.ComponentResource({r['type']!r}, {r['name']!r}, None, pulumi.ResourceOptions({', '.join(opts)}))"
        elif r["type"] in DYNAMIC:
            # A hand-written dynamic resource: a class of the same module/name around the
            # project's provider, given the props as recorded (the pickled provider is its own).
            module, cls_name = DYNAMIC[r["type"]].rsplit(".", 1)
            short = r["type"].rsplit(":", 1)[1]
            if short not in dynamic_classes:
                imports.add(f"import {module}")
                dynamic_classes[short] = (
                    f"class {short}(pulumi.dynamic.Resource, module='logto', name={short!r}):\n"
                    f"    def __init__(self, name, props, opts):\n"
                    f"        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions("
                    f"additional_secret_outputs=list({module}.SECRET_OUTPUTS)))\n"
                    f"        super().__init__({module}.{cls_name}Provider(), name, props, opts)\n"
                )
            props = {k: x for k, x in inputs.items() if k not in DYNAMIC_OWN}
            if deps:
                opts.append(f"depends_on=[{', '.join(deps)}]")
            call = f"{short}({r['name']!r}, {w.value(props)}, pulumi.ResourceOptions({', '.join(opts)}))"
        else:
            path, cls = _sdk_class(r["type"])
            imports.add(f"import {path}")
            args_cls = getattr(importlib.import_module(cls.__module__), f"{cls.__name__}Args")
            names = {pulumi_name: py for py, pulumi_name in _types.input_type_py_to_pulumi_names(args_cls).items()}
            types = _types.input_type_types(args_cls)
            unknown = [k for k in inputs if k not in names]
            if unknown:
                raise ValueError(f"{r['name']}: {path}.{cls.__name__} takes no {unknown}")
            kwargs = [f"{names[k]}={w.value(x, types.get(names[k]))}" for k, x in inputs.items()]
            if deps:
                opts.append(f"depends_on=[{', '.join(deps)}]")
            call = f"{path}.{cls.__name__}({r['name']!r}, {''.join(k + ', ' for k in kwargs)}opts=pulumi.ResourceOptions({', '.join(opts)}))"
        lines.append(f"{v} = {call}")
        var[r["urn"]] = v
    header = [
        '"""Generated by benchmarks/handwritten.py: the resources of a recorded program, written out by hand."""',
        "import pulumi",
        *sorted(imports),
        "",
        "S = pulumi.Output.secret",
        "",
        *dynamic_classes.values(),
    ]
    return "\n".join(header + lines) + "\n"


def main() -> None:
    record_file, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.write_text(generate(json.loads(record_file.read_text(encoding="utf-8"))), encoding="utf-8")
    # Byte-compiled here, untimed: a hand-written program's bytecode is cached after its first run
    # (at 1,000 tenants compiling the source would add ~2 s to the baseline and flatter the program).
    py_compile.compile(str(out), cfile=str(out.with_suffix(".pyc")), doraise=True)


if __name__ == "__main__":
    main()
