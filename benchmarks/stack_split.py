"""`pulumi up` under the real engine for 1 to 100 tenants in one stack, and 100 split over stacks.

    uv run python -m benchmarks.stack_split                  # 1, 10, 25, 100 tenants + 4 stacks of 25, 2 at a time; writes benchmarks/stack-split.md
    uv run python -m benchmarks.stack_split --sizes 1,10 --split 0 --no-write   # a quick look

Stacks are made by replicating the local stack's tenant (`Pulumi.local.yaml`: SMTP provider,
templates stored in Logto, en + de, sign-in by email) with unique names and sender domains. Each
tenant gets its own Logto: a stand-in tenant (`logto_standin.LogtoTestServer`, the server of
`python -m logto_standin`) on its own 127.0.0.1 port, running the real `@logto/connector-*`
packages (four Node runtimes, tenant i on runtime i mod 4, so no layout gets more of them than
another), and every tenant sends to one SMTP sink (`logto_standin.smtp_sink`). Every stack lives
on its own `file://` backend with the passphrase secrets provider (`tests/engine/harness.py`).

For each layout: the first `pulumi up --yes` (everything created, one test-send per connector and
per locale's template rows), a second `up` (must change nothing), then `pulumi preview`; wall
time, peak memory of the engine's whole process tree (pulumi, language host, program, dynamic
providers; summed over the stacks run in parallel, sampled from /proc every 0.2 s), the 1-minute
load average when the step started and when it ended, and the exported state (`pulumi stack
export`). The stand-ins are reset between layouts, so every first `up` starts from empty tenants.
The machine is shared: run the 100-tenant layouts once, never in a loop.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from logto_standin import LogtoTestServer
from logto_standin.connector_runtime import ConnectorRuntime, ensure_installed
from logto_standin.smtp_sink import SmtpSink
from tests.engine.harness import EngineStack

OUT = ROOT / "benchmarks" / "stack-split.md"
RUNTIMES = 4
APP_ID = "bench-m2m"
SMTP_USER = "bench-smtp"
COMMAND = "uv run python -m benchmarks.stack_split"


# --- the local servers ---------------------------------------------------------------------------
class Fleet:
    """`tenants` stand-in Logto tenants on their own ports and one SMTP sink, all on 127.0.0.1."""

    def __init__(self, tenants: int, work: Path, stack: ExitStack) -> None:
        ensure_installed()
        self.app_secret = secrets.token_urlsafe(24)
        self.smtp_password = secrets.token_urlsafe(18)
        self.runtimes = [stack.enter_context(ConnectorRuntime()) for _ in range(RUNTIMES)]
        self.sink = SmtpSink(work / "mailbox", user=SMTP_USER, password=self.smtp_password)
        self.sink.start()
        stack.callback(self.sink.stop)
        self.servers: list[LogtoTestServer] = []
        for i in range(tenants):
            server = stack.enter_context(LogtoTestServer(runtime=self.runtimes[i % RUNTIMES]))
            server.add_m2m_app(APP_ID, self.app_secret)
            self.servers.append(server)

    def reset(self) -> None:
        """Every tenant empty again (seed sign-in settings, no connector, no template rows)."""
        for server in self.servers:
            server.reset()
            server.add_m2m_app(APP_ID, self.app_secret)

    def check_deployed(self, count: int) -> None:
        """After a first `up`: each of the first `count` tenants has exactly one email connector."""
        wrong = [i for i, s in enumerate(self.servers[:count]) if len(s.email_connector_rows()) != 1]
        if wrong:
            raise SystemExit(f"after `pulumi up`, tenants {wrong[:10]} do not have exactly one email connector")


def local_tenant() -> dict[str, Any]:
    doc = YAML(typ="safe").load((ROOT / "Pulumi.local.yaml").read_text(encoding="utf-8"))
    tenants = doc["config"]["logto-email:tenants"]
    return dict(next(iter(tenants.values())))


def tenant_config(base: dict[str, Any], index: int, server: LogtoTestServer, fleet: Fleet) -> dict[str, Any]:
    """Copy `index` of the local stack's tenant, on its own stand-in, with its own sender domain."""
    tenant = json.loads(json.dumps(base))
    tenant["logto"] = {"endpoint": server.url, "appId": APP_ID}
    tenant["provider"].update(host="127.0.0.1", port=fleet.sink.port, username=SMTP_USER)
    tenant["provider"].pop("password", None)
    tenant["sender"]["email"] = f"no-reply@t{index:03d}.demo.test"
    tenant["testRecipient"] = f"qa@t{index:03d}.demo.test"
    return tenant


