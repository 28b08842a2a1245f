"""The Lambda entry point through Mangum, its config read from Secrets Manager (moto, server mode)."""

from __future__ import annotations

import base64
import json

import pytest

from relay import aws_lambda
from relay.config import parse_config, to_json
from tests.relay.conftest import AUTH, TOKEN, relay_config, smtp_upstream


def url_event(body: str, auth: str | None = AUTH, *, path: str = "/", method: str = "POST", b64: bool = False) -> dict:
    """A Lambda Function URL event (payload format 2.0), as AWS hands it to the function."""
    headers = {"content-type": "application/json", "host": "abc.lambda-url.eu-west-1.on.aws", "user-agent": "got"}
    if auth is not None:
        headers["authorization"] = auth
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "", "headers": headers,
        "requestContext": {"accountId": "anonymous", "apiId": "abc", "domainName": "abc.lambda-url.eu-west-1.on.aws",
                           "domainPrefix": "abc", "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                                           "sourceIp": "203.0.113.10", "userAgent": "got"},
                           "requestId": "r1", "routeKey": "$default", "stage": "$default", "time": "30/Nov/2026:12:00:00 +0000",
                           "timeEpoch": 0},
        "body": base64.b64encode(body.encode()).decode() if b64 else body, "isBase64Encoded": b64,
    }


@pytest.fixture
def lambda_env(monkeypatch, moto_ses, smtp_sink):
    client = moto_ses.client("secretsmanager")
    config = parse_config(relay_config(smtp_upstream(smtp_sink)), source="test", env={})
    arn = client.create_secret(Name=f"logto-email/test/relay-{id(config)}", SecretString=to_json(config))["ARN"]
    for name, value in {"RELAY_CONFIG_SECRET": arn, "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_ses.endpoint,
                        "AWS_ACCESS_KEY_ID": moto_ses.access_key_id, "AWS_SECRET_ACCESS_KEY": moto_ses.secret_access_key,
                        "AWS_DEFAULT_REGION": moto_ses.region}.items():
        monkeypatch.setenv(name, value)
    aws_lambda.reset()
    yield
    aws_lambda.reset()


def test_function_url_event_sends_through_the_upstream(lambda_env, smtp_sink) -> None:
    body = json.dumps({"to": "lambda@example.test", "type": "SignIn", "payload": {"code": "918273", "locale": "de"}})
    answer = aws_lambda.handler(url_event(body), None)
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {"status": "sent"}
    mail = smtp_sink.received_by("lambda@example.test")
    assert "918273" in mail.text
    again = aws_lambda.handler(url_event(body, b64=True), None)  # warm instance: same config, same dedup memory
    assert json.loads(again["body"]) == {"status": "duplicate"}
    assert aws_lambda.handler(url_event(body, auth=f"Bearer {TOKEN}-x"), None)["statusCode"] == 401
    health = aws_lambda.handler(url_event("", auth=None, path="/health", method="GET"), None)
    assert health["statusCode"] == 200 and json.loads(health["body"]) == {"status": "ok"}
    health = aws_lambda.handler(url_event("", path="/health", method="GET"), None)
    assert json.loads(health["body"]) == {"status": "ok", "upstream": "smtp", "locales": ["en", "de"]}
