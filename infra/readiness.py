"""The program side of SES readiness: when to run the boto3 check, and what to report.

- preview (`pulumi preview`, or `up` planning): nothing is created yet, report "pending";
- `pulumi up`: poll SES (connectors.aws.ses_readiness) and fail the update, before the connector
  is pushed, when the identity does not verify in time or a production account is sandboxed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pulumi

from connectors.dns_records import Record
from connectors.stack.models import ReadinessSpec

READY = "ready"
PENDING = "pending"


def should_run() -> str | None:
    """None when the check should run, else the status to report instead."""
    if pulumi.runtime.is_dry_run():
        return PENDING
    return None


def check_ses(identity: str, region: str, spec: ReadinessSpec, production: bool, records: list[Record]) -> str:
    """Run the boto3 check (blocking, bounded by spec.timeout_seconds); raise RunError if not ready."""
    import boto3

    from connectors.aws.ses_readiness import (
        SesCheckFailed,
        SesNotReady,
        SesSandboxed,
        wait_until_ready,
    )

    require = spec.require_production_access if spec.require_production_access is not None else production
    client = boto3.client("sesv2", region_name=region)
    try:
        result = wait_until_ready(
            client, identity, region=region, timeout_seconds=spec.timeout_seconds, poll_seconds=spec.poll_seconds,
            require_production_access=require, records=records,
        )
    except (SesNotReady, SesSandboxed, SesCheckFailed) as exc:
        raise pulumi.RunError(f"SES is not ready for {identity}: {exc}") from None
    for note in result.notes:
        pulumi.log.warn(f"{identity}: {note}")
    return READY


def ses_readiness(
    identity: pulumi.Output[str],
    region: str,
    spec: ReadinessSpec,
    production: bool,
    records: pulumi.Output[list[Record]],
    after: list[pulumi.Output[Any]],
) -> pulumi.Output[str]:
    """Readiness as an output that resolves only after `after` (the DNS records) exist."""

    def run(args: dict[str, Any]) -> Any:
        status = should_run()
        if status is not None:
            return status
        # Polling blocks for up to timeoutSeconds: off the event loop, so other tenants proceed.
        return asyncio.ensure_future(asyncio.to_thread(check_ses, args["identity"], region, spec, production, args["records"]))

    return pulumi.Output.all(identity=identity, records=records, after=pulumi.Output.all(*after)).apply(run)
