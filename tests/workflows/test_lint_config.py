"""Lint and types run before pytest in the README's test command, with pinned tools and the
configuration the project declares (ruff's default rules plus import sorting; mypy with
pydantic's plugin, never silencing missing imports or errors for the whole tree)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_scripts_test_runs_ruff_then_mypy_before_pytest() -> None:
    script = (REPO / "scripts" / "test").read_text(encoding="utf-8")
    commands = [line.strip() for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "set -euo pipefail" in commands  # a finding stops the script
    ruff = commands.index("uv run --locked ruff check connectors infra")
    mypy = commands.index("uv run --locked mypy")
    pytest_at = next(i for i, c in enumerate(commands) if "pytest" in c)
    assert ruff < mypy < pytest_at


def test_lint_tools_are_pinned_dev_dependencies() -> None:
    dev = _pyproject()["dependency-groups"]["dev"]
    assert "ruff==0.17.6" in dev
    assert "mypy==2.4.1" in dev
    assert any(d.startswith("boto3-stubs[") and "==" in d for d in dev)


def test_ruff_and_mypy_configuration() -> None:
    tool = _pyproject()["tool"]
    assert tool["ruff"]["lint"]["extend-select"] == ["I"]
    assert "select" not in tool["ruff"]["lint"]  # ruff's default rule set, extended, not replaced
    mypy = tool["mypy"]
    assert mypy["plugins"] == ["pydantic.mypy"]
    assert sorted(mypy["files"]) == ["connectors", "infra"]
    assert mypy["disallow_untyped_defs"] is True and mypy["warn_unused_ignores"] is True
    for key in ("ignore_missing_imports", "ignore_errors", "follow_imports"):
        assert key not in mypy, f"{key} is set for the whole tree; set it per module, with a reason"
    for override in mypy.get("overrides", []):
        assert "ignore_missing_imports" not in override, "every imported package has types or stubs"
        modules = override["module"] if isinstance(override["module"], list) else [override["module"]]
        if override.get("follow_imports") in ("skip", "silent"):
            assert all(m.startswith("pulumi_aws") for m in modules), "only pulumi_aws's unused services are skipped"
