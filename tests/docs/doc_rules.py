"""Checks behind tests/docs: Markdown links and anchors resolve; code cites no file outside the repo.

Kept apart from the tests so that they can be run on a throw-away tree as well, which is how the
tests prove that a broken link or a foreign citation is caught.
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

SKIP_DIRS = {".git", ".venv", "node_modules", ".local-stack", ".pytest_cache", "__pycache__", "dist",
             "render-out", ".hypothesis", ".mypy_cache", ".ruff_cache"}
CODE_DIRS = ("connectors", "infra", "relay", "logto_standin", "scripts", "tests")
CODE_SUFFIXES = {".py", ".mjs", ".js", ".sh", ""}  # "" = scripts without a suffix (bash)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:, …
HTML_ID = re.compile(r"""<a\s[^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.I)
HTML_HREF = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
# What a comment must not cite: the project's shared notes and reference, which are not in the repository.
FOREIGN = re.compile(r"\bshared/[\w./-]*|\breference\s*§|\breference/[\w./-]+|\bDESIGN\.md\b|/work/[\w./-]*", re.I)
MD_NAME = re.compile(r"[\w./-]*[\w-]\.md\b")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def files(root: Path, suffixes: set[str], under: tuple[str, ...] = ()) -> Iterator[Path]:
    """Files with one of `suffixes` below `root` (or its `under` folders), skipping caches and deps."""
    for top in [root / d for d in under] if under else [root]:
        for folder, dirs, names in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(names):
                path = Path(folder) / name
                if path.suffix in suffixes:
                    yield path


def markdown_files(root: Path) -> list[Path]:
    return list(files(root, {".md"}))


# -- anchors -------------------------------------------------------------------------------------


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped (not `-`/`_`), spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _parse(text: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(text)


def _inline_text(token: Token) -> str:
    return "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline"))


def anchors(text: str) -> set[str]:
    """Every `#fragment` a GitHub rendering of `text` answers: headings (deduplicated) and HTML ids."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    tokens = _parse(text)
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            base = slug(_inline_text(tokens[i + 1]))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
        if token.type in ("html_block", "html_inline") or token.type == "inline":
            sources = [token.content] + [c.content for c in token.children or [] if c.type == "html_inline"]
            for source in sources:
                found.update(HTML_ID.findall(source))
    return found


# -- links ---------------------------------------------------------------------------------------


def _links(text: str) -> Iterator[tuple[int, str]]:
    """(line, href) of every link, image and HTML href; the line is the one holding the href."""
    lines = text.splitlines()

    def line_of(token: Token, href: str) -> int:
        start, end = token.map or (0, 0)
        return next((n + 1 for n in range(start, end) if href in lines[n]), start + 1)

    for token in _parse(text):
        hrefs: list[str] = []
        if token.type == "html_block":
            hrefs += HTML_HREF.findall(token.content)
        for child in token.children or []:
            if child.type == "link_open":
                hrefs.append(str(child.attrs.get("href", "")))
            elif child.type == "image":
                hrefs.append(str(child.attrs.get("src", "")))
            elif child.type == "html_inline":
                hrefs += HTML_HREF.findall(child.content)
        for href in hrefs:
            yield line_of(token, href), href


def broken_links(root: Path) -> list[Problem]:
    """Relative links (and their `#anchors`) in every Markdown file under `root` that do not resolve."""
    root = root.resolve()
    cache: dict[Path, set[str]] = {}

    def anchors_of(path: Path) -> set[str]:
        if path not in cache:
            cache[path] = anchors(path.read_text(encoding="utf-8"))
        return cache[path]

    problems: list[Problem] = []
    for md in markdown_files(root):
        rel = md.relative_to(root).as_posix()
        for line, href in _links(md.read_text(encoding="utf-8")):
            if not href or EXTERNAL.match(href):
                continue
            target, _, fragment = href.partition("#")
            path = (md.parent / unquote(target)).resolve() if target else md
            if root not in path.parents and path != root:
                problems.append(Problem(rel, line, f"link {href!r} leaves the repository"))
            elif not path.exists():
                problems.append(Problem(rel, line, f"link {href!r}: no such file or directory"))
            elif fragment and path.suffix == ".md" and unquote(fragment) not in anchors_of(path):
                problems.append(Problem(rel, line, f"link {href!r}: no heading or id #{fragment} in {path.name}"))
    return problems


# -- citations in code ---------------------------------------------------------------------------


def _python_prose(source: str) -> Iterator[tuple[int, str]]:
    """Comments and docstrings (a string token that starts a statement, outside any brackets)."""
    previous, depth = tokenize.NEWLINE, 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            yield tok.start[0], tok.string
            continue
        if tok.type == tokenize.STRING and depth == 0 and previous in (
                tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
            yield tok.start[0], tok.string
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        previous = tok.type


def _other_prose(source: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        for mark in ("#", "//", "/*", "*"):
            if stripped.startswith(mark):
                yield number, stripped
                break
        else:
            for mark in (" # ", " // "):
                if mark in line:
                    yield number, line.split(mark, 1)[1]
                    break


def foreign_citations(root: Path, under: tuple[str, ...] = CODE_DIRS) -> list[Problem]:
    """Comments and docstrings that cite a file not in the repository (e.g. notes kept beside it)."""
    root = root.resolve()
    known = {p.name for p in markdown_files(root)}
    problems: list[Problem] = []
    for path in files(root, CODE_SUFFIXES, tuple(d for d in under if (root / d).exists())):
        if path.suffix == "" and path.parent.name != "scripts":
            continue
        try:
            source = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        prose = _python_prose(source) if path.suffix == ".py" else _other_prose(source)
        rel = path.relative_to(root).as_posix()
        for line, text in prose:
            cited = {m.group(0).rstrip(".") for m in FOREIGN.finditer(text)}
            cited |= {n for n in MD_NAME.findall(text) if not (root / n).exists() and Path(n).name not in known}
            if cited:
                problems.append(Problem(rel, line, f"cites {', '.join(sorted(cited))}: not in the repository"))
    return problems
