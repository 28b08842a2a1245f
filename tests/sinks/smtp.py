"""An aiosmtpd SMTP server that insists on AUTH, so a send proves the credentials were right.

Nodemailer skips AUTH silently when a server offers none, so a sink without AUTH cannot tell a
correct password from a missing one.
"""

from __future__ import annotations

import email
import email.policy
import logging
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.sinks._net import free_port

# aiosmtpd warns on every connection; AUTH over plain TCP is deliberate here (loopback only).
AUTH_WITHOUT_TLS_WARNING = "Requiring AUTH while not requiring TLS"


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message, parsed with the stdlib ``email`` package."""

    auth_user: str | None
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage = field(repr=False)
    raw: bytes = field(repr=False)

    @property
    def subject(self) -> str | None:
        return self.message["Subject"]

    @property
    def from_(self) -> str | None:
        return self.message["From"]

    @property
    def to(self) -> str | None:
        return self.message["To"]

    def header(self, name: str) -> str | None:
        return self.message[name]

    def _part(self, subtype: str) -> str | None:
        for part in self.message.walk():
            if part.get_content_type() == f"text/{subtype}" and not part.is_multipart():
                return part.get_content()
        return None

    @property
    def text(self) -> str | None:
        return self._part("plain")

    @property
    def html(self) -> str | None:
        return self._part("html")


class _Handler:
    def __init__(self, sink: SmtpSink):
        self._sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        raw = envelope.original_content or envelope.content
        auth = session.auth_data
        user = auth.login.decode() if isinstance(auth, LoginPassword) else None
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self._sink._record(
            ReceivedMail(
                auth_user=user,
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                message=message,  # type: ignore[arg-type]
                raw=raw,
            )
        )
        return "250 Message accepted"


class SmtpSink:
    """SMTP on 127.0.0.1:<free port>, AUTH PLAIN/LOGIN required over plain TCP (no TLS)."""

    host = "127.0.0.1"

    def __init__(self, user: str = "sink-user", password: str = "sink-password-1"):
        self.user = user
        self.password = password
        self.port = free_port()
        self.messages: list[ReceivedMail] = []
        self.failed_logins = 0
        self._cond = threading.Condition()
        self._controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            authenticator=self._authenticate,
            auth_required=True,
            auth_require_tls=False,
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.user
            and auth_data.password.decode() == self.password
        )
        if not ok:
            self.failed_logins += 1
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def _record(self, mail: ReceivedMail) -> None:
        with self._cond:
            self.messages.append(mail)
            self._cond.notify_all()

    def start(self) -> SmtpSink:
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()
            self.failed_logins = 0

    def received_by(self, address: str, timeout: float = 5.0) -> ReceivedMail:
        """The first message whose envelope recipient is ``address`` (waits for it)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for mail in self.messages:
                    if address in mail.rcpt_tos:
                        return mail
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"No mail for {address} arrived within {timeout} s")
                self._cond.wait(remaining)
