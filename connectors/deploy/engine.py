"""Apply a plan without ever leaving the tenant unable to send sign-in emails.

Order: test-send the desired config (nothing changes if it fails) → PATCH or POST → read back
and compare → on any failure after a change, put the previous factory + config back (a POST
again replaces atomically) and say exactly what state the tenant is in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from connectors.logto.masking import scrubbed_logger
from connectors.deploy.diff import config_changes
from connectors.deploy.guard import email_dependencies
from connectors.deploy.plan import Action, Desired, Plan, make_plan
from connectors.logto.client import Connector, LogtoClient
from connectors.logto.errors import LogtoError, Unprocessable

log = scrubbed_logger(__name__)


class DeployError(Exception):
    """The connector could not be brought to the desired state. Text never holds a secret."""

    def __init__(self, message: str, *, summary: str = "", restored: bool | None = None, state: str = "") -> None:
        self.summary = summary
        self.restored = restored  # True: previous connector back; False: restore failed; None: nothing to restore
        self.state = state
        super().__init__(message)


class TestSendFailed(DeployError):
    """The pre-flight message did not go out; the tenant was not touched."""


class VerificationFailed(DeployError):
    """Logto stored something other than what was sent."""


class SignInNeedsEmail(DeployError):
    """Deleting the email connector would lock users out."""

    def __init__(self, message: str, blockers: list[str]) -> None:
        self.blockers = blockers
        super().__init__(message)


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
    return apply(client, plan(client, desired, known_id))


def apply(client: LogtoClient, the_plan: Plan) -> Outcome:
    desired = the_plan.desired
    summary = the_plan.summary
    if not the_plan.writes:
        assert the_plan.live is not None
        log.info("email connector: %s", summary)
        return Outcome(the_plan.action, the_plan.live, summary)

    if desired.test_recipient:
        try:
            client.test_send(desired.factory_id, desired.config, desired.test_recipient, desired.test_locale)
        except LogtoError as exc:
            raise TestSendFailed(
                f"{summary}: the test message through the desired {desired.factory_id} config to "
                f"{desired.test_recipient} failed, so nothing was changed: {exc}",
                summary=summary,
                state="unchanged",
            ) from None
        log.info("email connector: test message sent to %s", desired.test_recipient)

    previous = the_plan.live
    try:
        if the_plan.action is Action.UPDATE:
            assert previous is not None
            client.update_connector_config(previous.id, desired.config)
        else:
            client.create_connector(desired.factory_id, desired.config)
        live = client.get_email_connector()
        _verify(live, desired.factory_id, desired.config, "the desired")
    except (LogtoError, VerificationFailed) as exc:
        raise _rollback(client, the_plan, exc) from None
    assert live is not None
    log.info("email connector: %s (now %s)", summary, live.id)
    return Outcome(the_plan.action, live, summary)


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


def _rollback(client: LogtoClient, the_plan: Plan, cause: Exception) -> DeployError:
    summary = the_plan.summary
    previous = the_plan.live
    head = f"{summary}: failed: {cause}"
    if previous is None:
        state = describe_state(client, the_plan.desired, None)
        return DeployError(
            f"{head}. The tenant had no email connector before, so there is nothing to restore; now it has {state}.",
            summary=summary, restored=None, state=state,
        )
    try:
        live = client.get_email_connector()
        if live is not None and live.matches(previous.factory_id, previous.config):
            return DeployError(
                f"{head}. The previous {previous.factory_id} connector {live.id} is unchanged.",
                summary=summary, restored=True, state=f"the previous {previous.factory_id} connector {live.id}",
            )
        payload = sendable(previous.factory_id, previous.config)
        if live is not None and live.factory_id == previous.factory_id:
            client.update_connector_config(live.id, payload)
        else:
            client.create_connector(previous.factory_id, payload)
        restored = client.get_email_connector()
        _verify(restored, previous.factory_id, previous.config, "the previous")
    except (LogtoError, VerificationFailed) as exc2:
        state = describe_state(client, the_plan.desired, previous)
        return DeployError(
            f"{head}. Restoring the previous {previous.factory_id} connector failed too ({exc2}). "
            f"The tenant now has {state}.",
            summary=summary, restored=False, state=state,
        )
    assert restored is not None
    log.warning("email connector: %s failed; previous %s connector restored as %s", summary, previous.factory_id, restored.id)
    return DeployError(
        f"{head}. The previous {previous.factory_id} connector was restored (id {restored.id}).",
        summary=summary, restored=True, state=f"the previous {previous.factory_id} connector {restored.id}",
    )


def describe_state(client: LogtoClient, desired: Desired, previous: Connector | None) -> str:
    """What email connector the tenant has right now, in words, without values."""
    try:
        live = client.get_email_connector()
    except LogtoError as exc:
        return f"an unknown email connector state (could not read it: {exc})"
    if live is None:
        return "NO email connector: email sign-in, sign-up and password reset cannot send codes until one is created"
    if live.matches(desired.factory_id, desired.config):
        return f"the new {live.factory_id} connector {live.id}, as desired"
    if previous is not None and live.matches(previous.factory_id, previous.config):
        return f"the previous {live.factory_id} connector {live.id}"
    ref = desired.config if live.factory_id == desired.factory_id else (previous.config if previous else {})
    diff = ", ".join(str(c) for c in config_changes(live.config, ref)) or "(unknown)"
    return f"a {live.factory_id} connector {live.id} whose config matches neither the desired nor the previous one (differs at: {diff})"


def delete(client: LogtoClient, *, allow_sign_in_breakage: bool = False) -> str | None:
    """Delete the tenant's email connector unless sign-in still needs it; the deleted id, or None."""
    live = client.get_email_connector()
    if live is None:
        return None
    blockers = email_dependencies(client.get_sign_in_experience())
    if blockers and not allow_sign_in_breakage:
        raise SignInNeedsEmail(
            f"refusing to delete the {live.factory_id} email connector {live.id}: the sign-in experience "
            f"still needs email for: {'; '.join(blockers)}. Users would no longer receive sign-in, sign-up "
            "or password-reset codes. Change these settings first (Console → Sign-in experience, or "
            "PATCH /api/sign-in-exp), or set allow_sign_in_breakage=true to delete anyway.",
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
                f"({exc})"
            ) from None
        raise
    log.info("email connector %s (%s) deleted", live.id, live.factory_id)
    return live.id
