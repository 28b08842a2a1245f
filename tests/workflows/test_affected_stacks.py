"""`.github/scripts/affected_stacks.py`: which stacks a pull request previews."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".github" / "scripts" / "affected_stacks.py"
_spec = importlib.util.spec_from_file_location("affected_stacks", SCRIPT)
affected_stacks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(affected_stacks)  # type: ignore[union-attr]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: logto-email\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  logto-email:tenants:\n    shop:\n      templates:\n        directory: brand/shop\n")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  logto-email:tenants:\n    shop:\n      templates:\n        directory: 'brand/shop-prod/'\n")
    (tmp_path / "Pulumi.staging.yaml").write_text("config: {}\n")
    return tmp_path


@pytest.mark.parametrize("changed,expected", [
    (["Pulumi.prod.yaml"], ["prod"]),
    (["Pulumi.dev.yaml", "README.md"], ["dev"]),
    (["connectors/promote/engine.py"], ["dev", "prod", "staging"]),
    (["infra/__main__.py"], ["dev", "prod", "staging"]),
    (["uv.lock"], ["dev", "prod", "staging"]),
    (["Pulumi.yaml"], ["dev", "prod", "staging"]),
    (["brand/shop/SignIn.html"], ["dev"]),
    (["brand/shop-prod/SignIn.html"], ["prod"]),
    (["tests/check/test_policy.py", "docs/operations.md", ".github/workflows/pull-request.yml"], []),
    (["Pulumi.gone.yaml"], []),  # a deleted stack has nothing to preview
])
def test_affected(project, changed, expected):
    assert affected_stacks.affected(changed, project) == expected


def test_main_reads_the_git_diff(project, capsys):
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=project, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q", "-b", "main")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    base = git("rev-parse", "HEAD")
    (project / "Pulumi.staging.yaml").write_text("config: {a: 1}\n")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", "change")
    head = git("rev-parse", "HEAD")
    assert affected_stacks.main(["--base", base, "--head", head, "--project-dir", str(project)]) == 0
    assert capsys.readouterr().out == 'stacks=["staging"]\n'
