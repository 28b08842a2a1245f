"""Logto's error bodies: `{code, message, data?, details?}` with the English phrases.

The messages come from `@logto/phrases` (en), copied into `data/en-error-messages.json`, so a
client that matches on `code` or shows `message` sees exactly what a real Logto sends.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

_DATA = Path(__file__).with_name("data")
_PLACEHOLDER = re.compile(r"{{\s*([\w.]+)(?:\s*,\s*([^}]*))?\s*}}")


@cache
def phrases() -> dict[str, str]:
    return json.loads((_DATA / "en-error-messages.json").read_text())


def _render_value(value: Any, fmt: str | None) -> str:
    if isinstance(value, list) and fmt and fmt.startswith("list"):
        items = [str(v) for v in value]
        if len(items) <= 1:
            return "".join(items)
        if len(items) == 2:
            return f"{items[0]} and {items[1]}"
        return ", ".join(items[:-1]) + f", and {items[-1]}"
    return str(value)


def message_for(phrase_code: str, /, **interpolation: Any) -> str:
    """i18next-style rendering of an English phrase."""
    template = phrases().get(phrase_code, phrase_code)

    def sub(match: re.Match[str]) -> str:
        name, fmt = match.group(1), match.group(2)
        if name not in interpolation:
            return match.group(0)  # i18next `skipOnVariables`: unknown variables stay literal
        if interpolation[name] is None:
            return ""  # passed but undefined: i18next renders an empty string
        return _render_value(interpolation[name], fmt)

    return _PLACEHOLDER.sub(sub, template)


# ---- zod-like issues -------------------------------------------------------------------


def zod_type_name(value: Any) -> str:
    """The `received` name zod reports for a JSON value."""
    if value is _MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class _Missing:
    def __repr__(self) -> str:
        return "undefined"


_MISSING: Any = _Missing()
MISSING: Any = _MISSING


def issue_invalid_type(path: list[Any], expected: str, value: Any) -> dict[str, Any]:
    received = zod_type_name(value)
    message = "Required" if value is _MISSING else f"Expected {expected}, received {received}"
    return {
        "code": "invalid_type",
        "expected": expected,
        "received": received,
        "path": path,
        "message": message,
    }


def issue_enum(path: list[Any], options: list[str], value: Any) -> dict[str, Any]:
    opts = " | ".join(f"'{o}'" for o in options)
    return {
        "received": value,
        "code": "invalid_enum_value",
        "options": options,
        "path": path,
        "message": f"Invalid enum value. Expected {opts}, received '{value}'",
    }


def issue_regex(path: list[Any]) -> dict[str, Any]:
    return {"validation": "regex", "code": "invalid_string", "message": "Invalid", "path": path}


def issue_too_small(path: list[Any], kind: str, minimum: int) -> dict[str, Any]:
    noun = "character(s)" if kind == "string" else "element(s)"
    what = "String" if kind == "string" else "Array"
    return {
        "code": "too_small",
        "minimum": minimum,
        "type": kind,
        "inclusive": True,
        "exact": False,
        "message": f"{what} must contain at least {minimum} {noun}",
        "path": path,
    }


def issue_too_big(path: list[Any], kind: str, maximum: int) -> dict[str, Any]:
    noun = "character(s)" if kind == "string" else "element(s)"
    what = "String" if kind == "string" else "Array"
    return {
        "code": "too_big",
        "maximum": maximum,
        "type": kind,
        "inclusive": True,
        "exact": False,
        "message": f"{what} must contain at most {maximum} {noun}",
        "path": path,
    }


def issue_custom(path: list[Any], message: str, code: str = "custom") -> dict[str, Any]:
    return {"code": code, "message": message, "path": path}


def format_zod_issues(issues: list[dict[str, Any]]) -> str:
    """`formatZodError` from core's RequestError: one line per issue."""
    lines = []
    for issue in issues:
        base = f'Error in key path "{".".join(str(p) for p in issue.get("path", []))}": ({issue.get("code")}) '
        if issue.get("code") == "invalid_type":
            lines.append(base + f"Expected {issue.get('expected')} but received {issue.get('received')}.")
        else:
            lines.append(base + str(issue.get("message", "")))
    return "\n".join(lines)


# ---- the exception routes raise --------------------------------------------------------


@dataclass
class ApiError(Exception):
    """A RequestError: status + code (+ interpolation, data, details)."""

    status: int
    code: str
    interpolation: dict[str, Any] = field(default_factory=dict)
    data: Any = MISSING
    details: str | None = None

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code}
        if self.data is not MISSING:
            out["data"] = self.data
        if self.details is not None:
            out["details"] = self.details
        out["message"] = message_for(self.code, **self.interpolation)
        return out

    @classmethod
    def zod(cls, status: int, code: str, issues: list[dict[str, Any]], **interp: Any) -> ApiError:
        """An error whose data is a serialized ZodError and whose details list the issues."""
        return cls(
            status,
            code,
            interp,
            data={"issues": issues, "name": "ZodError"},
            details=format_zod_issues(issues),
        )

    @classmethod
    def guard(cls, where: str, issues: list[dict[str, Any]]) -> ApiError:
        """koa-guard failure: 400 `guard.invalid_input`, "The request body is invalid."."""
        return cls.zod(400, "guard.invalid_input", issues, type=where)


class InternalError(Exception):
    """Unmapped server error: 500 `{"message": "Internal server error."}` like koa-error-handler."""


class RawResponse(Exception):
    """A response that is not a RequestError body (OIDC errors, 404 text, …)."""

    def __init__(self, status: int, body: Any, content_type: str = "application/json") -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
