"""A value that must never be shown: in repr, str, logs, errors, or rendered files.

A `Secret` is either known (the program got it decrypted from Pulumi) or opaque (the CLI read an
encrypted `secure:` value from a stack file and cannot decrypt it). Code that needs the value
calls `reveal()` at the last moment, right before it goes on the wire.
"""

from __future__ import annotations

import hmac
from typing import Any, NoReturn

from pydantic import GetCoreSchemaHandler
from pydantic_core import (
    PydanticCustomError,
    PydanticSerializationUnexpectedValue,
    core_schema,
)

# What `render` and every masked view shows in place of a secret.
SECRET_MARKER = "<secret>"


class SecretUnavailable(RuntimeError):
    """The secret is an encrypted stack value that only the Pulumi engine can decrypt."""


class Secret:
    __slots__ = ("_ciphertext", "_value")

    def __init__(self, value: str | None = None, *, ciphertext: str | None = None) -> None:
        if (value is None) == (ciphertext is None):
            raise TypeError("Secret takes a value or a ciphertext")
        self._value = value
        self._ciphertext = ciphertext

    @classmethod
    def opaque(cls, ciphertext: str = "") -> Secret:
        return cls(ciphertext=ciphertext)

    @property
    def known(self) -> bool:
        return self._value is not None

    def reveal(self) -> str:
        if self._value is None:
            raise SecretUnavailable(
                "this secret is an encrypted `secure:` stack value; only `pulumi up` can decrypt it"
            )
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')" if self.known else "Secret(<secure>)"

    def __str__(self) -> str:
        return SECRET_MARKER

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        if self.known and other.known:
            return hmac.compare_digest(self._value.encode(), other._value.encode())  # type: ignore[union-attr]
        return self._ciphertext == other._ciphertext and not self.known and not other.known

    def __hash__(self) -> int:
        return hash(("Secret", self.known))

    def __reduce__(self) -> NoReturn:  # never let pickling/dill carry a secret by accident
        raise TypeError("Secret values are not picklable")

    # -- pydantic ---------------------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                cls._serialize, info_arg=True, when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, _schema: Any, handler: Any) -> dict[str, Any]:
        return {"type": "string", "writeOnly": True, "format": "password"}

    @classmethod
    def _validate(cls, value: Any, info: core_schema.ValidationInfo) -> Secret:
        if isinstance(value, Secret):
            return value
        if isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str):
            ciphertext = value["secure"]
            if not ciphertext.strip() or any(c.isspace() for c in ciphertext):
                raise PydanticCustomError(
                    "secret_empty", "`secure:` must hold the ciphertext Pulumi wrote (set it with pulumi config set --secret)"
                )
            return cls.opaque(ciphertext)
        if isinstance(value, str):
            if not value:
                # Logto's guard accepts "", then clean-deep drops it and every later send fails.
                raise PydanticCustomError("secret_empty", "must not be empty")
            if (info.context or {}).get("secrets_must_be_secure"):
                raise PydanticCustomError(
                    "secret_not_secure",
                    "is a secret and must be an encrypted `secure:` value, not plain text",
                )
            return cls(value)
        raise PydanticCustomError(
            "secret_type", "must be a string (a `secure:` value in the stack file)"
        )

    @staticmethod
    def _serialize(value: Secret, info: Any) -> str:
        if not isinstance(value, Secret):  # lets a union try its other members
            raise PydanticSerializationUnexpectedValue("not a Secret")
        if (info.context or {}).get("reveal_secrets") and value.known:
            return value.reveal()
        return SECRET_MARKER


def reveal(value: Any) -> Any:
    """`value` with every Secret inside replaced by its clear text (for the wire only)."""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value
