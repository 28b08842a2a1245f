"""`bash scripts/up`'s local default (`python -m logto_standin.local_up`), twice, under the real engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from logto_standin.smtp_sink import free_port
from tests.engine.harness import ROOT, secret_forms

pytestmark = [pytest.mark.engine, pytest.mark.timeout(900)]


def test_local_default_deploys_then_changes_nothing_and_prints_no_secret(engine_bin: Path, tmp_path: Path) -> None:
    state = tmp_path / "local-stack"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "LOGTO_"))}
    env.update(PATH=f"{engine_bin}{os.pathsep}{env['PATH']}", LOGTO_EMAIL_LOCAL_STATE=str(state),
               LOGTO_LOCAL_PORT=str(free_port()), LOGTO_LOCAL_SMTP_PORT=str(free_port()), PULUMI_HOME=str(tmp_path / "home"))
    runs = [subprocess.run([sys.executable, "-m", "logto_standin.local_up"], cwd=ROOT, env=env, text=True,
                           capture_output=True, timeout=800, check=False) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-3000:]
    first, second = runs[0].stdout, runs[1].stdout
    assert "this run changed: 6 create" in first
    assert "live email connector: simple-mail-transfer-protocol" in first and "test email of this run:" in first
    assert "rendered previews:" in first and (state / "previews" / "index.html").exists()
    assert "this run changed nothing" in second and "Logto calls during pulumi up: 0 write(s)" in second
    mails = list((state / "logto" / "mailbox" / "new").iterdir())
    # the first run only: the connector's test-send, then one per locale whose i18n rows it wrote (en, de)
    assert len(mails) == 3
    creds = json.loads((state / "logto" / "credentials.json").read_text())
    texts = [r.stdout + r.stderr for r in runs] + [(state / "up.log").read_text(), (state / "standin.log").read_text()]
    texts += [p.read_text(errors="replace") for p in (state / "backend").rglob("*") if p.is_file()]
    for name in ("appSecret", "smtpPassword"):
        for form in secret_forms(creds[name]):
            assert not any(form in t for t in texts), f"a form of {name} leaked"
