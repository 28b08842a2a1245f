"""`http-email` (@logto/connector-http-email 0.4.3): Logto POSTs {to, type, payload, ip} to you."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import AfterValidator
from typing_extensions import Annotated

from connectors.factories._base import FactoryModel, NonEmptyStr
from connectors.secret import Secret


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Logto accepts any string here and only fails when a user tries to sign in.
        raise ValueError("must be an http(s) URL such as https://mail.example.com/logto")
    return value


class HttpEmailConfig(FactoryModel):
    FACTORY_ID: ClassVar[str] = "http-email"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"authorization"})

    endpoint: Annotated[NonEmptyStr, AfterValidator(_http_url)]
    authorization: Secret | None = None  # sent verbatim as the Authorization header ("Bearer …")
