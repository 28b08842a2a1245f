"""A static gallery of a rendered set so a reviewer can look at every email in a browser."""

from __future__ import annotations

from html import escape
from pathlib import Path

from connectors.templates.model import RenderedSet
from connectors.templates.placeholders import (  # noqa: F401 (re-exported)
    SAMPLE_PAYLOAD,
    fill_placeholders,
    preview_payload,
)

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Email templates preview</title>
<style>
 body {{ font-family: system-ui, sans-serif; margin: 24px; color: #1f2937; background: #fafafa; }}
 table {{ border-collapse: collapse; }}
 th, td {{ border: 1px solid #e5e7eb; padding: 8px; vertical-align: top; background: #fff; }}
 th {{ background: #f3f4f6; position: sticky; top: 0; z-index: 1; }}
 .thumb {{ width: 240px; height: 300px; overflow: hidden; border: 1px solid #e5e7eb; }}
 .thumb iframe {{ width: 680px; height: 860px; border: 0; transform: scale(0.35); transform-origin: 0 0; pointer-events: none; }}
 .subject {{ width: 240px; font-size: 13px; margin: 0 0 6px; }}
 .links {{ font-size: 12px; margin-top: 6px; }}
</style></head><body>
<h1>Email templates preview</h1>
<p>{note}</p>
<table>
<tr><th>Usage type</th>{heads}</tr>
{rows}
</table>
</body></html>
"""


def write_preview(out_dir: Path, rendered: RenderedSet, *, sample: bool = True) -> list[Path]:
    """Write `<locale>/<UsageType>.html|.txt` and an `index.html` gallery (relative links only).

    With `sample=True` the Logto placeholders are filled with sample values the way Logto
    fills them, so the emails look as a user sees them, and an organization-branded variant
    (an organization with its own logo) goes to `organization/`; `sample=False` shows the
    placeholders literally.
    """
    written = _write_variant(Path(out_dir), rendered, sample=sample, organization=False)
    if sample:
        written += _write_variant(Path(out_dir) / "organization", rendered, sample=True, organization=True)
    return written


def _write_variant(out_dir: Path, rendered: RenderedSet, *, sample: bool, organization: bool) -> list[Path]:
    written: list[Path] = []
    for (locale, usage), email in rendered.emails.items():
        folder = out_dir / locale
        folder.mkdir(parents=True, exist_ok=True)
        payload = preview_payload(usage, locale, organization=organization)
        for suffix, content in (("html", email.html), ("txt", email.text)):
            path = folder / f"{usage}.{suffix}"
            path.write_text(fill_placeholders(content, payload) if sample else content, encoding="utf-8")
            written.append(path)
    heads = "".join(f"<th>{escape(loc)}</th>" for loc in rendered.locales)
    rows = []
    for usage in rendered.usage_types:
        cells = []
        for locale in rendered.locales:
            email = rendered.get(locale, usage)
            subject = fill_placeholders(email.subject, preview_payload(usage, locale, organization=organization)) if sample else email.subject
            base = f"{escape(locale)}/{escape(usage)}"
            cells.append(
                f'<td><p class="subject"><b>{escape(subject)}</b></p>'
                f'<div class="thumb"><iframe src="{base}.html" loading="lazy" title="{escape(usage)} {escape(locale)}"></iframe></div>'
                f'<div class="links"><a href="{base}.html">HTML</a> · <a href="{base}.txt">text</a></div></td>'
            )
        rows.append(f"<tr><th>{escape(usage)}</th>{''.join(cells)}</tr>")
    if organization:
        note = ('Organization-branded: sent in an organization\'s context (its name and logo, from Logto\'s '
                'organization branding). <a href="../index.html">Plain variant</a>')
    elif sample:
        note = ('Placeholders are filled with sample values, as Logto would fill them (no organization in the '
                'request). <a href="organization/index.html">Organization-branded variant</a>')
    else:
        note = escape("Logto placeholders such as {{code}} are shown as deployed.")
    index = out_dir / "index.html"
    index.write_text(_PAGE.format(note=note, heads=heads, rows="\n".join(rows)), encoding="utf-8")
    written.append(index)
    return written
