"""An aiosmtpd SMTP server that insists on AUTH, so a send proves the credentials were right.

Nodemailer skips AUTH silently when a server offers none, so a sink without AUTH cannot tell a
correct password from a missing one.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from logto_standin.smtp_sink import AuthSmtpServer
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


class SmtpSink(AuthSmtpServer):
    """The product's AUTH-requiring sink on 127.0.0.1:<free port>, keeping messages in memory."""

    def __init__(self, user: str = "sink-user", password: str = "sink-password-1"):
        self.messages: list[ReceivedMail] = []
        self._cond = threading.Condition()
        super().__init__(user=user, password=password, port=free_port())

    def deliver(self, raw: bytes, auth_user: str | None, envelope: Any) -> None:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        mail = ReceivedMail(auth_user=auth_user, mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
                            message=message, raw=raw)  # type: ignore[arg-type]
        with self._cond:
            self.messages.append(mail)
            self._cond.notify_all()

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
