"""The local SMTP sink: an aiosmtpd server that insists on AUTH and files each message in a Maildir.

`bash scripts/up` points the local stack's SMTP tenant at it, so the test-send Logto makes before
a connector write really travels through the real `@logto/connector-smtp` package and lands
somewhere a person can open (`<state dir>/mailbox/new/`). AUTH is required because nodemailer
skips AUTH when a server offers none, and then a wrong password would look like a right one.
"""

from __future__ import annotations

import hmac
import logging
import mailbox
import socket
import warnings
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that was free a moment ago (aiosmtpd cannot bind port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class _MaildirHandler:
    def __init__(self, box: mailbox.Maildir) -> None:
        self._box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        raw = envelope.original_content or envelope.content
        self._box.add(mailbox.MaildirMessage(raw))
        return "250 Message accepted"


class SmtpSink:
    """SMTP on `host:port` (plain TCP, loopback), AUTH PLAIN/LOGIN with one user, into a Maildir."""

    def __init__(self, mailbox_dir: Path, *, user: str, password: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.mailbox_dir = Path(mailbox_dir)
        self.user = user
        self._password = password
        self.host = host
        self.port = port or free_port(host)
        self.failed_logins = 0
        self._controller = Controller(
            _MaildirHandler(mailbox.Maildir(self.mailbox_dir, create=True)),
            hostname=host,
            port=self.port,
            authenticator=self._authenticate,
            auth_required=True,
            auth_require_tls=False,
        )

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and hmac.compare_digest(auth_data.login, self.user.encode())
            and hmac.compare_digest(auth_data.password, self._password.encode())
        )
        if not ok:
            self.failed_logins += 1
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def messages(self) -> list[mailbox.MaildirMessage]:
        """Every message filed so far (new and seen)."""
        return list(mailbox.Maildir(self.mailbox_dir, create=True))

    def start(self) -> SmtpSink:
        # AUTH without TLS is deliberate here (loopback only); aiosmtpd warns about it on every start.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
