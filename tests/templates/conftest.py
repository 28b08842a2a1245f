"""Shared fixtures: one rendered default set (all usage types × the seven shipped locales)."""

from __future__ import annotations

import pytest

from connectors.templates import Branding, RenderedSet, render_all

LOCALES = ("en", "de", "fr", "es", "ja", "zh-CN", "pt-BR")

BRANDING = Branding(
    product_name="Acme Cloud",
    logo_url="https://cdn.acme.test/logo.png",
    company_name="Acme, Inc.",
    company_address="1 Market St\nSan Francisco, CA 94105",
    support_email="support@acme.test",
    support_url="https://help.acme.test",
)


@pytest.fixture(scope="session")
def rendered() -> RenderedSet:
    return render_all(BRANDING, LOCALES)
