"""Each shipped stack file runs through the program once per session (imports dominate)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.program.harness import ROOT, Run, run_stack_file

STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="session")
def stack_runs() -> dict[str, Run]:
    runs: dict[str, Run] = {}
    for path in STACK_FILES:
        start = time.perf_counter()
        runs[path.name] = run_stack_file(path)
        TIMINGS[path.name] = time.perf_counter() - start
    return runs


@pytest.fixture(params=[p.name for p in STACK_FILES])
def stack_file(request: pytest.FixtureRequest) -> Path:
    return ROOT / request.param


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    if TIMINGS:
        terminalreporter.write_line(
            "program runs under mocks: " + ", ".join(f"{k} {v:.2f}s" for k, v in TIMINGS.items())
        )
