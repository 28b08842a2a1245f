"""Building blocks of the stack schema, shared by the stack models and the provider modules.

YAML keys are camelCase (Pulumi's convention); attributes are snake_case. Fields marked
`portable` are the proven settings `promote` copies from one stack to another.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonDict

from connectors.validators import DnsName, EmailAddress

PORTABLE: JsonDict = {"portable": True}


def portable(default: Any = ..., **kw: Any) -> Any:
    """A field whose value `promote` carries from one stack to the next."""
    return Field(default, json_schema_extra=PORTABLE, **kw)


def is_portable(field: FieldInfo) -> bool:
    """Whether `field` was declared with `portable(...)`."""
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("portable") is True


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True, hide_input_in_errors=True
    )

Port = Annotated[StrictInt, Field(ge=1, le=65535)]
AwsRegion = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]


# --- DNS ---------------------------------------------------------------------------------------
class DnsSpec(Model):
    """Where the provider's DNS records go: a Route53 zone (by id or name), or elsewhere."""

    route53_zone_id: Annotated[str, Field(pattern=r"^Z[A-Z0-9]{1,32}$")] | None = Field(None, description="create the records in this Route53 hosted zone (by id)")
    route53_zone_name: DnsName | None = Field(None, description="…or in the Route53 zone with this name")
    external: StrictBool | None = Field(None, description="DNS is managed elsewhere: records are exported, not created (the default)")

    @model_validator(mode="after")
    def _one(self) -> DnsSpec:
        chosen = [n for n, v in (("route53ZoneId", self.route53_zone_id), ("route53ZoneName", self.route53_zone_name), ("external", self.external)) if v]
        if len(chosen) > 1:
            raise ValueError(f"set only one of route53ZoneId, route53ZoneName, external: true (got {', '.join(chosen)})")
        return self

    @property
    def in_route53(self) -> bool:
        return bool(self.route53_zone_id or self.route53_zone_name)


class DnsRecord(Model):
    """A record the provider asks for (SendGrid/Postmark domain authentication)."""

    type: Literal["CNAME", "TXT", "MX"] = Field(description="record type")
    name: Annotated[str, Field(min_length=1)] = Field(description="fully qualified record name")
    value: Annotated[str, Field(min_length=1)] = Field(description="record value, as the provider shows it")
    priority: Annotated[StrictInt, Field(ge=0, le=65535)] | None = Field(None, description="MX priority")

DmarcPolicy = Literal["none", "quarantine", "reject"]


class DmarcSpec(Model):
    enabled: StrictBool = portable(True, description="publish a DMARC record at _dmarc.<domain>")
    policy: DmarcPolicy = portable("none", description="p= of the DMARC record: none, quarantine or reject")
    report_email: EmailAddress | None = Field(None, description="rua= address for aggregate reports")
    alignment: Literal["relaxed", "strict"] = portable("relaxed", description="adkim/aspf alignment")
