"""Time `bash scripts/up` (the local default) twice on a fresh `.local-stack/` and count Logto calls.

    uv run python benchmarks/local_up.py --fresh     # deletes .local-stack/ first (the local stack's state!)

Prints a Markdown table: wall time of each run, and the stand-in's request log of each run by
kind (method + path with ids as :id), writes counted apart. Figures go to benchmarks/engine.md.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".local-stack"


def calls_between(start: float, end: float) -> Counter[str]:
    log = STATE / "logto" / "requests.log"
    counts: Counter[str] = Counter()
    for line in log.read_text().splitlines() if log.exists() else []:
        stamp, method, path, _ = line.split(" ", 3)
        if start <= float(stamp) <= end:
            counts[f"{method} " + re.sub(r"/(?=[a-z0-9]{12,21}(/|$))[a-z0-9]+", "/:id", path)] += 1
    return counts


def is_write(kind: str) -> bool:
    return not kind.startswith(("GET ", "POST /oidc/")) and not kind.endswith("/test")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="delete .local-stack/ first")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    if args.fresh:
        shutil.rmtree(STATE, ignore_errors=True)
    rows = []
    for run in range(1, args.runs + 1):
        start = time.time()
        proc = subprocess.run(["bash", "scripts/up"], cwd=ROOT, capture_output=True, text=True, check=False)
        end = time.time()
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
            return proc.returncode
        calls = calls_between(start, end)
        # the summary's own read-back (1 token + 1 GET /api/connectors) is not part of `pulumi up`
        calls.subtract({"POST /oidc/token": 1, "GET /api/connectors": 1})
        calls = +calls
        writes = sum(n for k, n in calls.items() if is_write(k))
        rows.append((run, end - start, writes, ", ".join(f"{n} {k}" for k, n in sorted(calls.items())) or "none"))
    print("| run | wall | Logto writes | Logto calls during `pulumi up` by kind |\n|---|---|---|---|")
    for run, wall, writes, kinds in rows:
        print(f"| {run} | {wall:.0f} s | {writes} | {kinds} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
