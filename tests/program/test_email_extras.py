"""The program's i18n-template rows and sign-in-experience resources: when, what, and in which order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.connector_config import render_tenant, template_sender
from connectors.stack import load_stack
from connectors.deploy import email_templates as deploy_templates
from connectors.templates import email_template_rows
from infra.email_templates import desired_rows
from tests.program.harness import ROOT, is_secret, leaked, unwrap

pytestmark = pytest.mark.program

TEMPLATES_TYPE = "pulumi-python:dynamic/logto:EmailTemplates"
SIGN_IN_TYPE = "pulumi-python:dynamic/logto:SignInEmail"
CONNECTOR_TYPE = "pulumi-python:dynamic/logto:EmailConnector"


def _stack(path: Path):
    return load_stack(ROOT, path.name[len("Pulumi."):-len(".yaml")])


def test_templates_and_sign_in_resources_follow_the_spec(stack_runs, stack_file) -> None:
    run = stack_runs[stack_file.name]
    assert run.error is None, repr(run.error)
    spec = _stack(stack_file)
    for key, tenant in spec.tenants.items():
        component = run.named(key)
        children = [r for r in run.registrations if r.parent == component.urn]
        templates = [r for r in children if r.type == TEMPLATES_TYPE]
        sign_in = [r for r in children if r.type == SIGN_IN_TYPE]
        connector = next(r for r in children if r.type == CONNECTOR_TYPE)
        if tenant.templates.storage == "logto":
            assert len(templates) == 1, key
            expected = email_template_rows(tenant.factory_id, render_tenant(tenant, ROOT), template_sender(tenant))
            # one digest of the rows in the state; the provider renders the rows from `source`, exactly these
            inputs = unwrap(templates[0].inputs)
            assert inputs["digest"] == deploy_templates.set_digest(deploy_templates.digests(expected))
            assert desired_rows(inputs) == expected
            assert isinstance(inputs["source"], str) and json.loads(inputs["source"])["render"]["locales"] == list(tenant.locales)
            assert templates[0].inputs.get("templates") is None
            assert is_secret(templates[0].inputs["app_secret"])
            # after the connector (each changed locale is test-sent through it), removed before it
            assert connector.urn in templates[0].dependencies
            assert templates[0].inputs.get("test_recipient") == tenant.test_recipient
        else:
            assert templates == [], key
        declared = tenant.sign_in_experience
        if declared is not None:
            assert len(sign_in) == 1, key
            reg = sign_in[0]
            # The ordering guarantee: a dependent is created after, and deleted before, its dependency.
            assert connector.urn in reg.dependencies
            assert reg.inputs.get("email_sign_up") == declared.email_sign_up
            assert reg.inputs.get("email_sign_in") == declared.email_sign_in
            assert reg.inputs.get("forgot_password") == declared.forgot_password
            for name, value in declared.resource_inputs().items():  # the email policy too, Logto's keys
                assert unwrap(reg.inputs.get(name)) == value, (key, name)
            assert is_secret(reg.inputs["app_secret"])
            assert run.registrations.index(connector) < run.registrations.index(reg)
        else:
            assert sign_in == [], key
        # flags and the wait are left out of the state at their defaults
        assert connector.inputs.get("allow_untested_changes") == (tenant.allow_untested_changes or None)
        assert connector.inputs.get("credential_wait") == (60 if tenant.provider.type in ("aws-ses", "ses-smtp") else None)


def test_no_secret_leaks_through_the_new_resources(stack_runs, stack_file) -> None:
    run = stack_runs[stack_file.name]
    assert leaked(run) == []
