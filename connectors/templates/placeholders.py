"""What Logto does to a template when it sends it (connector-kit `replaceSendMessageHandlebars`).

Used by the preview gallery to show realistic emails, and by tests to prove that the rendered
templates come out right once Logto fills them in. As Logto 1.42 does: an unknown root key leaves
the placeholder as is; a missing nested value becomes ""; values are inserted unescaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.logto_facts import PLACEHOLDER_RE


def _js_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "[object Object]"
    if isinstance(value, (list, tuple)):
        return ",".join("" if v is None else _js_string(v) for v in value)
    return str(value)


def fill_placeholders(template: str, payload: Mapping[str, Any]) -> str:
    def replace(match: Any) -> str:
        root, *rest = match.group(1).split(".")
        if root not in payload:
            return match.group(0)
        value: Any = payload[root]
        for key in rest:
            value = value.get(key) if isinstance(value, Mapping) else None
            if value is None:
                break
        return "" if value is None else _js_string(value)

    return PLACEHOLDER_RE.sub(replace, template)


# A realistic payload per usage type, for previews.
SAMPLE_PAYLOAD: dict[str, Any] = {
    "code": "314159",
    "locale": "en",
    "link": "https://app.example.com/invitation/accept?token=7fK2pQ",
    "application": {"id": "app1", "name": "Example App"},
    "organization": {"id": "org1", "name": "Northwind Traders", "branding": {}},
    "inviter": {"id": "u1", "name": "Ada Lovelace", "primaryEmail": "ada@example.com"},
    "user": {"id": "u2", "name": "Grace Hopper", "primaryEmail": "grace@example.com"},
}

# A small logo that needs no network, so the organization-branded preview shows one offline.
SAMPLE_ORGANIZATION_LOGO = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 40 40'%3E%3Crect width='40' "
    "height='40' rx='8' fill='%23B45309'/%3E%3Ctext x='20' y='27' font-size='20' text-anchor='middle' "
    "fill='white' font-family='Arial'%3EN%3C/text%3E%3C/svg%3E"
)


def preview_payload(usage_type: str, locale: str, *, organization: bool) -> dict[str, Any]:
    """What Logto sends for a preview: plain (no organization in the sign-in request; an
    invitation's organization without a logo) or organization-branded (name and logo)."""
    payload: dict[str, Any] = {**SAMPLE_PAYLOAD, "locale": locale}
    if organization:
        payload["organization"] = {"id": "org1", "name": "Northwind Traders", "branding": {"logoUrl": SAMPLE_ORGANIZATION_LOGO}}
    elif usage_type != "OrganizationInvitation":
        payload.pop("organization")  # only present when the auth request named an organization
    return payload

