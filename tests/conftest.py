"""Shared fixtures live in tests/fixtures/*.py; register new modules here."""

pytest_plugins = [
    "tests.fixtures.connector",
    "tests.fixtures.sinks",
    "tests.fixtures.logto",
]
