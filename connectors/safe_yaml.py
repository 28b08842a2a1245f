"""Read a YAML file someone else wrote, with bounded work and problems that never quote it.

Stack files and template catalogs come from pull requests. A hostile or careless file must give
a clear problem (line, column, YAML path) in well under a second: never a traceback, a hang, a
huge allocation, a constructed Python object, or an error message that echoes a value (YAML
libraries quote the offending text, which may be a secret).

libyaml (PyYAML's C parser) parses; every event it yields passes the bounds checks and is built
at once into plain dicts, lists and scalars, resolved and constructed by ruamel.yaml's YAML 1.2
rules, so the file is parsed once and no node tree is kept. Line numbers are needed only once a problem is
found: `lines_of` walks the events again then. Round trips (comments kept) are promote's, which
checks a file here first.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ruamel.yaml import error as ruamel_error
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import implicit_resolvers
from yaml.error import MarkedYAMLError, YAMLError
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from connectors.errors import ConfigError, Problem, join_path

try:  # libyaml, ~20x faster than a pure-Python parser (PyYAML's wheels bundle it)
    from yaml._yaml import CParser as _CParser

    CParser: type[_CParser] | None = _CParser
except ImportError:  # pragma: no cover - no libyaml: PyYAML's pure-Python parser, same events
    CParser = None

# A 1,000-tenant stack is ~1 MiB and ~65,000 values; the caps leave room for that and bound the
# work for anything else: the whole file is checked and built in well under 2 s of CPU.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 24  # the schema nests 6 levels under `config:`
MAX_NODES = 100_000  # keys and values, aliases expanded (1,000 tenants of the benchmark: 62,209; dev: 320)
MAX_SCALAR_CHARS = 8_192
MAX_KEY_CHARS = 256
MAX_DATES = 1_000  # plain scalars read as dates or times
# Characters YAML allows in a file but no field of ours has a use for: C0 and C1 controls but
# tab and line breaks, surrogates, BOM/non-characters inside the text, Unicode line separators.
_BAD_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\u2028\u2029]")


class YamlRefused(ConfigError):
    """The file is not YAML this project reads; the problems say where and why."""


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE = object()  # the `<<` key
_PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@lru_cache(maxsize=4)
def _implicit_resolvers(version: tuple[int, int]) -> dict[str | None, tuple[tuple[str, re.Pattern[str]], ...]]:
    """ruamel.yaml's implicit resolvers of a YAML version: first character -> (tag, pattern).
    Compiled once per process: every catalog and stack file starts a reader with them."""
    table: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}
    for versions, tag, pattern, first in implicit_resolvers:
        if version in versions:
            compiled = re.compile(pattern.pattern, pattern.flags)  # ruamel's patterns compile lazily, per access
            chars: list[str | None] = [*first] if first else [None]
            for char in chars:
                table.setdefault(char, []).append((tag, compiled))
    return {char: tuple(patterns) for char, patterns in table.items()}


class _Scalars:
    """Scalars as ruamel.yaml resolves and constructs them: YAML 1.2, or 1.1 after `%YAML 1.1`.

    Resolution is ruamel's table matched here (its resolver looks the version up per scalar);
    ints, floats, bools, nulls and dates are built by its constructor, once per distinct text.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[str, str], Any] = {}
        self.dates = 0
        self.set_version(None)

    def set_version(self, version: tuple[int, int] | None) -> None:
        self.version = version or (1, 2)
        table = dict(_implicit_resolvers(self.version))
        self._any = table.pop(None, ())
        self._by_first = {char: patterns + self._any for char, patterns in table.items()}  # as ruamel orders them
        # the constructor asks its loader's resolver only which YAML version it reads
        loader = SimpleNamespace(_resolver=SimpleNamespace(processing_version=self.version))
        self._constructor = SafeConstructor(loader=loader)
        self._node = ScalarNode(_STR_TAG, "", None, None)
        self._memo.clear()

    def build(self, event: Any) -> Any:
        """The value of a scalar event; `_MERGE` for a plain `<<`."""
        value = event.value
        if event.tag not in (None, "!") or not event.implicit[0]:  # quoted, or `!` with quotes: text
            return value
        if self.version == (1, 2) and _PLAIN_NUMBER.fullmatch(value):  # 1.2 reads these so, ruamel builds them so
            return float(value) if "." in value else int(value)
        for tag, pattern in self._by_first.get(value[:1], self._any):  # value[:1] is "" for an empty scalar
            if pattern.match(value):
                break
        else:
            return value
        if tag == _MERGE_TAG:
            return _MERGE
        construct = SafeConstructor.yaml_constructors.get(tag)
        if construct is None:  # `=` (YAML 1.1's value key) and the like have no type of their own: text
            return value
        memo_key = (tag, value)
        if memo_key in self._memo:
            return self._memo[memo_key]
        if tag == _TIMESTAMP_TAG:
            self.dates += 1
            if self.dates > MAX_DATES:  # the slowest scalars to build; no setting of ours is a date
                raise YamlRefused([Problem(_where(event.start_mark), f"has more than {MAX_DATES} dates or times",
                                           "quote them: no setting of logto-email is a date")])
        node = self._node
        node.value, node.start_mark = value, event.start_mark
        built = self._memo[memo_key] = construct(self._constructor, node)
        return built


