"""Which stacks of an environment a deploy workflow runs `pulumi up` on, as a job matrix.

An environment's stacks are its stack files: `Pulumi.<env>.yaml` and the split stacks
`Pulumi.<env>-<group>.yaml` (one file per group of tenants, docs/scaling.md). Each stack gets
its own GitHub environment, so each holds its own secrets and approval rules: `prod` deploys in
`production` (as before the split) and `prod-<group>` in `production-<group>`; other stacks
(`dev`, `dev-<group>`) in the environment of their own name. Usage (in a workflow):

    python3 .github/scripts/deploy_stacks.py --env dev >> "$GITHUB_OUTPUT"
    python3 .github/scripts/deploy_stacks.py --env prod --base "$BEFORE" --head "$SHA" >> "$GITHUB_OUTPUT"

prints `stacks=[...]` and `matrix={"include":[{"stack":"prod-eu","environment":"production-eu"},...]}`.
With --base/--head only the stacks whose file changed between them (a merged promotion deploys
the stack it promoted into); `--stack NAME` just that one (it must belong to the environment).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from affected_stacks import STACK_FILE, changed_files, in_group, stacks_in

ENVIRONMENTS = {"prod": "production"}  # GitHub environment names that differ from the stack's
NO_COMMIT = re.compile(r"^0+$")  # `github.event.before` of a branch's first push


def environment(stack: str) -> str:
    """The GitHub environment a stack deploys in: `prod` → `production`, `prod-eu` → `production-eu`."""
    env, sep, group = stack.partition("-")
    return ENVIRONMENTS.get(env, env) + sep + group


def deploy_stacks(project_dir: Path, env: str, changed: list[str] | None = None, only: str | None = None) -> list[str]:
    stacks = [s for s in stacks_in(project_dir) if in_group(s, env)]
    if only:
        if only not in stacks:
            raise SystemExit(f"stack {only!r} is not one of the {env} stacks here: {', '.join(stacks) or 'none'}")
        return [only]
    if changed is not None:
        touched = {m.group("stack") for path in changed if (m := STACK_FILE.match(path))}
        stacks = [s for s in stacks if s in touched]
    return stacks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, help="the environment: its stack and its split stacks <env>-<group>")
    parser.add_argument("--base", help="with --head: only the stacks whose file changed since this commit")
    parser.add_argument("--head")
    parser.add_argument("--stack", default="", help="just this stack (empty: as the other options say)")
    parser.add_argument("--project-dir", default=".", type=Path)
    args = parser.parse_args(argv)
    changed = None
    if args.base and args.head and not NO_COMMIT.match(args.base):
        try:
            changed = changed_files(args.base, args.head, args.project_dir)
        except subprocess.CalledProcessError:
            changed = None  # the old commit is gone (a force push): deploy every stack of the environment
    stacks = deploy_stacks(args.project_dir, args.env, changed, args.stack or None)
    matrix = {"include": [{"stack": s, "environment": environment(s)} for s in stacks]}
    print(f"stacks={json.dumps(stacks, separators=(',', ':'))}")
    print(f"matrix={json.dumps(matrix, separators=(',', ':'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
