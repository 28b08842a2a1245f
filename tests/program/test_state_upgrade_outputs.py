"""The program reads state written by the previous version: outputs whose shape changed (the
sign-in `record` was an object, the templates' `owned` a list of "de/SignIn") must not make the
SDK's output typing fail the whole `pulumi up` before any provider is asked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.program import harness
from tests.program.harness import ROOT, run_stack_file

pytestmark = pytest.mark.program

OLD_SHAPES = {
    "pulumi-python:dynamic/logto:SignInEmail": {"record": {"sign_in_method_added": True, "policies": {}}},
    "pulumi-python:dynamic/logto:EmailTemplates": {"owned": ["de/SignIn", "en/SignIn"]},
}


def test_outputs_of_the_previous_state_shape_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = harness.Mocks.new_resource

    def old_state(self: harness.Mocks, args: Any) -> tuple[str | None, dict[str, Any]]:
        rid, out = plain(self, args)
        return rid, {**out, **OLD_SHAPES.get(args.typ, {})}

    monkeypatch.setattr(harness.Mocks, "new_resource", old_state)
    run = run_stack_file(ROOT / "Pulumi.local.yaml")
    assert run.error is None, repr(run.error)
    assert {r.type for r in run.registrations} >= set(OLD_SHAPES)
