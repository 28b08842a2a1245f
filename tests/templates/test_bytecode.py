"""The default set's code compiled at set-up: used only for the same source and rules, never for
an override's templates, and rendering the same bytes as compiling at run time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from jinja2 import Environment

from connectors.templates import Branding, render_all
from connectors.templates import environment as envmod
from connectors.templates.bytecode import (
    STORE_DIR,
    DefaultSetCode,
    precompile,
    template_names,
)
from connectors.templates.catalog import DEFAULT_DIR

ROOT = Path(__file__).resolve().parents[2]
BRAND = Branding(product_name="Acme", company_address="1 Main St\nSpringfield", support_email="help@acme.example")


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names the environments compile from now on."""
    seen: list[str] = []
    real = Environment.compile

    def spy(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]
        seen.append(str(name))
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(Environment, "compile", spy)
    return seen


def _render(monkeypatch: pytest.MonkeyPatch, store: DefaultSetCode | None, override: Path | None = None) -> dict:
    """Every email in three locales, from an environment with `store` (skeletons built afresh)."""
    from connectors.templates import render

    env = envmod.build_environment(override, bytecode=store)
    with monkeypatch.context() as m:
        m.setattr(render, "environment", lambda *_a, **_k: env)
        m.setattr(render, "_SKELETON_CACHE", type(render._SKELETON_CACHE)())
        rendered = render_all(BRAND, ["en", "de", "ja"], override)
    return {key: (e.subject, e.html, e.text) for key, e in rendered.emails.items()}


def test_precompiled_code_is_used_and_renders_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert precompile(tmp_path) == len(template_names()) >= 30
    assert len(list(tmp_path.glob("*.code"))) == len(template_names())
    compiled_here = _render(monkeypatch, None)
    seen = _compiles(monkeypatch)
    from_store = _render(monkeypatch, DefaultSetCode(tmp_path))
    assert seen == []  # every template came from the store
    assert from_store == compiled_here


def test_changed_source_or_rules_or_a_bad_entry_compile_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    precompile(tmp_path)
    store = DefaultSetCode(tmp_path)
    entries = sorted(tmp_path.glob("*.code"))
    entries[0].write_bytes(entries[0].read_bytes()[:-7])  # truncated code
    head = entries[1].read_bytes()
    entries[1].write_bytes(head.replace(head.split(b"\n")[1], b"0" * 64, 1))  # compiled from another text
    entries[2].write_bytes(b"\x00garbage")
    seen = _compiles(monkeypatch)
    _render(monkeypatch, store)
    assert 1 <= len(seen) <= 3  # those used by these emails are compiled at run time again

    monkeypatch.setattr("connectors.templates.bytecode.fingerprint", lambda: "other sandbox rules")
    seen.clear()
    _render(monkeypatch, DefaultSetCode(tmp_path))
    assert len(seen) >= 10  # no entry matches another jinja2, Python or environment.py


def test_an_override_directory_is_never_stored_nor_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    override = tmp_path / "tpl"
    override.mkdir()
    (override / "layout.html").write_text((DEFAULT_DIR / "layout.html").read_text(encoding="utf-8").replace("<body", "<body data-x=\"1\""),
                                          encoding="utf-8")
    store_dir = tmp_path / "store"
    store = DefaultSetCode(store_dir, writable=True)
    _render(monkeypatch, store, override)
    stored = {p.name for p in store_dir.glob("*.code")}
    assert stored and store.get_cache_key("layout.html", str(override / "layout.html")) == ""
    assert f"{store.get_cache_key('layout.html', str(DEFAULT_DIR / 'layout.html'))}.code" not in stored  # overridden
    seen = _compiles(monkeypatch)
    _render(monkeypatch, DefaultSetCode(store_dir), override)
    assert seen == ["layout.html"]  # the override's file, every time; the default set's from the store


def test_the_running_program_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store_dir = tmp_path / "store"
    _render(monkeypatch, DefaultSetCode(store_dir))
    assert not store_dir.exists()


def test_set_up_compiles_the_default_set_into_the_package() -> None:
    for script in ("scripts/test", "scripts/up"):
        text = (ROOT / script).read_text(encoding="utf-8")
        assert "connectors.templates.bytecode" in text, script
    done = subprocess.run([sys.executable, "-m", "connectors.templates.bytecode"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert str(STORE_DIR) in done.stdout
    assert len(list(STORE_DIR.glob("*.code"))) == len(template_names())
