"""Your own HTTP endpoint sends the email: Logto's HTTP email connector, nothing to create."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from connectors.factories.http_email import HttpEmailConfig
from connectors.providers._base import ConnectorInputs, Provider
from connectors.schema import Model
from connectors.secret import Secret
from connectors.validators import HttpUrl


class HttpProvider(Model):
    type: Literal["http"] = Field(description="your own HTTP endpoint sends the email")
    endpoint: HttpUrl = Field(description="your endpoint; Logto POSTs {to, type, payload, ip}")
    authorization: Secret | None = Field(None, description='Authorization header, verbatim ("Bearer …")')


def connector_config(p: HttpProvider, inputs: ConnectorInputs) -> dict[str, Any]:
    return {"endpoint": p.endpoint, "authorization": p.authorization}


PROVIDER = Provider(
    type="http", model=HttpProvider, factory=HttpEmailConfig, connector_config=connector_config,
    emails="elsewhere", component="HttpEmail",
)
