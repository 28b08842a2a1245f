"""Shared by every integration test: the providers build their own clients from the environment
(ClientSettings.from_env), so retries are made tiny here and the token cache starts empty."""

from __future__ import annotations

import pytest

from connectors.logto.token import TOKENS


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch):
    for name, value in {"WAIT_INITIAL": "0.01", "WAIT_MAX": "0.05", "WAIT_JITTER": "0.01", "ATTEMPTS": "3",
                        "MAX_RETRY_AFTER": "5", "READ_TIMEOUT": "10", "CONNECT_TIMEOUT": "2"}.items():
        monkeypatch.setenv(f"LOGTO_EMAIL_{name}", value)
    TOKENS.clear()
    yield
    TOKENS.clear()


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    """Print how many fault-matrix scenarios ran and held (when the matrix ran)."""
    import sys

    matrix = sys.modules.get("tests.integration.test_fault_matrix")
    line = matrix.pytest_terminal_summary_line() if matrix is not None else None
    if line:
        terminalreporter.write_line(line)
