"""The exported state of the local stack under the real engine: at most 30 KB per tenant.

The Logto resources keep digests of the rendered templates, not the text (see
`connectors.deploy.content`); the connector's config stays a Pulumi secret (ciphertext)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from logto_standin.local_up import STACK, pulumi_env
from logto_standin.smtp_sink import free_port
from tests.engine.harness import ROOT

pytestmark = [pytest.mark.engine, pytest.mark.timeout(900)]

LIMIT_PER_TENANT = 30 * 1024
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def _size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def test_exported_state_of_the_local_stack_is_at_most_30_kb_per_tenant(engine_bin: Path, tmp_path: Path) -> None:
    state = tmp_path / "local-stack"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "LOGTO_"))}
    env.update(PATH=f"{engine_bin}{os.pathsep}{env['PATH']}", LOGTO_EMAIL_LOCAL_STATE=str(state),
               LOGTO_LOCAL_PORT=str(free_port()), LOGTO_LOCAL_SMTP_PORT=str(free_port()), PULUMI_HOME=str(tmp_path / "home"))
    up = subprocess.run([sys.executable, "-m", "logto_standin.local_up"], cwd=ROOT, env=env, text=True,
                        capture_output=True, timeout=800, check=False)
    assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-3000:]
    exported = subprocess.run(["pulumi", "stack", "export", "--stack", STACK], cwd=ROOT, env=pulumi_env(state, env),
                              text=True, capture_output=True, timeout=300, check=True)
    document = json.loads(exported.stdout)
    resources = document["deployment"]["resources"]
    tenants = [r for r in resources if r["type"] == "logto-email:index:TenantEmail"]
    by_type = {r["type"].rsplit(":", 1)[-1]: _size(r) for r in resources}
    # The state's content, without the export's pretty-printing (indentation is a third of it).
    per_tenant = _size(document) / len(tenants)
    print(f"exported state: {_size(document)} bytes as JSON ({len(exported.stdout.encode())} pretty-printed), "
          f"{len(tenants)} tenant(s); by resource: {by_type}")
    assert per_tenant <= LIMIT_PER_TENANT, f"{per_tenant / 1024:.1f} KB per tenant (limit 30 KB): {by_type}"
    # The template text is in Logto, not in the state: digests only, and the config is still ciphertext.
    templates = next(r for r in resources if r["type"].endswith(":EmailTemplates"))
    assert set(templates["outputs"]["digests"]) == {f"{lang}/{t}" for lang in ("en", "de") for t in
                                                    {k.split("/")[1] for k in templates["outputs"]["digests"]}}
    assert "<html" not in exported.stdout.lower() and "<table" not in exported.stdout.lower()
    connector = next(r for r in resources if r["type"].endswith(":EmailConnector"))
    for where in ("inputs", "outputs"):
        config = connector[where]["config"]
        assert config.get(SECRET_SIG) and "ciphertext" in config, f"connector {where}.config is not encrypted"
