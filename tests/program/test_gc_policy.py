"""The program tunes the garbage collector for its own run (connectors/process.py) and no further:
the full-collection threshold is raised while the resource graph is built, the heap is not
collected again at exit, and the test harness gives the session its own thresholds back."""

from __future__ import annotations

import gc
import runpy
import subprocess
import sys
import textwrap

import pytest

from connectors import process
from tests.program.harness import ROOT, run_stack_file


def test_the_program_raises_the_full_collection_threshold_while_it_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int, int]] = []
    real = process.tune_for_build

    def spy() -> tuple[int, int, int]:
        before = real()
        seen.append(gc.get_threshold())
        return before

    monkeypatch.setattr(process, "tune_for_build", spy)
    session = gc.get_threshold()
    run = run_stack_file(ROOT / "Pulumi.local.yaml")
    assert run.error is None, run.error
    assert seen and seen[0][2] == process.FULL_COLLECTION_AFTER
    assert seen[0][:2] == session[:2]  # young collections unchanged
    assert gc.get_threshold() == session  # restored after the run


def test_tune_for_build_returns_what_it_replaced() -> None:
    session = gc.get_threshold()
    try:
        assert process.tune_for_build() == session
        assert gc.get_threshold() == (session[0], session[1], process.FULL_COLLECTION_AFTER)
        assert process._exit_registered  # and nothing collected at exit
    finally:
        gc.set_threshold(*session)


_EXIT = textwrap.dedent("""
    import atexit, sys
    from connectors import process
    class Cycle:
        def __init__(self):
            self.me = self
        def __del__(self):
            print("cycle collected at exit", flush=True)
    held = Cycle()  # alive until the modules are cleared: only the exit collection reclaims it
    if sys.argv[1] == "skip":
        process.collect_nothing_at_exit()
        process.collect_nothing_at_exit()  # once per process
    atexit.register(print, "later exit handler ran")
    print("work done", end="")  # unflushed: the exit must still write it
""")


@pytest.mark.parametrize("mode", ["skip", "default"])
def test_the_exit_skips_only_the_collection(mode: str) -> None:
    done = subprocess.run([sys.executable, "-c", _EXIT, mode], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.startswith("work donelater exit handler ran\n")
    assert ("cycle collected at exit" in done.stdout) == (mode == "default")
    assert done.stderr == ""


def test_the_cli_entry_point_skips_the_exit_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    import connectors.cli

    calls: list[str] = []
    monkeypatch.setattr(process, "collect_nothing_at_exit", lambda: calls.append("exit policy"))
    monkeypatch.setattr(connectors.cli, "main", lambda: calls.append("main"))
    runpy.run_module("connectors", run_name="__main__")
    assert calls == ["exit policy", "main"]
