"""`/api/organizations` and `/api/organization-invitations`: just what decides whether a tenant
sends invitation mail, so the delete guard can be tested against them (the account center is in
`sign_in_exp`)."""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from . import guards as g
from .errors import ApiError
from .state import TenantState, generate_id, now_ms
from .wire import EMAIL_REGEX, Request, Response

POST_ORGANIZATION = g.obj({"name": g.string(1, 128), "description": g.Opt(g.string(), nullable=True)})
POST_INVITATION = g.obj({
    "organizationId": g.string(1),
    "invitee": g.string(regex=EMAIL_REGEX),
    "expiresAt": g.number(integer=True),
    "inviterId": g.Opt(g.string(), nullable=True),
    "messagePayload": g.Opt(g.any_json()),
})


class AccountRoutes:
    state: TenantState
    lock: threading.RLock

    def create_organization(self, request: Request) -> Response:
        body = g.parse("body", POST_ORGANIZATION, request.json_body())
        with self.lock:
            org = {"tenantId": self.state.tenant_id, "id": generate_id(21), "name": body["name"],
                   "description": body.get("description"), "customData": {}, "isMfaRequired": False,
                   "branding": {}, "createdAt": now_ms()}
            self.state.organizations[org["id"]] = org
            return Response(201, copy.deepcopy(org))

    def delete_organization(self, request: Request) -> Response:
        with self.lock:
            if self.state.organizations.pop(request.params["id"], None) is None:
                raise ApiError(404, "entity.not_exists_with_id", {"name": "organizations", "id": request.params["id"]})
            for key in [k for k, v in self.state.organization_invitations.items() if v["organizationId"] == request.params["id"]]:
                del self.state.organization_invitations[key]  # ON DELETE CASCADE
        return Response(204)

    def list_invitations(self, request: Request) -> Response:
        with self.lock:
            rows = [copy.deepcopy(r) for r in self.state.organization_invitations.values()]
        for row in rows:  # status is computed on read: a pending invitation past its expiry is Expired
            if row["status"] == "Pending" and row["expiresAt"] < now_ms():
                row["status"] = "Expired"
        return Response(200, rows)

    def create_invitation(self, request: Request) -> Response:
        body = g.parse("body", POST_INVITATION, request.json_body())
        with self.lock:
            if body["organizationId"] not in self.state.organizations:
                raise ApiError(422, "entity.relation_foreign_key_not_found")
            if body["expiresAt"] <= time.time() * 1000:
                raise ApiError(400, "request.invalid_input", {"details": "The value of `expiresAt` must be in the future."})
            email_rows = [r for r in self.state.connectors.values()
                          if r.connector_id in getattr(self, "factories", {}) and self.factories[r.connector_id].type == "Email"]  # type: ignore[attr-defined]
            if body.get("messagePayload") not in (None, False) and not email_rows:
                raise ApiError(501, "connector.not_found", {"type": "Email"})
            row = {"tenantId": self.state.tenant_id, "id": generate_id(21), "inviterId": body.get("inviterId"),
                   "invitee": body["invitee"], "acceptedUserId": None, "organizationId": body["organizationId"],
                   "status": "Pending", "createdAt": now_ms(), "updatedAt": now_ms(), "expiresAt": body["expiresAt"],
                   "organizationRoles": []}
            self.state.organization_invitations[row["id"]] = row
            return Response(201, copy.deepcopy(row))
