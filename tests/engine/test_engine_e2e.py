"""End to end under the real Pulumi engine: preview, up, refresh, destroy, import, secrets.

Each test deploys this project's program (`infra/`) with the engine from scripts/pulumi-engine
on a `file://` backend, against the Logto stand-in and an AUTH-requiring SMTP sink on 127.0.0.1,
and asserts on what Logto then holds and on what the engine printed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from logto_standin import LogtoTestServer
from tests.engine.conftest import smtp_secrets, smtp_tenant
from tests.engine.harness import EngineStack, secret_forms
from tests.sinks import SmtpSink

pytestmark = pytest.mark.timeout(900)

CONNECTOR_TYPE = "pulumi-python:dynamic:Resource"


def logto_writes(server: LogtoTestServer) -> list[tuple[str, str, int | None]]:
    return [(r.method, r.path, r.status) for r in server.writes() if not r.path.endswith("/test")]


def test_sends(server: LogtoTestServer) -> list[tuple[str, str, int | None]]:
    return [(r.method, r.path, r.status) for r in server.requests if r.path.endswith("/test")]


test_sends.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def email_rows(server: LogtoTestServer) -> list[Any]:
    return server.email_connector_rows()


def deploy_one(stack: EngineStack, logto: LogtoTestServer, sink: SmtpSink, **overrides: Any) -> str:
    stack.init({"demo": smtp_tenant(logto, sink, **overrides)}, smtp_secrets("demo", logto, sink))
    return stack.run("up", "--yes", "--color", "never").stdout


def test_preview_of_a_new_stack_lists_the_creates_and_shows_no_secret(stack, logto, mail_sink):
    stack.init({"demo": smtp_tenant(logto, mail_sink)}, smtp_secrets("demo", logto, mail_sink))
    out = stack.run("preview", "--diff", "--color", "never").stdout
    assert re.search(r"\+ .*logto-email:index:TenantEmail.*demo", out), out
    assert "create" in out and "EmailConnector" in out or CONNECTOR_TYPE in out, out
    for secret in (logto.app_secret, mail_sink.password):
        for form in secret_forms(secret):
            assert form not in out
    assert logto_writes(logto) == [] and test_sends(logto) == []  # a preview writes nothing


def test_up_creates_connector_templates_and_sign_in_then_a_second_up_changes_nothing(stack, logto, mail_sink):
    out = deploy_one(stack, logto, mail_sink)
    rows = email_rows(logto)
    assert [r.connector_id for r in rows] == ["simple-mail-transfer-protocol"], out
    assert rows[0].config["auth"]["pass"] == mail_sink.password
    # the i18n template rows (two locales) and the sign-in settings
    tags = {(t.language_tag, t.template_type) for t in logto.state.email_templates.values()}
    assert {"en", "de"} <= {tag for tag, _ in tags} and len(tags) >= 2 * 9
    sie = logto.state.sign_in_exp
    assert "email" in sie["signUp"]["identifiers"]
    assert any(m["identifier"] == "email" and m["verificationCode"] for m in sie["signIn"]["methods"])
    # exactly one test-send, before the connector write, and it really went through the sink
    sends = [i for i, r in enumerate(logto.requests) if r.path.endswith("/test")]
    posts = [i for i, r in enumerate(logto.requests) if r.method == "POST" and r.path == "/api/connectors"]
    assert len(sends) == 1 and len(posts) == 1 and sends[0] < posts[0]
    assert mail_sink.received_by("qa@e2e.localhost")
    # the second up: no changes, no write, no test-send
    logto.clear_requests()
    again = stack.run("up", "--yes", "--color", "never").stdout
    assert logto_writes(logto) == [] and test_sends(logto) == [], again
    assert re.search(r"\b\d+ unchanged", again) and not re.search(r"\b\d+ (created|updated|deleted|replaced)", again), again
    history = json.loads(stack.run("stack", "history", "--json", config=False).stdout)
    assert set(history[0]["resourceChanges"]) == {"same"}
