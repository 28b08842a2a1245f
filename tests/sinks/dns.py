"""A real DNS server on 127.0.0.1 (UDP), answering from a dict of records, built on dnspython.

Tests put records in `zone` as `(name, type) -> [values]`; TXT values are plain strings (split
into 255-byte chunks on the wire, as real servers do). Names that hold nothing answer NXDOMAIN;
`fail` makes the server answer SERVFAIL for a name, to test a resolver that cannot answer.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def _txt(value: str) -> str:
    chunks = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks)


class LocalDns:
    host = "127.0.0.1"

    def __init__(self) -> None:
        self.zone: dict[tuple[str, str], list[str]] = {}
        self.fail: set[str] = set()
        self.queries: list[tuple[str, str]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((self.host, 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def nameserver(self) -> str:
        return f"{self.host}:{self.port}"

    def add(self, name: str, rtype: str, *values: str) -> None:
        self.zone.setdefault((name.lower().rstrip("."), rtype.upper()), []).extend(values)

    def clear(self) -> None:
        self.zone.clear()
        self.fail.clear()
        self.queries.clear()

    def _answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        for q in query.question:
            name = q.name.to_text().rstrip(".").lower()
            rtype = dns.rdatatype.to_text(q.rdtype)
            self.queries.append((name, rtype))
            if name in self.fail:
                response.set_rcode(dns.rcode.SERVFAIL)
                continue
            values = self.zone.get((name, rtype))
            if values is None and (name, "CNAME") in self.zone and rtype != "CNAME":
                values, rtype = self.zone[(name, "CNAME")], "CNAME"
            if values:
                texts = [_txt(v) if rtype == "TXT" else (v if v.endswith(".") else v + ".") for v in values]
                response.answer.append(dns.rrset.from_text(q.name, 300, dns.rdataclass.IN, rtype, *texts))
            elif not any(k[0] == name for k in self.zone):
                response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, addr = self._sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                self._sock.sendto(self._answer(wire), addr)
            except Exception:  # noqa: BLE001 - a malformed query gets no answer, like a real server
                continue

    def __enter__(self) -> "LocalDns":
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()
