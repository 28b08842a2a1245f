"""Scale benchmark: stacks of 1, 100 and 1,000 tenants against the goals of issue 16.

    uv run python benchmarks/scale.py            # full run (~5-10 min on 2 busy cores), writes BENCHMARKS.md
    uv run python benchmarks/scale.py --quick    # 1 and 100 tenants only, nothing written

Stacks are made by replicating the shipped dev tenants (SES, SendGrid, Mailgun, SMTP, HTTP) with
unique tenant names, Logto endpoints and domains (branding is copied as is), into a temporary project directory (a copy of
Pulumi.yaml plus the generated Pulumi.bench.yaml). Each figure is measured in fresh interpreters
(cold imports count), median of several runs, and printed with its goal as met / not met.

Measured: `validate` wall time and peak RSS, rendering per email (a full template set of every
shipped locale, in-process, after a warm-up), `--help` cold, and the state the templates resource
would keep per tenant (its inputs plus outputs as the provider writes them, JSON), and the
program under the test suite's mocks against its floor, `program_runner.py baseline`: the same
resources registered by plain SDK calls under the same mocks (one run each, fresh interpreters).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_CLOUD = re.compile(r"https://([a-z0-9]+)\.logto\.app")


def _rename(value: Any, n: int) -> Any:
    """Every string made unique for copy `n`: cloud tenant ids, hosts and mail domains."""
    if isinstance(value, dict):  # branding stays: copies of a tenant share its brand (and its rendering)
        return {k: v if k == "branding" else _rename(v, n) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, n) for v in value]
    if isinstance(value, str) and n:
        value = _CLOUD.sub(lambda m: f"https://{m[1]}n{n}.logto.app", value)
        value = value.replace("example.com", f"c{n}.example.com").replace("logto.internal.dev", f"logto{n}.internal.dev")
    return value


def make_stack(directory: Path, tenants: int) -> Path:
    """A project in `directory` whose stack `bench` holds `tenants` copies of the dev tenants."""
    from ruamel.yaml import YAML

    dev = YAML(typ="safe").load((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    config = dict(dev["config"])
    base = config["logto-email:tenants"]
    names = list(base)
    out: dict[str, Any] = {}
    for i in range(tenants):
        name = names[i % len(names)]
        n = i // len(names)
        out[name if n == 0 else f"{name}{n}"] = _rename(base[name], n)
    config["logto-email:tenants"] = out
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    for extra in ("templates",):  # template overrides referenced by relative path, if any
        if (ROOT / extra).is_dir():
            shutil.copytree(ROOT / extra, directory / extra, dirs_exist_ok=True)
    (directory / "Pulumi.bench.yaml").write_text(json.dumps({"config": config}, ensure_ascii=False, indent=1), encoding="utf-8")
    return directory


class Refused(Exception):
    """The command exited non-zero; the text is the last line it printed."""


def timed(args: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    """Median wall seconds and max peak RSS (MiB) of `python args` in fresh interpreters."""
    walls, rss = [], []
    for _ in range(runs):
        code = (
            "import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
            "w = time.perf_counter() - t\n"
            "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)\n"
            "sys.stderr.write(p.stderr.decode()[-2000:])\n"
        )
        done = subprocess.run([sys.executable, "-c", code, sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=True)
        wall, kib, rc = done.stdout.split()
        if rc != "0":  # a stack that fails validation would measure the error path
            last = [line for line in done.stderr.splitlines() if line.strip()]
            raise Refused(last[-1] if last else f"exit {rc}")
        walls.append(float(wall))
        rss.append(int(kib) / 1024)
    return statistics.median(walls), max(rss)


def render_per_email(repeat: int = 5) -> tuple[float, int]:
    """Milliseconds per email for a full set in every shipped locale (warm environment)."""
    from connectors.templates import Branding, available_locales, render_all

    branding = Branding(product_name="Bench", primary_color="#0F766E", company_name="Bench Inc.")
    locales = available_locales()
    render_all(branding, locales)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        rendered = render_all(branding, locales)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000 / len(rendered.emails), len(rendered.emails)


def template_state_bytes(locales: list[str] | None = None) -> tuple[int, int]:
    """Bytes of JSON the templates resource keeps for one tenant (inputs + outputs), and its rows."""
    import dataclasses

    from connectors.connector_config import render_from_source
    from connectors.deploy import email_templates as deploy_templates
    from connectors.templates import Branding, Sender, available_locales, email_template_rows
    from infra.email_templates import _INPUTS, _outputs

    source = {"branding": dataclasses.asdict(Branding(product_name="Bench")), "locales": locales or available_locales(),
              "codeLifetime": 600, "overrides": None}
    sender = Sender("no-reply@mail.example.com", "Bench")
    rows = email_template_rows("aws-ses-mail", render_from_source(source), sender)
    inputs = {"endpoint": "https://benchn1.logto.app", "app_id": "app", "app_secret": "x" * 32,
              "source": {"render": source, "factory_id": "aws-ses-mail", "sender": dataclasses.asdict(sender)},
              "digests": deploy_templates.digests(rows), "resource": "https://benchn1.logto.app/api", "test_recipient": None}
    state = deploy_templates.TemplateState(owned=sorted(deploy_templates.by_key(rows)), live=deploy_templates.digests(rows))
    outputs = _outputs(inputs, state)
    outputs["app_secret"] = "[secret]"
    size = len(json.dumps({k: inputs[k] for k in _INPUTS if k != "app_secret"}, ensure_ascii=False).encode())
    return size + len(json.dumps(outputs, ensure_ascii=False, default=str).encode()), len(rows)


def inputs_per_tenant(record_file: Path, tenants: int) -> dict[str, float]:
    """Mean JSON bytes of registered inputs per tenant (what the state holds as inputs), by kind."""
    by: dict[str, float] = {}
    for r in json.loads(record_file.read_text(encoding="utf-8")):
        kind = {"EmailTemplates": "templates", "EmailConnector": "connector"}.get(r["type"].rsplit(":", 1)[-1], "rest")
        by[kind] = by.get(kind, 0) + len(json.dumps(r["inputs"], ensure_ascii=False).encode()) / tenants
    return by


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 and 100 tenants, fewer runs, nothing written")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    sizes = (1, 100) if args.quick else (1, 100, 1000)
    runs = 1 if args.quick else 3
    rows: list[tuple[str, str, str, str]] = []  # what, figure, goal, verdict
    state: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="logto-email-bench-") as tmp:
        for n in sizes:
            project = make_stack(Path(tmp) / f"t{n}", n)
            goal = {1: "", 100: "< 1 s", 1000: "< 5 s, < 150 MiB"}[n]
            try:
                wall, rss = timed(["-m", "connectors", "validate", "--stack", "bench", "-C", str(project)], ROOT, runs if n < 1000 else 1)
            except Refused as exc:  # e.g. the bounded stack reader's size cap
                rows.append((f"`validate`, {n} tenant(s)", f"refused: {exc}", goal or "–", "NOT met"))
            else:
                ok = {1: True, 100: wall < 1, 1000: wall < 5 and rss < 150}[n]
                rows.append((f"`validate`, {n} tenant(s)", f"{wall:.2f} s, {rss:.0f} MiB", goal or "–", verdict(ok) if goal else "–"))
            print(rows[-1], flush=True)
            record, stack_file = Path(tmp) / f"record{n}.json", project / "Pulumi.bench.yaml"
            runner = str(ROOT / "benchmarks" / "program_runner.py")
            p_wall, p_rss = timed([runner, "program", str(stack_file), str(record)], ROOT, 1)
            b_wall, b_rss = timed([runner, "baseline", str(stack_file), str(record)], ROOT, 1)
            ratio, mem = p_wall / b_wall, p_rss / b_rss
            rows.append((f"program under mocks vs baseline, {n} tenant(s)",
                         f"{p_wall:.2f} s vs {b_wall:.2f} s = {ratio:.2f}×; {p_rss:.0f} vs {b_rss:.0f} MiB = {mem:.2f}×",
                         "≤ 1.15×, memory ≤ 1.2×", verdict(ratio <= 1.15 and mem <= 1.2)))
            print(rows[-1], flush=True)
            if n == max(sizes):
                state = inputs_per_tenant(record, n)
    total = sum(state.values())
    rows.append((f"state per tenant, estimated (inputs × 2 for inputs + outputs; from the program under mocks at {max(sizes)} tenants, "
                 "not the real engine)", f"{total * 2 / 1024:.0f} KB (templates {state.get('templates', 0) * 2 / 1024:.0f}, "
                 f"connector {state.get('connector', 0) * 2 / 1024:.0f}, rest {state.get('rest', 0) * 2 / 1024:.0f})",
                 "≤ 30 KB", verdict(total * 2 <= 30 * 1024)))
    print(rows[-1], flush=True)
    ms, emails = render_per_email()
    rows.append((f"render per email ({emails} emails, every locale)", f"{ms:.3f} ms", "≤ 0.2 ms", verdict(ms <= 0.2)))
    print(rows[-1], flush=True)
    wall, rss = timed(["-m", "connectors", "--help"], ROOT, 5)
    rows.append(("`--help` cold", f"{wall:.2f} s", "< 0.3 s", verdict(wall < 0.3)))
    print(rows[-1], flush=True)
    size, n_rows = template_state_bytes()
    rows.append((f"templates resource state per tenant ({n_rows} rows, every locale; provider's inputs+outputs)",
                 f"{size / 1024:.0f} KB", "≤ 30 KB", verdict(size <= 30 * 1024)))
    table = ["| what | figure | goal | |", "|---|---|---|---|", *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)]
    print("\n".join(table))
    if args.quick:
        return
    machine = f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, Python {platform.python_version()}, {platform.system()}"
    load = open("/proc/loadavg").read().split()[:3] if Path("/proc/loadavg").exists() else []
    args.out.write_text(
        "# Benchmarks\n\n"
        f"Command: `uv run python benchmarks/scale.py` (see `benchmarks/README.md`).\n\n"
        f"Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · machine: {machine} · load average at the end: {' '.join(load)}\n\n"
        + "\n".join(table) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
