"""The deploy step: plan and apply the tenant's one active email connector safely."""

from connectors.deploy.diff import Change, config_changes
from connectors.deploy.engine import (
    DeployError,
    LiveChanged,
    Outcome,
    SignInNeedsEmail,
    TestSendFailed,
    TestSendRequired,
    VerificationFailed,
    apply,
    delete,
    deploy,
    describe_state,
    plan,
    read,
)
from connectors.deploy.guard import email_dependencies, live_email_dependencies
from connectors.deploy.plan import Action, Desired, Plan, make_plan

__all__ = [
    "Action", "Change", "DeployError", "Desired", "LiveChanged", "Outcome", "Plan", "SignInNeedsEmail",
    "TestSendFailed", "TestSendRequired", "VerificationFailed", "apply", "config_changes", "delete", "deploy",
    "describe_state", "email_dependencies", "live_email_dependencies", "make_plan", "plan", "read",
]
