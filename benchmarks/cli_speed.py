"""CLI and core speed: cold imports, validate/render end to end, in-process rendering."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pulumi", "pulumi_aws", "pulumi_mailgun", "httpx", "boto3", "botocore")


def run(args: list[str], n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def heavy_imports() -> list[str]:
    # what `validate` really loads: the CLI with its command registry, then the command itself
    code = (
        "import sys, json\n"
        "from connectors.cli import cli\n"
        "try:\n    cli(['validate', '--stack', 'dev', '--json'], standalone_mode=False)\n"
        "except SystemExit:\n    pass\n"
        "print('\\n' + json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    mods = json.loads(out.strip().splitlines()[-1])
    return [m for m in HEAVY if m in mods]


def render_in_process() -> tuple[float, int]:
    sys.path.insert(0, str(ROOT))
    from connectors.connector_config import build_connector_config, render_tenant
    from connectors.stack import load_stack

    spec = load_stack(ROOT, "dev")
    tenant = spec.tenants["shop"]
    render_tenant(tenant, ROOT)  # warm the jinja environment, as a long-lived process would
    t = time.perf_counter()
    rendered = render_tenant(tenant, ROOT)
    build_connector_config(tenant, rendered)
    return time.perf_counter() - t, len(rendered.emails)


def main() -> None:
    rows = [("heavy modules imported by validate", ", ".join(heavy_imports()) or "none")]
    rows.append(("python -c 'import connectors.cli' (median of 5)", f"{run(['-c', 'import connectors.cli']):.3f} s"))
    rows.append(("validate --stack dev (median of 5)", f"{run(['-m', 'connectors', 'validate', '--stack', 'dev']):.3f} s"))
    with tempfile.TemporaryDirectory() as out:
        rows.append(("render --stack dev (median of 3)", f"{run(['-m', 'connectors', 'render', '--stack', 'dev', '--out', out], n=3):.3f} s"))
    secs, n = render_in_process()
    rows.append((f"render + build one tenant in-process ({n} emails)", f"{secs * 1000:.0f} ms"))
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
