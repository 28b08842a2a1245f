"""Where the relay hands a message on: SES (SESv2 API), SMTP, Mailgun, SendGrid, Postmark.

Every upstream answers with nothing (accepted) or raises `UpstreamError`, transient (worth
another attempt: connection trouble, timeouts, 429, 5xx, SMTP 4xx, SES throttling) or not.
Error messages carry the upstream's name and a status, never the message, a key or a code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from connectors.stack.models import (
    RelayMailgunUpstream,
    RelayPostmarkUpstream,
    RelaySendgridUpstream,
    RelaySesUpstream,
    SmtpProvider,
)


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    from_email: str
    from_name: str | None
    reply_to: str | None
    subject: str
    html: str = field(repr=False)
    text: str = field(repr=False)

    @property
    def from_header(self) -> str:
        return formataddr((self.from_name, self.from_email)) if self.from_name else self.from_email


class UpstreamError(Exception):
    """The upstream did not accept the message. `transient`: another attempt may succeed."""

    def __init__(self, upstream: str, reason: str, *, transient: bool) -> None:
        self.upstream, self.reason, self.transient = upstream, reason, transient
        super().__init__(f"{upstream}: {reason}")


class Upstream(Protocol):
    name: str

    async def send(self, email: OutgoingEmail) -> None: ...

    async def aclose(self) -> None: ...


# -- HTTP APIs -------------------------------------------------------------------------------------
class _HttpUpstream:
    name = "http"
    default_base = ""

    def __init__(self, endpoint: str | None, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base = (endpoint or self.default_base).rstrip("/")
        self.client = httpx.AsyncClient(timeout=timeout, transport=transport,
                                        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50))

    async def _post(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.client.post(self.base + path, **kwargs)
        except httpx.TimeoutException:
            raise UpstreamError(self.name, "timed out", transient=True) from None
        except httpx.TransportError as exc:
            raise UpstreamError(self.name, f"cannot connect ({type(exc).__name__})", transient=True) from None
        if response.is_success:
            return response
        status = response.status_code
        raise UpstreamError(self.name, f"answered HTTP {status}", transient=status in (408, 425, 429) or status >= 500)

    async def aclose(self) -> None:
        await self.client.aclose()


class MailgunUpstream(_HttpUpstream):
    name = "mailgun"

    def __init__(self, spec: RelayMailgunUpstream, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.default_base = "https://api.eu.mailgun.net" if spec.region == "eu" else "https://api.mailgun.net"
        super().__init__(spec.endpoint, timeout, transport)
        self.domain, self.api_key = spec.domain, spec.api_key

    async def send(self, email: OutgoingEmail) -> None:
        data = {"from": email.from_header, "to": email.to, "subject": email.subject, "html": email.html, "text": email.text}
        if email.reply_to:
            data["h:Reply-To"] = email.reply_to
        await self._post(f"/v3/{self.domain}/messages", data=data, auth=("api", self.api_key.reveal()))


class SendgridUpstream(_HttpUpstream):
    name = "sendgrid"
    default_base = "https://api.sendgrid.com"

    def __init__(self, spec: RelaySendgridUpstream, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(spec.endpoint, timeout, transport)
        self.api_key = spec.api_key

    async def send(self, email: OutgoingEmail) -> None:
        body: dict[str, Any] = {
            "personalizations": [{"to": [{"email": email.to}]}],
            "from": {"email": email.from_email, **({"name": email.from_name} if email.from_name else {})},
            "subject": email.subject,
            "content": [{"type": "text/plain", "value": email.text}, {"type": "text/html", "value": email.html}],
        }
        if email.reply_to:
            body["reply_to"] = {"email": email.reply_to}
        await self._post("/v3/mail/send", json=body, headers={"Authorization": f"Bearer {self.api_key.reveal()}"})


class PostmarkUpstream(_HttpUpstream):
    name = "postmark"
    default_base = "https://api.postmarkapp.com"

    def __init__(self, spec: RelayPostmarkUpstream, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(spec.endpoint, timeout, transport)
        self.token, self.stream = spec.server_token, spec.message_stream

    async def send(self, email: OutgoingEmail) -> None:
        body = {"From": email.from_header, "To": email.to, "Subject": email.subject, "HtmlBody": email.html,
                "TextBody": email.text, "MessageStream": self.stream}
        if email.reply_to:
            body["ReplyTo"] = email.reply_to
        await self._post("/email", json=body, headers={"X-Postmark-Server-Token": self.token.reveal(), "Accept": "application/json"})


# -- SMTP ------------------------------------------------------------------------------------------
def mime_message(email: OutgoingEmail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = email.from_header
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Message-ID"] = make_msgid(domain=email.from_email.rsplit("@", 1)[-1])
    if email.reply_to:
        msg["Reply-To"] = email.reply_to
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


class SmtpUpstream:
    """One connection per message (a relay sends a code now and then, not bulk mail)."""

    name = "smtp"

    def __init__(self, spec: SmtpProvider, timeout: float) -> None:
        self.spec, self.timeout = spec, timeout
        # Loading the CA store takes ~0.15 s: once per relay, not once per message.
        self._context = ssl.create_default_context() if spec.effective_security != "none" else None

    def _send_sync(self, email: OutgoingEmail) -> None:
        spec = self.spec
        security = spec.effective_security
        context = self._context
        try:
            if security == "tls":
                server: smtplib.SMTP = smtplib.SMTP_SSL(spec.host, spec.port, timeout=self.timeout, context=context)
            else:
                server = smtplib.SMTP(spec.host, spec.port, timeout=self.timeout)
            with server:
                if security == "starttls":
                    server.starttls(context=context)
                if spec.username and spec.password:
                    server.login(spec.username, spec.password.reveal())
                server.send_message(mime_message(email), from_addr=email.from_email, to_addrs=[email.to])
        except smtplib.SMTPAuthenticationError as exc:
            raise UpstreamError(self.name, f"authentication refused ({exc.smtp_code})", transient=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [c for c, _ in exc.recipients.values()]
            raise UpstreamError(self.name, f"recipient refused ({', '.join(map(str, codes))})",
                                transient=all(400 <= c < 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            raise UpstreamError(self.name, f"answered {exc.smtp_code}", transient=400 <= exc.smtp_code < 500) from None
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
            raise UpstreamError(self.name, f"cannot connect ({type(exc).__name__})", transient=True) from None
        except smtplib.SMTPException as exc:
            raise UpstreamError(self.name, f"failed ({type(exc).__name__})", transient=False) from None

    async def send(self, email: OutgoingEmail) -> None:
        await _in_thread(self._send_sync, email)

    async def aclose(self) -> None:
        return None


# -- SES (SESv2 SendEmail) ---------------------------------------------------------------------------
_SES_TRANSIENT = {"Throttling", "ThrottlingException", "TooManyRequestsException", "ServiceUnavailable",
                  "InternalFailure", "InternalServerError", "RequestTimeout", "LimitExceededException"}


class SesUpstream:
    """SESv2 SendEmail with the relay's own credentials (its Lambda role on AWS)."""

    name = "aws-ses"

    def __init__(self, spec: RelaySesUpstream, timeout: float) -> None:
        import boto3
        from botocore.config import Config

        kwargs: dict[str, Any] = {"region_name": spec.region}
        if spec.endpoint:
            kwargs["endpoint_url"] = spec.endpoint
        if spec.access_key_id and spec.secret_access_key:
            kwargs["aws_access_key_id"] = spec.access_key_id
            kwargs["aws_secret_access_key"] = spec.secret_access_key.reveal()
        config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=timeout, read_timeout=timeout,
                        max_pool_connections=50)
        self.client = boto3.client("sesv2", config=config, **kwargs)
        self.spec = spec

    def _send_sync(self, email: OutgoingEmail) -> None:
        from botocore.exceptions import BotoCoreError, ClientError, ConnectionError as BotoConnectionError

        request: dict[str, Any] = {
            "FromEmailAddress": email.from_header,
            "Destination": {"ToAddresses": [email.to]},
            "Content": {"Simple": {
                "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                "Body": {"Html": {"Data": email.html, "Charset": "UTF-8"}, "Text": {"Data": email.text, "Charset": "UTF-8"}},
            }},
        }
        if email.reply_to:
            request["ReplyToAddresses"] = [email.reply_to]
        if self.spec.identity_arn:
            request["FromEmailAddressIdentityArn"] = self.spec.identity_arn
        if self.spec.configuration_set_name:
            request["ConfigurationSetName"] = self.spec.configuration_set_name
        try:
            self.client.send_email(**request)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            raise UpstreamError(self.name, f"refused ({code or status})",
                                transient=code in _SES_TRANSIENT or status >= 500 or status == 429) from None
        except (BotoConnectionError, BotoCoreError) as exc:
            raise UpstreamError(self.name, f"cannot connect ({type(exc).__name__})", transient=True) from None

    async def send(self, email: OutgoingEmail) -> None:
        await _in_thread(self._send_sync, email)

    async def aclose(self) -> None:
        return None


# Blocking clients (smtplib, boto3) run here; asyncio's default pool has only CPUs + 4 threads,
# which would queue sends behind each other under a burst of sign-ins.
_POOL: concurrent.futures.ThreadPoolExecutor | None = None


async def _in_thread(fn: Callable[..., None], *args: Any) -> None:
    global _POOL
    if _POOL is None:
        _POOL = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="relay-upstream")
    await asyncio.get_running_loop().run_in_executor(_POOL, fn, *args)


def make_upstream(spec: Any, timeout: float) -> Upstream:
    if isinstance(spec, RelaySesUpstream):
        return SesUpstream(spec, timeout)
    if isinstance(spec, SmtpProvider):
        return SmtpUpstream(spec, timeout)
    if isinstance(spec, RelayMailgunUpstream):
        return MailgunUpstream(spec, timeout)
    if isinstance(spec, RelaySendgridUpstream):
        return SendgridUpstream(spec, timeout)
    if isinstance(spec, RelayPostmarkUpstream):
        return PostmarkUpstream(spec, timeout)
    raise ValueError(f"unknown upstream type {getattr(spec, 'type', spec)!r}")
