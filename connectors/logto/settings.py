"""Timeouts and retry pacing of the Management API client.

Defaults suit a real tenant (Logto Cloud's firewall asks for about 200 requests per 10 s);
tests shrink the waits. `from_env` lets an operator tune a slow network without code changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class ClientSettings:
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    attempts: int = 5  # per call, first try included
    retry_timeout: float = 90.0  # give up retrying a call after this many seconds in total
    wait_initial: float = 0.5
    wait_max: float = 10.0
    wait_jitter: float = 0.5
    max_retry_after: float = 60.0  # never sleep longer than this on a Retry-After header
    token_margin: float = 60.0  # renew a token this long before it expires (at most a quarter of its life)

    @classmethod
    def from_env(cls, prefix: str = "LOGTO_EMAIL_") -> ClientSettings:
        """Defaults, overridden by e.g. LOGTO_EMAIL_READ_TIMEOUT=60."""
        overrides: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(prefix + f.name.upper())
            if raw:
                overrides[f.name] = int(raw) if f.type in (int, "int") else float(raw)
        return replace(cls(), **overrides)  # type: ignore[arg-type]
