"""Read a YAML file someone else wrote, with bounded work and problems that never quote it.

Stack files and template catalogs come from pull requests. A hostile or careless file must give
a clear problem (line, column, YAML path) in well under a second: never a traceback, a hang, a
huge allocation, a constructed Python object, or an error message that echoes a value (YAML
libraries quote the offending text, which may be a secret). The checks run on the parser's
event stream as it is composed, so the file is parsed once.
"""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    DocumentStartEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)

from connectors.errors import ConfigError, Problem, join_path

MAX_FILE_BYTES = 32 * 1024  # ~30 tenants; the pure-Python parser needs ~10 µs per character
MAX_DEPTH = 24  # the schema nests 6 levels under `config:`
MAX_NODES = 5_000  # after alias expansion (the shipped dev stack has ~300)
MAX_SCALAR_CHARS = 8_192
MAX_KEY_CHARS = 256
# Characters YAML allows in a file but no field of ours has a use for.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


class YamlRefused(ConfigError):
    """The file is not YAML this project reads; the problems say where and why."""


@dataclass
class _Frame:
    kind: Literal["map", "seq"]
    path: str
    anchor: str | None
    size: int = 1
    index: int = 0
    expect_key: bool = True
    key: str | None = None
    keys: dict[str, int] = field(default_factory=dict)


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


