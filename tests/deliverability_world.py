"""A sending world for the deliverability report: the local SESv2 server, moto's CloudWatch and a
local DNS server, set up so that an SES tenant is healthy; tests then break one thing at a time."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3

from connectors.deliverability.dns_checks import DnsResolver
from connectors.deliverability.report import Sources
from connectors.dns_records import SPF_SES, dmarc_value
from tests.sesv2_fake import FakeSes, identity_doc
from tests.sinks.dns import LocalDns

TOKENS = ["tok1aaaa", "tok2bbbb", "tok3cccc"]
# Regions moto keeps apart: each world gets its own, so metrics never leak between tests.
_REGIONS = itertools.cycle(["ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ca-central-1",
                            "eu-north-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-2", "us-west-1"])


class World:
    def __init__(self, ses: FakeSes, dns: LocalDns, moto_endpoint: str) -> None:
        self.ses, self.dns = ses, dns
        self.moto_endpoint = moto_endpoint
        self.cloudwatch_region = next(_REGIONS)

    @property
    def state(self) -> Any:
        return self.ses.state

    def client(self, _region: str = "") -> Any:
        return self.ses.client()

    def cloudwatch(self, _region: str = "") -> Any:
        return boto3.client("cloudwatch", endpoint_url=self.moto_endpoint, region_name=self.cloudwatch_region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def sources(self) -> Sources:
        return Sources(sesv2=lambda region: self.ses.client(), cloudwatch=self.cloudwatch,
                       resolver=DnsResolver(self.dns.nameserver, timeout=2))

    def healthy_ses(self, tenant_key: str, domain: str, *, region: str = "eu-west-1", mail_from: str = "bounce",
                    dmarc: tuple[str, str | None, str] | None = ("reject", "dmarc@shop.example.com", "relaxed")) -> None:
        self.ses.state.identities[domain] = [{**identity_doc(True, "SUCCESS", "SUCCESS"),
                                              "DkimAttributes": {"SigningEnabled": True, "Status": "SUCCESS", "Tokens": TOKENS}}]
        self.ses.state.configuration_sets[f"{tenant_key}-logto-email"] = True
        for t in TOKENS:
            self.dns.add(f"{t}._domainkey.{domain}", "CNAME", f"{t}.dkim.amazonses.com")
        self.dns.add(f"{mail_from}.{domain}", "MX", f"10 feedback-smtp.{region}.amazonses.com")
        self.dns.add(f"{mail_from}.{domain}", "TXT", SPF_SES)
        self.dns.add("amazonses.com", "TXT", "v=spf1 ip4:199.255.192.0/22 ip4:199.127.232.0/22 -all")
        if dmarc:
            self.dns.add(f"_dmarc.{domain}", "TXT", dmarc_value(*dmarc))

    def rate(self, metric: str, value: float, minutes_ago: int = 20) -> None:
        self.cloudwatch().put_metric_data(Namespace="AWS/SES", MetricData=[{
            "MetricName": metric, "Value": value, "Unit": "None",
            "Timestamp": datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)}])
