"""Splitting a stack under the real engine: a tenant moved to its own stack with `pulumi state move`.

The procedure docs/scaling.md gives operators: create the new stack, give it the tenant's block
(and its secrets), take the block out of the old stack's file, move the tenant's component (its
children follow) with `pulumi state move`, then `up` both. Nothing may reach Logto: no connector
is deleted, created or re-sent, and each stack's next `up` changes nothing.
"""

from __future__ import annotations

import json
import shutil

import pytest

from logto_standin import LogtoTestServer
from tests.engine.conftest import smtp_secrets, smtp_tenant
from tests.engine.harness import ROOT, EngineStack, init_stack

pytestmark = [pytest.mark.engine, pytest.mark.timeout(900)]


def test_a_tenant_moved_to_a_new_stack_with_state_move_is_not_touched_and_both_stacks_change_nothing(
        engine_bin, tmp_path, connector_runtime, mail_sink):
    with LogtoTestServer(runtime=connector_runtime) as one, LogtoTestServer(runtime=connector_runtime) as two:
        old = EngineStack(engine_bin, tmp_path / "old", name="prod")
        old.init({"one": smtp_tenant(one, mail_sink), "two": smtp_tenant(two, mail_sink)},
                 {**smtp_secrets("one", one, mail_sink), **smtp_secrets("two", two, mail_sink)})
        old.run("up", "--yes", "--color", "never")
        connector_two = [r.id for r in two.email_connector_rows()]
        assert len(connector_two) == 1

        # the new stack `prod-two`, on the same backend with the same passphrase (state move decrypts both)
        new = EngineStack(engine_bin, tmp_path / "new", name="prod-two")
        new.env = dict(old.env)
        new.passphrase_file = old.passphrase_file
        init_stack(new.name, new.work, new.env, new.config_file)
        # `config cp` and `state move` read no --config-file: they run where both stack files sit by their names
        scratch = tmp_path / "split"
        scratch.mkdir()
        shutil.copy(ROOT / "Pulumi.yaml", scratch)
        shutil.copy(old.config_file, scratch / "Pulumi.prod.yaml")
        shutil.copy(new.config_file, scratch / "Pulumi.prod-two.yaml")

        def pulumi(*args: str) -> str:
            done = old.run(*args, "--cwd", str(scratch), stack=False, config=False)
            return done.stdout + done.stderr

        # the tenant's block with its secrets, re-encrypted for the new stack
        pulumi("config", "cp", "--path", "logto-email:tenants.two", "--stack", "prod", "--dest", "prod-two")
        shutil.copy(scratch / "Pulumi.prod-two.yaml", new.config_file)
        new.write_config(new.tenants())
        assert set(new.tenants()) == {"two"} and "secure" in new.tenants()["two"]["logto"]["appSecret"]
        tenants = old.tenants()
        del tenants["two"]
        old.write_config(tenants)

        exported = json.loads(old.run("stack", "export", config=False).stdout)
        urn = next(r["urn"] for r in exported["deployment"]["resources"]
                   if r["type"] == "logto-email:index:TenantEmail" and r["urn"].endswith("::two"))
        pulumi("state", "move", "--source", "prod", "--dest", "prod-two", "--yes", urn)  # its children follow

        one.clear_requests()
        two.clear_requests()
        for stack in (old, new):
            out = stack.run("up", "--yes", "--expect-no-changes", "--color", "never").stdout
            assert "created" not in out and "deleted" not in out and "updated" not in out, out
        assert [w for w in one.writes() + two.writes()] == []  # not a test-send either
        assert [r.id for r in two.email_connector_rows()] == connector_two

        after = {s.name: json.loads(s.run("stack", "export", config=False).stdout)["deployment"]["resources"] for s in (old, new)}
        assert not any(r["urn"].endswith("::two") for r in after["prod"] if r["type"] == "logto-email:index:TenantEmail")
        owned = [r["type"] for r in after["prod-two"] if "::two" in r["urn"]]
        assert "logto-email:index:TenantEmail" in owned and "pulumi-python:dynamic/logto:EmailConnector" in owned
