"""A few zod-like validators, enough to reproduce koa-guard's `guard.invalid_input` bodies.

Each validator returns the parsed value (objects are stripped of unknown keys, as zod does)
and appends zod-shaped issues to the list it is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import (
    MISSING,
    ApiError,
    issue_custom,
    issue_enum,
    issue_invalid_type,
    issue_regex,
    issue_too_big,
    issue_too_small,
)

Issues = list[dict[str, Any]]
Validator = Callable[[Any, list[Any], Issues], Any]


class Opt:
    """Marks an object field optional (absent keys stay absent)."""

    def __init__(self, inner: Validator, nullable: bool = False) -> None:
        self.inner = inner
        self.nullable = nullable


def _named(expected: str, check: Validator) -> Validator:
    check.expected = expected  # type: ignore[attr-defined]
    return check


def string(min_len: int | None = None, max_len: int | None = None, regex: str | None = None) -> Validator:
    def check(value: Any, path: list[Any], issues: Issues) -> Any:
        if not isinstance(value, str):
            issues.append(issue_invalid_type(path, "string", value))
            return value
        if min_len is not None and len(value) < min_len:
            issues.append(issue_too_small(path, "string", min_len))
        if max_len is not None and len(value) > max_len:
            issues.append(issue_too_big(path, "string", max_len))
        if regex is not None and not re.search(regex, value):
            issues.append(issue_regex(path))
        return value

    return _named("string", check)


def boolean() -> Validator:
    def check(value: Any, path: list[Any], issues: Issues) -> Any:
        if not isinstance(value, bool):
            issues.append(issue_invalid_type(path, "boolean", value))
        return value

    return _named("boolean", check)


def number(integer: bool = False, minimum: float | None = None, maximum: float | None = None) -> Validator:
    def check(value: Any, path: list[Any], issues: Issues) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            issues.append(issue_invalid_type(path, "number", value))
            return value
        if integer and value != int(value):
            issues.append(
                {"code": "invalid_type", "expected": "integer", "received": "float", "path": path,
                 "message": "Expected integer, received float"}
            )
        if minimum is not None and value < minimum:
            issues.append(
                {"code": "too_small", "minimum": minimum, "type": "number", "inclusive": True,
                 "exact": False, "message": f"Number must be greater than or equal to {minimum}",
                 "path": path}
            )
        if maximum is not None and value > maximum:
            issues.append(
                {"code": "too_big", "maximum": maximum, "type": "number", "inclusive": True,
                 "exact": False, "message": f"Number must be less than or equal to {maximum}",
                 "path": path}
            )
        return value

    return _named("number", check)


def enum(options: list[str]) -> Validator:
    expected = " | ".join(f"'{o}'" for o in options)

    def check(value: Any, path: list[Any], issues: Issues) -> Any:
        if not isinstance(value, str):
            issues.append(issue_invalid_type(path, expected, value))
        elif value not in options:
            issues.append(issue_enum(path, options, value))
        return value

    return _named(expected, check)


def literal(expected: Any) -> Validator:
    def check(value: Any, path: list[Any], issues: Issues) -> Any:
        if value != expected or type(value) is not type(expected):
            issues.append(
                {"received": value, "code": "invalid_literal", "expected": expected, "path": path,
                 "message": f"Invalid literal value, expected {str(expected).lower()}"}
            )
        return value

    return check


def array(item: Validator, min_len: int | None = None) -> Validator:
    def check(value: Any, path: list[Any], issues: Issues) -> Any:
        if not isinstance(value, list):
            issues.append(issue_invalid_type(path, "array", value))
            return value
        if min_len is not None and len(value) < min_len:
            issues.append(issue_too_small(path, "array", min_len))
        return [item(v, [*path, i], issues) for i, v in enumerate(value)]

    return _named("array", check)


def any_json() -> Validator:
    return lambda value, path, issues: value


def json_object() -> Validator:
    """`jsonObjectGuard`: any JSON object, kept whole (not stripped)."""

    def check(value: Any, path: list[Any], issues: Issues) -> Any:
        if not isinstance(value, dict):
            issues.append(issue_invalid_type(path, "object", value))
        return value

    return _named("object", check)


def obj(fields: dict[str, Validator | Opt]) -> Validator:
    """A zod object: required/optional fields, unknown keys stripped from the result."""

    def check(value: Any, path: list[Any], issues: Issues) -> Any:
        if not isinstance(value, dict):
            issues.append(issue_invalid_type(path, "object", value))
            return value
        out: dict[str, Any] = {}
        for key, spec in fields.items():
            present = key in value
            raw = value.get(key, MISSING)
            if isinstance(spec, Opt):
                if not present:
                    continue
                if raw is None and spec.nullable:
                    out[key] = None
                    continue
                out[key] = spec.inner(raw, [*path, key], issues)
            else:
                if not present:
                    if getattr(spec, "expected", None) is None:
                        issues.append(issue_custom([*path, key], "Required"))
                    else:
                        issues.append(issue_invalid_type([*path, key], spec.expected, MISSING))
                    continue
                out[key] = spec(raw, [*path, key], issues)
        return out

    return _named("object", check)


def union(*options: Validator) -> Validator:
    def check(value: Any, path: list[Any], issues: Issues) -> Any:
        for option in options:
            trial: Issues = []
            parsed = option(value, path, trial)
            if not trial:
                return parsed
        issues.append(issue_custom(path, "Invalid input", code="invalid_union"))
        return value

    return check


def parse(where: str, validator: Validator, value: Any) -> Any:
    """Run a guard; raise 400 `guard.invalid_input` with zod-shaped data like koa-guard."""
    issues: Issues = []
    parsed = validator(value, [], issues)
    if issues:
        raise ApiError.guard(where, issues)
    return parsed
