"""The program tunes the garbage collector for its own run (infra/process.py) and no further:
the full-collection threshold is raised while the resource graph is built, and the test
harness gives the session its own thresholds back."""

from __future__ import annotations

import gc

import pytest

from infra import process
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
    finally:
        gc.set_threshold(*session)
