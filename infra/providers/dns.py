"""Publish a provider's DNS records: into Route53 when the stack says so, else export them.

Route53 records are created with `allow_overwrite=False`: an existing record with the same name
and type (an SPF someone else owns, an old DKIM) fails the update instead of being clobbered.
pulumi_aws is imported only on the Route53 path.
"""

from __future__ import annotations

from typing import Any

import pulumi

from connectors.dns_records import TTL, Record, dmarc_domain, dmarc_record
from connectors.stack.models import DnsSpec, TenantSpec
from infra.providers.base import PlannedRecord


def as_dicts(planned: list[PlannedRecord]) -> pulumi.Input[list[dict[str, Any]]]:
    if all(isinstance(p.record, Record) for p in planned):  # all known: a plain list, no Output to lift
        return [p.record.to_dict() for p in planned if isinstance(p.record, Record)]
    return pulumi.Output.all(*[p.record for p in planned]).apply(lambda rs: [r.to_dict() for r in rs])


def _field(record: pulumi.Output[Record] | Record, get: Any) -> Any:
    """A field of a record: plain when the record is known, else an output of it."""
    return get(record) if isinstance(record, Record) else record.apply(get)


def publish(
    name: str, planned: list[PlannedRecord], dns: DnsSpec, parent: pulumi.Resource
) -> tuple[list[pulumi.CustomResource], pulumi.Input[list[dict[str, Any]]], pulumi.Input[list[dict[str, Any]]]]:
    """(records created, all records, records to create by hand)."""
    everything = as_dicts(planned)
    if not dns.in_route53 or not planned:
        return [], everything, everything if planned else []
    import pulumi_aws as aws  # only stacks with Route53 DNS pay for it

    zone_id: pulumi.Input[str]
    if dns.route53_zone_id:
        zone_id = dns.route53_zone_id
    else:
        zone_id = aws.route53.get_zone_output(
            name=dns.route53_zone_name, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=parent)
        ).zone_id
    created: list[pulumi.CustomResource] = []
    for p in planned:
        created.append(
            aws.route53.Record(
                f"{name}-{p.key}",
                zone_id=zone_id,
                name=_field(p.record, lambda r: r.name),
                type=p.type,
                ttl=TTL,
                records=[_field(p.record, lambda r: r.zone_value)],
                allow_overwrite=False,
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )
    return created, everything, []


def check_in_zone(name: str, domain: str, dns: DnsSpec) -> None:
    """A zone given by name must contain the domain, or Route53 refuses every record later."""
    zone = dns.route53_zone_name
    if zone and not (domain == zone or domain.endswith("." + zone)):
        raise pulumi.RunError(f"{name}: {domain} is not in the Route53 zone {zone}; set dns.route53ZoneName to its zone")


def known(record: Record) -> Record:
    """A record known while the program runs: passed on as a plain value."""
    return record


def dmarc_planned(tenant: TenantSpec) -> list[PlannedRecord]:
    """The tenant's declared DMARC record (any provider with a `dmarc` block), or nothing."""
    p = tenant.provider
    dmarc = getattr(p, "dmarc", None)
    domain = dmarc_domain(p, tenant.sender.email if tenant.sender else None)
    if dmarc is None or not dmarc.enabled or domain is None:
        return []
    return [PlannedRecord("dmarc", "TXT", known(dmarc_record(domain, dmarc.policy, dmarc.report_email, dmarc.alignment)))]
