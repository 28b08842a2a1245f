"""Where two Logto configs differ, as readable paths that never carry a value.

Both sides are compared after Logto's clean-deep, so only differences Logto would store count.
List items that carry a `usageType` are named by it (`templates[SignIn].subject`), since the
order of templates is not what an operator thinks in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.logto.masking import is_secret_key
from connectors.logto_facts import clean_deep


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # "added" | "removed" | "changed"
    secret: bool

    def __str__(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": ""}[self.kind]
        return f"{mark}{self.path}" + (" (secret)" if self.secret else "")


def config_changes(old: Any, new: Any) -> list[Change]:
    """Changes that turn `old` into `new`, both cleaned first."""
    out: list[Change] = []
    _walk(clean_deep(old), clean_deep(new), "", False, out)
    return out


def _walk(old: Any, new: Any, path: str, secret: bool, out: list[Change]) -> None:
    if old == new and type(old) is type(new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            sec = secret or is_secret_key(str(key))
            if key not in new:
                out.append(Change(sub, "removed", sec))
            elif key not in old:
                out.append(Change(sub, "added", sec))
            else:
                _walk(old[key], new[key], sub, sec, out)
        return
    if isinstance(old, list) and isinstance(new, list):
        old_k, new_k = _keyed(old), _keyed(new)
        if old_k is not None and new_k is not None:
            for key in list(old_k) + [k for k in new_k if k not in old_k]:
                sub = f"{path}[{key}]"
                if key not in new_k:
                    out.append(Change(sub, "removed", secret))
                elif key not in old_k:
                    out.append(Change(sub, "added", secret))
                else:
                    _walk(old_k[key], new_k[key], sub, secret, out)
            return
        if len(old) == len(new):
            for i, (a, b) in enumerate(zip(old, new)):
                _walk(a, b, f"{path}[{i}]", secret, out)
            return
    out.append(Change(path or "(config)", "changed", secret))


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    """Items by usageType, if every item has a distinct one."""
    keyed: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("usageType"), str) or item["usageType"] in keyed:
            return None
        keyed[item["usageType"]] = item
    return keyed
