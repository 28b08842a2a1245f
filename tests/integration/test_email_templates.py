"""Localized templates in Logto (`/api/email-templates`) through the `LogtoEmailTemplates` provider.

Rows in every shipped locale land and are really used: a test-send through the SMTP connector
with `locale` delivers that locale's subject and body to the AUTH SMTP sink. Removing a locale
removes only our rows; foreign rows stay; taken-over rows are put back; drift shows on refresh.
"""

from __future__ import annotations

import json
import re

import pytest

from connectors.deploy import email_templates as deploy_templates
from connectors.templates import available_locales, fill_placeholders
from infra.email_templates import LogtoEmailTemplatesProvider, diff_summary
from tests.integration.deploy_support import client_for, smtp_config
from tests.integration.email_support import SMTP, TemplatesDriver, rendered_all, rows_for

pytestmark = pytest.mark.integration

FOREIGN = {"languageTag": "ko", "templateType": "SignIn", "details": {"subject": "외부 템플릿", "content": "<p>{{code}}</p>"}}



@pytest.fixture
def client(logto_target):
    from tests.integration.deploy_support import TenantSnapshot

    with client_for(logto_target) as c:
        snapshot = TenantSnapshot.take(c) if logto_target.is_real else None
        yield c
        if snapshot is not None:  # leave a real tenant as we found it (the stand-in is reset anyway)
            snapshot.restore(c)


def _keys(client) -> set[str]:
    return {deploy_templates.key_of(r) for r in client.list_email_templates()}


def _state(outs) -> deploy_templates.TemplateState:
    """The recorded state (the outputs keep it packed: a few lines whatever the locales)."""
    return deploy_templates.TemplateState.from_outputs(outs)


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def test_every_shipped_locale_lands_and_is_used_by_a_test_send(logto_target, client, smtp_sink):
    locales = available_locales()
    rows = rows_for(locales)
    driver = TemplatesDriver(logto_target)
    outs = driver.up(rows)
    assert set(_state(outs).owned) == {deploy_templates.key_of(r) for r in rows} == set(_state(outs).live)
    assert _state(outs).live == deploy_templates.digests(rows)
    # every locale, and the state keeps about 1 kB: packed keys and 8-character digests, never the rendered text
    assert len(json.dumps(outs, default=str)) < 1.5 * 1024
    assert {deploy_templates.key_of(r) for r in rows} <= _keys(client)
    assert len(rows) == len(locales) * 9

    config = smtp_config(smtp_sink, subject_prefix="CONFIG ")  # the connector's own templates: must NOT be used
    subjects = {}
    for locale in locales:
        to = f"qa-{locale.lower()}@example.com"
        client.test_send(SMTP, config, to, locale=locale)
        mail = smtp_sink.received_by(to)
        email = rendered_all().get(locale, "Generic")
        payload = {"code": "000000", "locale": locale}
        assert mail.subject == fill_placeholders(email.subject, payload), locale
        assert "CONFIG" not in (mail.subject or "")
        assert _norm(mail.html) == _norm(fill_placeholders(email.html, payload)), locale
        assert "000000" in (mail.html or "")
        assert mail.from_ and "no-reply@example.com" in mail.from_  # sendFrom of the row
        subjects[locale] = mail.subject
    assert subjects["de"] != subjects["en"] and "Bestätigungscode" in subjects["de"]
    assert len(set(subjects.values())) == len(locales)  # each locale its own subject
    driver.destroy()
    assert not ({deploy_templates.key_of(r) for r in rows} & _keys(client))


def test_removing_a_locale_removes_only_our_rows(logto_target, client):
    client.upsert_email_templates([FOREIGN])  # someone else's row, there before us
    driver = TemplatesDriver(logto_target)
    outs = driver.up(rows_for(["en", "de", "fr"]))
    assert "ko/SignIn" not in _state(outs).owned
    outs = driver.up(rows_for(["en", "de"]))
    keys = _keys(client)
    assert not any(k.startswith("fr/") for k in keys)
    assert {k for k in keys if k.startswith(("en/", "de/"))} == set(_state(outs).owned)
    assert "ko/SignIn" in keys
    foreign = client.list_email_templates(language_tag="ko", template_type="SignIn")[0]
    assert foreign["details"] == FOREIGN["details"]
    driver.destroy()
    assert _keys(client) & {"en/SignIn", "de/SignIn"} == set()
    assert "ko/SignIn" in _keys(client)


def test_a_taken_over_row_is_put_back_not_deleted(logto_target, client):
    theirs = {"languageTag": "en", "templateType": "Generic", "details": {"subject": "theirs", "content": "<b>{{code}}</b>"}}
    client.upsert_email_templates([theirs])
    driver = TemplatesDriver(logto_target)
    outs = driver.up(rows_for(["en"]))
    assert outs["originals"] == {"en/Generic": theirs["details"]}
    live = client.list_email_templates(language_tag="en", template_type="Generic")[0]
    assert live["details"]["subject"] != "theirs"
    driver.destroy()
    rows = client.list_email_templates(language_tag="en")
    assert [deploy_templates.key_of(r) for r in rows] == ["en/Generic"] and rows[0]["details"] == theirs["details"]


