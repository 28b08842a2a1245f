"""`render_all` over a broad matrix (every shipped locale, many brandings, code lifetimes and
override directories) is byte for byte what it was when the digests were recorded.

`test_render_golden.py` pins the shipped stacks; this pins the corners they do not reach:
brandings with a logo, support links, a multi-line address, dark or short-hex colours, names
that need escaping or collapse whitespace, catalog and template overrides, and the problems a
broken set reports. Record anew after a deliberate change:
`LOGTO_EMAIL_UPDATE_GOLDEN=1 uv run pytest tests/templates/test_render_matrix.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from connectors.templates import Branding, TemplateError, available_locales, render_all

GOLDEN = Path(__file__).with_name("golden_render_matrix.json")

BRANDINGS: dict[str, Branding] = {
    "plain": Branding(product_name="Acme"),
    "bench": Branding(product_name="Bench", primary_color="#0F766E", company_name="Bench Inc."),
    "full": Branding(product_name="Acme Cloud", logo_url="https://cdn.acme.example/logo.png",
                     primary_color="#e11d48", background_color="#fafafa", text_color="#1f2937",
                     company_name="Acme, Inc.", company_address="1 Main St\n  Suite 200 \n\nSpringfield, IL",
                     support_email="help@acme.example", support_url="https://acme.example/help"),
    "dark": Branding(product_name="Nightly", primary_color="#FBBF24", background_color="#111827",
                     text_color="#000", company_address="Berlin"),
    "short-hex": Branding(product_name="Tiny", primary_color="#abc", background_color="#FFF", text_color="#222"),
    "escaping": Branding(product_name="Joe's \"Q&A\" <Shop>", logo_url="https://x.example/l.png?a=1&b=2#f",
                         company_name="Tom & Jerry's", support_url="https://x.example/?q=a%20b&r=\"x\""),
    "whitespace": Branding(product_name="  Spaced   Out\tCo ", company_name="Two  Spaces",
                           company_address="Line one  \n\tLine\u00a0two"),
    "unicode": Branding(product_name="日本語サービス", company_name="Ünïcødé GmbH", support_email="hilfe@example.de"),
    "braces": Branding(product_name="{{code}} [[ x ]] {product} 10 minutes", company_name="{% raw %}"),
    "logo-only": Branding(product_name="Logo", logo_url="http://l.example/a.svg", support_url="https://l.example"),
    "company-no-address": Branding(product_name="Co", company_name="Co Ltd", support_email="a@b.example"),
    "digits": Branding(product_name="10 Minute Mail 100% #1", company_name="Web3 {Labs} [x]"),
}

LOCALES = available_locales()
CASES: list[tuple[str, str, tuple[str, ...], int]] = [
    *((f"{name}/all/600", name, tuple(LOCALES), 600) for name in BRANDINGS),
    *((f"full/all/{s}", "full", tuple(LOCALES), s) for s in (60, 90, 61, 120, 3600, 1260)),
    ("plain/ja-first/600", "plain", ("ja", "en", "de"), 600),
    ("dark/de/300", "dark", ("de",), 300),
]

OVERRIDES: dict[str, dict[str, str]] = {
    "catalog": {"locales/de.yaml": "SignIn:\n  heading: Willkommen zurück bei {product} ({company})\n"
                                   "meta:\n  font_family: \"'Fira Sans'\"\n",
                "locales/en.yaml": "common:\n  expiry: This code expires in 15 minutes.\n"},
    "manifest": {"templates.yaml": "usage_types: [SignIn, Register, ForgotPassword, Generic, MfaVerification]\n"},
    "template": {"SignIn.subject": "[[ brand.product_name|upper ]] login: {{code}}",
                 "layout.html": "[% extends \"default/layout.html\" %]\n[% block footer %]<p class=\"footer-line\">"
                                "Custom [[ brand.product_name[:3] ]]</p>[[ super() ]][% endblock %]"},
    "broken": {"Generic.txt": "no code here {{link}} {% if %}", "locales/fr.yaml": "SignIn:\n  heading: [1, 2]\n"},
}


def _digest(render: Any, tmp: Path) -> str:
    try:
        rendered = render()
    except TemplateError as exc:
        return "error:" + hashlib.sha256(str(exc).replace(str(tmp), "<tmp>").encode()).hexdigest()
    body = {"locales": rendered.locales, "warnings": [str(w) for w in rendered.warnings],
            "emails": [[k[0], k[1], e.subject, e.text, e.html] for k, e in rendered.emails.items()]}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False).replace(str(tmp), "<tmp>").encode()).hexdigest()


def _matrix(tmp: Path) -> dict[str, str]:
    got = {case: _digest(lambda b=b, loc=loc, s=s: render_all(BRANDINGS[b], loc, code_lifetime_seconds=s), tmp)
           for case, b, loc, s in CASES}
    for name, files in OVERRIDES.items():
        root = tmp / name
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        for b in ("full", "escaping", "whitespace", "plain", "digits"):
            for s in (600, 90):
                got[f"override-{name}/{b}/{s}"] = _digest(
                    lambda b=b, s=s, root=root: render_all(BRANDINGS[b], LOCALES, root, code_lifetime_seconds=s), tmp)
    return got


def test_render_matrix_is_unchanged(tmp_path: Path) -> None:
    got = _matrix(tmp_path)
    if os.environ.get("LOGTO_EMAIL_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip("recorded")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    changed = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
    assert not changed, f"{len(changed)} of {len(want)} cases render differently: {changed[:20]}"
