"""End to end under the real Pulumi engine: preview, up, refresh, destroy, import, secrets.

Each test deploys this project's program (`infra/`) with the engine from scripts/pulumi-engine
on a `file://` backend, against the Logto stand-in and an AUTH-requiring SMTP sink on 127.0.0.1,
and asserts on what Logto then holds and on what the engine printed.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from logto_standin import LogtoTestServer
from tests.engine.conftest import smtp_secrets, smtp_tenant
from tests.engine.harness import EngineStack, secret_forms, wait_for
from tests.sinks import SmtpSink

pytestmark = [pytest.mark.engine, pytest.mark.timeout(900)]

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
    creates = set(re.findall(r"\+ (\S+): \(create\)", out))
    assert {"logto-email:index:TenantEmail", "pulumi-python:dynamic/logto:EmailConnector",
            "pulumi-python:dynamic/logto:SignInEmail"} <= creates, out
    assert any("EmailTemplates" in t for t in creates), out
    assert re.search(r"\+ \d+ to create", out) and "app_secret     : [secret]" in out, out
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
    sign_up = sie["signUp"]
    assert "email" in sign_up["identifiers"] + [s["identifier"] for s in sign_up.get("secondaryIdentifiers", [])]
    assert any("email" in str(m).lower() for m in sie["forgotPasswordMethods"]), sie["forgotPasswordMethods"]
    assert any(m["identifier"] == "email" and m["verificationCode"] for m in sie["signIn"]["methods"])
    # one test-send before the connector write, then one per locale right after its i18n rows
    # landed (en, de); each really went through the sink
    sends = [i for i, r in enumerate(logto.requests) if r.path.endswith("/test")]
    posts = [i for i, r in enumerate(logto.requests) if r.method == "POST" and r.path == "/api/connectors"]
    puts = [i for i, r in enumerate(logto.requests) if r.method == "PUT" and r.path == "/api/email-templates"]
    assert len(posts) == 1 and len(sends) == 3 and sends[0] < posts[0] < sends[1], logto.requests
    assert len(puts) == 2 and puts[0] < sends[1] and puts[1] < sends[2], logto.requests
    assert mail_sink.received_by("qa@e2e.test")
    # the second up: no changes, no write, no test-send
    logto.clear_requests()
    again = stack.run("up", "--yes", "--color", "never").stdout
    assert logto_writes(logto) == [] and test_sends(logto) == [], again
    assert re.search(r"\b\d+ unchanged", again) and not re.search(r"\b\d+ (created|updated|deleted|replaced)", again), again
    history = json.loads(stack.run("stack", "history", "--json", config=False).stdout)
    assert set(history[0]["resourceChanges"]) == {"same"}


def test_a_change_out_of_band_is_found_by_refresh_with_secrets_masked_and_repaired_by_up(stack, logto, mail_sink):
    deploy_one(stack, logto, mail_sink)
    row = email_rows(logto)[0]
    declared = row.config["fromEmail"]
    with logto.lock:  # someone edits the connector in the Console
        row.config["fromEmail"] = "someone-else@e2e.test"
    logto.clear_requests()
    refreshed = stack.run("refresh", "--yes", "--diff", "--color", "never")
    out = refreshed.stdout
    assert "someone-else@e2e.test" in out or "update" in out, out
    assert logto_writes(logto) == []  # refresh only reads
    for form in secret_forms(mail_sink.password) + secret_forms(logto.app_secret):
        assert form not in out + refreshed.stderr
    stack.run("up", "--yes", "--color", "never")
    rows = email_rows(logto)
    assert len(rows) == 1 and rows[0].id == row.id and rows[0].config["fromEmail"] == declared
    assert [(m, p) for m, p, _ in logto_writes(logto)] == [("PATCH", f"/api/connectors/{row.id}")]


def test_a_failing_test_send_stops_up_with_a_clear_message_and_the_live_connector_is_unchanged(stack, logto, mail_sink):
    deploy_one(stack, logto, mail_sink)
    before = email_rows(logto)[0]
    before_config = json.loads(json.dumps(before.config))
    stack.set_secret("demo.provider.password", "wrong-" + mail_sink.password)  # the sink refuses it
    logto.clear_requests()
    failed = stack.run("up", "--yes", "--color", "never", check=False)
    assert failed.returncode != 0
    out = " ".join((failed.stdout + failed.stderr).split())
    assert "failed, so nothing was changed" in out, out
    assert [w for w in logto_writes(logto) if w[1].startswith("/api/connectors")] == []
    after = email_rows(logto)
    assert [r.id for r in after] == [before.id] and after[0].config == before_config


def test_destroy_is_refused_while_sign_in_needs_email_and_succeeds_after_the_override(stack, logto, mail_sink):
    deploy_one(stack, logto, mail_sink, signInExperience=None)
    # sign-in needs email because of a setting this stack does not manage
    logto.seed_sign_in_exp(signIn={"methods": [{"identifier": "email", "password": False, "verificationCode": True,
                                                "isPasswordPrimary": False}]})
    refused = stack.run("destroy", "--yes", "--color", "never", check=False)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "still needs email for" in out and "signIn.methods" in out and "allow" in out.lower(), out
    assert len(email_rows(logto)) == 1
    tenants = stack.tenants()
    tenants["demo"]["allowSignInBreakage"] = True
    stack.write_config(tenants)
    stack.run("up", "--yes", "--color", "never")
    stack.run("destroy", "--yes", "--color", "never")
    assert email_rows(logto) == []


def test_destroy_relaxes_the_managed_sign_in_settings_before_the_connector_goes(stack, logto, mail_sink):
    deploy_one(stack, logto, mail_sink)
    connector_id = email_rows(logto)[0].id
    logto.clear_requests()
    stack.run("destroy", "--yes", "--color", "never")
    calls = [(r.method, r.path) for r in logto.requests if r.method in ("PATCH", "DELETE")]
    relax = calls.index(("PATCH", "/api/sign-in-exp"))
    delete = calls.index(("DELETE", f"/api/connectors/{connector_id}"))
    assert relax < delete, calls
    assert email_rows(logto) == []


def test_no_secret_in_state_export_outputs_or_logs_in_any_encoding(stack, logto, mail_sink):
    deploy_one(stack, logto, mail_sink)
    stack.run("preview", "--diff", "--color", "never")
    stack.run("refresh", "--yes", "--color", "never")
    stack.run("stack", "output", "--json", config=False)
    exported = stack.run("stack", "export", config=False).stdout
    assert '"secure"' in exported or "ciphertext" in exported  # the secrets are there, encrypted
    haystacks = {"stack export": exported}
    haystacks.update({f"command output #{i}": text for i, text in enumerate(stack.outputs)})
    for path in stack.state_files() + stack.provider_logs():
        haystacks[str(path)] = path.read_text(errors="replace")
    assert any("backend" in name for name in haystacks)  # the state file itself was searched
    for secret in (logto.app_secret, mail_sink.password):
        for form in secret_forms(secret):
            for name, text in haystacks.items():
                assert form not in text, f"a form of a secret is in {name}"


def test_a_secret_rotated_with_config_set_secret_reaches_logto_after_a_test_send(stack, logto, mail_sink):
    deploy_one(stack, logto, mail_sink)
    mail_sink.password = "rotated-" + mail_sink.password  # the SMTP server now takes the new one
    stack.set_secret("demo.provider.password", mail_sink.password)
    mail_sink.clear()
    logto.clear_requests()
    out = stack.run("up", "--yes", "--color", "never").stdout
    assert email_rows(logto)[0].config["auth"]["pass"] == mail_sink.password
    order = [(r.method, r.path) for r in logto.requests if r.method != "GET"]
    send = next(i for i, (m, p) in enumerate(order) if p.endswith("/test"))
    patch = next(i for i, (m, p) in enumerate(order) if m == "PATCH" and p.startswith("/api/connectors/"))
    assert send < patch, order
    assert mail_sink.received_by("qa@e2e.test")
    assert mail_sink.password not in out


def test_a_provider_switch_in_stack_config_is_one_post_never_two_connectors_never_zero(stack, logto, mail_sink, http_recorder):
    deploy_one(stack, logto, mail_sink)
    old_id = email_rows(logto)[0].id
    tenants = stack.tenants()
    tenants["demo"]["provider"] = {"type": "http", "endpoint": http_recorder.url("/send")}
    tenants["demo"]["templates"] = {"storage": "connector"}  # the http connector reads no Logto templates
    stack.write_config(tenants)
    logto.clear_requests()
    stack.run("up", "--yes", "--color", "never")
    writes = [(m, p) for m, p, _ in logto_writes(logto) if p.startswith("/api/connectors")]
    assert writes == [("POST", "/api/connectors")], writes
    rows = email_rows(logto)
    assert [r.connector_id for r in rows] == ["http-email"] and rows[0].id != old_id
    assert http_recorder.requests  # the test-send went to the new provider first


def test_an_existing_connector_is_adopted_by_a_new_stack_without_a_write(engine_bin, tmp_path, logto, mail_sink):
    first = EngineStack(engine_bin, tmp_path / "first")
    deploy_one(first, logto, mail_sink)
    existing = email_rows(logto)[0]
    adopter = EngineStack(engine_bin, tmp_path / "adopter")  # another state: Logto already holds the connector
    adopter.init({"demo": smtp_tenant(logto, mail_sink)}, smtp_secrets("demo", logto, mail_sink))
    logto.clear_requests()
    adopter.run("up", "--yes", "--color", "never")
    assert [w for w in logto_writes(logto) if w[1].startswith("/api/connectors")] == []
    assert [r.id for r in email_rows(logto)] == [existing.id]
    outputs = json.loads(adopter.run("stack", "output", "--json", config=False).stdout)
    assert outputs["demo"]["connectorId"] == existing.id


def test_two_tenants_on_two_servers_deploy_independently(stack, connector_runtime, mail_sink):
    with LogtoTestServer(runtime=connector_runtime) as good, LogtoTestServer(runtime=connector_runtime) as bad:
        bad.faults.add(method="POST", path=r"^/api/connectors$", status=500, times=None)
        tenants = {"good": smtp_tenant(good, mail_sink), "bad": smtp_tenant(bad, mail_sink)}
        secrets_ = {**smtp_secrets("good", good, mail_sink), **smtp_secrets("bad", bad, mail_sink)}
        stack.init(tenants, secrets_)
        failed = stack.run("up", "--yes", "--color", "never", check=False)
        assert failed.returncode != 0
        assert [r.connector_id for r in good.email_connector_rows()] == ["simple-mail-transfer-protocol"]
        assert bad.email_connector_rows() == []
        assert all(r.path.startswith(("/oidc", "/api")) for r in good.requests)
        bad.faults.clear()
        good.clear_requests()
        stack.run("up", "--yes", "--color", "never")
        assert [r.connector_id for r in bad.email_connector_rows()] == ["simple-mail-transfer-protocol"]
        assert [w for w in logto_writes(good) if w[1].startswith("/api/connectors")] == []


def test_an_up_interrupted_between_test_send_and_write_converges_and_never_leaves_the_tenant_without_a_connector(
    stack, logto, mail_sink
):
    deploy_one(stack, logto, mail_sink)
    tenants = stack.tenants()
    tenants["demo"]["sender"]["name"] = "After"
    stack.write_config(tenants)
    row_id = email_rows(logto)[0].id
    logto.faults.add(method="PATCH", path=rf"^/api/connectors/{row_id}$", status=None, delay=4.0, times=1)
    counts: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            counts.append(len(email_rows(logto)))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    logto.clear_requests()
    proc = stack.start("up", "--yes", "--color", "never")
    try:
        assert wait_for(lambda: any(r.path.endswith("/test") for r in logto.requests), timeout=300)
        assert wait_for(lambda: any(r.method == "PATCH" and r.path.startswith("/api/connectors/") for r in logto.requests)
                        or proc.poll() is not None, timeout=60)
        stack.interrupt(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    rerun = stack.run("up", "--yes", "--color", "never", check=False)
    if rerun.returncode != 0 and "pending" in rerun.stdout + rerun.stderr:
        # an operation the interrupt cut short: Pulumi's documented way on is a refresh that clears it
        stack.run("refresh", "--yes", "--clear-pending-creates", "--color", "never")
        stack.run("up", "--yes", "--color", "never")
    else:
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    stop.set()
    watcher.join()
    assert counts and min(counts) == 1 and max(counts) == 1
    rows = email_rows(logto)
    assert len(rows) == 1 and "After" in json.dumps(rows[0].config)
    again = stack.run("up", "--yes", "--color", "never").stdout
    assert not re.search(r"\b\d+ (created|updated|deleted|replaced)", again), again


def test_a_stack_with_an_ses_tenant_says_the_aws_plugin_is_missing(stack, logto, mail_sink):
    ses = {
        "logto": {"endpoint": logto.url, "appId": logto.app_id},
        "provider": {"type": "aws-ses", "region": "eu-west-1", "domain": "mail.e2e.example.com"},
        "sender": {"email": "no-reply@mail.e2e.example.com"},
        "testRecipient": "qa@e2e.example.com",
    }
    stack.init({"ses": ses}, {"ses.logto.appSecret": logto.app_secret})
    failed = stack.run("preview", "--color", "never", check=False)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert re.search(r"no resource plugin 'pulumi-resource-aws'|resource plugin aws", out), out
    assert logto_writes(logto) == []
