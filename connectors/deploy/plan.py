"""Decide what it takes to make the tenant's email connector the desired one.

Pure: takes the live connector (or None) and the desired factory + config, returns one action
and a summary safe to print. A provider switch is one POST (Logto replaces atomically); a
delete is never part of a plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from connectors.deploy.diff import Change, config_changes
from connectors.logto.records import Connector


class Action(StrEnum):
    NOOP = "noop"  # the recorded connector is live and as desired
    CREATE = "create"  # the tenant has no email connector: POST
    ADOPT = "adopt"  # an unrecorded connector is already as desired: record it, no write
    UPDATE = "update"  # same factory, other config: PATCH the whole config
    SWITCH = "switch"  # other factory: POST, which atomically replaces the old one


@dataclass(frozen=True)
class Desired:
    factory_id: str
    config: dict[str, Any] = field(repr=False)  # exact Logto JSON, secrets in clear
    test_recipient: str | None = None
    allow_sign_in_breakage: bool = False
    allow_untested_changes: bool = False  # the tenant's explicit opt-out of the test-send requirement
    credential_wait: float = 0.0  # seconds to keep re-trying a test-send the provider refused for credentials (a new key)


@dataclass(frozen=True)
class Plan:
    action: Action
    desired: Desired
    live: Connector | None
    changes: tuple[Change, ...] = ()
    adopted: bool = False  # the live connector was not the one we had recorded

    @property
    def writes(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE, Action.SWITCH)

    @property
    def summary(self) -> str:
        want = self.desired.factory_id
        live = self.live
        if self.action is Action.NOOP:
            return f"noop: {want} connector {live.id if live else '?'} is up to date"
        if self.action is Action.CREATE:
            return f"create {want} (the tenant has no email connector)"
        if self.action is Action.ADOPT:
            return f"adopt {want} connector {live.id if live else '?'} (already as desired, no change)"
        if self.action is Action.SWITCH:
            assert live is not None
            return f"switch {live.factory_id} → {want} (replaces connector {live.id} in one atomic POST)"
        head = f"adopt {want} connector {live.id if live else '?'}, update" if self.adopted else "update"
        return f"{head}: {', '.join(str(c) for c in self.changes)}"

    def __str__(self) -> str:
        return self.summary


def make_plan(live: Connector | None, desired: Desired, known_id: str | None = None) -> Plan:
    """The plan for `desired`, given the live email connector and the id Pulumi recorded."""
    if live is None:
        return Plan(Action.CREATE, desired, None)
    if live.factory_id != desired.factory_id:
        return Plan(Action.SWITCH, desired, live, tuple(config_changes(live.config, desired.config)))
    changes = tuple(config_changes(live.config, desired.config))
    adopted = known_id is None or known_id != live.id
    if not changes:
        return Plan(Action.ADOPT if adopted else Action.NOOP, desired, live, (), adopted)
    return Plan(Action.UPDATE, desired, live, changes, adopted)
