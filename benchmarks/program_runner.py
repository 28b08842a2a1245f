"""The Pulumi program under the test suite's mocks, and its floor: a plain program registering the
same resources (same types, names, parents, dependencies and inputs) under the same mocks.

    python benchmarks/program_runner.py program  PATH/Pulumi.STACK.yaml RECORD.json
    python benchmarks/program_runner.py baseline PATH/Pulumi.STACK.yaml RECORD.json

`program` runs `infra/__main__.py` and records every registration into RECORD.json; `baseline`
replays that record with `pulumi.CustomResource` / `pulumi.ComponentResource` calls in the same
order and nothing else (no spec parsing, no rendering, no Output plumbing): what registering the
resources costs at the least. `scale.py` times both in fresh interpreters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402

from tests.program.harness import run_program  # noqa: E402


def stack_config(stack_file: Path) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """The generated stack's config as Pulumi hands it to the program (each `secure:` value a test
    value). Read as JSON: Pulumi, not the CLI's bounded reader, reads stack files for `pulumi up`."""
    secrets: dict[str, str] = {}

    def plain(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            if set(node) == {"secure"}:
                secrets[path] = f"tst{abs(hash(path)) % 10**20:020d}"
                return secrets[path]
            return {k: plain(v, f"{path}.{k}") for k, v in node.items()}
        if isinstance(node, list):
            return [plain(v, f"{path}[{i}]") for i, v in enumerate(node)]
        return node

    config, secret_keys = {}, []
    for key, value in json.loads(stack_file.read_text(encoding="utf-8"))["config"].items():
        before = len(secrets)
        value = plain(value, key)
        config[key] = value if isinstance(value, str) else json.dumps(value)
        if len(secrets) > before:
            secret_keys.append(key)
    return config, secret_keys, secrets


def _provider_modules(record: list[dict[str, Any]]) -> None:
    """Import the provider SDK modules a hand-written program would (`pulumi_aws.sesv2`, ...),
    so their import cost is on both sides and the ratio measures the program's own overhead."""
    import importlib

    for r in record:
        pkg, _, rest = r["type"].partition(":")
        if pkg in ("pulumi", "pulumi-python") or not rest:
            continue
        mod = rest.split("/", 1)[0]
        try:
            importlib.import_module(f"pulumi_{pkg}" + ("" if mod == "index" else f".{mod}"))
        except ImportError:
            pass


def _baseline(record: list[dict[str, Any]]) -> None:
    _provider_modules(record)
    made: dict[str, pulumi.Resource] = {}
    for r in record:
        opts = pulumi.ResourceOptions(
            parent=made.get(r["parent"]),
            depends_on=[made[u] for u in r["dependencies"] if u in made],
        )
        if r["custom"]:
            res: pulumi.Resource = pulumi.CustomResource(r["type"], r["name"], dict(r["inputs"]), opts)
        else:
            res = pulumi.ComponentResource(r["type"], r["name"], None, opts)
        made[r["urn"]] = res


def main() -> None:
    mode, stack_file, record_file = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    config, secret_keys, secrets = stack_config(stack_file)
    stack = stack_file.name[len("Pulumi."):-len(".yaml")]
    if mode == "program":
        run = run_program(stack, config, secret_keys, secrets=secrets)
        if run.error is not None:
            raise SystemExit(f"the program failed under mocks: {run.error}")
        record = [
            {"type": r.type, "name": r.name, "urn": r.urn, "parent": r.parent, "custom": r.custom,
             "dependencies": r.dependencies, "inputs": r.inputs}
            for r in run.registrations
        ]
        record_file.write_text(json.dumps(record, default=str), encoding="utf-8")
        print(len(record))
    elif mode == "baseline":
        record = json.loads(record_file.read_text(encoding="utf-8"))
        run = run_program(stack, config, secret_keys, secrets=secrets, program_fn=lambda: _baseline(record))
        if run.error is not None:
            raise SystemExit(f"the baseline failed under mocks: {run.error}")
        if len(run.registrations) != len(record):
            raise SystemExit(f"the baseline registered {len(run.registrations)} resources, the program {len(record)}")
        print(len(run.registrations))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