class _Frame:
    """An open mapping or sequence: what is built so far and what the checks need."""

    __slots__ = ("anchor", "expect_key", "index", "is_map", "items", "key", "keys", "merges", "path", "size", "value_key")

    def __init__(self, is_map: bool, path: str, anchor: str | None) -> None:
        self.is_map, self.path, self.anchor = is_map, path, anchor
        self.items: Any = {} if is_map else []
        self.size = 1  # nodes inside, aliases expanded
        self.index = 0
        self.expect_key = True
        self.key: str | None = None  # the key's text, for paths
        self.value_key: Any = None  # the key's value (`1:` is the int 1), or _MERGE
        self.keys: dict[str, int] = {}  # key text -> line, for duplicates
        self.merges: list[dict[Any, Any]] | None = None

    def finish(self) -> Any:
        """Merged keys (`<<`) come after the mapping's own, the first source winning, as in ruamel.yaml."""
        if self.merges:
            for source in self.merges:
                for key, value in source.items():
                    if key not in self.items:
                        self.items[key] = value
        return self.items


class _Reader:
    """Builds plain data from the parser's events and stops at the first thing out of bounds.

    One pass, per event, so it is written for speed: the YAML path of a problem is worked out
    only when there is one, and rare cases (tags, anchors, long values) leave the hot path.
    """

    def __init__(self, next_event: Callable[[], Any]) -> None:
        self._next_event = next_event
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[int, Any]] = {}  # name -> (nodes, value)
        self.total = 0
        self.documents = 0
        self.scalars = _Scalars()

    def fail(self, event: Any, path: str, message: str, hint: str | None = None) -> None:
        where = _where(event.start_mark)
        label = f"{where}: {path}" if path and where else (path or where)
        raise YamlRefused([Problem(label, message, hint)])

    def child_path(self) -> str:
        """The path of the value the innermost open collection is at."""
        if not self.stack:
            return ""
        top = self.stack[-1]
        return join_path(top.path, top.key) if top.is_map else join_path(top.path, top.index)

    def read(self) -> Any:
        next_event, stack, build = self._next_event, self.stack, self.scalars.build
        root: Any = None
        while True:
            event = next_event()
            kind = type(event)
            top = stack[-1] if stack else None
            if kind is ScalarEvent:
                if top is not None and top.is_map and top.expect_key:
                    self._key(event, top)
                    continue
                if event.tag is not None or event.anchor is not None:
                    self._tag_and_anchor(event)
                text = event.value
                if len(text) > 64:
                    self._long(event)
                value = build(event) if event.implicit[0] else text
                if value is _MERGE:  # `<<` merges only as a key
                    value = text
                if event.anchor is not None:
                    self.anchors[event.anchor] = (1, value)
                size = 1
                self._count(1, event)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                done = stack.pop()
                value, size = done.finish(), done.size  # its nodes were counted as they came
                if done.anchor is not None:
                    self.anchors[done.anchor] = (size, value)
                top = stack[-1] if stack else None
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if top is not None and top.is_map and top.expect_key:
                    self.fail(event, top.path, "a mapping key must be plain text (not a list, mapping or alias)")
                if event.tag is not None or event.anchor is not None:
                    self._tag_and_anchor(event)
                if len(stack) >= MAX_DEPTH:
                    self.fail(event, self.child_path(), f"nested more than {MAX_DEPTH} levels deep", "flatten the structure")
                self._count(1, event)
                stack.append(_Frame(kind is MappingStartEvent, self.child_path(), event.anchor))
                continue
            elif kind is AliasEvent:
                if top is not None and top.is_map and top.expect_key:
                    self.fail(event, top.path, "a mapping key must be plain text (not a list, mapping or alias)")
                known = self.anchors.get(event.anchor)
                if known is None:  # not defined before, or an alias inside its own anchor
                    self.fail(event, self.child_path(), "an alias (*name) refers to no complete anchor defined before "
                              "it", "define the anchor (&name) before the alias, outside the aliased block")
                size, value = known  # type: ignore[misc]
                self._count(size, event)
            elif kind is DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    self.fail(event, "", "holds more than one YAML document", "keep one document (remove the `---` separators)")
                self.scalars.set_version(event.version)
                continue
            elif kind is StreamEndEvent:
                return root
            else:
                continue
            if top is None:
                root = value
            elif top.is_map:
                top.size += size
                top.expect_key = True
                self._put(event, top, value)
            else:
                top.size += size
                top.items.append(value)
                top.index += 1

    def _count(self, size: int, event: Any) -> None:
        self.total += size
        if self.total > MAX_NODES:
            self.fail(event, self.child_path(), f"has more than {MAX_NODES} values (YAML aliases expanded)",
                      "write the values out instead of repeating anchors")

    def _tag_and_anchor(self, event: Any, path: str | None = None) -> None:
        tag, anchor = event.tag, event.anchor
        if tag is not None and not (tag == "!" and type(event) is ScalarEvent):
            self.fail(event, self.child_path() if path is None else path, "YAML tags (`!…`) are not allowed here",
                      "remove the tag; write the plain value")
        if anchor is not None and (anchor in self.anchors or any(f.anchor == anchor for f in self.stack)):
            self.fail(event, self.child_path() if path is None else path, "a YAML anchor (&name) is defined twice",
                      "give each anchor its own name")

    def _long(self, event: Any) -> None:
        text = event.value
        if len(text) > MAX_SCALAR_CHARS:
            self.fail(event, self.child_path(), f"value is longer than {MAX_SCALAR_CHARS} characters", "shorten it")
        if not event.style and _NUMBER_LIKE.fullmatch(text):
            self.fail(event, self.child_path(), "a number with more than 64 digits", "quote it if it is text")

    def _key(self, event: Any, top: _Frame) -> None:
        if event.tag is not None or event.anchor is not None:
            self._tag_and_anchor(event, top.path)
        key = event.value
        if len(key) > MAX_KEY_CHARS:
            self.fail(event, top.path, f"a key is longer than {MAX_KEY_CHARS} characters", "shorten it")
        if key in top.keys and key != "<<":
            self.fail(event, join_path(top.path, key), f"duplicate key (first at line {top.keys[key]})",
                      "keep one of them; YAML keeps only the last")
        top.keys[key] = event.start_mark.line + 1
        top.key, top.expect_key = key, False
        top.value_key = self.scalars.build(event) if event.implicit[0] else key
        if event.anchor is not None:
            self.anchors[event.anchor] = (1, key if top.value_key is _MERGE else top.value_key)
        self._count(1, event)
        top.size += 1

    def _put(self, event: Any, top: _Frame, value: Any) -> None:
        key, items = top.value_key, top.items
        if key is _MERGE:
            if top.merges is not None:
                self.fail(event, top.path, "a mapping has two merge keys (<<)", "merge a list instead: <<: [*a, *b]")
            sources = value if isinstance(value, list) else [value]
            if not all(isinstance(source, dict) for source in sources):
                self.fail(event, top.path, "a merge key (<<) takes a mapping or a list of mappings")
            top.merges = sources
        elif key in items:  # two spellings of one key (`1` and `0x1`); the same text is caught above
            self.fail(event, join_path(top.path, top.key), "duplicate key", "keep one of them; YAML keeps only the last")
        else:
            items[key] = value


