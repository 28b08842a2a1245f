"""`python -m logto_standin`: ready line, secrets kept out of it, state kept across restarts, sink."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(state_dir: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "logto_standin", "--state-dir", str(state_dir), "--port", "0", "--smtp-port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        pytest.fail(f"no ready line: {proc.stderr.read().decode() if proc.stderr else ''}")
    return proc, json.loads(line)


def stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return err.decode()


def token(client: httpx.Client, info: dict[str, Any], secret: str) -> dict[str, str]:
    resp = client.post("/oidc/token", data={"grant_type": "client_credentials", "resource": info["resource"], "scope": "all"},
                       auth=(info["appId"], secret))
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_ready_line_names_everything_but_the_secrets_and_the_tenant_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "standin"
    proc, info = start(state)
    try:
        creds = json.loads(Path(info["credentialsFile"]).read_text())
        assert oct(Path(info["credentialsFile"]).stat().st_mode & 0o777) == "0o600"
        assert oct(state.stat().st_mode & 0o777) == "0o700"
        line = json.dumps(info)
        assert creds["appSecret"] not in line and creds["smtpPassword"] not in line
        assert info["appId"] == creds["appId"] and info["smtp"]["user"] == creds["smtpUser"]
        with httpx.Client(base_url=info["url"], timeout=30) as client:
            headers = token(client, info, creds["appSecret"])
            config = {"host": "127.0.0.1", "port": info["smtp"]["port"], "auth": {"user": creds["smtpUser"], "pass": creds["smtpPassword"]},
                      "fromEmail": "no-reply@demo.test", "ignoreTLS": True,
                      "templates": [{"usageType": t, "contentType": "text/plain", "subject": "Code", "content": "Your code is {{code}}"}
                                    for t in ("Register", "SignIn", "ForgotPassword", "Generic")]}
            created = client.post("/api/connectors", json={"connectorId": "simple-mail-transfer-protocol", "config": config}, headers=headers)
            assert created.status_code == 200, created.text
            sent = client.post("/api/connectors/simple-mail-transfer-protocol/test",
                               json={"email": "qa@demo.test", "config": config}, headers=headers)
            assert sent.status_code == 204, sent.text
    finally:
        err = stop(proc)
    assert creds["appSecret"] not in err and creds["smtpPassword"] not in err
    # the test email landed in the sink's Maildir
    mails = list((Path(info["mailbox"]) / "new").iterdir())
    assert len(mails) == 1 and b"qa@demo.test" in mails[0].read_bytes()

    proc, info2 = start(state)
    try:
        assert info2["appId"] == info["appId"]
        with httpx.Client(base_url=info2["url"], timeout=30) as client:
            rows = client.get("/api/connectors", headers=token(client, info2, creds["appSecret"])).json()
        assert [r["connectorId"] for r in rows if r["type"] == "Email"] == ["simple-mail-transfer-protocol"]
    finally:
        stop(proc)


def test_smtp_sink_refuses_a_wrong_password(tmp_path: Path) -> None:
    from logto_standin.smtp_sink import SmtpSink

    with SmtpSink(tmp_path / "box", user="u", password="right-one") as sink:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@x.localhost", "b@x.localhost", "hi"
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("u", "wrong-one")
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
            client.login("u", "right-one")
            client.send_message(msg)
        assert len(sink.messages()) == 1 and sink.failed_logins >= 1  # smtplib tries PLAIN, then LOGIN
    assert os.listdir(tmp_path / "box" / "new")
