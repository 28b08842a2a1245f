"""Wait until an SES identity can send, and refuse a sandboxed account where that matters.

Runs inside `pulumi up` before the connector is pushed: pushing a connector whose identity is
not verified would make every Logto email fail. Pure boto3 (SESv2 `GetEmailIdentity`,
`GetAccount`); the client is passed in, so tests point it at local servers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connectors.dns_records import Record

DKIM_OK = "SUCCESS"
DKIM_FAILED = "FAILED"


class SesNotReady(RuntimeError):
    """The identity did not become ready in time; the message lists what is pending."""


class SesSandboxed(RuntimeError):
    """The account is in the SES sandbox (can only send to verified addresses)."""


class SesCheckFailed(RuntimeError):
    """SES refused the check itself (permissions, region, throttling)."""


@dataclass(frozen=True)
class IdentityStatus:
    identity: str
    exists: bool
    verified_for_sending: bool = False
    dkim_status: str | None = None
    mail_from_status: str | None = None

    @property
    def ready(self) -> bool:
        return self.exists and self.verified_for_sending and self.dkim_status == DKIM_OK

    def pending(self) -> list[str]:
        if not self.exists:
            return [f"identity {self.identity} does not exist in SES (yet)"]
        out = []
        if not self.verified_for_sending:
            out.append(f"identity {self.identity} is not verified for sending")
        if self.dkim_status != DKIM_OK:
            out.append(f"DKIM status is {self.dkim_status or 'unknown'} (needs SUCCESS)")
        return out


@dataclass(frozen=True)
class Readiness:
    identity: str
    region: str
    production_access: bool | None
    polls: int
    waited_seconds: float
    notes: list[str] = field(default_factory=list)


def ses_call(client: Any, operation: str, region: str, **kwargs: Any) -> dict[str, Any] | None:
    """One SESv2 call; None when the resource does not exist; other errors explained."""
    try:
        return getattr(client, operation)(**kwargs)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        code = err.get("Code", "")
        if code in ("NotFoundException", "NotFound") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            return None
        hint = " (the deploying credentials need ses:GetEmailIdentity and ses:GetAccount)" if "Denied" in code else ""
        raise SesCheckFailed(f"SES {operation} failed in {region}: {code}: {err.get('Message', '')}{hint}") from None
    except BotoCoreError as exc:
        raise SesCheckFailed(f"SES {operation} failed in {region}: {type(exc).__name__}: {exc}") from None


def identity_status(client: Any, identity: str, region: str = "") -> IdentityStatus:
    data = ses_call(client, "get_email_identity", region, EmailIdentity=identity)
    if data is None:
        return IdentityStatus(identity, exists=False)
    return IdentityStatus(
        identity,
        exists=True,
        verified_for_sending=bool(data.get("VerifiedForSendingStatus")),
        dkim_status=(data.get("DkimAttributes") or {}).get("Status"),
        mail_from_status=(data.get("MailFromAttributes") or {}).get("MailFromDomainStatus"),
    )


def production_access(client: Any, region: str = "") -> bool:
    data = ses_call(client, "get_account", region) or {}
    return bool(data.get("ProductionAccessEnabled"))


def sandbox_message(region: str) -> str:
    return (
        f"the AWS account is still in the SES sandbox in {region}: it can only send to verified "
        "addresses, so your users would never get their codes. Request production access in the "
        f"console (https://{region}.console.aws.amazon.com/ses/home?region={region}#/account, "
        '"Request production access") or with `aws sesv2 put-account-details --region '
        f"{region} --production-access-enabled --mail-type TRANSACTIONAL --website-url "
        "https://<your site> --use-case-description '<how you send>'`, wait for AWS to approve, "
        "then run `pulumi up` again. (On a non-production stack, readiness.requireProductionAccess: "
        "false lets you continue.)"
    )


def _timeout_message(status: IdentityStatus, region: str, timeout: float, records: Iterable[Record]) -> str:
    lines = [f"SES identity {status.identity} ({region}) is not ready after {timeout:g}s:"]
    lines += [f"  - {p}" for p in status.pending()]
    recs = list(records)
    if recs:
        lines.append("  DNS records it needs (add any that are missing, then run `pulumi up` again):")
        lines += [f"    {r}" for r in recs]
    lines.append("  DNS changes can take a while to be seen; raise readiness.timeoutSeconds to wait longer.")
    return "\n".join(lines)


def wait_until_ready(
    client: Any,
    identity: str,
    *,
    region: str,
    timeout_seconds: float = 900,
    poll_seconds: float = 15,
    require_production_access: bool = False,
    records: Iterable[Record] = (),
    account_client: Any | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Readiness:
    """Poll until `identity` is verified for sending with DKIM SUCCESS, or raise.

    The sandbox check comes first: no amount of waiting fixes it, so it fails at once.
    """
    records = list(records)
    access: bool | None = None
    if require_production_access:
        access = production_access(account_client or client, region)
        if not access:
            raise SesSandboxed(sandbox_message(region))
    start = clock()
    polls = 0
    while True:
        status = identity_status(client, identity, region)
        polls += 1
        if status.ready:
            notes = []
            if status.mail_from_status not in (None, "SUCCESS"):
                notes.append(f"custom MAIL FROM is {status.mail_from_status}; SES uses amazonses.com until it succeeds")
            return Readiness(identity, region, access, polls, clock() - start, notes)
        if status.dkim_status == DKIM_FAILED:
            raise SesNotReady(_timeout_message(status, region, clock() - start, records).replace(
                "is not ready after", "failed DKIM verification after") +
                "\n  SES stopped checking: fix the CNAMEs, then re-create the identity (pulumi up --replace <identity urn>).")
        elapsed = clock() - start
        if elapsed >= timeout_seconds:
            raise SesNotReady(_timeout_message(status, region, timeout_seconds, records))
        sleep(min(poll_seconds, max(timeout_seconds - elapsed, 0)))
