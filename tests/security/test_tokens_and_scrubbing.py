"""Secrets never survive in encoded forms, and a token is only reused with the secret that got it."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from connectors.logto.client import LogtoClient
from connectors.logto.errors import LogtoApiError, Unauthorized
from connectors.logto.masking import Scrubber
from connectors.logto.token import TokenCache
from logto_standin import LogtoTestServer

MAILGUN_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"


def _forms(secret: str, prefix: str = "api:") -> list[str]:
    basic = (prefix + secret).encode()
    return [
        secret, json.dumps(secret)[1:-1], json.dumps(json.dumps(secret))[1:-1], quote(secret, safe=""), quote_plus(secret),
        base64.b64encode(basic).decode(), base64.b64encode(basic).decode().rstrip("="),
        base64.urlsafe_b64encode(basic).decode(), base64.b64encode(secret.encode()).decode().rstrip("="),
    ]


@pytest.mark.parametrize("secret", [MAILGUN_KEY, "p@ss/wörd+1=", "abcd", "s3cr3t!", 'qu"ote\\back'])
@pytest.mark.parametrize("prefix", ["api:", "a:", "", "app-id-123:"])
def test_every_encoded_form_is_scrubbed(secret: str, prefix: str) -> None:
    scrub = Scrubber([secret])
    for form in _forms(secret, prefix):
        text = f'Error: {{"headers": {{"authorization": "Basic {form}"}}, "url": "https://x/?k={form}"}}'
        out = scrub(text)
        assert form not in out and secret not in out, (form, out)
        assert "<secret>" in out


def test_ordinary_text_is_left_alone() -> None:
    scrub = Scrubber([MAILGUN_KEY])
    text = "connector.general: Mailgun answered 401 Forbidden for domain mg.example.com (ConnectorError_general)"
    assert scrub(text) == text


def test_mailgun_test_send_failure_never_carries_the_key(connector_runtime, http_recorder) -> None:  # type: ignore[no-untyped-def]
    """The real Mailgun connector's failure embeds its request (the Basic auth header) in the error."""
    from tests.contract.samples import mailgun

    # A provider (or a proxy in front of it) that echoes the request's Authorization header.
    basic = base64.b64encode(f"api:{MAILGUN_KEY}".encode()).decode()
    http_recorder.reply(401, {"message": f"Invalid private key in 'Authorization: Basic {basic}'"})
    config = mailgun(endpoint=http_recorder.url("/.mailgun.net"), apiKey=MAILGUN_KEY)
    with LogtoTestServer(connector_runtime) as server, LogtoClient(
        server.url, server.app_id, server.app_secret, tokens=TokenCache()
    ) as client:
        with pytest.raises(LogtoApiError) as caught:
            client.test_send("mailgun-email", config, "qa@example.com")
    sent = http_recorder.requests[-1]
    assert sent.headers.get("authorization") == f"Basic {basic}", "the real connector sent HTTP Basic api:<key>"
    exc = caught.value
    text = " ".join([str(exc), repr(exc.args), json.dumps(exc.data, default=str), str(exc.details), exc.message])
    for form in _forms(MAILGUN_KEY):
        assert form not in text, form


def test_token_cache_is_keyed_on_the_secret() -> None:
    """A wrong secret never rides on the token the right one obtained (same endpoint, app, resource)."""
    cache = TokenCache()
    with LogtoTestServer() as server:
        with LogtoClient(server.url, server.app_id, server.app_secret, tokens=cache) as good:
            good.list_connectors()
        with LogtoClient(server.url, server.app_id, "wrong-" + server.app_secret, tokens=cache) as bad:
            with pytest.raises(Unauthorized):
                bad.list_connectors()
        token_requests = [r for r in server.requests if r.path == "/oidc/token"]
        assert len(token_requests) == 2


def test_a_401_drops_the_cached_token() -> None:
    cache = TokenCache()
    with LogtoTestServer() as server:
        with LogtoClient(server.url, server.app_id, server.app_secret, tokens=cache) as client:
            client.list_connectors()
            server.expire_tokens()
            client.list_connectors()  # 401 -> token dropped -> renewed -> retried once
            assert len(cache._tokens) == 1
        assert len([r for r in server.requests if r.path == "/oidc/token"]) == 2


def test_log_lines_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    """A secret the process has handled never reaches a log line, in any encoding, through our loggers."""
    import logging

    from connectors.logto import client as client_module

    with LogtoTestServer() as server, LogtoClient(server.url, server.app_id, server.app_secret, tokens=TokenCache()):
        secret = server.app_secret
    basic = base64.b64encode(f"{server.app_id}:{secret}".encode()).decode()
    with caplog.at_level(logging.DEBUG, logger=client_module.__name__):
        client_module.log.warning("upstream said: Authorization: Basic %s (key %s)", basic, quote(secret, safe=""))
        try:
            raise RuntimeError(f"boom {secret}")
        except RuntimeError:
            client_module.log.exception("failed")
    text = caplog.text + " ".join(r.getMessage() for r in caplog.records)
    assert caplog.records and "<secret>" in text
    for form in (secret, basic, quote(secret, safe="")):
        assert form not in text
