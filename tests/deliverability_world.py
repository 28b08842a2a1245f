"""A sending world for the deliverability report: the local SESv2 server, moto's CloudWatch and a
local DNS server, set up so that an SES tenant is healthy; tests then break one thing at a time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from connectors.deliverability.dns_checks import DnsResolver
from connectors.deliverability.report import Sources
from connectors.dns_records import SPF_SES, dmarc_value
from tests.sesv2_fake import FakeSes, identity_doc
from tests.sinks._net import free_port
from tests.sinks.dns import LocalDns

TOKENS = ["tok1aaaa", "tok2bbbb", "tok3cccc"]


class World:
    def __init__(self, ses: FakeSes, dns: LocalDns, moto_endpoint: str) -> None:
        self.ses, self.dns = ses, dns
        self.moto_endpoint = moto_endpoint
        self.cloudwatch_region = "eu-west-1"

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


# Fixtures: import them into a test module (`from tests.deliverability_world import ...`).
@pytest.fixture(scope="module")
def fake_ses() -> Iterator[FakeSes]:
    with FakeSes() as server:
        yield server


@pytest.fixture(scope="module")
def local_dns() -> Iterator[LocalDns]:
    with LocalDns() as server:
        yield server


@pytest.fixture(scope="module")
def moto_cloudwatch() -> Iterator[str]:
    """moto in server mode, for CloudWatch only: each world resets it, no other test shares it."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def ses_world(fake_ses: FakeSes, local_dns: LocalDns, moto_cloudwatch: str) -> World:
    """SES, CloudWatch and DNS as a healthy tenant `shop` (mail.shop.example.com) has them."""
    fake_ses.reset()
    local_dns.clear()
    httpx.post(f"{moto_cloudwatch}/moto-api/reset", timeout=10).raise_for_status()
    world = World(fake_ses, local_dns, moto_cloudwatch)
    world.healthy_ses("shop", "mail.shop.example.com")
    return world
