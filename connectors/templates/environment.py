"""The jinja2 environment of a template set (default files, optionally under an override dir).

Jinja uses `[[ … ]]`, `[% … %]` and `[# … #]` here, so Logto's own `{{code}}`, `{{link}}` …
are plain text to jinja and reach Logto literally: template authors write them exactly as
Logto documents them.

Templates come from pull requests and their output is mailed to users, so they render in a
sandbox: no attribute walk to Python internals (jinja2's immutable sandbox), no file outside the
template set (symlinks that leave it are refused), and bounded work — loop iterations, calls,
includes, value and output sizes — so no template can hang `validate` or exhaust memory.
"""

from __future__ import annotations

import contextvars
import io
import itertools
import os
import re
import types
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    BytecodeCache,
    ChoiceLoader,
    Environment,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
    nodes,
)
from jinja2.exceptions import SecurityError
from jinja2.ext import Extension
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner

from connectors.templates.catalog import DEFAULT_DIR

DELIMITERS = {
    "variable_start_string": "[[",
    "variable_end_string": "]]",
    "block_start_string": "[%",
    "block_end_string": "%]",
    "comment_start_string": "[#",
    "comment_end_string": "#]",
}

MAX_TEMPLATE_BYTES = 128 * 1024  # a template file
MAX_OPS = 2_000  # loop iterations + calls + filters in one render (the default set: at most ~50)
MAX_SET_OPS = 50_000  # the same over a whole template set (the default set in 7 locales: ~4,000)
MAX_INCLUDES = 64  # include/import/extends in one render
MAX_VALUE = 100_000  # characters (or items) of any one value a template builds
MAX_OUTPUT = 512 * 1024  # characters one template renders
MAX_NUMBER_ARG = 10_000  # a width, count or range a filter/function is given

_JINJA_INTERNALS = (Context, nodes.EvalContext, Environment)  # what jinja passes to pass_* filters
_WIDE_PERCENT = re.compile(r"%[-#0 +]*(?:\*|\d{5,})|%[-#0 +]*\d*\.(?:\*|\d{5,})")


class RenderBudget:
    """What one render may still spend; shared by the loop guard, calls, filters and includes.

    A render's spending also counts against the template set's budget (`set_budget`), so a
    template that stays just under the per-render cap cannot multiply it by every email: a render
    starts with what is left of the set's budget, if less, and pays the set when it ends. A tick
    is one subtraction (it runs for every loop iteration, call and filter).
    """

    def __init__(self, ops: int = MAX_OPS, parent: RenderBudget | None = None) -> None:
        self.limit = ops
        self.includes = MAX_INCLUDES
        self.parent = parent
        self.start: int = min(ops, parent.ops) if parent is not None else ops
        self.ops: int = self.start

    def tick(self, n: int = 1) -> None:
        self.ops -= n
        if self.ops < 0:
            limit = self.parent.limit if self.parent is not None and self.start < self.limit else self.limit
            raise SecurityError(f"the templates do more than {limit} loop iterations and calls; simplify them")

    def settle(self) -> None:
        """Charge what this render spent to the set's budget."""
        if self.parent is not None:
            self.parent.ops -= self.start - max(self.ops, 0)


_BUDGET: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar("template_budget", default=None)
_SET_BUDGET: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar("template_set_budget", default=None)


@contextmanager
def set_budget() -> Iterator[RenderBudget]:
    """Bound the work of rendering a whole template set (every usage type, part and locale)."""
    token = _SET_BUDGET.set(RenderBudget(MAX_SET_OPS))
    try:
        yield _SET_BUDGET.get()  # type: ignore[misc]
    finally:
        _SET_BUDGET.reset(token)


def _budget() -> RenderBudget:
    # Outside `bounded_render` (jinja folding constants at compile time): a throwaway budget.
    return _BUDGET.get() or RenderBudget()


@contextmanager
def _fresh_budget() -> Iterator[RenderBudget]:
    budget = RenderBudget(parent=_SET_BUDGET.get())
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)
        budget.settle()


