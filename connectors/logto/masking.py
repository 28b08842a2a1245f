"""Which parts of a Logto connector config are secret, and how to keep them out of text.

The deploy step only sees the plain Logto JSON (secrets revealed, as they go on the wire), so it
decides what is secret by key name: the names the factory models declare secret, and a name
heuristic as a backstop. Over-masking is harmless; under-masking leaks a credential into a plan
summary, a log line or an exception, so the backstop errs on the wide side.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import typing
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import BaseModel

from connectors.providers import FACTORIES
from connectors.secret import SECRET_MARKER, Secret

# Secret keys outside the factory models: HTTP headers some configs carry, the stack's and the
# relay's credential names (lower-cased).
_OTHER_SECRET_KEYS = frozenset(
    {
        "password", "appsecret", "secret", "token", "pfx", "secretaccesskey", "apisecret", "x-api-key",
        "cookie", "proxy-authorization",
    }
)


def _types_in(annotation: Any) -> Iterator[Any]:
    """Every type named in an annotation (through Optional, unions, lists, Annotated)."""
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _types_in(arg)


def declared_secret_keys(model: type[BaseModel], top: frozenset[str] = frozenset()) -> set[str]:
    """The keys (Logto's JSON names, lower-cased) a factory model declares secret: its
    `SECRET_FIELDS` and every `Secret`-typed field, looking inside nested objects for the leaves."""
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        key = info.alias or name
        types = list(_types_in(info.annotation))
        nested = [t for t in types if isinstance(t, type) and issubclass(t, BaseModel)]
        for sub in nested:
            keys |= declared_secret_keys(sub)
        if Secret in types or (not nested and key in top):
            keys.add(key.lower())
    return keys


# Exact key names (lower-cased) that hold secrets: what the factory models declare, plus the rest.
SECRET_KEYS: frozenset[str] = frozenset(
    {k for m in FACTORIES.values() for k in declared_secret_keys(m, m.SECRET_FIELDS)} | _OTHER_SECRET_KEYS
)
# The backstop: substrings that make any other key secret (e.g. `smtpPassword`, `webhookSecret`).
_SECRET_PARTS = ("secret", "password", "passwd", "token", "passphrase", "privatekey", "apikey", "credential")

# Shorter strings are not scrubbed from text: they would mangle ordinary words, and a credential
# that short is not one Logto's factories accept anyway.
_MIN_SCRUB_LEN = 4
_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_MIN_ENCODED_LEN = 6  # a base64 fragment shorter than this is too likely to occur by chance


def is_secret_key(key: str) -> bool:
    k = key.lower().replace("_", "")
    return k in SECRET_KEYS or any(p in k for p in _SECRET_PARTS)


def secret_values(obj: Any, *, inside_secret: bool = False) -> Iterator[str]:
    """Every string (and number) under a secret-looking key of `obj`, at any depth."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from secret_values(v, inside_secret=inside_secret or is_secret_key(str(k)))
    elif isinstance(obj, list):
        for v in obj:
            yield from secret_values(v, inside_secret=inside_secret)
    elif inside_secret and isinstance(obj, (str, int, float)) and not isinstance(obj, bool):
        yield str(obj)


def mask_config(obj: Any, *, inside_secret: bool = False) -> Any:
    """A copy of `obj` with every value under a secret-looking key replaced by the marker."""
    if isinstance(obj, dict):
        return {k: mask_config(v, inside_secret=inside_secret or is_secret_key(str(k))) for k, v in obj.items()}
    if isinstance(obj, list):
        return [mask_config(v, inside_secret=inside_secret) for v in obj]
    if inside_secret and obj is not None:
        return SECRET_MARKER
    return obj


def encoded_forms(secret: str) -> set[str]:
    """The secret as it can appear in text someone else wrote.

    Literal; JSON-escaped, once and twice (Logto nests connector errors as JSON in its message),
    ASCII-only or not; URL-encoded (form bodies, query strings); and base64, standard and
    URL-safe, at every alignment, so it is found inside a longer encoded string such as an
    HTTP Basic header `base64("api:" + key)` echoed in a provider's error.
    """
    forms = {secret}
    for ascii_only in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        forms.add(escaped)
        forms.add(json.dumps(escaped, ensure_ascii=ascii_only)[1:-1])
    for plus in (False, True):
        quoted = (quote_plus if plus else quote)(secret, safe="")
        forms.update((quoted, quoted.lower()))
    forms.add(quote(secret))  # "/" left as is
    raw = secret.encode("utf-8")
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii").rstrip("=")
        # Characters that depend only on the secret: drop the group holding the prefix and a
        # final group that the bytes after the secret would change.
        start = 4 if offset else 0
        end = len(encoded) - ((offset + len(raw)) % 3 and (offset + len(raw)) % 3 + 1 or 0)
        middle = encoded[start:end]
        if len(middle) >= _MIN_ENCODED_LEN:
            forms.update((middle, middle.replace("+", "-").replace("/", "_")))
        if offset == 0:  # the whole encoding, padding included, when it stands alone
            full = base64.b64encode(raw).decode("ascii")
            forms.update((full, full.replace("+", "-").replace("/", "_"), full.rstrip("=")))
    return forms


class Scrubber:
    """Replaces known secret values in text: the last line of defence for server messages."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._raw: set[bytes] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> Scrubber:
        for s in secrets:
            if isinstance(s, str) and len(s) >= _MIN_SCRUB_LEN:
                self._secrets.update(f for f in encoded_forms(s) if len(f) >= _MIN_SCRUB_LEN)
                self._raw.add(s.encode("utf-8"))
        return self

    def extended(self, secrets: Iterable[str]) -> Scrubber:
        """A new scrubber knowing these secrets as well."""
        new = Scrubber()
        new._secrets, new._raw = set(self._secrets), set(self._raw)
        return new.add(secrets)

    def _decoded_hit(self, match: re.Match[str]) -> str:
        token = match.group()
        for alphabet in (None, b"-_"):
            try:
                data = base64.b64decode(token + "=" * (-len(token) % 4), altchars=alphabet, validate=True)
            except ValueError:
                continue
            if any(raw in data for raw in self._raw):
                return SECRET_MARKER
        return token

    def __call__(self, value: Any) -> Any:
        """Scrub a string, or every string inside a JSON-like structure."""
        if isinstance(value, str):
            if self._raw:  # base64 tokens that decode to text holding a secret (short secrets included)
                value = _BASE64_TOKEN.sub(self._decoded_hit, value)
            # Longest first, so a secret that contains another is removed whole.
            for s in sorted(self._secrets, key=len, reverse=True):
                if s in value:
                    value = value.replace(s, SECRET_MARKER)
            return value
        if isinstance(value, dict):
            return {self(k): self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        return value

    def __repr__(self) -> str:
        return f"Scrubber({len(self._secrets)} secrets)"


# Every secret this process has handed to a client: log lines are scrubbed of them too, whichever
# logger or handler the application configured (the filter sits on our own loggers).
_KNOWN = Scrubber()
_KNOWN_LOCK = threading.Lock()


def remember(secrets: Iterable[str]) -> None:
    with _KNOWN_LOCK:
        _KNOWN.add(secrets)


class ScrubbingFilter(logging.Filter):
    """Rewrites a log record whose message or exception text holds a known secret (any encoding)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is the logging module's to report
            return True
        with _KNOWN_LOCK:
            clean = _KNOWN(text)
            if record.exc_info and not record.exc_text:
                record.exc_text = _KNOWN(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        if clean != text:
            record.msg, record.args = clean, None
        return True


def scrubbed_logger(name: str) -> logging.Logger:
    """`logging.getLogger(name)` with the scrubbing filter attached (once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, ScrubbingFilter) for f in logger.filters):
        logger.addFilter(ScrubbingFilter())
    return logger
