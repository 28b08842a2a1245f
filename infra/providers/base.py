"""What every provider module hands back to `TenantEmail`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from connectors.dns_records import Record

NOT_APPLICABLE = "n/a"  # readiness of providers with nothing to wait for


@dataclass
class PlannedRecord:
    """A DNS record whose name/value may only be known after apply (e.g. DKIM tokens)."""

    key: str  # stable part of the Pulumi resource name
    type: str
    record: pulumi.Output[Record] | Record  # plain when known while the program runs (no Output to resolve)


@dataclass
class ProviderResult:
    """The provider's resources as the connector needs them.

    generated: values only `pulumi up` knows, keyed as `build_connector_config` expects.
    waits_for: resources the connector must not be pushed before (DNS, identity, policy, key).
    dns_records: every record the provider needs (created in Route53 or not).
    dns_to_create: the records someone must create by hand (DNS managed elsewhere), else [].
    exports: what the stack exports for the provider beside the records (alarm names, topic ARNs, the relay's egress IP to allowlist); nothing secret.
    """

    component: pulumi.ComponentResource
    generated: dict[str, Any] = field(default_factory=dict)
    waits_for: Sequence[pulumi.Resource] = field(default_factory=list)
    dns_records: pulumi.Input[list[dict[str, Any]]] = field(default_factory=list)
    dns_to_create: pulumi.Input[list[dict[str, Any]]] = field(default_factory=list)
    readiness: pulumi.Output[str] = field(default_factory=lambda: pulumi.Output.from_input(NOT_APPLICABLE))
    exports: dict[str, Any] = field(default_factory=dict)  # extra per-tenant stack outputs (nothing secret)


def slug(text: str) -> str:
    """A resource-name-safe, stable rendering of a DNS name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def secret(value: Any) -> pulumi.Output[Any]:
    """A spec Secret (or plain value / Output) as a Pulumi secret output."""
    reveal = getattr(value, "reveal", None)
    return pulumi.Output.secret(reveal() if callable(reveal) else value)