# --- running the engine --------------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def available_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    return 0


class TreeMemory:
    """Peak of the summed RSS of some processes and all their descendants, sampled from /proc.

    Past `limit_kib` (or with less than `reserve_kib` left on the machine, which other people
    share) every root's session is killed and `stopped` says why: the figure is then "more than".
    """

    def __init__(self, limit_kib: int, reserve_kib: int = 2 * 1024 * 1024, interval: float = 0.2) -> None:
        self.roots: set[int] = set()
        self.peak_kib = 0
        self.stopped = ""
        self._limit, self._reserve = limit_kib, reserve_kib
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._interval = interval

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            kids = _children()
            seen: set[int] = set()
            todo = list(self.roots)
            while todo:
                pid = todo.pop()
                if pid not in seen:
                    seen.add(pid)
                    todo.extend(kids.get(pid, []))
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(pid) for pid in seen))
            left = available_kib()
            if not self.stopped and (self.peak_kib > self._limit or left < self._reserve):
                self.stopped = (f"stopped at {self.peak_kib / 1024 / 1024:.1f} GiB (limit {self._limit / 1024 / 1024:.0f} GiB, "
                                f"{left / 1024 / 1024:.1f} GiB left on the machine)")
                for pid in list(self.roots):
                    with suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)  # pulumi and every process it started (own session)


@dataclass
class Step:
    wall: float
    peak_mib: float
    load_start: float
    load_end: float
    changes: str = ""
    stopped: str = ""