def test_drift_is_seen_by_refresh_and_repaired_by_up(logto_target, client):
    rows = rows_for(["en", "de"])
    driver = TemplatesDriver(logto_target)
    driver.up(rows)
    assert not driver.diff(rows).changes
    # Someone edits one row and deletes another behind our back.
    client.upsert_email_templates([{"languageTag": "de", "templateType": "SignIn", "details": {"subject": "hacked", "content": "x {{code}}"}}])
    doomed = client.list_email_templates(language_tag="en", template_type="Register")[0]
    client.delete_email_template(doomed["id"])
    outs = driver.refresh()
    live, declared = _state(outs).live, deploy_templates.digests(rows)  # the state keeps digests, not the rows
    assert live["de/SignIn"] != declared["de/SignIn"] and "en/Register" not in live
    assert {k: v for k, v in live.items() if k != "de/SignIn"} == {k: v for k, v in declared.items() if k not in ("de/SignIn", "en/Register")}
    diff = driver.diff(rows)
    assert diff.changes and not diff.replaces
    _, text = diff_summary(driver.outs, {**driver.outs, "templates": rows})
    assert "~de/SignIn" in text and "+en/Register" in text
    assert "hacked" not in text  # keys, never content
    driver.up(rows)
    assert deploy_templates.by_key(client.list_email_templates(language_tag="de", template_type="SignIn"))["de/SignIn"]["subject"] != "hacked"
    assert "en/Register" in _keys(client)
    driver.destroy()


def test_check_refuses_tags_logto_never_resolves(logto_target):
    bad = [{"languageTag": "de-DE", "templateType": "SignIn", "details": {"subject": "s", "content": "c"}},
           {"languageTag": "en", "templateType": "Nope", "details": {"subject": "s", "content": "c"}}]
    result = LogtoEmailTemplatesProvider().check({}, {"endpoint": "https://x.logto.app", "app_id": "a", "app_secret": "s", "templates": bad})
    text = " ".join(f.reason for f in result.failures)
    assert "'de-DE' is not a tag Logto resolves" in text and "'Nope' is not a Logto usage type" in text


def test_no_secret_in_outputs(logto_target, client):
    driver = TemplatesDriver(logto_target)
    driver.up(rows_for(["en"]))
    public = {k: v for k, v in driver.outs.items() if k != "app_secret"}
    assert logto_target.app_secret not in repr(public)
    from pulumi.runtime import rpc

    assert rpc.is_rpc_secret(driver.outs["app_secret"])
    driver.destroy()


def test_a_failed_run_rolls_back_so_a_retry_owns_its_rows(logto_target, client):
    server = logto_target.require_server("injects a fault after a PUT has landed")
    theirs = {"languageTag": "en", "templateType": "Generic", "details": {"subject": "theirs", "content": "<b>{{code}}</b>"}}
    client.upsert_email_templates([theirs])
    before = {deploy_templates.key_of(r): r["details"] for r in client.list_email_templates()}
    # Every attempt of the first PUT lands but is answered 500 (the client retries, then gives up).
    server.faults.add("PUT", r"/api/email-templates", status=500, when="after", times=3)
    driver = TemplatesDriver(logto_target)
    with pytest.raises(deploy_templates.TemplateSyncError) as info:
        driver.up(rows_for(["de", "en"]))
    assert "Rolled back: 0 row(s) put back, 9 new row(s) deleted" in str(info.value)
    assert {deploy_templates.key_of(r): r["details"] for r in client.list_email_templates()} == before
    # The retry (a fresh create: Pulumi recorded nothing) takes over only en/Generic, and gives it back.
    outs = driver.up(rows_for(["de", "en"]))
    assert list(outs["originals"]) == ["en/Generic"]
    driver.destroy()
    assert {deploy_templates.key_of(r): r["details"] for r in client.list_email_templates()} == before


def test_each_changed_locale_is_test_sent_after_the_connector(logto_target, client, smtp_sink):
    recorder = logto_target.recorder
    connector = client.create_connector(SMTP, smtp_config(smtp_sink))
    driver = TemplatesDriver(logto_target)
    recorder.clear_requests()
    driver.apply(driver.checked(templates=rows_for(["de", "en"]), test_recipient="ops@example.com"))
    tests = [r for r in recorder.requests if r.path == f"/api/connectors/{SMTP}/test"]
    assert [r.status for r in tests] == [204, 204]  # one per locale
    puts = [i for i, r in enumerate(recorder.requests) if r.method == "PUT"]
    sends = [i for i, r in enumerate(recorder.requests) if r.path.endswith("/test")]
    assert puts[0] < sends[0] < puts[1] < sends[1]  # each locale is sent right after its rows are written
    # Only a changed locale is sent again.
    recorder.clear_requests()
    rows = rows_for(["de", "en"])
    rows[0] = {**rows[0], "details": {**rows[0]["details"], "subject": rows[0]["details"]["subject"] + " (v2)"}}
    driver.apply(driver.checked(templates=rows, test_recipient="ops@example.com"))
    assert len([r for r in recorder.requests if r.path.endswith("/test")]) == 1
    driver.destroy()
    assert client.get_email_connector().id == connector.id


