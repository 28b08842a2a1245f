"""moto in server mode standing in for Amazon SES v2 (the API the SES connector calls).

The Node connector reaches it through ``AWS_ENDPOINT_URL_SESV2``; what moto accepted is read
back over moto's own HTTP API (``/moto-api/data.json``), the way any other client would.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import boto3
import httpx
from moto.server import ThreadedMotoServer

from tests.sinks._net import free_port


@dataclass(frozen=True)
class SesMessage:
    id: str
    source: str
    subject: str
    body: str = field(repr=False)
    to: list[str] = field(default_factory=list)


class MotoSes:
    host = "127.0.0.1"
    region = "eu-west-1"
    access_key_id = "testing-moto-access-key"
    secret_access_key = "moto-test-secret-access-key"

    def __init__(self) -> None:
        self.port = free_port()
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def node_env(self) -> dict[str, str]:
        """Environment for the Node harness so the AWS SDK inside the connector talks to moto."""
        return {
            "AWS_ENDPOINT_URL_SESV2": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_REGION": self.region,
        }

    def client(self, service: str = "sesv2"):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def verify_identity(self, identity: str) -> None:
        """Create (and, in moto, immediately verify) a sender identity: address or domain."""
        self.client().create_email_identity(EmailIdentity=identity)

    def sent_messages(self) -> list[SesMessage]:
        data = httpx.get(f"{self.endpoint}/moto-api/data.json", timeout=10).json()
        out = []
        for item in data.get("ses", {}).get("Message", []):
            to = (item.get("destinations") or {}).get("ToAddresses", [])
            out.append(SesMessage(id=item["id"], source=item["source"], subject=item["subject"], body=item["body"], to=to))
        return out

    def sent_to(self, address: str) -> list[SesMessage]:
        return [m for m in self.sent_messages() if address in m.to]

    def start(self) -> MotoSes:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request access log
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> MotoSes:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
