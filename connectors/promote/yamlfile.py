"""A stack file edited in place: comments, key order, quoting and `secure:` values kept as they are.

ruamel.yaml's round-trip mode re-emits the whole document, so the emitter must be set to the
file's own indentation; we pick the settings under which the untouched file re-emits byte for byte.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from connectors import safe_yaml

# (mapping, sequence, offset) layouts seen in hand-written YAML; the first that round-trips wins.
_LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 4, 0), (3, 3, 0))


@dataclass
class StackDocument:
    path: Path
    text: str
    data: Any
    yaml: YAML
    faithful: bool  # the untouched document re-emits byte for byte

    @classmethod
    def read(cls, path: Path) -> StackDocument:
        # the bounded reader first: a hostile file is refused before the unguarded round trips
        text = safe_yaml.decode(safe_yaml.read_bytes(path), str(path))
        safe_yaml.load_text(text, str(path))
        explicit_start = _has_document_start(text)
        first: YAML | None = None
        for layout in _LAYOUTS:
            yaml = _yaml(layout, explicit_start)
            data = yaml.load(text)
            first = first or yaml
            if _dump(yaml, data) == text:
                return cls(path, text, data, yaml, True)
        yaml = first or _yaml(_LAYOUTS[0], explicit_start)
        return cls(path, text, yaml.load(text), yaml, False)

    def dump(self) -> str:
        return _dump(self.yaml, self.data)


def _has_document_start(text: str) -> bool:
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.rstrip() == "---"
    return False


def _yaml(layout: tuple[int, int, int], explicit_start: bool = False) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.explicit_start = explicit_start
    yaml.width = 4096
    mapping, sequence, offset = layout
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: YAML, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def to_node(value: Any, like: Any = None) -> Any:
    """Plain data as a ruamel node, in the flow/block style of `like` (the node it replaces or copies)."""
    if isinstance(value, dict):
        mapping = CommentedMap()
        for k, v in value.items():
            mapping[k] = to_node(v, like.get(k) if isinstance(like, dict) else None)
        _copy_style(like, mapping)
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq(to_node(v) for v in value)
        _copy_style(like, seq)
        return seq
    return value


def _copy_style(like: Any, node: Any) -> None:
    fa = getattr(like, "fa", None)
    if fa is not None and fa.flow_style():
        node.fa.set_flow_style()
    elif fa is not None:
        node.fa.set_block_style()
