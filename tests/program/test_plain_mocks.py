"""The program under the plainest possible mocks (outputs = inputs), for every shipped stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted([*ROOT.glob("Pulumi.*.yaml"), *Path(__file__).parent.glob("stacks/Pulumi.*.yaml")])


@pytest.mark.program
@pytest.mark.parametrize("stack", STACKS, ids=[p.name for p in STACKS])
def test_program_completes_when_providers_compute_nothing(stack):
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("plain_mocks_runner.py")), str(stack)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ok"], result.get("error")
    assert "pulumi-python:dynamic/logto:EmailConnector" in result["types"]
    assert "test-secret-value" not in out.stdout + out.stderr
