"""Load on the relay over loopback: N requests from C concurrent clients, some of them repeats.

The relay runs as `python -m relay` in its own process (as deployed); the upstream is a local
Mailgun-style HTTP server or the SMTP sink. Every distinct (to, code) must arrive exactly once:
repeats (Logto retrying) must not send again, and nothing answered 2xx may be missing.

    uv run python benchmarks/relay_load.py [--requests 2000] [--clients 50] [--upstream mailgun|smtp] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.sinks import HttpSink, SmtpSink  # noqa: E402 - after the path fix-up
from tests.sinks._net import free_port  # noqa: E402

TOKEN = "load-token-0123456789abcdef"


@dataclass
class LoadResult:
    upstream: str
    requests: int
    clients: int
    distinct: int
    answered_ok: int
    answered_error: int
    delivered: int
    lost: int
    duplicated: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    load_average: float  # the machine's 1-minute load when the run ended (shared machines vary)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _codes_in_sink(upstream: str, sink: Any) -> collections.Counter[tuple[str, str]]:
    seen: collections.Counter[tuple[str, str]] = collections.Counter()
    if upstream == "smtp":
        for mail in list(sink.messages):
            text = mail.text or ""
            seen[(mail.rcpt_tos[0], _code(text))] += 1
    else:
        for request in list(sink.requests):
            seen[(request.form_value("to") or "", _code(request.form_value("text") or ""))] += 1
    return seen


def _code(text: str) -> str:
    import re

    m = re.search(r"\b(\d{6})\b", text)
    return m.group(1) if m else ""


async def _drive(url: str, bodies: list[dict[str, Any]], clients: int) -> tuple[list[float], list[int]]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    statuses: list[int] = []

    async def client() -> None:
        async with httpx.AsyncClient(timeout=30, headers={"authorization": f"Bearer {TOKEN}"}) as http:
            while True:
                try:
                    body = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t = time.perf_counter()
                try:
                    status = (await http.post(url, json=body)).status_code
                except httpx.HTTPError:
                    status = 0
                latencies.append(time.perf_counter() - t)
                statuses.append(status)

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, statuses


def run_load(requests: int = 2000, clients: int = 50, upstream: str = "mailgun", repeat_share: float = 0.05,
             seed: int = 7) -> LoadResult:
    rng = random.Random(seed)
    distinct = requests - int(requests * repeat_share)
    bodies = [{"to": f"user{i}@load.example", "type": "SignIn", "payload": {"code": f"{rng.randrange(10**6):06d}", "locale": "en"}}
              for i in range(distinct)]
    repeats = [dict(rng.choice(bodies)) for _ in range(requests - distinct)]
    order = bodies + repeats
    rng.shuffle(order)
    sink: Any = SmtpSink() if upstream == "smtp" else HttpSink()
    with sink, tempfile.TemporaryDirectory() as tmp:
        if upstream == "smtp":
            up = f"{{type: smtp, host: 127.0.0.1, port: {sink.port}, security: none, username: {sink.user}, password: {sink.password}}}"
        else:
            up = f"{{type: mailgun, domain: mg.load.example, apiKey: key-load-123456, endpoint: '{sink.url('')}'}}"
        config = Path(tmp) / "relay.yaml"
        config.write_text(f"tokens: [{TOKEN}]\nsender: {{email: no-reply@load.example, name: Load}}\nlocales: [en]\n"
                          f"upstream: {up}\nlogLevel: warning\nlimits: {{budgetSeconds: 20}}\n")
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "relay", "--config", str(config), "--port", str(port)],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(url + "health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"relay did not start: {proc.stderr.read() if proc.stderr else ''}")
                time.sleep(0.1)
            started = time.perf_counter()
            latencies, statuses = asyncio.run(_drive(url, order, clients))
            seconds = time.perf_counter() - started
            time.sleep(0.5)  # let the sink finish recording
            seen = _codes_in_sink(upstream, sink)
        finally:
            proc.terminate()
            proc.wait(10)
    expected = {(b["to"], b["payload"]["code"]) for b in bodies}
    ok = sum(1 for s in statuses if 200 <= s < 300)
    ms = [x * 1000 for x in latencies]
    return LoadResult(
        upstream=upstream, requests=requests, clients=clients, distinct=len(expected),
        answered_ok=ok, answered_error=len(statuses) - ok,
        delivered=sum(1 for k in expected if seen.get(k)),
        lost=sum(1 for k in expected if not seen.get(k)),
        duplicated=sum(n - 1 for n in seen.values() if n > 1) + sum(n for k, n in seen.items() if k not in expected),
        seconds=round(seconds, 2), requests_per_second=round(len(statuses) / seconds, 1),
        p50_ms=round(statistics.median(ms), 1), p95_ms=round(_quantile(ms, 0.95), 1),
        p99_ms=round(_quantile(ms, 0.99), 1), max_ms=round(max(ms), 1), load_average=round(os.getloadavg()[0], 2),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--upstream", choices=("mailgun", "smtp"), default="mailgun")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run_load(args.requests, args.clients, args.upstream)
    if args.json:
        print(json.dumps(asdict(result), indent=2))
        return
    for key, value in asdict(result).items():
        print(f"{key:22} {value}")


if __name__ == "__main__":
    main()