def test_a_failed_locale_test_send_puts_only_our_rows_back(logto_target, client, smtp_sink):
    server = logto_target.require_server("makes one test-send fail")
    client.create_connector(SMTP, smtp_config(smtp_sink))
    before = {deploy_templates.key_of(r): r["details"] for r in client.list_email_templates()}
    server.faults.add("POST", r"/test$", status=400, body={"code": "connector.general", "message": "refused"}, times=1)
    driver = TemplatesDriver(logto_target)
    with pytest.raises(deploy_templates.TemplateSyncError) as info:
        driver.apply(driver.checked(templates=rows_for(["de"]), test_recipient="ops@example.com"))
    assert "test message in locale de" in str(info.value) and info.value.state == "rows as before"
    assert {deploy_templates.key_of(r): r["details"] for r in client.list_email_templates()} == before


def test_ownership_survives_a_failed_rollback(logto_target, client):
    """The PUT lands but answers 500, and the rollback's DELETEs fail too: the retry owns the
    rows this stack wrote (not 'taken over'), so destroy deletes them: no orphans."""
    server = logto_target.require_server("fault injection")
    before = {deploy_templates.key_of(r): r["details"] for r in client.list_email_templates()}
    server.faults.add("PUT", r"/api/email-templates", status=500, when="after", times=3)
    server.faults.add("DELETE", r"^/api/email-templates", status=503, times=None)  # by id and by language tag
    driver = TemplatesDriver(logto_target)
    with pytest.raises(deploy_templates.TemplateSyncError) as info:
        driver.up(rows_for(["de", "en"]))
    assert "Rolling back failed too" in str(info.value) and "owned by the next run" in info.value.state
    server.faults.clear()
    outs = driver.up(rows_for(["de", "en"]))  # a fresh create: Pulumi recorded nothing
    assert "originals" not in outs and set(_state(outs).owned) == {deploy_templates.key_of(r) for r in rows_for(["de", "en"])}
    driver.destroy()
    assert {deploy_templates.key_of(r): r["details"] for r in client.list_email_templates()} == before


def _calls(recorder, method: str) -> list[str]:
    return [r.path for r in recorder.requests if r.method == method and r.path.startswith("/api/email-templates")]


def test_calls_noop_reads_once_and_a_given_up_locale_is_one_delete(logto_target, client):
    recorder = logto_target.recorder
    driver = TemplatesDriver(logto_target)
    driver.up(rows_for(["en", "de", "fr"]))
    recorder.clear_requests()
    driver.up(rows_for(["en", "de", "fr"]))  # nothing to write: one read, no read-back
    assert _calls(recorder, "GET") == ["/api/email-templates"]
    assert recorder.writes() == []
    recorder.clear_requests()
    outs = driver.up(rows_for(["en", "de"]))  # fr's 9 rows: one delete by language tag
    assert _calls(recorder, "DELETE") == ["/api/email-templates"]
    assert not any(k.startswith("fr/") for k in _keys(client)) and not any(k.startswith("fr/") for k in _state(outs).owned)
    recorder.clear_requests()
    driver.destroy()  # two locales: two deletes, not 18
    assert _calls(recorder, "DELETE") == ["/api/email-templates"] * 2
    assert not (_keys(client) & {"en/SignIn", "de/SignIn"})


def test_a_tag_holding_rows_not_ours_is_deleted_row_by_row(logto_target, client):
    recorder = logto_target.recorder
    client.upsert_email_templates([FOREIGN])  # ko/SignIn: somebody else's
    ours = [r for r in rows_for(["ko"]) if r["templateType"] != "SignIn"]
    driver = TemplatesDriver(logto_target)
    driver.up(ours)
    recorder.clear_requests()
    driver.destroy()
    deletes = _calls(recorder, "DELETE")
    assert len(deletes) == len(ours) and all(p != "/api/email-templates" for p in deletes)
    assert client.list_email_templates(language_tag="ko") and _keys(client) & {f"ko/{r['templateType']}" for r in ours} == set()
    assert client.list_email_templates(language_tag="ko", template_type="SignIn")[0]["details"] == FOREIGN["details"]


def test_narrowing_a_locale_keeps_its_remaining_row(logto_target, client):
    driver = TemplatesDriver(logto_target)
    driver.up(rows_for(["fr"]))
    keep = [r for r in rows_for(["fr"]) if r["templateType"] == "SignIn"]
    outs = driver.up(keep)
    assert outs["owned"] == {"fr": "SignIn"} and _state(outs).owned == ["fr/SignIn"]
    assert {k for k in _keys(client) if k.startswith("fr/")} == {"fr/SignIn"}
    driver.destroy()