class _Guard:
    """Watches the events the composer consumes and stops at the first thing out of bounds."""

    def __init__(self, get_event: Any) -> None:
        self._get_event = get_event
        self.stack: list[_Frame] = []
        self.anchors: dict[str, int] = {}
        self.total = 0
        self.documents = 0

    def _fail(self, event: Any, path: str, message: str, hint: str | None = None) -> None:
        where = _where(event.start_mark)
        label = f"{where}: {path}" if path and where else (path or where)
        raise YamlRefused([Problem(label, message, hint)])

    def _child_path(self) -> str:
        if not self.stack:
            return ""
        top = self.stack[-1]
        return join_path(top.path, top.key) if top.kind == "map" else join_path(top.path, top.index)

    def __call__(self) -> Any:
        event = self._get_event()
        if isinstance(event, DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self._fail(event, "", "holds more than one YAML document", "keep one document (remove the `---` separators)")
        if isinstance(event, CollectionEndEvent):
            done = self.stack.pop()
            if done.anchor is not None:
                self.anchors[done.anchor] = done.size
            self._completed(done.size, event)
            return event
        if not isinstance(event, NodeEvent):
            return event
        top = self.stack[-1] if self.stack else None
        key_of = top if top is not None and top.kind == "map" and top.expect_key else None  # the mapping awaiting a key
        path = key_of.path if key_of is not None else self._child_path()
        tag = getattr(event, "tag", None)
        tag = getattr(tag, "value", tag)
        if tag is not None and not (isinstance(event, ScalarEvent) and tag == "!"):
            self._fail(event, path, "YAML tags (`!…`) are not allowed here", "remove the tag; write the plain value")
        anchor = getattr(event, "anchor", None) if not isinstance(event, AliasEvent) else None
        if anchor is not None and (anchor in self.anchors or any(f.anchor == anchor for f in self.stack)):
            self._fail(event, path, "a YAML anchor (&name) is defined twice", "give each anchor its own name")
        if key_of is not None:
            self._key(event, key_of)
        elif isinstance(event, AliasEvent):
            self._completed(self.anchors.get(event.anchor, 1), event)  # an unknown anchor: the composer names it
        elif isinstance(event, ScalarEvent):
            if len(event.value) > MAX_SCALAR_CHARS:
                self._fail(event, path, f"value is longer than {MAX_SCALAR_CHARS} characters", "shorten it")
            if event.style is None and len(event.value) > 64 and _NUMBER_LIKE.fullmatch(event.value):
                self._fail(event, path, "a number with more than 64 digits", "quote it if it is text")
            if event.anchor is not None:
                self.anchors[event.anchor] = 1
            self._completed(1, event)
        else:  # a mapping or sequence starts
            if len(self.stack) >= MAX_DEPTH:
                self._fail(event, path, f"nested more than {MAX_DEPTH} levels deep", "flatten the structure")
            kind: Literal["map", "seq"] = "map" if isinstance(event, MappingStartEvent) else "seq"
            self.stack.append(_Frame(kind, path, event.anchor))
        return event

    def _key(self, event: Any, top: _Frame) -> None:
        if not isinstance(event, ScalarEvent):
            self._fail(event, top.path, "a mapping key must be plain text (not a list, mapping or alias)")
        if len(event.value) > MAX_KEY_CHARS:
            self._fail(event, top.path, f"a key is longer than {MAX_KEY_CHARS} characters", "shorten it")
        key = event.value
        if key in top.keys and key != "<<":
            self._fail(event, join_path(top.path, key), f"duplicate key (first at line {top.keys[key]})",
                       "keep one of them; YAML keeps only the last")
        top.keys[key] = event.start_mark.line + 1
        top.key, top.expect_key = key, False
        self._count(1, event)
        top.size += 1

    def _count(self, size: int, event: Any) -> None:
        self.total += size
        if self.total > MAX_NODES:
            self._fail(event, self._child_path(), f"has more than {MAX_NODES} values (YAML aliases expanded)",
                       "write the values out instead of repeating anchors")

    def _completed(self, size: int, event: Any) -> None:
        """A value node ended: count it (expanded) into its parent and move the parent on."""
        self._count(size, event)
        if self.stack:
            top = self.stack[-1]
            top.size += size
            if top.kind == "map":
                top.expect_key = True
            else:
                top.index += 1


def decode(data: bytes, source: str) -> str:
    """UTF-8 text (an optional BOM dropped) without control characters, or problems with line and column."""
    try:
        text = codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlRefused([Problem(f"line {line}, column {column}", "is not UTF-8 text",
                                   "save the file as UTF-8")], source=source) from None
    bad = [
        i for i, c in enumerate(text)
        if (c not in _ALLOWED_CONTROLS and unicodedata.category(c) in ("Cc", "Cs")) or c in "\ufeff\ufffe\uffff\u2028\u2029"
    ][:5]
    if bad:
        problems = []
        for i in bad:
            line = text.count("\n", 0, i) + 1
            column = i - (text.rfind("\n", 0, i) + 1) + 1
            problems.append(Problem(f"line {line}, column {column}", f"control character U+{ord(text[i]):04X} is not allowed",
                                    "remove it (tabs and line breaks are the only control characters allowed)"))
        raise YamlRefused(problems, source=source)
    return text


def read_bytes(path: Path, source: str | None = None, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """At most `limit` bytes of a regular file; anything else is a problem, not an exception."""
    source = source or str(path)
    try:
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "does not exist or is not a regular file"
            raise YamlRefused([Problem("", what)], source=source)
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise YamlRefused([Problem("", f"cannot be read ({exc.strerror or type(exc).__name__})")], source=source) from None
    if len(data) > limit:
        raise YamlRefused([Problem("", f"is larger than {limit // 1024} KiB", "split it or remove what is not needed")],
                          source=source)
    return data


_NUMBER_LIKE = re.compile(r"[-+]?[0-9_.,:eExXoObBa-fA-F]+")
_QUOTED_OR_COMMENT = re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"|#[^\n]*")
_BRACKET = re.compile(r"[\[\]{}]")


def _flow_depth_problem(text: str) -> Problem | None:
    """`[[[[…` costs the parser quadratic time before any event: count brackets first.

    Quoted text and comments are skipped; an unquoted bracket inside a plain value may
    over-count, which only matters past MAX_DEPTH levels.
    """
    stripped = _QUOTED_OR_COMMENT.sub(lambda m: " " * len(m.group()), text)
    depth = 0
    for m in _BRACKET.finditer(stripped):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            i = m.start()
            return Problem(f"line {text.count(chr(10), 0, i) + 1}, column {i - (text.rfind(chr(10), 0, i) + 1) + 1}",
                           f"nested more than {MAX_DEPTH} levels deep", "flatten the structure")
    return None


def load_text(text: str, source: str, *, typ: str = "rt", limit: int = MAX_FILE_BYTES) -> Any:
    """A round-trip document by default (line numbers kept for messages, comments for rewriting)."""
    if len(text) > limit:
        raise YamlRefused([Problem("", f"is larger than {limit // 1024} KiB", "split it or remove what is not needed")],
                          source=source)
    deep = _flow_depth_problem(text)
    if deep is not None:
        raise YamlRefused([deep], source=source)
    yaml = YAML(typ=typ, pure=True)
    yaml.allow_duplicate_keys = False
    parser = yaml.parser
    guard = _Guard(parser.get_event)
    parser.get_event = guard
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ruamel's warnings quote lines of the file
            return yaml.load(text)
    except YamlRefused as exc:
        raise YamlRefused(exc.problems, source=source) from None
    except MarkedYAMLError as exc:
        # `problem` is the library's short reason; `str(exc)` would quote the offending text
        reason = exc.problem or "cannot be parsed"
        raise YamlRefused([Problem(_where(exc.problem_mark or exc.context_mark), f"not valid YAML: {reason}")],
                          source=source) from None
    except (YAMLError, ValueError, OverflowError, RecursionError) as exc:
        raise YamlRefused([Problem("", f"not valid YAML ({type(exc).__name__})")], source=source) from None


def load_file(path: Path, source: str | None = None, *, typ: str = "rt", limit: int = MAX_FILE_BYTES) -> Any:
    source = source or str(path)
    return load_text(decode(read_bytes(path, source, limit=limit), source), source, typ=typ, limit=limit)


def inside(path: Path, root: Path) -> bool:
    """`path` (after following symlinks) is `root` or below it."""
    try:
        return Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(root)))
    except (OSError, ValueError):
        return False


def plain(node: Any) -> Any:
    """ruamel's containers as plain dicts and lists (bounded: the guard capped the expansion)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node
