"""A relay per test, started on 127.0.0.1 against a chosen upstream (the suite's sinks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from relay import create_app, parse_config
from relay.server import RelayServer

TOKEN = "relay-token-0123456789abcdef"
OLD_TOKEN = "relay-token-old-fedcba9876543210"
AUTH = f"Bearer {TOKEN}"


def relay_config(upstream: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "tokens": [TOKEN, OLD_TOKEN],
        "sender": {"email": "no-reply@example.com", "name": "Acme", "replyTo": "help@example.com"},
        "locales": ["en", "de"],
        "branding": {"productName": "Acme"},
        "upstream": upstream,
        "limits": {"upstreamTimeoutSeconds": 2, "budgetSeconds": 5, "attempts": 3},
        **extra,
    }


def smtp_upstream(sink: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "smtp", "host": sink.host, "port": sink.port, "security": "none",
            "username": sink.user, "password": sink.password, **extra}


@pytest.fixture
def start_relay() -> Iterator[Callable[..., RelayServer]]:
    started: list[RelayServer] = []

    def start(config: dict[str, Any], **kwargs: Any) -> RelayServer:
        app = create_app(parse_config(config, source="test", env={}), **kwargs)
        server = RelayServer(app).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
