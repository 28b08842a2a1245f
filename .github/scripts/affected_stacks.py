"""Which stacks a change affects, as a JSON list for a workflow matrix.

A changed `Pulumi.<stack>.yaml` affects that stack; a change to the code, the Pulumi project or
the locked dependencies affects every stack; a changed file inside a tenant's own template
directory (`templates.directory`) affects the stacks that use it. Tests, docs and workflows
affect none. Usage (in a workflow):

    python .github/scripts/affected_stacks.py --base "$BASE_SHA" --head "$HEAD_SHA" >> "$GITHUB_OUTPUT"

prints `stacks=["dev","prod"]`. `--only dev` keeps just the stacks named, `--group dev` the
stacks of an environment: `dev` and its split stacks `dev-<group>` (docs/scaling.md). Either keeps
the ones a pull request, running its own unreviewed code, may preview with credentials a branch
may hold.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

CODE = ("connectors/", "infra/", "Pulumi.yaml", "pyproject.toml", "uv.lock")
STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[^/]+)\.yaml$")


def in_group(stack: str, env: str) -> bool:
    """`env` itself or one of its split stacks `env-<group>` (`prod-eu` is in `prod`, `production` is not)."""
    return stack == env or stack.startswith(env + "-")


def stacks_in(project_dir: Path) -> list[str]:
    return sorted(m.group("stack") for p in project_dir.glob("Pulumi.*.yaml") if (m := STACK_FILE.match(p.name)))


def template_dirs(project_dir: Path, stack: str) -> set[str]:
    """The tenants' own template directories, read without the project's code (stdlib + regex)."""
    text = (project_dir / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    return {m.strip().strip("'\"").rstrip("/") + "/" for m in re.findall(r"^\s+directory:\s*(\S+)\s*$", text, re.M)}


def affected(changed: list[str], project_dir: Path) -> list[str]:
    stacks = stacks_in(project_dir)
    if any(path == c or path.startswith(c) for path in changed for c in CODE):
        return stacks
    out = set()
    for path in changed:
        m = STACK_FILE.match(path)
        if m and m.group("stack") in stacks:
            out.add(m.group("stack"))
    for stack in stacks:
        dirs = template_dirs(project_dir, stack)
        if any(path.startswith(d) for path in changed for d in dirs):
            out.add(stack)
    return sorted(out)


def changed_files(base: str, head: str, cwd: Path) -> list[str]:
    out = subprocess.run(["git", "diff", "--name-only", f"{base}...{head}"], cwd=cwd, check=True, capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--head", required=True)
    parser.add_argument("--project-dir", default=".", type=Path)
    parser.add_argument("--only", action="append", default=None, metavar="STACK",
                        help="keep only these stacks (repeatable)")
    parser.add_argument("--group", action="append", default=None, metavar="ENV",
                        help="keep only the stacks ENV and ENV-<group> (repeatable)")
    args = parser.parse_args(argv)
    stacks = affected(changed_files(args.base, args.head, args.project_dir), args.project_dir)
    if args.only is not None:
        stacks = [s for s in stacks if s in args.only]
    if args.group is not None:
        stacks = [s for s in stacks if any(in_group(s, env) for env in args.group)]
    print(f"stacks={json.dumps(stacks, separators=(',', ':'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
