"""The jinja2 environment of a template set (default files, optionally under an override dir).

Jinja uses `[[ … ]]`, `[% … %]` and `[# … #]` here, so Logto's own `{{code}}`, `{{link}}` …
are plain text to jinja and reach Logto literally: template authors write them exactly as
Logto documents them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined

from connectors.templates.catalog import DEFAULT_DIR

DELIMITERS = {
    "variable_start_string": "[[",
    "variable_end_string": "]]",
    "block_start_string": "[%",
    "block_end_string": "%]",
    "comment_start_string": "[#",
    "comment_end_string": "#]",
}


def _autoescape(name: str | None) -> bool:
    return bool(name and name.endswith(".html"))


@lru_cache(maxsize=32)
def environment(override_dir: Path | None) -> Environment:
    """One cached environment per directory; jinja re-reads a file only when it changes.

    Names resolve in the override directory first, then in the default set; `default/<name>`
    always means the default file, so an override can extend the file it replaces.
    """
    loaders = [FileSystemLoader(str(override_dir))] if override_dir else []
    loaders += [FileSystemLoader(str(DEFAULT_DIR)), PrefixLoader({"default": FileSystemLoader(str(DEFAULT_DIR))})]
    return Environment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=True,
        **DELIMITERS,
    )
