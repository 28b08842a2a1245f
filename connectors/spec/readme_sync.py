"""Rewrite README.md's generated config reference: `python -m connectors.spec.readme_sync`."""

from __future__ import annotations

import re
from pathlib import Path

from connectors.spec.reference import reference_markdown

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"(<!-- config-reference:start[^>]*-->\n).*?(<!-- config-reference:end -->)", re.DOTALL)


def synced(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + "\n" + reference_markdown() + "\n" + m.group(2), text)


if __name__ == "__main__":
    README.write_text(synced(README.read_text(encoding="utf-8")), encoding="utf-8")
