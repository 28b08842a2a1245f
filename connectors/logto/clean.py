"""Logto's clean-deep (v3.4.0 defaults), applied to every config it stores.

Desired and live configs are compared only after this cleaning, so a diff never reports an
empty `auth: {}` that Logto would have dropped anyway.
"""

from __future__ import annotations

from typing import Any

_DROP = object()


def clean_deep(value: Any) -> Any:
    """Drop "", None, {} and [] recursively; keep False, 0 and NaN (as clean-deep does)."""
    out = _clean(value)
    if out is _DROP:
        return {} if isinstance(value, dict) else [] if isinstance(value, list) else None
    return out


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        cleaned = {k: c for k, v in value.items() if (c := _clean(v)) is not _DROP}
        return cleaned if cleaned else _DROP
    if isinstance(value, list):
        cleaned_list = [c for v in value if (c := _clean(v)) is not _DROP]
        return cleaned_list if cleaned_list else _DROP
    if value is None or value == "" and isinstance(value, str):
        return _DROP
    return value
