"""Commands that never talk to Logto or a cloud load no HTTP client (a cold `--help` pays for
every module it imports). Run in a fresh interpreter, as an operator would."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTTP_CLIENTS = ("httpx", "httpcore", "h11", "requests", "urllib3", "aiohttp", "boto3", "botocore", "pulumi")

_PROBE = """
import json, runpy, sys
sys.argv = ["connectors", *sys.argv[1:]]
try:
    runpy.run_module("connectors", run_name="__main__")
except SystemExit:
    pass
sys.__stderr__.write("\\nMODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})) + "\\n")
"""


def _top_modules(*args: str) -> set[str]:
    run = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    line = next(l for l in run.stderr.splitlines() if l.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


@pytest.mark.parametrize("args", [("--help",), ("validate", "--help"), ("validate", "--stack", "dev"), ("render", "--help")])
def test_offline_commands_import_no_http_client(args: tuple[str, ...]) -> None:
    loaded = _top_modules(*args)
    assert "connectors" in loaded  # the probe did run the CLI
    assert not loaded & set(HTTP_CLIENTS), f"{' '.join(args)} imported {sorted(loaded & set(HTTP_CLIENTS))}"


def test_the_probe_sees_an_http_client_when_one_is_loaded() -> None:
    """The check above can fail: a command that reaches Logto does import httpx."""
    assert _imports_client()


def _imports_client() -> bool:
    run = subprocess.run([sys.executable, "-c", "import connectors.logto.client, sys; print('httpx' in sys.modules)"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    return run.stdout.strip() == "True"


def test_the_lazy_logto_package_exports_what_it_lists() -> None:
    """`connectors.logto` loads its names on first use; its `__all__` (what type checkers and
    `import *` see) names exactly the lazy table, and every name resolves."""
    import connectors.logto as logto

    assert sorted(logto.__all__) == sorted(logto._EXPORTS)
    for name in logto.__all__:
        assert getattr(logto, name) is getattr(importlib.import_module(f"connectors.logto.{logto._EXPORTS[name]}"), name)


HEAVY_FOR_HELP = ("pydantic", "pydantic_core", "jinja2", "rich", "css_inline", "yaml", "ruamel", *HTTP_CLIENTS)


@pytest.mark.parametrize("args", [("--help",), ("validate", "--help")])
def test_help_loads_no_command_module_and_no_heavy_library(args: tuple[str, ...]) -> None:
    """`--help` lists the lazily loaded commands from their recorded help, importing none of them."""
    loaded = _top_modules(*args)
    assert "connectors" in loaded
    assert not loaded & set(HEAVY_FOR_HELP), f"{' '.join(args)} imported {sorted(loaded & set(HEAVY_FOR_HELP))}"


def test_recorded_help_of_lazy_commands_is_their_own() -> None:
    import importlib

    import click

    from connectors.cli import LAZY_COMMANDS

    for name, lazy in LAZY_COMMANDS.items():
        command = getattr(importlib.import_module(lazy.module), lazy.attr)
        for limit in (30, 45, 60, 200):
            recorded = click.Command(name, help=lazy.summary).get_short_help_str(limit)
            assert recorded == command.get_short_help_str(limit), name


def test_validate_prints_its_table_without_rich() -> None:
    """`validate`'s tenant lines are plain text: rich's table cost more than the checks at 100
    tenants (importing it, then measuring and wrapping every cell)."""
    loaded = _top_modules("validate", "--stack", "dev")
    assert "pydantic" in loaded  # the probe did validate the stack
    assert "rich" not in loaded
