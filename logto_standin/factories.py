"""Installed connector factories and the response objects Logto builds from them.

Metadata comes from the published packages (`data/factories.json`, copied from the reference);
logos and READMEs are inlined from the harness's `node_modules` when present, the way core's
`parseMetadata` turns package-relative paths into data URLs and README text.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_DATA = Path(__file__).with_name("data")
_NODE_MODULES = Path(__file__).resolve().parent / "connector_runtime" / "node_modules"

OSS_EMAIL_FACTORIES = (
    "aliyun-direct-mail",
    "aws-ses-mail",
    "http-email",
    "mailgun-email",
    "postmark-mail",
    "sendgrid-email-service",
    "simple-mail-transfer-protocol",
)
CLOUD_ONLY_FACTORIES = ("logto-email",)
DEMO_CONNECTOR_IDS = ("logto-sms", "logto-social-demo")


@dataclass(frozen=True)
class Factory:
    id: str
    type: str  # "Email" | "Sms" | "Social"
    package: str
    metadata: dict[str, Any]  # with logo/logoDark/readme already inlined

    def response(self) -> dict[str, Any]:
        """ConnectorFactoryResponse: `{type, isDemo, ...metadata}`."""
        return {"type": self.type, "isDemo": False, **copy.deepcopy(self.metadata)}


def _inline(package_dir: Path, ref: str | None, kind: str) -> str | None:
    if not ref:
        return ref
    if kind != "text" and ref.startswith("http"):
        return ref
    path = package_dir / ref
    if not path.exists():
        return ref if kind == "text" else _placeholder_logo()
    if kind == "text":
        return path.read_text(encoding="utf-8")
    mime = "image/svg+xml" if path.suffix == ".svg" else f"image/{path.suffix.lstrip('.')}"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


@cache
def _placeholder_logo() -> str:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
    return f"data:image/svg+xml;base64,{base64.b64encode(svg).decode()}"


@cache
def _all_factories() -> dict[str, Factory]:
    raw = json.loads((_DATA / "factories.json").read_text())
    out: dict[str, Factory] = {}
    for factory_id, entry in raw.items():
        package_dir = _NODE_MODULES / entry["package"]
        meta = dict(entry["metadata"])
        meta["logo"] = _inline(package_dir, meta.get("logo"), "svg")
        meta["logoDark"] = _inline(package_dir, meta.get("logoDark"), "svg")
        meta["readme"] = _inline(package_dir, meta.get("readme"), "text")
        out[factory_id] = Factory(factory_id, entry["type"], entry["package"], meta)
    return out


def installed_factories(cloud: bool) -> dict[str, Factory]:
    """The seven OSS email factories; Logto Cloud adds `logto-email`."""
    every = _all_factories()
    ids = OSS_EMAIL_FACTORIES + (CLOUD_ONLY_FACTORIES if cloud else ())
    return {fid: every[fid] for fid in sorted(ids)}


def connector_response(factory: Factory, row: Any) -> dict[str, Any]:
    """ConnectorResponse in core's merge order (`transpileLogtoConnector`)."""
    body: dict[str, Any] = {"type": factory.type}
    body.update(copy.deepcopy(factory.metadata))
    body.update(copy.deepcopy(row.metadata))
    body.update(
        {
            "id": row.id,
            "connectorId": row.connector_id,
            "syncProfile": row.sync_profile,
            "metadata": copy.deepcopy(row.metadata),
            "enableTokenStorage": row.enable_token_storage,
            "isDemo": False,
            "extraInfo": {"fromEmail": factory.metadata["fromEmail"]}
            if "fromEmail" in factory.metadata
            else {},
            "config": copy.deepcopy(row.config),
        }
    )
    return body
