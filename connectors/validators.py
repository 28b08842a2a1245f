"""Value rules shared by the stack schema, the factory models, the operator commands and the
dynamic providers: one rule, one message, so `validate` refuses whatever a deploy would.

Every rule matches the whole value (`fullmatch`, never `^…$`, whose `$` also matches before a
trailing newline). Messages never quote the value: it may be a secret pasted into the wrong field.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StrictStr

_NAMED_ADDRESS_RE = re.compile(r"\s*(?:\"?(?P<name>[^\"<>]*)\"?\s*)?<(?P<address>[^<>]+)>\s*")
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DNS_NAME_RE = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})+")
_HOST_NAME_RE = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*", re.IGNORECASE)
DNS_LABEL_RE = re.compile(_LABEL)
_PRIVATE_NETS = tuple(
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128")
)


# Unicode's control (Cc) and surrogate (Cs) characters
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def control_characters(value: str, *, allow: str = "") -> bool:
    """True if `value` holds a control (or lone surrogate) character not in `allow`."""
    if not allow:
        return _CONTROL_RE.search(value) is not None
    return any(c not in allow for c in _CONTROL_RE.findall(value))


def header_text(value: str) -> str:
    """Text that ends up in a mail header or subject: no CR/LF or other control characters."""
    if control_characters(value):
        raise ValueError("must not contain line breaks or other control characters (it goes into an email header)")
    return value


def email_address(value: str) -> str:
    """A real address (parsed, not pattern-matched); no DNS look-up."""
    if not isinstance(value, str) or control_characters(value):
        raise ValueError("must be an email address such as no-reply@example.com (no control characters)")
    problem = _email_problem(value)
    if problem is not None:
        raise ValueError(f"must be an email address such as no-reply@example.com ({problem})")
    return value


# Addresses email_validator accepts for certain, with the options used below: an ASCII dot-atom of
# letters, digits and `_+-`, at a lower-case DNS name whose last character is a letter, every label
# at most 63 characters, none starting or ending with `-` and none with `--` at its third
# character (that includes Punycode `xn--`, which the library decodes). Anything else, and every
# refusal with its message, is the library's; a property test keeps this a subset of its rule.
_PLAIN_EMAIL_RE = re.compile(
    r"[A-Za-z0-9_+-]{1,64}(?:\.[A-Za-z0-9_+-]+)*@(?=.{1,253}\Z)(?:(?!..--)(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!..--)(?!-)[a-z0-9-]{0,62}[a-z]"
)
# email_validator's special-use names (SPECIAL_USE_DOMAIN_NAMES; "test" included though the test
# environment admits it): an address under one of them goes to the library.
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def plain_email(value: str) -> bool:
    """True when `value` is an address of the simple form email_validator certainly accepts
    (checked without importing it: its import compiles Unicode-wide patterns, ~0.05 s)."""
    return (len(value) <= 254 and value.find("@") <= 64 and _PLAIN_EMAIL_RE.fullmatch(value) is not None
            and value.rsplit(".", 1)[1] not in _SPECIAL_USE_TLDS)


@lru_cache(maxsize=1024)
def _email_problem(value: str) -> str | None:
    """email_validator's objection to `value`, if any. Cached: a stack names the same sender and
    support addresses in its tenant settings and again in each connector config."""
    if plain_email(value):
        return None
    from email_validator import (  # imported on first use: ~0.1 s
        EmailNotValidError,
        validate_email,
    )

    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def is_email_address(value: object) -> bool:
    try:
        email_address(value)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def mailbox(value: str) -> str:
    """An address, optionally with a display name (what SMTP/SES/Mailgun accept as From)."""
    named = _NAMED_ADDRESS_RE.fullmatch(value)
    if named and named.group("name"):
        header_text(named.group("name"))
    try:
        email_address(named.group("address") if named else value)
    except ValueError:
        raise ValueError('must be an email address, optionally with a name: "Acme <no-reply@example.com>"') from None
    return value


def host_name(value: str) -> str:
    """A DNS host name (one or more labels) or an IP address: what an SMTP host or URL may name."""
    try:
        ipaddress.ip_address(value.strip("[]") if value.startswith("[") else value)
        return value
    except ValueError:
        pass
    if not _HOST_NAME_RE.fullmatch(value):
        raise ValueError("must be a host name such as smtp.example.com, or an IP address")
    return value


def http_url(value: str, *, credentials: bool = False) -> str:
    """An absolute http(s) URL with a valid host and port and, unless allowed, no user:password@."""
    bad = "must be an http(s) URL such as https://example.com/path"
    if control_characters(value) or any(c.isspace() for c in value):
        raise ValueError(bad + " (no spaces or control characters)")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(bad)
    try:
        parts.port  # noqa: B018 - raises for a port out of 0..65535
    except ValueError:
        raise ValueError(bad + " (the port must be 1..65535)") from None
    if parts.port == 0:
        raise ValueError(bad + " (the port must be 1..65535)")
    try:
        host_name(parts.hostname)
    except ValueError:
        raise ValueError(bad + " (the host is not a valid name or address)") from None
    if not credentials and (parts.username is not None or parts.password is not None):
        raise ValueError("must not contain user:password@ (this field is not secret; credentials go in a `secure:` field)")
    return value


def is_private_host(host: str) -> bool:
    """Where plain http cannot cross a public network: loopback, private ranges, localhost,
    `*.local`, `*.localhost` and undotted names (a compose service such as `logto`)."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or host.endswith((".local", ".localhost")) or "." not in host
    return any(ip in net for net in _PRIVATE_NETS if ip.version == net.version)


def logto_endpoint(value: str) -> str:
    """A Logto endpoint the client will talk to: https, or http only to a private host."""
    http_url(value)
    parts = urlsplit(value)
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError("the Logto endpoint must not contain a query or a fragment")
    if parts.scheme == "http" and not is_private_host(parts.hostname or ""):
        raise ValueError(
            "plain http:// is refused for a public host: the M2M secret and connector secrets would cross "
            "the network unencrypted; use https:// (http is allowed only for loopback, private addresses, "
            "localhost, *.local and undotted host names)"
        )
    return value


def dns_name(value: str) -> str:
    if not _DNS_NAME_RE.fullmatch(value):
        raise ValueError("must be a lower-case DNS name such as mail.example.com (no scheme, no trailing dot)")
    return value


def dns_label(value: str) -> str:
    if not DNS_LABEL_RE.fullmatch(value):
        raise ValueError("must be one lower-case DNS label: letters, digits and inner dashes, at most 63")
    return value


NonEmptyStr = Annotated[StrictStr, Field(min_length=1)]
HeaderText = Annotated[NonEmptyStr, AfterValidator(header_text)]
EmailAddress = Annotated[NonEmptyStr, AfterValidator(email_address)]
Mailbox = Annotated[NonEmptyStr, AfterValidator(mailbox)]
HttpUrl = Annotated[NonEmptyStr, AfterValidator(http_url)]
LogtoEndpoint = Annotated[NonEmptyStr, AfterValidator(logto_endpoint)]
DnsName = Annotated[NonEmptyStr, AfterValidator(dns_name)]
DnsLabel = Annotated[NonEmptyStr, AfterValidator(dns_label)]
HostName = Annotated[NonEmptyStr, AfterValidator(host_name)]
