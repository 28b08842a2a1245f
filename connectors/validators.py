"""Value checks shared by the stack schema and the factory models (one rule, one message)."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StrictStr

_ADDRESS_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_NAMED_ADDRESS_RE = re.compile(r"^\s*(?:\"?[^\"<>]*\"?\s*)?<([^<>]+)>\s*$")
_DNS_NAME_RE = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")


def email_address(value: str) -> str:
    if not _ADDRESS_RE.match(value):
        raise ValueError("must be an email address such as no-reply@example.com")
    return value


def mailbox(value: str) -> str:
    """An address, optionally with a display name (what SMTP/SES/Mailgun accept as From)."""
    named = _NAMED_ADDRESS_RE.match(value)
    if not _ADDRESS_RE.match(named.group(1) if named else value):
        raise ValueError('must be an email address, optionally with a name: "Acme <no-reply@example.com>"')
    return value


def http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("must be an http(s) URL such as https://example.com/path")
    return value


def dns_name(value: str) -> str:
    if not _DNS_NAME_RE.match(value):
        raise ValueError("must be a lower-case DNS name such as mail.example.com (no scheme, no trailing dot)")
    return value


NonEmptyStr = Annotated[StrictStr, Field(min_length=1)]
EmailAddress = Annotated[NonEmptyStr, AfterValidator(email_address)]
Mailbox = Annotated[NonEmptyStr, AfterValidator(mailbox)]
HttpUrl = Annotated[NonEmptyStr, AfterValidator(http_url)]
DnsName = Annotated[NonEmptyStr, AfterValidator(dns_name)]