_BATCH = 64  # output chunks taken at a time; each is at most MAX_VALUE (or a template's literal text)


def bounded_render(template: Any, context: dict[str, Any]) -> str:
    """`template.render(context)` within the budget, stopping once the output exceeds MAX_OUTPUT."""
    with _fresh_budget():
        chunks = template.generate(context)
        out: list[str] = []
        size = 0
        while batch := list(itertools.islice(chunks, _BATCH)):
            size += sum(map(len, batch))
            if size > MAX_OUTPUT:
                raise SecurityError(f"the template renders more than {MAX_OUTPUT // 1024} KiB; shorten it")
            out += batch
        return "".join(out)


_SIZED = (str, bytes, list, tuple, dict, set)


def _check_value(value: Any) -> Any:
    if isinstance(value, _SIZED):
        if len(value) > MAX_VALUE:
            raise SecurityError(f"a value in the template grows beyond {MAX_VALUE} characters or items")
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        raise SecurityError("a number in the template is too large")
    return value


def _check_args(args: Iterable[Any], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()) if kwargs else args:
        if isinstance(value, _SIZED):
            if len(value) > MAX_VALUE:
                raise SecurityError(f"a value in the template grows beyond {MAX_VALUE} characters or items")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER_ARG:
            raise SecurityError(f"a number passed to a filter or function exceeds {MAX_NUMBER_ARG}")


def _bounded_range(*args: int) -> range:
    _check_args(args, {})
    rng = range(*args)
    if len(rng) > MAX_NUMBER_ARG:
        raise SecurityError(f"range() of more than {MAX_NUMBER_ARG} items")
    return rng


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        plain = [a for a in args if not _is_jinja_internal(a)]
        _check_args(plain[1:], kwargs)  # the value filtered may be big; the parameters may not
        if name == "replace" and len(plain) >= 3 and isinstance(plain[0], str):
            old, new = str(plain[1]), str(plain[2])
            grows = (len(new) - len(old)) * (plain[0].count(old) if old else len(plain[0]) + 1)
            if len(plain[0]) + grows > MAX_VALUE:
                raise SecurityError(f"replace() would build more than {MAX_VALUE} characters")
        if name == "join" and len(plain) >= 1:
            if not isinstance(plain[0], Sized):  # a generator (map, select, …): take what the budget allows
                items = list(itertools.islice(plain[0], MAX_VALUE + 1))
                args = tuple(items if a is plain[0] else a for a in args)
                plain[0] = items
            sep = len(str(plain[1])) if len(plain) >= 2 else len(str(kwargs.get("d", "")))
            if len(plain[0]) * max(sep, 1) > MAX_VALUE:
                raise SecurityError(f"join() would build more than {MAX_VALUE} characters")
        return _check_value(func(*args, **kwargs))

    return wrapper


def _is_jinja_internal(value: Any) -> bool:
    return isinstance(value, _JINJA_INTERNALS)


class _LoopGuard(Extension):
    """Counts every loop iteration against the render's budget (wrapped around `for` by the parser)."""

    identifier = "logto_email.loop_guard"

    def bounded(self, iterable: Any) -> Iterator[Any]:
        budget = _budget()
        for item in iterable:
            budget.tick()
            yield item


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox with bounded work, sizes and template names."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for node in tree.find_all(nodes.For):
            guard = nodes.ExtensionAttribute(_LoopGuard.identifier, "bounded", lineno=node.lineno)
            node.iter = nodes.Call(guard, [node.iter], [], None, None, lineno=node.lineno)
        return tree

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """The immutable sandbox's rule, and nothing that reaches files, modules or classes."""
        if not super().is_safe_attribute(obj, attr, value):
            return False
        unsafe = (os.PathLike, io.IOBase, types.ModuleType, type)
        return not isinstance(obj, unsafe) and not isinstance(value, unsafe)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _budget().tick()
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("an exponent above 64 in a template")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * max(times, 0) > MAX_VALUE:
                    raise SecurityError(f"repeating a value beyond {MAX_VALUE} characters or items")
        if operator == "%" and isinstance(left, str) and _WIDE_PERCENT.search(left):
            raise SecurityError("a %-format with a width or precision above 9999")
        return _check_value(super().call_binop(context, operator, left, right))

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # jinja's signature
        _budget().tick()
        _check_args(args, kwargs)
        return _check_value(super().call(context, obj, *args, **kwargs))

    def get_template(self, name: Any, parent: str | None = None, globals: Any = None) -> Any:
        budget = _BUDGET.get()
        if budget is not None:
            budget.includes -= 1
            if budget.includes < 0:
                raise SecurityError(f"more than {MAX_INCLUDES} include/import/extends in one email (does a template include itself?)")
        return super().get_template(name, parent, globals)


