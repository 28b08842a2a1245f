"""A tiny SESv2 JSON REST server: `GetAccount` (moto lacks it) and scripted `GetEmailIdentity`.

moto never marks a domain identity verified, so the "becomes ready after N polls" paths are
scripted here; what moto does support is tested against moto itself.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import boto3


@dataclass
class FakeSesState:
    production_access: bool = True
    # identity -> responses served in turn (the last one repeats); missing -> 404
    identities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    deny: bool = False


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
                        "DedicatedIpAutoWarmupEnabled": False, "EnforcementStatus": "HEALTHY",
                        "ProductionAccessEnabled": state.production_access, "SendingEnabled": True,
                        "SendQuota": {"Max24HourSend": 200.0 if not state.production_access else 50000.0,
                                      "MaxSendRate": 1.0, "SentLast24Hours": 0.0},
                    })
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
        return self.state

    def __enter__(self) -> "FakeSes":
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