def pulumi(stack: EngineStack, args: list[str], memory: TreeMemory) -> subprocess.CompletedProcess[str]:
    cmd = ["pulumi", *args, "--stack", stack.name, "--config-file", str(stack.config_file), "--color", "never"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=stack.env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    memory.roots.add(proc.pid)
    out, err = proc.communicate(timeout=3600)
    if proc.returncode != 0 and not memory.stopped:
        raise SystemExit(f"`pulumi {' '.join(args)}` of stack {stack.name} failed ({proc.returncode}):\n{out[-4000:]}\n{err[-3000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def summary(out: str) -> str:
    """Pulumi's `Resources:` block in one line, e.g. `+ 301 created` or `301 unchanged`."""
    block = out.rsplit("Resources:", 1)[1] if "Resources:" in out else ""  # the update's, not the preview's
    lines = [ln.strip() for ln in block.splitlines()[1:] if ln.strip() and not ln.startswith("Duration")]
    lines = [ln for ln in lines if re.match(r"^[+~\-]*\s*\d+ \w+", ln)]
    return ", ".join(lines)


def step(stacks: list[EngineStack], args: list[str], limit_kib: int, parallel: int) -> tuple[Step, list[str]]:
    """One command on every stack, `parallel` at a time (a matrix's max-parallel); wall time from the
    first start to the last end."""
    load_start = os.getloadavg()[0]
    with TreeMemory(limit_kib) as memory, ThreadPoolExecutor(max_workers=parallel) as pool:
        start = time.perf_counter()
        done = list(pool.map(lambda s: pulumi(s, args, memory), stacks))
        wall = time.perf_counter() - start
    return Step(wall, memory.peak_kib / 1024, load_start, os.getloadavg()[0], stopped=memory.stopped), [d.stdout for d in done]


@dataclass
class Layout:
    tenants: int
    stacks: int
    parallel: int = 1
    up1: Step | None = None
    up2: Step | None = None
    preview: Step | None = None
    state_bytes: int = 0
    resources: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.stacks == 1:
            return f"{self.tenants} tenant{'s' if self.tenants != 1 else ''}, one stack"
        at_once = "all at once" if self.parallel >= self.stacks else f"{self.parallel} at a time"
        return f"{self.tenants} tenants, {self.stacks} stacks of {self.tenants // self.stacks}, {at_once}"


def prepare(engine_bin: Path, work: Path, fleet: Fleet, layout: Layout) -> list[EngineStack]:
    """The layout's stacks, created and configured; secrets set once per stack (stdin), then copied.

    Every tenant uses the same M2M secret and SMTP password (the stand-ins are throwaway), so each
    stack sets its two secrets once with `pulumi config set --secret` and gives every tenant the
    same encrypted values: the engine decrypts each of them per tenant as it would distinct ones.
    """
    base = local_tenant()
    per = layout.tenants // layout.stacks
    stacks = []
    for k in range(layout.stacks):
        name = f"split{k + 1}" if layout.stacks > 1 else "single"
        stack = EngineStack(engine_bin, work / f"{layout.tenants}x{layout.stacks}" / name, name=name)
        indexes = range(k * per, (k + 1) * per)
        tenants = {f"demo{i:03d}": tenant_config(base, i, fleet.servers[i], fleet) for i in indexes}
        first = next(iter(tenants))
        stack.init({first: tenants[first]}, {f"{first}.logto.appSecret": fleet.app_secret,
                                              f"{first}.provider.password": fleet.smtp_password})
        written = stack.tenants()[first]
        for tenant in tenants.values():
            tenant["logto"]["appSecret"] = written["logto"]["appSecret"]
            tenant["provider"]["password"] = written["provider"]["password"]
        stack.write_config(tenants)
        stacks.append(stack)
    return stacks


def run_step(stacks: list[EngineStack], args: list[str], layout: Layout, limit_kib: int) -> tuple[Step, list[str]]:
    """`step`, with Pulumi's summary of what each stack changed kept, and a progress line."""
    done, outs = step(stacks, args, limit_kib, layout.parallel)
    done.changes = "" if done.stopped else " / ".join(summary(o) for o in outs)
    print(f"  {describe(done)}" + (f" ({done.changes})" if done.changes else ""), flush=True)
    return done, outs


def measure(engine_bin: Path, work: Path, fleet: Fleet, layout: Layout, limit_kib: int) -> Layout:
    fleet.reset()
    stacks = prepare(engine_bin, work, fleet, layout)
    print(f"{layout.label}: first up, second up, preview …", flush=True)
    layout.up1, _ = run_step(stacks, ["up", "--yes"], layout, limit_kib)
    if layout.up1.stopped:
        return layout
    fleet.check_deployed(layout.tenants)
    layout.up2, outs = run_step(stacks, ["up", "--yes"], layout, limit_kib)
    if layout.up2.stopped:
        return layout
    if any(re.search(r"\d+ (created|updated|deleted|replaced)", o.rsplit("Resources:", 1)[-1]) for o in outs):
        raise SystemExit(f"the second `pulumi up` changed something: {layout.up2.changes}")
    layout.preview, _ = run_step(stacks, ["preview"], layout, limit_kib)
    for stack in stacks:
        exported = stack.run("stack", "export", config=False).stdout
        layout.state_bytes += len(exported.encode())
        layout.resources += len(json.loads(exported)["deployment"].get("resources") or [])
        for secret in (fleet.app_secret, fleet.smtp_password):
            if secret in exported:
                raise SystemExit("a secret is in the exported state in clear")
    return layout


# --- the report ----------------------------------------------------------------------------------
def machine() -> str:
    model = ""
    try:
        model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                      if ln.startswith("model name")), "")
    except OSError:
        pass
    mem = ""
    try:
        kib = int(next(ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")))
        mem = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration):
        pass
    version = subprocess.run(["pulumi", "version"], capture_output=True, text=True, check=False).stdout.strip()
    return (f"{platform.machine()} {model}, {len(os.sched_getaffinity(0))} cores{mem}; Python {platform.python_version()}; "
            f"Pulumi engine {version} (`scripts/pulumi-engine`)")


def describe(s: Step) -> str:
    what = f"{s.wall:.1f} s, peak {s.peak_mib:.0f} MiB, load {s.load_start:.1f} → {s.load_end:.1f}"
    return f"{what}; {s.stopped}" if s.stopped else what


def table(layouts: list[Layout]) -> str:
    rows = [
        "| layout | first `up` | peak memory | load avg (start → end) | no-op `up` | peak memory | load avg | `preview` | peak memory | load avg | state (`stack export`) | resources |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for lay in layouts:
        parts = [lay.label]
        for s in (lay.up1, lay.up2, lay.preview):
            if s is None:
                parts += ["–", "–", "–"]
            elif s.stopped:
                parts += [f"**> {s.wall:.0f} s** (stopped)", f"**> {s.peak_mib / 1024:.1f} GiB**", f"{s.load_start:.1f} → {s.load_end:.1f}"]
            else:
                parts += [f"**{s.wall:.1f} s**", f"{s.peak_mib:.0f} MiB", f"{s.load_start:.1f} → {s.load_end:.1f}"]
        if lay.state_bytes:
            parts += [f"{lay.state_bytes / 1024:.0f} KiB ({lay.state_bytes / 1024 / lay.tenants:.1f} KiB per tenant)", str(lay.resources)]
        else:
            parts += ["–", "–"]
        rows.append("| " + " | ".join(parts) + " |")
    return "\n".join(rows)


def report(layouts: list[Layout], command: str, started: datetime) -> str:
    return f"""# `pulumi up` per stack size, and a split in parallel (issue 16, item 6)

Written by `{command}` (see the module's docstring for what is measured and how).

- date: {started:%Y-%m-%d %H:%M} UTC
- machine: {machine()}
- the machine is shared with other sessions: the 1-minute load average is given next to each figure
  (a load above the 2 cores means the figure is pessimistic)
- what changed in each first `up`: {"; ".join(f"{lay.label}: {lay.up1.changes}" for lay in layouts if lay.up1 and lay.up1.changes)}
{"".join(f"- {lay.label}: {s.stopped}{chr(10)}" for lay in layouts for s in (lay.up1, lay.up2, lay.preview) if s and s.stopped)}
{table(layouts)}

Wall time runs from the first `pulumi` start to the last one's end (split stacks: one process each,
as many at once as the layout says). Peak memory is the summed resident memory of every process
the engine started (summed over the stacks running at the same time; a CI matrix runs each stack
on its own runner, which then needs about the one-stack figure of its size). The state is the sum of the stacks' exported checkpoints
(`pulumi stack export`, indented).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,25,100", help="tenants per single stack, comma-separated")
    parser.add_argument("--split", type=int, default=4, help="stacks for the largest size, run in parallel (0: none)")
    parser.add_argument("--parallel", type=int, default=2,
                        help="split stacks run at once (default 2: one per core here; CI runs each on its own runner)")
    parser.add_argument("--no-write", action="store_true", help=f"print the table only, do not write {OUT.name}")
    parser.add_argument("--max-memory-gib", type=float, default=12.0,
                        help="stop a step whose processes together pass this (default 12; the machine is shared)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    largest = max(sizes)
    if args.split and largest % args.split:
        parser.error(f"--split {args.split} must divide {largest}")
    engine = subprocess.run(["bash", str(ROOT / "scripts" / "pulumi-engine")], capture_output=True, text=True, check=False)
    if engine.returncode != 0:
        raise SystemExit(f"scripts/pulumi-engine failed:\n{engine.stderr[-2000:]}")
    engine_bin = Path(engine.stdout.strip().splitlines()[-1])
    os.environ["PATH"] = f"{engine_bin}{os.pathsep}{os.environ['PATH']}"
    started = datetime.now(UTC)
    layouts = [Layout(n, 1) for n in sizes] + ([Layout(largest, args.split, max(1, args.parallel))] if args.split > 1 else [])
    with tempfile.TemporaryDirectory(prefix="stack-split-") as tmp, ExitStack() as stack:
        fleet = Fleet(largest, Path(tmp), stack)
        for layout in layouts:
            measure(engine_bin, Path(tmp), fleet, layout, int(args.max_memory_gib * 1024 * 1024))
    command = COMMAND + ("" if argv is None or not argv else " " + " ".join(argv))
    text = report(layouts, command, started)
    print(text)
    if not args.no_write:
        OUT.write_text(text + _earlier_runs(), encoding="utf-8")
        print(f"written to {OUT.relative_to(ROOT)}")
    return 0


def _earlier_runs() -> str:
    """The part of the current file from its first `## ` heading on: earlier runs, kept by hand
    under their own headings, so a new run does not erase the figures it is compared with."""
    old = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    at = old.find("\n## ")
    return "" if at < 0 else old[at:]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))