class SetLoader(BaseLoader):
    """Files of one directory only: no `..`, no absolute names, no symlink out, bounded size, UTF-8."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        if not isinstance(template, str) or "\\" in template or "\x00" in template or template.startswith("/"):
            raise TemplateNotFound(str(template))
        path = self.root.joinpath(*split_template_path(template))
        try:
            real = Path(os.path.realpath(path))
        except (OSError, ValueError):
            raise TemplateNotFound(template) from None
        if not real.is_relative_to(self.root):
            raise SecurityError(f"template {template!r} is a link that leaves the template directory; copy the file in instead")
        if not real.is_file():
            raise TemplateNotFound(template)
        try:
            with real.open("rb") as fh:
                data = fh.read(MAX_TEMPLATE_BYTES + 1)
            mtime = real.stat().st_mtime_ns
        except OSError:
            raise TemplateNotFound(template) from None
        if len(data) > MAX_TEMPLATE_BYTES:
            raise SecurityError(f"template {template!r} is larger than {MAX_TEMPLATE_BYTES // 1024} KiB")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise SecurityError(f"template {template!r} is not UTF-8 text (line {line})") from None
        if "\x00" in text:
            raise SecurityError(f"template {template!r} contains a NUL character (line {text.count(chr(10), 0, text.index(chr(0))) + 1})")

        def uptodate() -> bool:
            try:
                return real.stat().st_mtime_ns == mtime
            except OSError:
                return False

        return text, str(path), uptodate


def _autoescape(name: str | None) -> bool:
    return bool(name and name.endswith(".html"))


def directory_stamp(directory: Path | None) -> tuple[Any, ...]:
    """What identifies a template directory's content: every file's path, mtime and size."""
    if directory is None or not directory.is_dir():
        return (str(directory),)
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    return (str(directory.resolve()), *((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))


@lru_cache(maxsize=32)
def environment(override_dir: Path | None, stamp: tuple[Any, ...] = ()) -> TemplateSandbox:
    """One cached environment per directory and content (`directory_stamp`): every template is
    compiled once (the default set's, at set-up: `connectors.templates.bytecode`) and looked up
    without asking the file system again (no auto-reload), and a changed override file is a new
    environment."""
    from connectors.templates.bytecode import DefaultSetCode

    return build_environment(override_dir, bytecode=DefaultSetCode())


def build_environment(override_dir: Path | None, *, bytecode: BytecodeCache | None = None) -> TemplateSandbox:
    """The sandbox for a template set. Names resolve in the override directory first, then in the
    default set; `default/<name>` always means the default file, so an override can extend the
    file it replaces."""
    loaders: list[BaseLoader] = [SetLoader(override_dir)] if override_dir else []
    loaders += [SetLoader(DEFAULT_DIR), PrefixLoader({"default": SetLoader(DEFAULT_DIR)})]
    env = TemplateSandbox(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
        extensions=[_LoopGuard],
        bytecode_cache=bytecode,
        **DELIMITERS,
    )
    # No lipsum (unbounded output) and no namespace (state that grows across loop iterations).
    env.globals = {"range": _bounded_range, "dict": dict, "cycler": Cycler, "joiner": Joiner}
    env.filters = {name: _bounded_filter(name, f) for name, f in env.filters.items()}
    return env
