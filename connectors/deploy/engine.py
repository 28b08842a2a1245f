"""Apply a plan without ever leaving the tenant unable to send sign-in emails.

Order: test-send the desired config (nothing changes if it fails; without a test recipient the
change is refused while anything on the tenant needs email, unless the tenant opted out) →
check that the live connector is still what the plan saw → PATCH or POST → read back.

After a failure the live state decides, by compare and swap: live equals desired → the run
succeeded after all; live is what this run found → nothing changed; live is what this run wrote
but not what was desired → the previous connector is put back; anything else is somebody
else's change → nothing is written and the error names what is live.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from connectors.logto.masking import scrubbed_logger
from connectors.deploy.diff import config_changes
from connectors.deploy.guard import live_email_dependencies
from connectors.deploy.plan import Action, Desired, Plan, make_plan
from connectors.logto.client import Connector, LogtoClient
from connectors.logto.errors import LogtoError, MoreThanOneEmailConnector, Unprocessable

log = scrubbed_logger(__name__)


class DeployError(Exception):
    """The connector could not be brought to the desired state. Text never holds a secret."""

    def __init__(self, message: str, *, summary: str = "", restored: bool | None = None, state: str = "") -> None:
        self.summary = summary
        self.restored = restored  # True: previous connector live (back or never left); False: it is not; None: nothing to restore
        self.state = state
        super().__init__(message)


class TestSendFailed(DeployError):
    """The pre-flight message did not go out; the tenant was not touched."""


class TestSendRequired(DeployError):
    """The tenant needs email and the change could not be test-sent (no test recipient)."""


class LiveChanged(DeployError):
    """The live connector is not what this run saw or wrote: somebody else changed it."""


class VerificationFailed(DeployError):
    """Logto stored something other than what was sent."""


class SignInNeedsEmail(DeployError):
    """Deleting the email connector would lock users out."""

    def __init__(self, message: str, blockers: list[str]) -> None:
        self.blockers = blockers
        super().__init__(message, state="unchanged (nothing was deleted)")


@dataclass(frozen=True)
class Outcome:
    action: Action
    connector: Connector
    summary: str


def read(client: LogtoClient) -> Connector | None:
    """The live email connector (for `pulumi refresh`)."""
    return client.get_email_connector()


def plan(client: LogtoClient, desired: Desired, known_id: str | None = None) -> Plan:
    return make_plan(client.get_email_connector(), desired, known_id)


def deploy(client: LogtoClient, desired: Desired, known_id: str | None = None) -> Outcome:
    """Plan against the live tenant and apply."""
    try:
        the_plan = plan(client, desired, known_id)
    except MoreThanOneEmailConnector:
        raise  # the tenant's database is inconsistent: its own error says how to fix it
    except LogtoError as exc:
        raise DeployError(
            f"could not read the tenant's email connector, so nothing was changed: {exc}",
            restored=None, state="unchanged (nothing was written)",
        ) from None
    return apply(client, the_plan)


def apply(client: LogtoClient, the_plan: Plan) -> Outcome:
    desired = the_plan.desired
    summary = the_plan.summary
    if not the_plan.writes:
        assert the_plan.live is not None
        log.info("email connector: %s", summary)
        return Outcome(the_plan.action, the_plan.live, summary)

    preflight(client, desired, summary)
    previous = the_plan.live
    try:
        _still_as_planned(client, the_plan)
    except LogtoError as exc:
        raise DeployError(
            f"{summary}: could not check the live connector before writing, so nothing was changed: {exc}",
            summary=summary, restored=None, state="unchanged (nothing was written)",
        ) from None
    written: Connector | None = None
    try:
        if the_plan.action is Action.UPDATE:
            assert previous is not None
            written = client.update_connector_config(previous.id, desired.config)
        else:
            written = client.create_connector(desired.factory_id, desired.config)
        live = client.get_email_connector()
        _verify(live, desired.factory_id, desired.config, "the desired")
    except (LogtoError, VerificationFailed) as exc:
        return _settle(client, the_plan, written, exc)
    assert live is not None
    log.info("email connector: %s (now %s)", summary, live.id)
    return Outcome(the_plan.action, live, summary)


def preflight(client: LogtoClient, desired: Desired, summary: str) -> None:
    """Test-send the desired config; without a recipient, refuse while the tenant needs email."""
    if desired.test_recipient:
        waited = _test_send_once_credentials_work(client, desired, summary)
        log.info("email connector: test message sent to %s%s", desired.test_recipient,
                 f" (the new credentials were accepted after {waited:.0f} s)" if waited else "")
        return
    try:
        needs = live_email_dependencies(client)
    except LogtoError as exc:
        raise TestSendRequired(
            f"{summary}: no test recipient, and whether the tenant needs email could not be read ({exc}); "
            "nothing was changed",
            summary=summary, state="unchanged (nothing was written)",
        ) from None
    if not needs:
        return
    if desired.allow_untested_changes:
        log.warning(
            "email connector: %s goes live without a test message although the tenant needs email (%s): "
            "allowed by allowUntestedChanges", summary, "; ".join(needs),
        )
        return
    raise TestSendRequired(
        f"{summary}: refused, nothing was changed: the tenant needs email ({'; '.join(needs)}) and the change "
        "cannot be test-sent because the tenant has no testRecipient. Set testRecipient (a mailbox that gets a "
        "test message before every change), or set allowUntestedChanges: true for this tenant to accept untested changes.",
        summary=summary, state="unchanged (nothing was written)",
    )


# What a provider answers while a just-created key is not valid yet (IAM keys take seconds to
# propagate); nothing was sent, so only this answer is retried, never another failure.
_NOT_YET_VALID = (
    "security token included in the request is invalid",
    "invalidclienttokenid",
    "unrecognizedclientexception",
    "signaturedoesnotmatch",
    "request signature we calculated does not match",
    "invalidaccesskeyid",
    "535 authentication credentials invalid",  # SES SMTP: the SMTP password derived from a new key
)


def _credentials_not_yet_valid(exc: LogtoError) -> bool:
    text = " ".join(str(x) for x in (exc, getattr(exc, "data", ""), getattr(exc, "details", ""))).lower()
    return getattr(exc, "code", None) == "connector.general" and any(m in text for m in _NOT_YET_VALID)


def _test_send_once_credentials_work(client: LogtoClient, desired: Desired, summary: str) -> float:
    """Test-send; while the provider refuses the credentials and `credential_wait` allows, wait
    and send again (bounded). Returns how long it waited."""
    start = time.monotonic()
    pause = min(2.0, max(desired.credential_wait / 10, 0.01))
    while True:
        try:
            client.test_send(desired.factory_id, desired.config, desired.test_recipient or "", desired.test_locale)
            return time.monotonic() - start
        except LogtoError as exc:
            waited = time.monotonic() - start
            if _credentials_not_yet_valid(exc) and waited + pause <= desired.credential_wait:
                log.info("email connector: the provider does not accept the credentials yet; retrying in %.1f s", pause)
                time.sleep(pause)
                continue
            hint = (
                f" The provider still refused the credentials after {waited:.0f} s (the bound is "
                f"{desired.credential_wait:.0f} s): a new key may need longer to become valid, or it is wrong; run again "
                "in a minute, and check the key if it keeps failing."
                if _credentials_not_yet_valid(exc) and desired.credential_wait else ""
            )
            raise TestSendFailed(
                f"{summary}: the test message through the desired {desired.factory_id} config to "
                f"{desired.test_recipient} failed, so nothing was changed: {exc}.{hint}",
                summary=summary,
                state="unchanged (nothing was written)",
            ) from None


def _still_as_planned(client: LogtoClient, the_plan: Plan) -> None:
    """Compare before swap: write only while the live connector is the one the plan saw."""
    live = client.get_email_connector()
    seen = the_plan.live
    same = (live is None and seen is None) or (
        live is not None and seen is not None and live.id == seen.id and live.matches(seen.factory_id, seen.config)
    )
    if not same:
        now = _words(live, the_plan.desired, seen)
        raise LiveChanged(
            f"{the_plan.summary}: the email connector changed since this run read it, so nothing was written; "
            f"live now: {now}. Run again to plan against it.",
            summary=the_plan.summary, restored=None, state=now,
        )


def sendable(factory_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    """A config read back from Logto, made acceptable to its guard again.

    Logto's clean-deep drops keys its guard requires (SMTP `auth: {}`), so a stored config
    cannot always be sent back as is; the factory model knows what to put back.
    """
    from connectors.factories import FACTORIES

    model = FACTORIES.get(factory_id)
    return model.payload_from_stored(stored) if model is not None else dict(stored)


def _verify(live: Connector | None, factory_id: str, config: dict[str, Any], what: str) -> None:
    if live is None:
        raise VerificationFailed(f"read-back found no email connector after writing {what} config")
    if live.factory_id != factory_id:
        raise VerificationFailed(f"read-back found factory {live.factory_id}, expected {factory_id}")
    changes = config_changes(live.config, config)
    if changes:
        raise VerificationFailed(
            f"read-back of connector {live.id} differs from {what} config at: {', '.join(str(c) for c in changes)}"
        )


def _settle(client: LogtoClient, the_plan: Plan, written: Connector | None, cause: Exception) -> Outcome:
    """After a failed write or read-back: succeed, report, or put back, as the live state says."""
    desired, previous, summary = the_plan.desired, the_plan.live, the_plan.summary
    head = f"{summary}: failed: {cause}"
    try:
        live = client.get_email_connector()
    except LogtoError as exc:
        raise DeployError(
            f"{head}. The live state could not be read afterwards ({exc}), so nothing was rolled back; "
            "run again (it reads the tenant first).",
            summary=summary, restored=None, state="unknown (could not be read)",
        ) from None
    if live is not None and live.matches(desired.factory_id, desired.config):
        log.warning("email connector: %s: live is as desired (%s) despite: %s", summary, live.id, cause)
        return Outcome(the_plan.action, live, f"{summary} (confirmed by a second read)")
    if previous is not None and live is not None and live.id == previous.id and live.matches(previous.factory_id, previous.config):
        raise DeployError(
            f"{head}. Nothing changed: the previous {previous.factory_id} connector {live.id} is live, as before.",
            summary=summary, restored=True, state=f"the previous {previous.factory_id} connector {live.id}",
        )
    if previous is None and live is None:
        raise DeployError(
            f"{head}. Nothing was created: the tenant has no email connector, as before.",
            summary=summary, restored=None, state="no email connector, as before",
        )
    ours = written is not None and live is not None and live.id == written.id and live.matches(written.factory_id, written.config)
    if not ours:
        state = _words(live, desired, previous)
        raise LiveChanged(
            f"{head}. The live email connector is neither what this run wrote nor what it found, so nothing was "
            f"written (somebody else changed it): live now: {state}.",
            summary=summary, restored=False, state=state,
        )
    assert live is not None
    if previous is None:
        state = _words(live, desired, previous)
        raise DeployError(
            f"{head}. The tenant had no email connector before, so there is nothing to restore; now it has {state}.",
            summary=summary, restored=None, state=state,
        )
    return _put_back(client, the_plan, live, head)


def _put_back(client: LogtoClient, the_plan: Plan, ours: Connector, head: str) -> Outcome:
    """Restore the previous connector over the one this run wrote (still live, checked just before)."""
    previous, summary = the_plan.live, the_plan.summary
    assert previous is not None
    payload = sendable(previous.factory_id, previous.config)
    try:
        if ours.factory_id == previous.factory_id:
            client.update_connector_config(ours.id, payload)
        else:
            client.create_connector(previous.factory_id, payload)
        restored = client.get_email_connector()
        _verify(restored, previous.factory_id, previous.config, "the previous")
    except (LogtoError, VerificationFailed) as exc2:
        state = describe_state(client, the_plan.desired, previous)
        raise DeployError(
            f"{head}. Restoring the previous {previous.factory_id} connector failed too ({exc2}). "
            f"The tenant now has {state}.",
            summary=summary, restored=False, state=state,
        ) from None
    assert restored is not None
    log.warning("email connector: %s failed; previous %s connector restored as %s", summary, previous.factory_id, restored.id)
    raise DeployError(
        f"{head}. The previous {previous.factory_id} connector was restored (id {restored.id}).",
        summary=summary, restored=True, state=f"the previous {previous.factory_id} connector {restored.id}",
    )


def describe_state(client: LogtoClient, desired: Desired, previous: Connector | None) -> str:
    """What email connector the tenant has right now, in words, without values."""
    try:
        live = client.get_email_connector()
    except LogtoError as exc:
        return f"an unknown email connector state (could not read it: {exc})"
    return _words(live, desired, previous)


def _words(live: Connector | None, desired: Desired, previous: Connector | None) -> str:
    if live is None:
        return "NO email connector: email sign-in, sign-up and password reset cannot send codes until one is created"
    if live.matches(desired.factory_id, desired.config):
        return f"the new {live.factory_id} connector {live.id}, as desired"
    if previous is not None and live.matches(previous.factory_id, previous.config):
        return f"the previous {live.factory_id} connector {live.id}"
    ref = desired.config if live.factory_id == desired.factory_id else (previous.config if previous else {})
    diff = ", ".join(str(c) for c in config_changes(live.config, ref)) or "(unknown)"
    return f"a {live.factory_id} connector {live.id} whose config matches neither the desired nor the previous one (differs at: {diff})"


def delete(client: LogtoClient, *, allow_sign_in_breakage: bool = False, expected_id: str | None = None) -> str | None:
    """Delete the tenant's email connector unless anything still needs email; the deleted id, or None.

    `expected_id`: the connector this stack recorded; another live connector is somebody else's
    and is not deleted (compare and swap). A failed DELETE is judged by reading the tenant again.
    """
    try:
        live = client.get_email_connector()
    except LogtoError as exc:
        raise DeployError(
            f"could not read the tenant's email connector, so nothing was deleted: {exc}",
            restored=None, state="unchanged (nothing was deleted)",
        ) from None
    if live is None:
        return None
    try:
        return _delete(client, live, allow_sign_in_breakage, expected_id)
    except (Unprocessable, DeployError):
        raise
    except LogtoError as exc:
        try:
            now = client.get_email_connector()
        except LogtoError as exc2:
            raise DeployError(
                f"deleting the {live.factory_id} email connector {live.id} failed ({exc}) and the tenant could not "
                f"be read afterwards ({exc2}); run again to see where it is",
                restored=None, state="unknown (could not be read)",
            ) from None
        if now is None or now.id != live.id:
            log.info("email connector %s (%s) deleted (confirmed by a second read)", live.id, live.factory_id)
            return live.id
        raise DeployError(
            f"deleting the {live.factory_id} email connector {live.id} failed ({exc}); it is still live, unchanged",
            restored=None, state=f"the {live.factory_id} connector {live.id}, still live",
        ) from None


def _delete(client: LogtoClient, live: Connector, allow_sign_in_breakage: bool, expected_id: str | None) -> str | None:
    if live is None:
        return None
    if expected_id and live.id != expected_id:
        raise LiveChanged(
            f"refusing to delete the {live.factory_id} email connector {live.id}: it is not the connector this "
            f"stack recorded ({expected_id}), so somebody else replaced it; nothing was deleted. Run "
            "`pulumi refresh` to take it over first if it should go.",
            restored=None, state=f"a {live.factory_id} connector {live.id} (not ours)",
        )
    blockers = live_email_dependencies(client)
    if blockers and not allow_sign_in_breakage:
        raise SignInNeedsEmail(
            f"refusing to delete the {live.factory_id} email connector {live.id}: the tenant "
            f"still needs email for: {'; '.join(blockers)}. Users would no longer receive sign-in, sign-up, "
            "password-reset or invitation emails. Change these settings first (Console → Sign-in experience, "
            "account center, organization invitations, or PATCH /api/sign-in-exp), or set "
            "allow_sign_in_breakage=true to delete anyway.",
            blockers,
        )
    if blockers:
        log.warning("deleting the email connector although sign-in needs it (%s): allowed by override", "; ".join(blockers))
    try:
        client.delete_connector(live.id, missing_ok=True)
    except Unprocessable as exc:
        if exc.code == "sign_in_experiences.password_expiration_requires_forgot_password":
            raise DeployError(
                f"Logto refused to delete the {live.factory_id} email connector {live.id}: password expiration "
                "is enabled and forgot-password relies on email, so users with expired passwords could not "
                "reset them. Disable passwordExpiration or add another forgot-password method first. "
                f"({exc})", state=f"the {live.factory_id} connector {live.id}, still live",
            ) from None
        raise
    log.info("email connector %s (%s) deleted", live.id, live.factory_id)
    return live.id
