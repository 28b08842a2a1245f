"""The config reference (docs/configuration.md), generated from the schema so the two never disagree."""

from __future__ import annotations

import enum
import json
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from connectors.schema import is_portable
from connectors.secret import Secret
from connectors.stack.models import TenantSpec


def type_name(tp: Any) -> str:
    origin, args = get_origin(tp), get_args(tp)
    if tp is Secret:
        return "secret (`secure:`)"
    if origin is Annotated:
        return type_name(args[0])
    if origin in (Union, types.UnionType):
        return " or ".join(dict.fromkeys(type_name(a) for a in args if a is not type(None)))
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is dict:
        return f"map of {type_name(args[0])} → {type_name(args[1])}"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "usage type"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    return {str: "string", int: "integer", bool: "boolean", float: "number"}.get(tp, getattr(tp, "__name__", str(tp)))


def _models_in(tp: Any) -> list[type[BaseModel]]:
    found, todo = [], [tp]
    while todo:
        t = todo.pop(0)
        if isinstance(t, type) and issubclass(t, BaseModel):
            found.append(t)
        todo.extend(get_args(t))
    return found


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        return "see object"
    if field.default is None or field.default is PydanticUndefined:
        return ""
    return f"`{json.dumps(field.default)}`"


def reference_markdown() -> str:
    """One table per object, in the order an author meets them; `portable` marks what `promote` copies."""
    out: list[str] = []
    done: set[type] = set()
    queue: list[tuple[type[BaseModel], str]] = [(TenantSpec, "logto-email:tenants.<tenant>")]
    while queue:
        model, where = queue.pop(0)
        if model in done:
            continue
        done.add(model)
        doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        out.append(f'<a id="{model.__name__.lower()}"></a>\n#### {model.__name__} — `{where}`\n')
        if doc:
            out.append(doc + "\n")
        out.append("| key | type | default | portable | meaning |\n|---|---|---|---|---|")
        for name, field in model.model_fields.items():
            key = field.alias or name
            portable = "yes" if is_portable(field) else ""
            meaning = (field.description or "").replace("|", "\\|")
            out.append(f"| `{key}` | {type_name(field.annotation)} | {_default(field)} | {portable} | {meaning} |")
            for sub in _models_in(field.annotation):
                tag = sub.model_fields.get("type")
                suffix = f" (type: {get_args(tag.annotation)[0]})" if tag is not None and get_origin(tag.annotation) is Literal and key == "provider" else ""
                queue.append((sub, f"{where}.{key}{suffix}"))
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(reference_markdown())
