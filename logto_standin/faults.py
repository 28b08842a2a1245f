"""Fault injection: fail, delay or drop chosen requests, before or after they take effect.

`when="before"` answers with the fault and leaves the state untouched; `when="after"` applies
the request first (state changes!) and then replaces or drops the response, which is how a
client learns that a POST may have landed and must be checked, not repeated.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass
class Fault:
    method: str | None
    path: re.Pattern[str]
    status: int | None = 503
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop_connection: bool = False
    when: Literal["before", "after"] = "before"
    times: int | None = 1  # None: every matching request
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path.search(path) is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


class FaultInjector:
    """The server's fault table; thread-safe, first matching fault wins."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        method: str | None = None,
        path: str = r".*",
        status: int | None = 503,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drop_connection: bool = False,
        when: Literal["before", "after"] = "before",
        times: int | None = 1,
    ) -> Fault:
        """Register a fault. `status=None` with a `delay` only slows the request down."""
        if when not in ("before", "after"):
            raise ValueError("when must be 'before' or 'after'")
        fault = Fault(
            method=method,
            path=re.compile(path),
            status=status,
            body=body,
            headers=dict(headers or {}),
            delay=delay,
            drop_connection=drop_connection,
            when=when,
            times=times,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Claim the first matching fault for this request (counts a hit)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __iter__(self):  # type: ignore[no-untyped-def]
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)
