"""A tiny SESv2 JSON REST server: `GetAccount` (moto lacks it), scripted `GetEmailIdentity`,
`GetConfigurationSet` and `ListSuppressedDestinations` (paged), for the account states the
deliverability report tells apart: healthy, under review, paused, sandbox.

moto never marks a domain identity verified, so the "becomes ready after N polls" paths are
scripted here; what moto does support is tested against moto itself.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3


@dataclass
class FakeSesState:
    production_access: bool = True
    # identity -> responses served in turn (the last one repeats); missing -> 404
    identities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    deny: bool = False
    sending_enabled: bool = True
    enforcement_status: str = "HEALTHY"  # PROBATION = under review, SHUTDOWN
    sent_last_24h: float = 0.0
    configuration_sets: dict[str, bool] = field(default_factory=dict)  # name -> sending enabled
    suppressed: list[str] = field(default_factory=list)


def identity_doc(verified: bool, dkim: str, mail_from: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "IdentityType": "DOMAIN",
        "VerifiedForSendingStatus": verified,
        "DkimAttributes": {"SigningEnabled": True, "Status": dkim, "Tokens": ["a", "b", "c"],
                           "NextSigningKeyLength": "RSA_2048_BIT"},
    }
    if mail_from:
        doc["MailFromAttributes"] = {"MailFromDomain": "bounce.x", "MailFromDomainStatus": mail_from,
                                     "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"}
    return doc


class FakeSes:
    host = "127.0.0.1"
    region = "eu-west-1"

    def __init__(self) -> None:
        self.state = FakeSesState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any], error: str | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if error:
                    self.send_header("x-amzn-ErrorType", error)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?", 1)[0]
                if state.deny:
                    state.calls.append(path)
                    return self._send(403, {"message": "not authorized to perform ses:GetAccount"}, "AccessDeniedException")
                if path == "/v2/email/account":
                    state.calls.append("GetAccount")
                    return self._send(200, {
                        "DedicatedIpAutoWarmupEnabled": False, "EnforcementStatus": state.enforcement_status,
                        "ProductionAccessEnabled": state.production_access, "SendingEnabled": state.sending_enabled,
                        "SendQuota": {"Max24HourSend": 200.0 if not state.production_access else 50000.0,
                                      "MaxSendRate": 1.0, "SentLast24Hours": state.sent_last_24h},
                    })
                if path.startswith("/v2/email/configuration-sets/"):
                    name = unquote(path[len("/v2/email/configuration-sets/"):])
                    state.calls.append(f"GetConfigurationSet {name}")
                    if name not in state.configuration_sets:
                        return self._send(404, {"message": f"Configuration set <{name}> does not exist."}, "NotFoundException")
                    return self._send(200, {"ConfigurationSetName": name, "SendingOptions": {"SendingEnabled": state.configuration_sets[name]},
                                            "SuppressionOptions": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}})
                if path == "/v2/email/suppression/addresses":
                    query = parse_qs(urlsplit(self.path).query)
                    size = int(query.get("PageSize", ["1000"])[0])
                    start = int(query.get("NextToken", ["0"])[0])
                    state.calls.append(f"ListSuppressedDestinations {start}")
                    page = state.suppressed[start:start + size]
                    body: dict[str, Any] = {"SuppressedDestinationSummaries": [
                        {"EmailAddress": a, "Reason": "BOUNCE", "LastUpdateTime": 1700000000} for a in page]}
                    if start + size < len(state.suppressed):
                        body["NextToken"] = str(start + size)
                    return self._send(200, body)
                if path.startswith("/v2/email/identities/"):
                    name = unquote(path[len("/v2/email/identities/"):])
                    state.calls.append(f"GetEmailIdentity {name}")
                    script = state.identities.get(name)
                    if not script:
                        return self._send(404, {"message": f"Email identity {name} does not exist."}, "NotFoundException")
                    doc = script.pop(0) if len(script) > 1 else script[0]
                    return self._send(200, doc)
                return self._send(404, {"message": "unknown path"}, "NotFoundException")

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self):
        return boto3.client("sesv2", endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def reset(self) -> FakeSesState:
        self.state.production_access = True
        self.state.identities.clear()
        self.state.calls.clear()
        self.state.deny = False
        self.state.sending_enabled = True
        self.state.enforcement_status = "HEALTHY"
        self.state.sent_last_24h = 0.0
        self.state.configuration_sets.clear()
        self.state.suppressed.clear()
        return self.state

    def __enter__(self) -> "FakeSes":
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
