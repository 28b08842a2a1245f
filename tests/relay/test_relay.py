"""The relay with real parts: the SMTP sink, moto's SES in server mode, local HTTP APIs, and the
real `@logto/connector-http-email` package and the Logto stand-in calling it."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import logging
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from connectors.logto import LogtoClient
from connectors.logto.errors import ConnectorSendFailed
from connectors.templates import fill_placeholders, pick_email
from relay.idempotency import Deduplicator
from tests.relay.conftest import AUTH, OLD_TOKEN, TOKEN, relay_config, smtp_upstream

CODE = "472913"


def post(relay, body, auth: str | None = AUTH, **kw) -> httpx.Response:
    headers = {"authorization": auth} if auth is not None else {}
    return httpx.post(relay.url, json=body, headers=headers, timeout=20, **kw)


def signin(to: str, code: str = CODE, locale: str | None = "de", **payload) -> dict:
    return {"to": to, "type": "SignIn", "payload": {"code": code, **({"locale": locale} if locale else {}), **payload},
            "ip": "203.0.113.9"}


# -- sending, rendering ---------------------------------------------------------------------------------

def test_smtp_upstream_gets_the_rendered_localized_email(start_relay, smtp_sink) -> None:
    relay = start_relay(relay_config(smtp_upstream(smtp_sink)))
    to = "smtp-de@example.test"
    app = {"id": "a1", "name": "<b>Shop</b>"}
    response = post(relay, signin(to, application=app))
    assert response.status_code == 200 and response.json() == {"status": "sent"}
    mail = smtp_sink.received_by(to)
    assert mail.auth_user == smtp_sink.user  # the upstream's credentials were used
    template = pick_email(relay.relay.rendered, "SignIn", "de")
    assert template.locale == "de"
    assert mail.subject == " ".join(fill_placeholders(template.subject, {"code": CODE}).split())
    assert "Anmelde" in mail.subject
    assert CODE in mail.html and CODE in mail.text and "{{code}}" not in mail.html
    assert "<b>Shop</b>" not in mail.html  # payload values are escaped in the HTML part
    assert mail.from_ == "Acme <no-reply@example.com>" and mail.header("Reply-To") == "help@example.com"


def test_locale_falls_back_like_logto(start_relay, smtp_sink) -> None:
    relay = start_relay(relay_config(smtp_upstream(smtp_sink)))
    assert post(relay, signin("fallback@example.test", locale="ja")).status_code == 200  # ja is not served
    mail = smtp_sink.received_by("fallback@example.test")
    en = pick_email(relay.relay.rendered, "SignIn", "en")
    assert mail.subject == " ".join(fill_placeholders(en.subject, {"code": CODE}).split())
    assert pick_email(relay.relay.rendered, "SignIn", "ja").locale == "en"


def test_moto_ses_upstream(start_relay, moto_ses) -> None:
    moto_ses.verify_identity("example.com")
    upstream = {"type": "aws-ses", "region": moto_ses.region, "endpoint": moto_ses.endpoint,
                "accessKeyId": moto_ses.access_key_id, "secretAccessKey": moto_ses.secret_access_key}
    relay = start_relay(relay_config(upstream))
    to = "ses-relay@example.test"
    assert post(relay, signin(to, locale="en")).status_code == 200
    [message] = moto_ses.sent_to(to)
    assert "no-reply@example.com" in message.source
    assert CODE in message.body


def test_ses_unverified_sender_is_a_failure(start_relay, moto_ses) -> None:
    upstream = {"type": "aws-ses", "region": moto_ses.region, "endpoint": moto_ses.endpoint,
                "accessKeyId": moto_ses.access_key_id, "secretAccessKey": moto_ses.secret_access_key}
    config = relay_config(upstream)
    config["sender"] = {"email": "no-reply@unverified.example.org"}
    relay = start_relay(config)
    response = post(relay, signin("nobody@example.test"))
    assert response.status_code == 502 and CODE not in response.text


def test_mailgun_style_api(start_relay, http_recorder) -> None:
    relay = start_relay(relay_config({"type": "mailgun", "domain": "mg.example.com", "apiKey": "key-mailgun-123456",
                                      "endpoint": http_recorder.url("")}))
    assert post(relay, signin("mg@example.test")).status_code == 200
    [request] = http_recorder.requests
    assert request.path == "/v3/mg.example.com/messages"
    assert base64.b64decode(request.headers["authorization"].split()[1]).decode() == "api:key-mailgun-123456"
    assert request.form_value("to") == "mg@example.test"
    assert request.form_value("from") == "Acme <no-reply@example.com>"
    assert CODE in request.form_value("html") and CODE in request.form_value("text")
    assert request.form_value("h:Reply-To") == "help@example.com"


def test_sendgrid_style_api(start_relay, http_recorder) -> None:
    http_recorder.reply(202, b"")
    relay = start_relay(relay_config({"type": "sendgrid", "apiKey": "SG.key-123456", "endpoint": http_recorder.url("")}))
    assert post(relay, signin("sg@example.test")).status_code == 200
    [request] = http_recorder.requests
    assert request.path == "/v3/mail/send" and request.headers["authorization"] == "Bearer SG.key-123456"
    body = request.json
    assert body["personalizations"] == [{"to": [{"email": "sg@example.test"}]}]
    assert body["from"] == {"email": "no-reply@example.com", "name": "Acme"}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert all(CODE in c["value"] for c in body["content"])


def test_postmark_style_api(start_relay, http_recorder) -> None:
    relay = start_relay(relay_config({"type": "postmark", "serverToken": "pm-token-123456", "endpoint": http_recorder.url("")}))
    assert post(relay, signin("pm@example.test")).status_code == 200
    [request] = http_recorder.requests
    assert request.path == "/email" and request.headers["x-postmark-server-token"] == "pm-token-123456"
    assert request.json["To"] == "pm@example.test" and CODE in request.json["TextBody"]
    assert request.json["MessageStream"] == "outbound"


# -- refusals ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("auth", [None, "", "Bearer wrong", TOKEN, f"bearer {TOKEN}", f"Bearer {TOKEN}x", f"Bearer  {TOKEN}", "Basic x"])
def test_bad_tokens_are_refused(start_relay, http_recorder, auth) -> None:
    relay = start_relay(relay_config({"type": "postmark", "serverToken": "pm-token-123456", "endpoint": http_recorder.url("")}))
    response = post(relay, signin("x@example.test"), auth=auth)
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    assert http_recorder.requests == []


def test_every_listed_token_is_accepted(start_relay, http_recorder) -> None:
    relay = start_relay(relay_config({"type": "postmark", "serverToken": "pm-token-123456", "endpoint": http_recorder.url("")}))
    assert post(relay, signin("a@example.test", code="111111"), auth=AUTH).status_code == 200
    assert post(relay, signin("a@example.test", code="222222"), auth=f"Bearer {OLD_TOKEN}").status_code == 200
    assert len(http_recorder.requests) == 2


@pytest.mark.parametrize("body, status, error", [
    (b"{not json", 400, "malformed"),
    (b"\xff\xfe", 400, "malformed"),
    (b"[1, 2]", 400, "invalid"),
    (b'{"type": "SignIn", "payload": {"code": "1"}}', 400, "invalid"),
    (b'{"to": "not-an-address", "type": "SignIn", "payload": {"code": "1"}}', 400, "invalid"),
    (b'{"to": "a@example.test", "type": "Newsletter", "payload": {"code": "1"}}', 400, "unknown_type"),
    (b'{"to": "a@example.test", "type": "SignIn", "payload": {}}', 400, "invalid"),
    (b'{"to": "a@example.test", "type": "SignIn", "payload": "x"}', 400, "invalid"),
    (b'{"to": "a@example.test", "type": "OrganizationInvitation", "payload": {"code": "1"}}', 400, "invalid"),
    (b'{"to": "x,attacker@evil.example", "type": "SignIn", "payload": {"code": "1"}}', 400, "invalid"),
    (b'{"to": "\\"A\\" <a@example.test>", "type": "SignIn", "payload": {"code": "1"}}', 400, "invalid"),
    (b'{"to": "a@example.test", "type": "SignIn", "payload": {"code": "1", "x": ' + b'{"y": ' * 40 + b'1' + b'}' * 40 + b'}}',
     400, "invalid"),
    (b'[' * 5000 + b']' * 5000, 400, "malformed"),
    (b'{"to": "a@example.test", "type": "SignIn", "payload": {"code": 123456}}', 400, "invalid"),
])
def test_malformed_bodies(start_relay, http_recorder, body, status, error) -> None:
    relay = start_relay(relay_config({"type": "postmark", "serverToken": "pm-token-123456", "endpoint": http_recorder.url("")}))
    response = httpx.post(relay.url, content=body, headers={"authorization": AUTH, "content-type": "application/json"})
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert http_recorder.requests == []


def test_oversized_bodies(start_relay, http_recorder) -> None:
    config = relay_config({"type": "postmark", "serverToken": "pm-token-123456", "endpoint": http_recorder.url("")})
    config["limits"]["maxBodyBytes"] = 4096
    relay = start_relay(config)
    big = signin("big@example.test", filler="x" * 5000)
    assert post(relay, big).status_code == 413

    def chunks():  # no Content-Length: the limit holds while streaming
        yield b'{"to": "big@example.test", "type": "SignIn", "payload": {"code": "1", "f": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}}'

    response = httpx.post(relay.url, content=chunks(), headers={"authorization": AUTH})
    assert response.status_code == 413
    assert http_recorder.requests == []


# -- upstream failures, retries, duplicates ------------------------------------------------------------------

def test_transient_upstream_errors_are_retried_then_reported(start_relay, http_recorder) -> None:
    http_recorder.reply(503, {"message": "busy"})
    relay = start_relay(relay_config({"type": "postmark", "serverToken": "pm-token-123456", "endpoint": http_recorder.url("")}))
    response = post(relay, signin("retry@example.test"))
    assert response.status_code == 503 and len(http_recorder.requests) == 3
    http_recorder.clear()
    http_recorder.reply(422, {"ErrorCode": 300})  # permanent: no second attempt
    response = post(relay, signin("perm@example.test"))
    assert response.status_code == 502 and len(http_recorder.requests) == 1
    http_recorder.clear()  # the earlier failure did not mark the code as sent: Logto's retry goes through
    assert post(relay, signin("retry@example.test")).status_code == 200 and len(http_recorder.requests) == 1


def test_upstream_down(start_relay) -> None:
    from tests.sinks._net import free_port

    relay = start_relay(relay_config({"type": "smtp", "host": "127.0.0.1", "port": free_port(), "security": "none"}))
    started = time.monotonic()
    response = post(relay, signin("down@example.test"))
    assert response.status_code == 503 and time.monotonic() - started < 5


def test_duplicate_requests_send_one_email(start_relay, smtp_sink) -> None:
    relay = start_relay(relay_config(smtp_upstream(smtp_sink)))
    to = "dup@example.test"
    body = signin(to)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: post(relay, body), range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert sorted(a.json()["status"] for a in answers) == ["duplicate"] * 7 + ["sent"]
    assert post(relay, body).json() == {"status": "duplicate"}
    assert post(relay, signin(to, code="000001")).json() == {"status": "sent"}  # a new code is a new email
    time.sleep(0.3)
    assert len([m for m in smtp_sink.messages if to in m.rcpt_tos]) == 2


def test_dedup_expires_with_the_code_lifetime() -> None:
    asyncio.run(_dedup_expiry())


async def _dedup_expiry() -> None:
    now = [0.0]
    dedup = Deduplicator(600, b"k" * 32, clock=lambda: now[0])
    calls = []

    async def send() -> bool:
        calls.append(1)
        return True

    key = dedup.key("a@example.test", "SignIn", "123456")
    assert await dedup.once(key, send) and not await dedup.once(key, send)
    now[0] = 601
    assert await dedup.once(key, send) and len(calls) == 2


# -- health, metrics, secrecy --------------------------------------------------------------------------------

def test_health_and_metrics(start_relay, http_recorder) -> None:
    relay = start_relay(relay_config({"type": "postmark", "serverToken": "pm-token-123456", "endpoint": http_recorder.url("")}))
    assert httpx.get(relay.url + "health").json()["status"] == "ok"
    post(relay, signin("m@example.test"))
    post(relay, signin("m@example.test"))
    post(relay, signin("m@example.test"), auth="Bearer nope")
    assert httpx.get(relay.url + "metrics").status_code == 401
    text = httpx.get(relay.url + "metrics", headers={"authorization": AUTH}).text
    assert 'relay_sent_total{type="SignIn"} 1.0' in text
    assert "relay_duplicates_total 1.0" in text
    assert 'relay_rejected_total{reason="unauthorized"} 1.0' in text
    assert "relay_request_seconds_count 3.0" in text
    assert "relay_upstream_errors_total" in text


def test_no_code_token_or_secret_in_logs_or_answers(start_relay, http_recorder, caplog) -> None:
    secret = "pm-token-SECRET-987654"
    caplog.set_level(logging.DEBUG)
    relay = start_relay(relay_config({"type": "postmark", "serverToken": secret, "endpoint": http_recorder.url("")}))
    answers = [post(relay, signin("s@example.test")), post(relay, signin("s@example.test"))]
    http_recorder.reply(500, {"echo": CODE})
    answers.append(post(relay, signin("s2@example.test")))
    http_recorder.reply(401, {"echo": secret})
    answers.append(post(relay, signin("s3@example.test")))
    answers.append(post(relay, signin("s4@example.test"), auth=f"Bearer {TOKEN}x"))
    assert [a.status_code for a in answers] == [200, 200, 503, 502, 401]
    text = caplog.text + "".join(a.text for a in answers) + repr(relay.relay.config)
    assert "send 200 sent" in caplog.text  # the relay does log
    for value in (CODE, TOKEN, OLD_TOKEN, secret, "s@example.test"):
        assert value not in text


# -- real Logto parts ----------------------------------------------------------------------------------------

def test_real_http_email_connector_calls_the_relay(start_relay, smtp_sink, connector_runtime) -> None:
    relay = start_relay(relay_config(smtp_upstream(smtp_sink)))
    config = {"endpoint": relay.url, "authorization": AUTH}
    result = connector_runtime.send("http-email", config, to="conn@example.test", type="ForgotPassword",
                                    payload={"code": CODE, "locale": "en"}, ip="198.51.100.1")
    assert result.ok, (result.code, result.message)
    mail = smtp_sink.received_by("conn@example.test")
    assert CODE in mail.text
    bad = connector_runtime.send("http-email", {"endpoint": relay.url, "authorization": "Bearer nope"},
                                 to="conn2@example.test", type="SignIn", payload={"code": CODE})
    assert not bad.ok and bad.code == "general"


def test_logto_test_send_through_the_relay(start_relay, smtp_sink, logto_server) -> None:
    logto_server.reset()
    relay = start_relay(relay_config(smtp_upstream(smtp_sink)))
    client = LogtoClient(logto_server.url, logto_server.app_id, logto_server.app_secret, resource=logto_server.resource)
    client.test_send("http-email", {"endpoint": relay.url, "authorization": AUTH}, "canary@example.test", locale="de")
    mail = smtp_sink.received_by("canary@example.test")
    assert "000000" in mail.text  # Logto's test code, in the German Generic email
    generic_de = pick_email(relay.relay.rendered, "Generic", "de")
    assert mail.subject == " ".join(fill_placeholders(generic_de.subject, {"code": "000000"}).split())


def test_logto_sees_a_failure_when_the_upstream_is_down(start_relay, logto_server) -> None:
    from tests.sinks._net import free_port

    logto_server.reset()
    relay = start_relay(relay_config({"type": "smtp", "host": "127.0.0.1", "port": free_port(), "security": "none"}))
    client = LogtoClient(logto_server.url, logto_server.app_id, logto_server.app_secret, resource=logto_server.resource)
    with pytest.raises(ConnectorSendFailed):
        client.test_send("http-email", {"endpoint": relay.url, "authorization": AUTH}, "canary@example.test")


# -- the command ----------------------------------------------------------------------------------------------

def test_python_m_relay_serves_on_loopback(tmp_path: Path, http_recorder) -> None:
    from tests.sinks._net import free_port

    port = free_port()
    (tmp_path / "relay.yaml").write_text(
        "tokens: [cli-token-123456]\nsender: {email: no-reply@example.com}\nlocales: [en]\n"
        f"upstream: {{type: postmark, serverToken: pm-token-123456, endpoint: '{http_recorder.url('')}'}}\n")
    proc = subprocess.Popen([sys.executable, "-m", "relay", "--config", str(tmp_path / "relay.yaml"), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() is not None else "timeout"
            time.sleep(0.1)
        response = httpx.post(f"http://127.0.0.1:{port}/", json=signin("cli@example.test"),
                              headers={"authorization": "Bearer cli-token-123456"})
        assert response.status_code == 200 and len(http_recorder.requests) == 1
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert "cli-token-123456" not in out + err and CODE not in out + err and "pm-token-123456" not in out + err


@pytest.mark.parametrize("text, expected", [
    ("tokens: [t-123456]\nsender: {email: a@example.com}\nupstream: {type: carrier-pigeon}\n", "upstream: Input tag"),
    ("tokens: [t-123456]\nsender: {email: a@example.com}\nupstream: {type: smtp, host: h, pasword: hunter2-secret}\n", "upstream.pasword"),
    ("sender: {email: a@example.com}\nupstream: {type: smtp, host: h}\n", "tokens"),
    ("tokens: [t-123456]\nsender: {email: a@example.com}\nlocales: [xx]\nupstream: {type: smtp, host: h}\n", "locales"),
    ("tokens: [t-123456\n", "line"),
])
def test_bad_config_exits_1_naming_the_path(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "relay.yaml").write_text(text)
    done = subprocess.run([sys.executable, "-m", "relay", "--config", str(tmp_path / "relay.yaml"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert "hunter2-secret" not in done.stderr and "t-123456" not in done.stderr


def test_bounded_load_loses_and_duplicates_nothing() -> None:
    """A small run of the benchmark (the full 2,000 × 50 run is recorded in benchmarks/README.md)."""
    from benchmarks.relay_load import run_load

    result = run_load(requests=300, clients=20, upstream="mailgun")
    assert result.answered_error == 0 and result.answered_ok == 300
    assert (result.lost, result.duplicated) == (0, 0) and result.delivered == result.distinct == 285


def test_an_unexpected_failure_is_a_500_without_the_message(start_relay, caplog) -> None:
    class Broken:
        name = "broken"

        async def send(self, email) -> None:
            raise ValueError(f"cannot encode {email.text}")  # a bug that would echo the email (and its code)

        async def aclose(self) -> None:
            return None

    from relay import create_app, parse_config
    from relay.server import RelayServer

    caplog.set_level(logging.DEBUG)
    config = parse_config(relay_config({"type": "postmark", "serverToken": "pm-token-123456"}), source="t", env={})
    with RelayServer(create_app(config, upstream=Broken())) as relay:
        response = post(relay, signin("bug@example.test"))
    assert response.status_code == 500 and CODE not in response.text
    assert "internal error ValueError" in caplog.text and CODE not in caplog.text
