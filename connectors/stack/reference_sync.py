"""Rewrite the generated config reference in docs/configuration.md: `python -m connectors.stack.reference_sync`."""

from __future__ import annotations

import re
from pathlib import Path

from connectors.stack.reference import reference_markdown

TARGET = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
BLOCK = re.compile(r"(<!-- config-reference:start[^>]*-->\n).*?(<!-- config-reference:end -->)", re.DOTALL)


def synced(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + "\n" + reference_markdown() + "\n" + m.group(2), text)


if __name__ == "__main__":
    TARGET.write_text(synced(TARGET.read_text(encoding="utf-8")), encoding="utf-8")
