"""`render` of the shipped stacks is byte for byte what it was when the digests were recorded.

Guards speed work on the loader, the sandbox, the render cache and css inlining: none of it may
change a single rendered byte. A deliberate change to templates, catalogs or formats records
new digests: `LOGTO_EMAIL_UPDATE_GOLDEN=1 uv run pytest tests/templates/test_render_golden.py`
(and the diff of golden_render.json shows which files changed).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.cli import cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden_render.json")
STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))


def _digests(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("stack", STACKS)
def test_render_output_is_unchanged(tmp_path: Path, stack: str) -> None:
    result = CliRunner().invoke(cli, ["render", "--stack", stack, "-C", str(ROOT), "--out", str(tmp_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    got = _digests(tmp_path)
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}
    if os.environ.get("LOGTO_EMAIL_UPDATE_GOLDEN") == "1":
        recorded[stack] = got
        GOLDEN.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    want = recorded.get(stack)
    assert want is not None, f"no digests recorded for stack {stack}; see the module docstring"
    changed = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
    assert not changed, f"{len(changed)} rendered file(s) differ from the recorded output: {changed[:20]}"
