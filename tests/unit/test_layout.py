"""The layout shows the architecture: the pure deploy core needs no HTTP client, same-named
modules of `deploy/` and `infra/` are imported under explicit names, users import a small surface."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_deploy_core_imports_no_http_client():
    code = (
        "import json, sys; import connectors.deploy, connectors.deploy.email_templates, connectors.deploy.sign_in_experience;"
        "print(json.dumps(sorted(m for m in sys.modules if m in ('httpx', 'stamina', 'connectors.logto.client'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_no_module_is_imported_as_core():
    pattern = re.compile(r"^\s*(from\s+\S+\s+)?import\s+.*\bas\s+core\b", re.M)
    offenders = [
        str(p.relative_to(ROOT))
        for base in ("connectors", "infra", "tests")
        for p in (ROOT / base).rglob("*.py")
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_curated_public_surface():
    import connectors.stack
    import infra

    assert infra.__all__ == ["LogtoEmailConnector", "LogtoEmailTemplates", "LogtoSignInEmail", "TenantEmail"]
    assert {"load_stack", "spec_from_config", "TenantSpec", "StackSpec"} <= set(connectors.stack.__all__)
    assert len(connectors.stack.__all__) <= 10
    for module in ("connectors.cli.operator", "connectors.providers", "connectors.stack.models", "connectors.stack"):
        mod = __import__(module, fromlist=["__all__"])
        missing = [n for n in mod.__all__ if not hasattr(mod, n)]
        assert missing == [], (module, missing)


def test_production_code_has_no_mock_handling():
    """Mocks belong to the test harness (tests/program/harness.py), never to the program."""
    pattern = re.compile(r"set_mocks|MockMonitor|runtime\.Mocks|under_mocks|\bmocks\b", re.I)
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for base in ("connectors", "infra", "relay", "logto_standin")
        for p in (ROOT / base).rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
