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
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that was free a moment ago (aiosmtpd cannot bind port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class _Handler:
    def __init__(self, sink: AuthSmtpServer) -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        auth = session.auth_data
        user = auth.login.decode() if isinstance(auth, LoginPassword) else None
        self._sink.deliver(envelope.original_content or envelope.content, user, envelope)
        return "250 Message accepted"


class AuthSmtpServer:
    """SMTP on `host:port` (plain TCP, loopback) that requires AUTH PLAIN/LOGIN with one user;
    `deliver` files each accepted message (a Maildir here, memory in the test suite's sink)."""

    def __init__(self, *, user: str, password: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.user = user
        self.password = password
        self.host = host
        self.port = port or free_port(host)
        self.failed_logins = 0
        self._controller = Controller(
            _Handler(self),
            hostname=host,
            port=self.port,
            authenticator=self._authenticate,
            auth_required=True,
            auth_require_tls=False,
        )

    def deliver(self, raw: bytes, auth_user: str | None, envelope: Any) -> None:
        raise NotImplementedError

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and hmac.compare_digest(auth_data.login, self.user.encode())
            and hmac.compare_digest(auth_data.password, self.password.encode())
        )
        if not ok:
            self.failed_logins += 1
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def start(self) -> Self:
        # AUTH without TLS is deliberate here (loopback only); aiosmtpd warns about it on every start.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SmtpSink(AuthSmtpServer):
    """The local stack's sink: every accepted message filed in a Maildir a person can open."""

    def __init__(self, mailbox_dir: Path, *, user: str, password: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.mailbox_dir = Path(mailbox_dir)
        self._box = mailbox.Maildir(self.mailbox_dir, create=True)
        super().__init__(user=user, password=password, host=host, port=port)

    def deliver(self, raw: bytes, auth_user: str | None, envelope: Any) -> None:
        self._box.add(mailbox.MaildirMessage(raw))

    def messages(self) -> list[mailbox.MaildirMessage]:
        """Every message filed so far (new and seen)."""
        return list(mailbox.Maildir(self.mailbox_dir, create=True))
