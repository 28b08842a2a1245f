"""Which parts of a Logto connector config are secret, and how to keep them out of text.

The deploy step only sees the plain Logto JSON (secrets revealed, as they go on the wire), so it
decides what is secret by key name. Over-masking is harmless; under-masking leaks a credential
into a plan summary, a log line or an exception, so the list errs on the wide side.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from connectors.secret import SECRET_MARKER

# Exact key names (lower-cased) that hold secrets in the eight email factories' configs and in
# the HTTP headers some of them carry.
SECRET_KEYS: frozenset[str] = frozenset(
    {
        "apikey", "accesskeysecret", "pass", "password", "servertoken", "authorization",
        "clientsecret", "privatekey", "refreshtoken", "accesstoken", "appsecret", "secret",
        "token", "passphrase", "key", "pfx", "secretaccesskey", "apisecret", "x-api-key",
        "cookie", "proxy-authorization",
    }
)
# Substrings that make any key secret (e.g. `smtpPassword`, `webhookSecret`, `authToken`).
_SECRET_PARTS = ("secret", "password", "passwd", "token", "passphrase", "privatekey", "apikey", "credential")

# Shorter strings are not scrubbed from text: they would mangle ordinary words, and a credential
# that short is not one Logto's factories accept anyway.
_MIN_SCRUB_LEN = 4


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


class Scrubber:
    """Replaces known secret values in text: the last line of defence for server messages."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> "Scrubber":
        for s in secrets:
            if isinstance(s, str) and len(s) >= _MIN_SCRUB_LEN:
                self._secrets.add(s)
                # Logto nests connector errors as JSON inside its message: catch escaped forms too.
                escaped = json.dumps(s)[1:-1]
                self._secrets.add(escaped)
                self._secrets.add(json.dumps(escaped)[1:-1])
        return self

    def extended(self, secrets: Iterable[str]) -> "Scrubber":
        """A new scrubber knowing these secrets as well."""
        return Scrubber(self._secrets).add(secrets)

    def __call__(self, value: Any) -> Any:
        """Scrub a string, or every string inside a JSON-like structure."""
        if isinstance(value, str):
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
