"""M2M access tokens: client credentials, cached per (endpoint, app, resource, secret) process-wide.

Logto issues no refresh token, so a token is simply fetched again shortly before it expires, or
at once when the API says it is no longer accepted (a 401 drops it). The key holds a keyed digest
of the app secret: a wrong or rotated-away secret never reuses a token the right one obtained.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

_Key = tuple[str, str, str, str]
# Per process: the digest in a cache key cannot be compared with anything outside this process.
_DIGEST_KEY = secrets.token_bytes(32)


def secret_digest(secret: str) -> str:
    """A keyed digest of the app secret, for cache keys (never the secret, nor its plain hash)."""
    return hmac.new(_DIGEST_KEY, secret.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Token:
    value: str = field(repr=False)
    expires_at: float  # time.monotonic() deadline
    renew_at: float

    def fresh(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) < self.renew_at


class TokenCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[_Key, Token] = {}

    def get(self, key: _Key) -> Token | None:
        with self._lock:
            token = self._tokens.get(key)
            return token if token is not None and token.fresh() else None

    def put(self, key: _Key, value: str, expires_in: float, margin: float) -> Token:
        now = time.monotonic()
        margin = min(margin, max(expires_in, 0) / 4)
        token = Token(value, now + expires_in, now + expires_in - margin)
        with self._lock:
            self._tokens[key] = token
        return token

    def drop(self, key: _Key, value: str | None = None) -> None:
        """Forget the token (only if it is still `value`, so a racing renewal is kept)."""
        with self._lock:
            current = self._tokens.get(key)
            if current is not None and (value is None or current.value == value):
                del self._tokens[key]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()

    def __repr__(self) -> str:
        return f"TokenCache({len(self._tokens)} tokens)"


TOKENS = TokenCache()
