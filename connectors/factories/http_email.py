"""`http-email` (@logto/connector-http-email 0.4.3): Logto POSTs {to, type, payload, ip} to you."""

from __future__ import annotations

from typing import ClassVar

from connectors.factories._base import FactoryModel, HttpUrl, TemplateFormat
from connectors.secret import Secret


class HttpEmailConfig(FactoryModel):
    FACTORY_ID: ClassVar[str] = "http-email"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"authorization"})
    TEMPLATE_FORMAT: ClassVar[TemplateFormat] = TemplateFormat("none")
    SENDER_KEYS: ClassVar[tuple[str, ...]] = ()

    endpoint: HttpUrl  # Logto accepts any string and only fails when a user tries to sign in
    authorization: Secret | None = None  # sent verbatim as the Authorization header ("Bearer …")