def decode(data: bytes, source: str) -> str:
    """UTF-8 text (an optional BOM dropped) without control characters, or problems with line and column."""
    try:
        text = codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlRefused([Problem(f"line {line}, column {column}", "is not UTF-8 text",
                                   "save the file as UTF-8")], source=source) from None
    bad = [m.start() for _, m in zip(range(5), _BAD_CHARACTER.finditer(text))]
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
        raise YamlRefused([Problem("", f"is larger than {_size(limit)}", "split it or remove what is not needed")],
                          source=source)
    return data


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit // 1024} KiB"


_NUMBER_LIKE = re.compile(r"[-+]?[0-9_.,:eExXoObBa-fA-F]+")
_QUOTED_OR_COMMENT = re.compile(r"'[^']*'|\"[^\"\\]*(?:\\.[^\"\\]*)*\"|#[^\n]*")  # quotes unrolled: one step per run
_BRACKET = re.compile(r"[\[\]{}]")
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _deeper_than(brackets: str, limit: int) -> bool:
    """Whether the opening and closing brackets in `brackets` nest more than `limit` deep
    (a stray closing bracket counts as nothing, as in `_flow_depth_problem`)."""
    if brackets.count("[") + brackets.count("{") <= limit:
        return False
    depth = 0
    for c in brackets:
        if c in "[{":
            depth += 1
            if depth > limit:
                return True
        elif depth:
            depth -= 1
    return False


