"""Every relative link and `#anchor` in the repository's Markdown resolves; no code cites a file outside it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.doc_rules import (
    anchors,
    broken_links,
    foreign_citations,
    markdown_files,
    slug,
)

ROOT = Path(__file__).resolve().parents[2]


def test_every_relative_link_and_anchor_resolves():
    assert len(markdown_files(ROOT)) >= 10  # README.md, docs/**, SECURITY.md, … are all looked at
    problems = broken_links(ROOT)
    assert not problems, "broken links:\n" + "\n".join(map(str, problems))


def test_no_comment_or_docstring_cites_a_file_outside_the_repository():
    problems = foreign_citations(ROOT)
    assert not problems, "\n".join(map(str, problems))


def test_slugs_follow_github():
    assert slug("Policy checks (`check`)") == "policy-checks-check"
    assert slug("Set-up: two commands") == "set-up-two-commands"
    assert slug("TenantSpec — `logto-email:tenants.<tenant>`") == "tenantspec--logto-emailtenantstenant"
    assert anchors("# A\n## A\n<a id=\"x\"></a>\n") == {"a", "a-1", "x"}


def test_a_broken_link_or_anchor_is_caught(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "# Title\n\n## Next steps\n\n"
        "[ok](docs/guide.md#setting-up) [ok too](#next-steps) [dir](docs/)\n"
        "[gone](docs/missing.md) [bad anchor](docs/guide.md#nowhere) [self](#no-such-heading)\n"
        "[outside](../elsewhere.md) [web](https://example.com/x.md) `[code](not-a-link.md)`\n",
        encoding="utf-8",
    )
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n\n## Setting up\n\n[back](../README.md#title)\n",
                                                encoding="utf-8")
    found = {p.message for p in broken_links(tmp_path)}
    assert found == {
        "link 'docs/missing.md': no such file or directory",
        "link 'docs/guide.md#nowhere': no heading or id #nowhere in guide.md",
        "link '#no-such-heading': no heading or id #no-such-heading in README.md",
        "link '../elsewhere.md' leaves the repository",
    }


def test_a_foreign_citation_is_caught(tmp_path):
    (tmp_path / "connectors").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "README.md").write_text("# x\n", encoding="utf-8")
    (tmp_path / "connectors" / "mod.py").write_text(
        '"""Module docstring: see shared/reference/logto.md."""\n'
        "X = 1  # Reference §2.4 says so\n"
        "Y = 'reference §9 in a value is not prose'\n"
        "def f():\n"
        '    """As DESIGN.md asks; README.md is fine."""\n'
        "# RFC 7208 §4.6.4 is a public standard, not a file\n",
        encoding="utf-8",
    )
    (tmp_path / "scripts" / "up").write_text("#!/usr/bin/env bash\n# see notes/observed.md\necho ok\n",
                                             encoding="utf-8")
    found = sorted(str(p) for p in foreign_citations(tmp_path))
    assert found == [
        "connectors/mod.py:1: cites shared/reference/logto.md: not in the repository",
        "connectors/mod.py:2: cites Reference §: not in the repository",
        "connectors/mod.py:5: cites DESIGN.md: not in the repository",
        "scripts/up:2: cites notes/observed.md: not in the repository",
    ]


def test_every_policy_finding_code_is_documented_once():
    emitted = {m for p in (ROOT / "connectors").rglob("*.py")
               for m in re.findall(r"[\"'](LE\d{3})[\"']", p.read_text(encoding="utf-8"))}
    rows = re.findall(r"^\| (LE\d{3}(?: / LE\d{3})?) \|", (ROOT / "docs" / "policy-checks.md").read_text(encoding="utf-8"), re.M)
    documented = [code for row in rows for code in row.split(" / ")]
    assert len(emitted) > 40
    assert sorted(emitted - set(documented)) == [], "findings without a row in docs/policy-checks.md"
    assert len(documented) == len(set(documented)), "a code documented twice"
