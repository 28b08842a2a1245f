"""The program under the plainest possible mocks (outputs = inputs), for every shipped stack.

Stacks whose providers only compute settings (SMTP, HTTP, SendGrid, ...) complete. Where a cloud
provider computes what the connector needs (SES DKIM tokens and keys, Mailgun's records, the
relay's package), the program stops with a clear error naming what is missing: it never pushes a
placeholder to Logto, and the production code has no special case for mocks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted([*ROOT.glob("Pulumi.*.yaml"), *Path(__file__).parent.glob("stacks/Pulumi.*.yaml")])
COMPUTED_BY_THE_CLOUD = {"aws-ses", "ses-smtp", "mailgun", "relay"}
MISSING_OUTPUT = ("DKIM tokens", "sending record", "provider outputs missing", "SES is not ready", "relay package")


def provider_types(stack: Path) -> set[str]:
    tenants = (YAML(typ="safe").load(stack.read_text(encoding="utf-8"))["config"] or {}).get("logto-email:tenants") or {}
    return {t["provider"]["type"] for t in tenants.values()}


@pytest.mark.program
@pytest.mark.parametrize("stack", STACKS, ids=[p.name for p in STACKS])
def test_program_under_plain_mocks_completes_or_names_the_missing_output(stack):
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("plain_mocks_runner.py")), str(stack)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert "test-secret-value" not in out.stdout + out.stderr
    if provider_types(stack) & COMPUTED_BY_THE_CLOUD:
        assert not result["ok"], "a placeholder would have reached the connector config"
        assert result["error"].startswith("RunError: "), result["error"]
        assert any(phrase in result["error"] for phrase in MISSING_OUTPUT), result["error"]
    else:
        assert result["ok"], result.get("error")
        assert "pulumi-python:dynamic/logto:EmailConnector" in result["types"]