def _flow_depth_problem(text: str) -> Problem | None:
    """`[[[[…` costs the parser quadratic time before any event: count brackets first.

    Quoted text and comments are skipped; an unquoted bracket inside a plain value may
    over-count, which only matters past MAX_DEPTH levels.
    """
    # The common case first, in C: the brackets outside quotes and comments, in order, as one string.
    brackets = _NOT_BRACKET.sub("", "".join(_QUOTED_OR_COMMENT.split(text)))
    if not _deeper_than(brackets, MAX_DEPTH):
        return None
    stripped = _QUOTED_OR_COMMENT.sub(lambda m: " " * len(m.group()), text)  # again, keeping positions
    depth = 0
    for m in _BRACKET.finditer(stripped):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            i = m.start()
            return Problem(f"line {text.count(chr(10), 0, i) + 1}, column {i - (text.rfind(chr(10), 0, i) + 1) + 1}",
                           f"nested more than {MAX_DEPTH} levels deep", "flatten the structure")
    return None


def _events(text: str) -> Callable[[], Any]:
    """The parser's next-event function (YAML 1.1 syntax, which libyaml extends to 1.2's plain
    scalars such as URLs in flow mappings; values resolve as 1.2 below)."""
    if CParser is not None:
        return CParser(text).get_event
    import yaml  # pragma: no cover

    return iter(yaml.parse(text, Loader=yaml.SafeLoader)).__next__  # pragma: no cover


def _parse(text: str, source: str, run: Callable[[Callable[[], Any]], Any]) -> Any:
    """`run(next_event)`, every YAML library error turned into a problem that quotes nothing."""
    try:
        return run(_events(text))
    except YamlRefused as exc:
        raise YamlRefused(exc.problems, source=source) from None
    except (MarkedYAMLError, ruamel_error.MarkedYAMLError) as exc:  # the parser's, or a scalar's constructor's
        # `problem` is the library's short reason; `str(exc)` would quote the offending text
        reason = exc.problem or "cannot be parsed"
        raise YamlRefused([Problem(_where(exc.problem_mark or exc.context_mark), f"not valid YAML: {reason}")],
                          source=source) from None
    except (YAMLError, ruamel_error.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        raise YamlRefused([Problem("", f"not valid YAML ({type(exc).__name__})")], source=source) from None


def load_text(text: str, source: str, *, limit: int = MAX_FILE_BYTES) -> Any:
    """Plain data (dicts, lists, scalars) of one YAML document, within the bounds above."""
    if len(text) > limit:
        raise YamlRefused([Problem("", f"is larger than {_size(limit)}", "split it or remove what is not needed")],
                          source=source)
    deep = _flow_depth_problem(text)
    if deep is not None:
        raise YamlRefused([deep], source=source)
    return _parse(text, source, lambda next_event: _Reader(next_event).read())


def load_file(path: Path, source: str | None = None, *, limit: int = MAX_FILE_BYTES) -> Any:
    source = source or str(path)
    return load_text(decode(read_bytes(path, source, limit=limit), source), source, limit=limit)


@dataclass
class _LineFrame:
    prefix: tuple[str | int, ...]
    is_map: bool
    expect_key: bool = True
    key: tuple[str | int, ...] = ()
    index: int = 0

    def completed(self) -> None:
        if self.is_map:
            self.expect_key = True
        else:
            self.index += 1


def lines_of(text: str, paths: Iterable[tuple[str | int, ...]]) -> dict[tuple[str | int, ...], int]:
    """The line (1-based) of the key or list item at each path and at each of its prefixes.

    Parses `text` again (a file `load_text` accepted): messages need lines, the data does not.
    Keys are matched by their text; a path through a merged or aliased key stops there.
    """
    wanted = {path[:i] for path in paths for i in range(1, len(path) + 1)}
    found: dict[tuple[str | int, ...], int] = {}

    def walk(next_event: Callable[[], Any]) -> None:
        frames: list[_LineFrame] = []
        while True:
            event = next_event()
            kind = type(event)
            if kind is StreamEndEvent:
                return
            if kind is MappingEndEvent or kind is SequenceEndEvent:
                frames.pop()
                if frames:
                    frames[-1].completed()
                continue
            if not isinstance(event, NodeEvent) or event.start_mark is None:
                continue
            top = frames[-1] if frames else None
            if top is not None and top.is_map and top.expect_key:
                top.key = (*top.prefix, str(getattr(event, "value", "")))  # keys are scalars in a file the guard accepted
                if top.key in wanted:
                    found.setdefault(top.key, event.start_mark.line + 1)
                    if len(found) == len(wanted):
                        return  # the rest of the file is not needed
                top.expect_key = False
                continue
            path = () if top is None else top.key if top.is_map else (*top.prefix, top.index)
            if top is not None and not top.is_map and path in wanted:
                found.setdefault(path, event.start_mark.line + 1)
                if len(found) == len(wanted):
                    return
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                frames.append(_LineFrame(path, kind is MappingStartEvent))
            elif top is not None:
                top.completed()

    try:
        _parse(text, "", walk)
    except YamlRefused:
        pass  # lines are a courtesy
    return found


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
