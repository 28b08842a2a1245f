"""`python -m logto_standin`: run the Logto stand-in and an SMTP sink on 127.0.0.1 until stopped.

    python -m logto_standin --state-dir .logto-local [--port 3301] [--smtp-port 2525]

The state directory keeps the tenant's rows (`tenant.json`), the M2M app and SMTP credentials
(`credentials.json`, mode 0600, generated on first start and kept, so a stack configured once stays
valid), the sink's Maildir (`mailbox/`) and a log of the requests it answered (`requests.log`:
time, method, path, status; never a body or query). It prints one JSON line when ready (also written to
`server.json`): URL, resource, app id, SMTP host/port/user and where the files are. Secrets are
never printed: scripts read them from `credentials.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .connector_runtime import ConnectorRuntime, HarnessError, ensure_installed
from .persist import load_state, save_state
from .server import LogtoTestServer
from .smtp_sink import SmtpSink
from .wire import Request

DEFAULT_PORT = 3301
DEFAULT_SMTP_PORT = 2525


class PersistentServer(LogtoTestServer):
    """A stand-in whose tenant survives restarts: each successful write is saved to `state_file`."""

    def __init__(self, *args: Any, state_file: Path, request_log: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state_file = state_file
        self.request_log = request_log

    def _record(self, request: Request, status: int | None) -> None:
        super()._record(request, status)
        with self._requests_lock, self.request_log.open("a", encoding="utf-8") as handle:
            # method, path and status only: bodies and query strings may carry secrets
            handle.write(f"{time.time():.3f} {request.method} {request.path} {status if status is not None else '-'}\n")
        if request.method != "GET" and request.path.startswith("/api/") and status is not None and status < 400:
            self.save()

    def save(self) -> None:
        with self.app.lock:
            save_state(self.app.state, self.state_file)


def _write_private(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    os.replace(tmp, path)


def load_credentials(state_dir: Path) -> dict[str, str]:
    """The M2M app and SMTP sink credentials of this state dir; generated once, then kept."""
    path = state_dir / "credentials.json"
    if path.exists():
        creds = json.loads(path.read_text())
        if {"appId", "appSecret", "smtpUser", "smtpPassword"} <= creds.keys():
            return creds
    creds = {
        "appId": "local-m2m",  # not secret; fixed so that Pulumi.local.yaml can name it
        "appSecret": secrets.token_urlsafe(24),
        "smtpUser": "logto-local",
        "smtpPassword": secrets.token_urlsafe(18),
    }
    _write_private(path, creds)
    return creds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m logto_standin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", type=Path, required=True, help="where the tenant, credentials and mailbox are kept")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"Logto port (default {DEFAULT_PORT}; 0 = any)")
    parser.add_argument("--smtp-port", type=int, default=DEFAULT_SMTP_PORT, help=f"SMTP sink port (default {DEFAULT_SMTP_PORT}; 0 = any)")
    parser.add_argument("--no-smtp", action="store_true", help="do not start the SMTP sink")
    args = parser.parse_args(argv)

    state_dir: Path = args.state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)  # tenant.json holds connector secrets in clear, like Logto's database
    creds = load_credentials(state_dir)
    try:
        ensure_installed()
    except HarnessError as error:
        print(f"logto_standin: the connector runtime is not ready: {error}", file=sys.stderr)
        return 2

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    state_file = state_dir / "tenant.json"
    with ConnectorRuntime() as runtime:
        server = PersistentServer(runtime=runtime, host=args.host, port=args.port, state_file=state_file,
                                  request_log=state_dir / "requests.log")
        server.app_id, server.app_secret = creds["appId"], creds["appSecret"]
        with server.app.lock:
            server.app.state.m2m_apps.clear()
            if state_file.exists():
                load_state(server.app.state, state_file)
        server.add_m2m_app(server.app_id, server.app_secret)
        sink = None
        if not args.no_smtp:
            sink = SmtpSink(state_dir / "mailbox", user=creds["smtpUser"], password=creds["smtpPassword"],
                            host=args.host, port=args.smtp_port)
        try:
            server.start()
            if sink is not None:
                sink.start()
            info: dict[str, Any] = {
                "url": server.url,
                "resource": server.resource,
                "appId": server.app_id,
                "smtp": None if sink is None else {"host": sink.host, "port": sink.port, "user": sink.user},
                "stateDir": str(state_dir),
                "credentialsFile": str(state_dir / "credentials.json"),
                "mailbox": None if sink is None else str(sink.mailbox_dir),
                "pid": os.getpid(),
            }
            _write_private(state_dir / "server.json", info)
            print(json.dumps(info), flush=True)
            stop.wait()
        finally:
            server.stop()
            server.save()
            if sink is not None:
                sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
