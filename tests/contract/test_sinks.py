"""The local sinks check what they claim to: AUTH is required, requests and SES sends are recorded."""

from __future__ import annotations

import smtplib

import httpx
import pytest

pytestmark = pytest.mark.contract


def test_smtp_sink_requires_auth(smtp_sink) -> None:
    message = b"Subject: hi\r\nFrom: a@example.test\r\nTo: x@example.test\r\n\r\nbody"
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("a@example.test", ["noauth@example.test"], message)
        assert refused.value.smtp_code == 530
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(smtp_sink.user, "wrong")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        client.login(smtp_sink.user, smtp_sink.password)
        client.sendmail("a@example.test", ["sink-ok@example.test"], message)
    mail = smtp_sink.received_by("sink-ok@example.test")
    assert (mail.auth_user, mail.subject, mail.text.strip()) == (smtp_sink.user, "hi", "body")


def test_http_sink_records_and_replies(http_recorder) -> None:
    http_recorder.reply(418, {"error": "teapot"})
    response = httpx.post(http_recorder.url("/p?q=1"), data={"a": "1", "b": "x y"}, headers={"X-T": "v"})
    assert response.status_code == 418 and response.json() == {"error": "teapot"}
    [request] = http_recorder.requests
    assert (request.method, request.path, request.headers["x-t"]) == ("POST", "/p?q=1", "v")
    assert request.form == {"a": ["1"], "b": ["x y"]}


def test_moto_ses_refuses_unverified_and_records_sent(moto_ses) -> None:
    client = moto_ses.client()
    content = {"Simple": {"Subject": {"Data": "s"}, "Body": {"Html": {"Data": "<p>h</p>"}}}}
    with pytest.raises(client.exceptions.MessageRejected):
        client.send_email(FromEmailAddress="a@nowhere.example", Destination={"ToAddresses": ["r@example.test"]},
                          Content=content)
    moto_ses.verify_identity("sink.example")
    client.send_email(FromEmailAddress="a@sink.example", Destination={"ToAddresses": ["sink-r@example.test"]},
                      Content=content)
    [message] = moto_ses.sent_to("sink-r@example.test")
    assert (message.source, message.subject, message.body) == ("a@sink.example", "s", "<p>h</p>")
