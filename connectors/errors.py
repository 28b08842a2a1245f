"""Errors the core raises for bad input: every problem names where it is and how to fix it."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `--help` and a refused file need no pydantic
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails


@dataclass(frozen=True)
class Problem:
    path: str  # a dotted path into the YAML or JSON, e.g. "tenants.acme.provider.port"
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return f"{text} (fix: {self.hint})" if self.hint else text


class ConfigError(ValueError):
    """One or more problems with a declared configuration. Never carries input values."""

    def __init__(self, problems: list[Problem], *, source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return head + str(self.problems[0])
        return head + f"{len(self.problems)} problems:\n" + "\n".join(f"  - {p}" for p in self.problems)


def join_path(*parts: object) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part not in ("", None):
            out += ("." if out else "") + str(part)
    return out


# pydantic error types whose default message would be vague for a YAML author.
_MESSAGES = {
    "extra_forbidden": "unknown key (Logto would silently ignore it; check the spelling)",
    "missing": "is required",
    "model_type": "must be a mapping (an indented block of `key: value` lines)",
    "model_attributes_type": "must be a mapping (an indented block of `key: value` lines)",
    "dict_type": "must be a mapping (an indented block of `key: value` lines)",
    "list_type": "must be a list, e.g. [a, b]",
}


if TYPE_CHECKING:
    _Located = tuple[list[int | str], ErrorDetails]  # an error's location (tags removed or not) and the error


def problems_from_validation(
    exc: ValidationError, prefix: str = "", *, tags: frozenset[str] = frozenset(), limit: int | None = None
) -> list[Problem]:
    """Turn a pydantic error into Problems, without ever echoing the input value.

    For a union, pydantic reports every member's errors; only the member that came closest
    (fewest errors) is kept, so the author reads about the shape they meant. With `limit`, about
    the first `limit` problems (a hostile file can hold 100,000 unknown keys).
    """
    known = _model_names() | tags  # + the values of discriminator fields, which pydantic also puts in loc
    groups: dict[tuple[int | str, ...], dict[str, list[_Located]]] = {}
    plain: list[_Located] = []
    errors = exc.errors(include_input=False, include_url=False)
    if limit is not None:
        errors = errors[: limit * 4]  # a union member's errors come in groups
    for err in errors:
        loc = list(err["loc"])
        tag_at = next((i for i, p in enumerate(loc) if isinstance(p, str) and _is_tag(p, known)), None)
        if tag_at is None:
            plain.append((loc, err))
            continue
        base = tuple(loc[:tag_at])
        tag = str(loc[tag_at])  # a str: _is_tag matched it
        groups.setdefault(base, {}).setdefault(tag, []).append((loc[:tag_at] + loc[tag_at + 1 :], err))
    for members in groups.values():
        closest: list[_Located] = min(members.values(), key=len)
        plain.extend(closest)
    problems: list[Problem] = []
    for loc, err in plain:
        loc = [p for p in loc if not (isinstance(p, str) and _is_tag(p, known))]
        message = _MESSAGES.get(err["type"], err["msg"])
        for noise in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(noise)
        if loc and loc[-1] == "[key]":
            loc = loc[:-1]
        # validators report several findings at once, one per line
        hint = _expected_keys(err) if err["type"] in ("model_type", "model_attributes_type") else None
        problems.extend(Problem(join_path(prefix, *loc), line, hint) for line in message.split("\n"))
    return _dedupe(problems)


def _models() -> dict[str, type]:
    from pydantic import BaseModel

    found: dict[str, type] = {}
    todo = list(BaseModel.__subclasses__())
    while todo:
        cls = todo.pop()
        found.setdefault(cls.__name__, cls)
        todo.extend(cls.__subclasses__())
    return found


def _model_names() -> set[str]:
    return set(_models())


def _expected_keys(err: ErrorDetails) -> str | None:
    model = _models().get((err.get("ctx") or {}).get("class_name", ""))
    fields = getattr(model, "model_fields", None)
    if not fields:
        return None
    return "expected keys: " + ", ".join(f.alias or name for name, f in fields.items())


def _is_tag(part: str, model_names: AbstractSet[str]) -> bool:
    # pydantic names the union member it tried in `loc`
    return part in model_names or part.startswith(
        ("function-", "constrained-", "literal[", "tagged-union[", "json-or-python[")
    ) or part in {"str", "int", "float", "bool", "dict", "list", "dict[str,any]", "nullable"}


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        key = (p.path, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
