"""Duplicate detection shared by several relay instances through DynamoDB (moto, server mode)."""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import pytest

from tests.relay.conftest import AUTH, relay_config, smtp_upstream
from tests.sinks._net import free_port


@pytest.fixture
def table(moto_ses, monkeypatch) -> str:
    for name, value in {"AWS_ACCESS_KEY_ID": moto_ses.access_key_id, "AWS_SECRET_ACCESS_KEY": moto_ses.secret_access_key}.items():
        monkeypatch.setenv(name, value)
    name = f"relay-idem-{time.monotonic_ns()}"
    moto_ses.client("dynamodb").create_table(
        TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    return name


def shared(moto_ses, table: str, upstream: dict) -> dict:
    return relay_config(upstream, idempotency={"dynamodbTable": table, "region": moto_ses.region, "endpoint": moto_ses.endpoint})


def post(url: str, body: dict) -> httpx.Response:
    return httpx.post(url, json=body, headers={"authorization": AUTH}, timeout=30)


def test_two_instances_send_a_repeated_request_once(start_relay, smtp_sink, moto_ses, table) -> None:
    a = start_relay(shared(moto_ses, table, smtp_upstream(smtp_sink)))
    b = start_relay(shared(moto_ses, table, smtp_upstream(smtp_sink)))
    to = "shared@example.test"
    body = {"to": to, "type": "SignIn", "payload": {"code": "554433"}}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: post((a if i % 2 else b).url, body), range(8)))
    assert sorted(r.json()["status"] for r in answers) == ["duplicate"] * 7 + ["sent"]
    time.sleep(0.3)
    assert len([m for m in smtp_sink.messages if to in m.rcpt_tos]) == 1
    items = moto_ses.client("dynamodb").scan(TableName=table)["Items"]
    assert [i["state"]["S"] for i in items] == ["done"]
    assert to not in str(items) and "554433" not in str(items)  # digests only


def test_a_failed_send_frees_the_claim(start_relay, smtp_sink, moto_ses, table) -> None:
    down = start_relay(shared(moto_ses, table, {"type": "smtp", "host": "127.0.0.1", "port": free_port(), "security": "none"}))
    up = start_relay(shared(moto_ses, table, smtp_upstream(smtp_sink)))
    body = {"to": "retry-shared@example.test", "type": "SignIn", "payload": {"code": "112233"}}
    assert post(down.url, body).status_code == 503
    assert post(up.url, body).json() == {"status": "sent"}
    assert smtp_sink.received_by("retry-shared@example.test")


def test_an_unreachable_table_does_not_stop_sending(start_relay, smtp_sink, moto_ses, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    config = relay_config(smtp_upstream(smtp_sink), idempotency={
        "dynamodbTable": "nope", "region": "eu-west-1", "endpoint": f"http://127.0.0.1:{free_port()}"})
    relay = start_relay(config)
    body = {"to": "no-table@example.test", "type": "SignIn", "payload": {"code": "998877"}}
    assert post(relay.url, body).json() == {"status": "sent"}
    assert post(relay.url, body).json() == {"status": "duplicate"}  # the in-memory layer still holds
    assert smtp_sink.received_by("no-table@example.test")
