"""Fixtures for the end-to-end tests under the real Pulumi engine (marker `engine`).

The engine comes from `scripts/pulumi-engine` (an installed pulumi, else built with go and
cached). Where it cannot be had the tests skip, except in CI (`CI` set), where they fail: CI must
never go green without having run them.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from logto_standin import LogtoTestServer
from tests.engine.harness import ROOT, EngineStack
from tests.sinks import SmtpSink


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/engine/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="session")
def engine_bin() -> Path:
    """The engine's bin dir: from scripts/test (`LOGTO_EMAIL_ENGINE_BIN`), else scripts/pulumi-engine."""
    given = os.environ.get("LOGTO_EMAIL_ENGINE_BIN")
    if given is not None:
        if given and (Path(given) / "pulumi").exists():
            return Path(given)
        unavailable("scripts/test could not get the Pulumi engine (scripts/pulumi-engine failed; its output is above)")
    try:
        proc = subprocess.run(["bash", str(ROOT / "scripts" / "pulumi-engine")], capture_output=True, text=True,
                              timeout=3600, check=False)
    except subprocess.TimeoutExpired:
        proc = subprocess.CompletedProcess([], 1, "", "scripts/pulumi-engine took over an hour")
    if proc.returncode != 0 or not proc.stdout.strip():
        unavailable(f"the Pulumi engine could not be had (scripts/pulumi-engine exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


def unavailable(reason: str) -> None:
    """Skip, except in CI: there the end-to-end tests must run, so their absence fails."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def stack(engine_bin: Path, tmp_path: Path) -> EngineStack:
    return EngineStack(engine_bin, tmp_path)


@pytest.fixture
def logto(connector_runtime: Any) -> Iterator[LogtoTestServer]:
    """A fresh stand-in tenant for one test (OSS flavour, like a self-hosted Logto)."""
    with LogtoTestServer(runtime=connector_runtime) as server:
        yield server


@pytest.fixture
def mail_sink() -> Iterator[SmtpSink]:
    """An AUTH-requiring SMTP sink with a password unique to this test."""
    with SmtpSink(user="e2e-user", password="smtp-" + secrets.token_urlsafe(18)) as sink:
        yield sink


def smtp_tenant(server: LogtoTestServer, sink: SmtpSink, **overrides: Any) -> dict[str, Any]:
    tenant: dict[str, Any] = {
        "logto": {"endpoint": server.url, "appId": server.app_id},
        "provider": {"type": "smtp", "host": "127.0.0.1", "port": sink.port, "security": "none", "username": sink.user},
        "sender": {"email": "no-reply@e2e.test", "name": "E2E"},
        "locales": ["en", "de"],
        "templates": {"storage": "logto"},
        "testRecipient": "qa@e2e.test",
        "signInExperience": {"emailSignUp": True, "emailSignIn": True, "forgotPassword": True},
    }
    tenant.update(overrides)
    return tenant


def smtp_secrets(key: str, server: LogtoTestServer, sink: SmtpSink) -> dict[str, str]:
    return {f"{key}.logto.appSecret": server.app_secret, f"{key}.provider.password": sink.password}
