"""Logto's connector and factory records as plain data: the pure deploy core plans with them
without importing the HTTP client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.logto_facts import clean_deep


@dataclass(frozen=True)
class Connector:
    """A connector instance as Logto returns it. `config` holds secrets in clear: never print it."""

    id: str
    factory_id: str
    type: str
    config: dict[str, Any] = field(repr=False)

    def matches(self, factory_id: str, config: dict[str, Any]) -> bool:
        return self.factory_id == factory_id and clean_deep(self.config) == clean_deep(config)


@dataclass(frozen=True)
class Factory:
    id: str
    type: str
    name: str = ""
