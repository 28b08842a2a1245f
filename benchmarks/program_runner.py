"""The Pulumi program under the test suite's mocks, and its baseline: a hand-written program
registering the same resources (same types, names, parents, providers, dependencies and inputs)
under the same mocks.

    python benchmarks/program_runner.py program  PATH/Pulumi.STACK.yaml RECORD.json
    python benchmarks/handwritten.py RECORD.json RECORD.py
    python benchmarks/program_runner.py baseline PATH/Pulumi.STACK.yaml RECORD.json
    python benchmarks/program_runner.py baseline-same-gc PATH/Pulumi.STACK.yaml RECORD.json

`program` runs `infra/__main__.py` and records every registration into RECORD.json;
`handwritten.py` writes the program a user would write by hand for those resources (typed SDK
classes, the project's dynamic resources, literal inputs) and its bytecode; `baseline` runs it
(RECORD.pyc, beside the record) and fails unless it registered exactly the recorded URNs with the same
inputs; `baseline-same-gc` runs it under the collector settings the program applies to its own
process (`connectors/process.py`), so the two can also be compared on equal terms. `scale.py` times
them in fresh interpreters.
"""

from __future__ import annotations

import gc
import json
import runpy
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.program.harness import run_program  # noqa: E402
from tests.program.harness import stack_config as harness_stack_config  # noqa: E402


def stack_config(stack_file: Path) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """The generated stack's config as Pulumi hands it to the program (each `secure:` value a test
    value). Read as JSON: Pulumi, not the CLI's bounded reader, reads stack files for `pulumi up`."""
    return harness_stack_config(stack_file, json.loads(stack_file.read_text(encoding="utf-8")))


def _record(run: Any) -> list[dict[str, Any]]:
    """The registrations as JSON values (what the record file holds, and what `baseline` must match)."""
    return json.loads(json.dumps([
        {"type": r.type, "name": r.name, "urn": r.urn, "parent": r.parent, "custom": r.custom, "provider": r.provider,
         "dependencies": r.dependencies, "inputs": r.inputs}
        for r in run.registrations
    ], default=str))


def _first_difference(want: list[dict[str, Any]], got: list[dict[str, Any]]) -> str | None:
    """Where the baseline's registrations differ from the program's (URNs, then inputs, parents and
    dependencies). Registrations are compared by URN: the SDK registers a resource once its inputs
    resolve, so the order of registration is not the order of construction."""
    by_urn = {r["urn"]: r for r in got}
    if len(by_urn) != len(got) or set(by_urn) != {r["urn"] for r in want} or len(got) != len(want):
        return f"URNs differ ({len(got)} registered, {len(want)} recorded)"
    for a in want:
        b = by_urn[a["urn"]]
        if a["inputs"] != b["inputs"]:
            keys = sorted(k for k in set(a["inputs"]) | set(b["inputs"]) if a["inputs"].get(k) != b["inputs"].get(k))
            return f"{a['urn']}: inputs differ at {keys}"
        if sorted(a["dependencies"]) != sorted(b["dependencies"]) or (a["parent"], a["provider"]) != (b["parent"], b["provider"]):
            return f"{a['urn']}: parent, provider or dependencies differ"
    return None


def _bookkeeping() -> None:
    """What follows a run (recording its registrations, comparing them with the record) is the
    runner's, not what is measured: no collection during it, in every mode alike. Otherwise it ran
    under whichever collector settings the mode left behind (the harness restores Python's defaults
    after the program; `baseline-same-gc` keeps the program's), and the program's mode paid full
    collections over its heap for the runner's JSON."""
    gc.disable()


def main() -> None:
    mode, stack_file, record_file = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    config, secret_keys, secrets = stack_config(stack_file)
    stack = stack_file.name[len("Pulumi."):-len(".yaml")]
    if mode == "program":
        run = run_program(stack, config, secret_keys, secrets=secrets)
        _bookkeeping()
        if run.error is not None:
            raise SystemExit(f"the program failed under mocks: {run.error}")
        record = _record(run)
        record_file.write_text(json.dumps(record), encoding="utf-8")
        print(len(record))
    elif mode in ("baseline", "baseline-same-gc"):
        if mode == "baseline-same-gc":
            from connectors.process import tune_for_build

            tune_for_build()
        record = json.loads(record_file.read_text(encoding="utf-8"))
        program = str(record_file.with_suffix(".pyc"))  # written by handwritten.py
        run = run_program(stack, config, secret_keys, secrets=secrets, program_fn=lambda: runpy.run_path(program))
        _bookkeeping()
        if run.error is not None:
            raise SystemExit(f"the baseline failed under mocks: {run.error}")
        mismatch = _first_difference(record, _record(run))
        if mismatch:
            raise SystemExit(f"the hand-written program is not the recorded one: {mismatch}")
        print(len(run.registrations))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
