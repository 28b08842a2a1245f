"""The harness itself: pinned packages, Logto's error format, secrecy, timeouts and crashes."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import threading
from collections.abc import Iterator

import pytest

from logto_standin.connector_runtime import (
    FACTORY_PACKAGES,
    HARNESS_DIR,
    ConnectorRuntime,
    HarnessError,
    SendResult,
    UnknownFactoryError,
)
from tests.contract.samples import sendgrid, smtp

pytestmark = pytest.mark.contract

SMTP = "simple-mail-transfer-protocol"


@pytest.fixture
def private_runtime(connector_runtime) -> Iterator[ConnectorRuntime]:
    """A runtime of its own (depends on the session one so installation is checked first)."""
    with ConnectorRuntime(timeout=10) as runtime:
        yield runtime


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP port that accepts connections and never answers (the HTTP connector has no timeout)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hang"


def test_loaded_packages_are_the_pinned_versions(connector_runtime) -> None:
    pinned = json.loads((HARNESS_DIR / "package.json").read_text())["dependencies"]
    lock = json.loads((HARNESS_DIR / "package-lock.json").read_text())["packages"]
    for package, version in pinned.items():
        assert connector_runtime.versions[package] == version, package
        assert lock[f"node_modules/{package}"]["version"] == version, package
    assert set(FACTORY_PACKAGES.values()) <= set(pinned)


def test_invalid_config_details_are_logtos_format(connector_runtime) -> None:
    data = {k: v for k, v in smtp(port="587").items() if k != "host"}
    result = connector_runtime.validate(SMTP, data)
    assert not result.ok and result.code == "invalid_config"
    assert result.details.split("\n") == [
        'Error in key path "host": (invalid_type) Expected string but received undefined.',
        'Error in key path "port": (invalid_type) Expected number but received string.',
    ]
    assert [i["path"] for i in result.issues] == [["host"], ["port"]]


def test_required_usage_types_message(connector_runtime) -> None:
    data = smtp(templates=[t for t in smtp()["templates"] if t["usageType"] not in ("SignIn", "Generic")])
    result = connector_runtime.validate(SMTP, data)
    assert result.details == (
        'Error in key path "templates": (custom) Template with UsageType (SignIn, Generic) should be provided!'
    )


def test_non_object_and_unknown_factory(connector_runtime) -> None:
    for config in ([], "x", None, 3):
        result = connector_runtime.validate("http-email", config)
        assert not result.ok and result.code == "invalid_input"
    with pytest.raises(UnknownFactoryError):
        connector_runtime.validate("smtp", {})
    with pytest.raises(UnknownFactoryError):
        connector_runtime.send("mock-email-service", {}, to="a@example.test", type="SignIn", payload={})


def test_send_of_invalid_config_reports_issues(connector_runtime) -> None:
    result = connector_runtime.send("http-email", {}, to="a@example.test", type="SignIn", payload={"code": "1"})
    assert (result.ok, result.code) == (False, "invalid_config")
    assert result.details == 'Error in key path "endpoint": (invalid_type) Expected string but received undefined.'
    assert result.message == "The connector's config is invalid."


def test_missing_template_is_template_not_found(connector_runtime) -> None:
    config = {"domain": "mg.example.com", "apiKey": "k", "from": "a@example.com", "deliveries": {}}
    result = connector_runtime.send("mailgun-email", config, to="a@example.test", type="SignIn", payload={"code": "1"})
    assert (result.ok, result.code) == (False, "template_not_found")


def test_secrets_are_masked_in_error_data_and_reprs(connector_runtime) -> None:
    config = {"endpoint": "http://127.0.0.1:9/closed", "authorization": "Bearer very-secret-token"}
    result = connector_runtime.send("http-email", config, to="a@example.test", type="SignIn", payload={"code": "1"})
    assert not result.ok and result.code == "general"
    dumped = json.dumps(result.data) + (result.message or "")
    assert "ECONNREFUSED" in dumped
    assert "very-secret-token" not in dumped
    assert "***" in dumped  # got's error echoes the request headers: Logto would leak it, we do not
    assert "very-secret-token" not in repr(result)
    assert repr(SendResult(ok=False, code="general", data={"x": "s3"}, message="s3")) == (
        "SendResult(ok=False, code='general')"
    )


def test_nodemailer_debug_log_never_shows_credentials(private_runtime, smtp_sink) -> None:
    config = smtp(
        host=smtp_sink.host, port=smtp_sink.port, auth={"user": smtp_sink.user, "pass": smtp_sink.password},
        logger=True, debug=True,
    )
    result = private_runtime.send(SMTP, config, to="debug@example.test", type="SignIn", payload={"code": "123456"})
    assert result.ok, result.message
    smtp_sink.received_by("debug@example.test")
    log = private_runtime.stderr_tail()
    assert "AUTH" in log  # the SMTP conversation was logged...
    plain = base64.b64encode(f"\0{smtp_sink.user}\0{smtp_sink.password}".encode()).decode()
    for needle in (smtp_sink.password, plain, base64.b64encode(smtp_sink.password.encode()).decode()):
        assert needle not in log  # ...without the credentials


def test_only_loopback_is_reachable(private_runtime) -> None:
    result = private_runtime.send("sendgrid-email-service", sendgrid(), to="a@example.test", type="SignIn",
                                  payload={"code": "1"})
    assert not result.ok and result.code == "general"
    assert private_runtime.intercepted() == []


def test_timeout_kills_and_next_request_restarts(connector_runtime, silent_server) -> None:
    with ConnectorRuntime(timeout=1.5) as runtime:
        first_pid = runtime.pid
        with pytest.raises(HarnessError, match="no answer"):
            runtime.send("http-email", {"endpoint": silent_server}, to="a@example.test", type="SignIn",
                         payload={"code": "1"})
        assert runtime.validate("http-email", {"endpoint": "x"}).ok
        assert runtime.pid not in (None, first_pid)


def test_crash_during_request_is_reported_with_stderr(connector_runtime, silent_server) -> None:
    with ConnectorRuntime(timeout=20) as runtime:
        pid = runtime.pid
        threading.Timer(0.5, os.kill, (pid, signal.SIGKILL)).start()
        with pytest.raises(HarnessError, match="exited"):
            runtime.send("http-email", {"endpoint": silent_server}, to="a@example.test", type="SignIn",
                         payload={"code": "1"})
        assert runtime.ping()["@logto/connector-smtp"] == "1.5.4"  # restarted


def test_concurrent_callers_are_serialised(connector_runtime) -> None:
    results: list[bool] = []

    def work() -> None:
        for _ in range(10):
            results.append(connector_runtime.validate("http-email", {"endpoint": "x"}).ok)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 40
