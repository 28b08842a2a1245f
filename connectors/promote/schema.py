"""What the stack schema says about each YAML key: portable or environment-bound, default, secret.

The one list of portable settings is the `portable(...)` marker in `connectors.stack.models`;
this module only reads it by walking the pydantic models, so adding a field there is enough.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from connectors.schema import is_portable
from connectors.secret import Secret

MISSING: Any = object()  # "no value": the key is absent and the field has no default


@dataclass(frozen=True)
class Key:
    """One YAML key of a model: its field, and how `promote` treats it."""

    name: str  # the YAML (alias) name, e.g. mailFromSubdomain
    field: FieldInfo

    @property
    def portable(self) -> bool:
        return is_portable(self.field)

    @property
    def required(self) -> bool:
        return self.field.is_required()

    @property
    def secret(self) -> bool:
        return Secret in _leaf_types(self.field.annotation)

    def default(self) -> Any:
        """The default as YAML data (what an absent key means), or MISSING."""
        if self.field.is_required():
            return MISSING
        value = self.field.get_default(call_default_factory=True)
        if value is PydanticUndefined:
            return MISSING
        return as_data(value)

    def models(self) -> list[type[BaseModel]]:
        """The pydantic models this key's value can be (a block to walk into), if any."""
        return [t for t in _leaf_types(self.field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]


def keys_of(model: type[BaseModel]) -> list[Key]:
    return [Key(f.alias or n, f) for n, f in model.model_fields.items()]


def model_for(key: Key, raw: Any) -> type[BaseModel] | None:
    """The model of a nested block; for a union (the provider), the member whose `type` matches."""
    candidates = key.models()
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    wanted = raw.get("type") if isinstance(raw, dict) else None
    for model in candidates:
        tag = model.model_fields.get("type")
        if tag is not None and wanted in typing.get_args(tag.annotation):
            return model
    return None


def provider_type_model(union_key: Key, type_name: str) -> type[BaseModel] | None:
    return model_for(union_key, {"type": type_name})


def all_portable(model: type[BaseModel]) -> bool:
    """A block made only of portable settings (branding, templates, …) can be copied whole."""
    return all(k.portable or (k.models() and all(all_portable(m) for m in k.models())) for k in keys_of(model))


def as_data(value: Any) -> Any:
    """Python/pydantic values → plain YAML-like data, for comparing and showing."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if isinstance(value, dict):
        if set(value) == {"secure"}:  # an encrypted stack value: never shown, not even as ciphertext
            return "<secret>"
        return {str(k): as_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_data(v) for v in value]
    if isinstance(value, Secret):
        return "<secret>"
    if isinstance(value, str):
        return str(value)  # StrEnum and ruamel's scalar strings → str
    return value


def _leaf_types(tp: Any) -> list[Any]:
    """The types a value can be: Annotated and Optional/Union unwrapped (containers are not)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _leaf_types(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [t for a in typing.get_args(tp) for t in _leaf_types(a)]
    return [tp]  # list[...] / dict[...] are values, not blocks to walk into
