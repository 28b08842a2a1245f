"""The preview gallery: every email on disk, an index with relative links only."""

from __future__ import annotations

import re

from tests.templates.conftest import LOCALES

from connectors.templates import write_preview


def test_gallery(tmp_path, rendered):
    written = write_preview(tmp_path, rendered)
    assert len(written) == 2 * (63 * 2 + 1)  # plain and organization-branded
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'(?:href|src)="([^"]+)"', index)
    assert links and all(not l.startswith(("/", "file:", "http")) for l in links)
    for locale in LOCALES:
        for usage in rendered.usage_types:
            assert f"{locale}/{usage}.html" in links and f"{locale}/{usage}.txt" in links
            assert (tmp_path / locale / f"{usage}.html").is_file()
    assert rendered.get("de", "SignIn").subject in index
    # sample values filled in the way Logto fills them
    signin = (tmp_path / "en" / "SignIn.html").read_text(encoding="utf-8")
    assert "{{code}}" not in signin and "314159" in signin
    invite = (tmp_path / "fr" / "OrganizationInvitation.html").read_text(encoding="utf-8")
    assert 'href="https://app.example.com/invitation/accept?token=7fK2pQ"' in invite
    assert "Northwind Traders" in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_gallery_can_show_placeholders_literally(tmp_path, rendered):
    write_preview(tmp_path, rendered, sample=False)
    assert "{{code}}" in (tmp_path / "ja" / "MfaVerification.txt").read_text(encoding="utf-8")


def test_plain_and_organization_branded_variants(tmp_path, rendered):
    write_preview(tmp_path, rendered)
    plain = (tmp_path / "en" / "OrganizationInvitation.html").read_text(encoding="utf-8")
    branded = (tmp_path / "organization" / "en" / "OrganizationInvitation.html").read_text(encoding="utf-8")
    assert "background-image:url('')" in plain and "Northwind Traders" in plain  # no logo: nothing shown
    assert "background-image:url('data:image/svg+xml," in branded
    assert 'href="organization/index.html"' in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="../index.html"' in (tmp_path / "organization" / "index.html").read_text(encoding="utf-8")
    for folder in (tmp_path, tmp_path / "organization"):  # no placeholder is left for a user to see
        for path in folder.glob("*/*.html"):
            assert "{{" not in path.read_text(encoding="utf-8"), path
