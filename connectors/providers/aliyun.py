"""Aliyun Direct Mail: Logto's Aliyun connector with a RAM access key."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from connectors.factories.aliyun_direct_mail import AliyunDirectMailConfig, AliyunRegion
from connectors.providers._base import ConnectorInputs, Provider
from connectors.schema import Model, portable
from connectors.secret import Secret


class AliyunProvider(Model):
    type: Literal["aliyun"] = Field(description="Aliyun Direct Mail")
    region: AliyunRegion = portable("cn-hangzhou", description="Direct Mail region")
    access_key_id: Annotated[str, Field(min_length=1)] = Field(description="RAM access key id")
    access_key_secret: Secret = Field(description="RAM access key secret")


def connector_config(p: AliyunProvider, inputs: ConnectorInputs) -> dict[str, Any]:
    return {
        "accessKeyId": p.access_key_id,
        "accessKeySecret": p.access_key_secret,
        "regionId": p.region,
        "accountName": inputs.sender.email,
        "fromAlias": inputs.sender.name,
        **inputs.templates(),
    }


PROVIDER = Provider(
    type="aliyun", model=AliyunProvider, factory=AliyunDirectMailConfig, connector_config=connector_config,
    emails="rendered", component="AliyunDirectMail",
)
