"""The exported state of the local stack under the real engine: at most 30 KB per tenant, as
`pulumi stack export` prints it (indented JSON), with the local tenant's locales and with every
shipped locale.

The Logto resources keep digests of the rendered templates, not the text (see
`connectors.deploy.content`), and their outputs only what diff, read and delete need; the
connector's config stays a Pulumi secret (ciphertext)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.deploy import email_templates as deploy_templates
from connectors.templates import available_locales
from tests.engine.local_state import deploy_and_export

pytestmark = [pytest.mark.engine, pytest.mark.timeout(900)]

LIMIT_PER_TENANT = 30 * 1024
SECRET_SIG = "4dabf18193072939515e22adb298388d"


@pytest.mark.parametrize("locales", [None, "every"], ids=["local-en-de", "every-locale"])
def test_exported_state_of_the_local_stack_is_at_most_30_kb_per_tenant(engine_bin: Path, tmp_path: Path, locales: str | None) -> None:
    wanted = ["en", "de", *(loc for loc in available_locales() if loc not in ("en", "de"))] if locales == "every" else None
    export = deploy_and_export(engine_bin, tmp_path, locales=wanted)
    per_tenant, compact = export.printed_bytes / export.tenants, export.compact_bytes / export.tenants
    print(f"exported state ({'every locale' if wanted else 'en, de'}): {export.printed_bytes} bytes as printed, {export.compact_bytes} as compact "
          f"JSON, {export.tenants} tenant(s); by resource (compact): {export.by_resource()}")
    assert per_tenant <= LIMIT_PER_TENANT, f"{per_tenant / 1024:.1f} KB per tenant as printed (limit 30 KB; compact {compact / 1024:.1f} KB)"
    # The template text is in Logto, not in the state: one digest per row, and the config is still ciphertext.
    templates = next(r for r in export.resources if r["type"].endswith(":EmailTemplates"))
    state = deploy_templates.TemplateState.from_outputs(templates["outputs"])
    langs = wanted or ["en", "de"]
    assert {k.split("/")[0] for k in state.owned} == set(langs) and len(state.owned) == 9 * len(langs)
    assert set(state.live) == set(state.owned)
    assert "<html" not in export.text.lower() and "<table" not in export.text.lower()
    connector = next(r for r in export.resources if r["type"].endswith(":EmailConnector"))
    for where in ("inputs", "outputs"):
        for key in ("config", "app_secret"):
            value = connector[where][key]
            assert value.get(SECRET_SIG) and "ciphertext" in value, f"connector {where}.{key} is not encrypted"
