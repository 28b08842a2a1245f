"""`/api/email-templates`: upsert by (languageTag, templateType), filters, details merge, bulk delete."""

from __future__ import annotations

import copy
import threading
from typing import Any

from . import guards as g
from .errors import ApiError, InternalError
from .state import EmailTemplateRow, TenantState
from .wire import TEMPLATE_TYPES, Request, Response

TEMPLATE_DETAILS_FIELDS: dict[str, Any] = {
    "subject": g.string(),
    "content": g.string(),
    "contentType": g.Opt(g.enum(["text/html", "text/plain"])),
    "replyTo": g.Opt(g.string()),
    "sendFrom": g.Opt(g.string()),
}
PUT_TEMPLATES = g.obj(
    {
        "templates": g.array(
            g.obj(
                {
                    "languageTag": g.string(1, 16),
                    "templateType": g.enum(TEMPLATE_TYPES),
                    "details": g.obj(TEMPLATE_DETAILS_FIELDS),
                }
            ),
            min_len=1,
        )
    }
)
PATCH_TEMPLATE_DETAILS = g.obj(
    {k: v if isinstance(v, g.Opt) else g.Opt(v) for k, v in TEMPLATE_DETAILS_FIELDS.items()}
)
TEMPLATE_QUERY = g.obj(
    {"languageTag": g.Opt(g.string()), "templateType": g.Opt(g.enum(TEMPLATE_TYPES))}
)


class EmailTemplateRoutes:
    state: TenantState
    lock: threading.RLock


    def _template(self, template_id: str) -> EmailTemplateRow:
        row = self.state.email_templates.get(template_id)
        if row is None:
            raise ApiError(404, "entity.not_exists_with_id", {"name": "email_templates", "id": template_id})
        return row

    def put_templates(self, request: Request) -> Response:
        body = g.parse("body", PUT_TEMPLATES, request.json_body())
        keys = [(t["languageTag"], t["templateType"]) for t in body["templates"]]
        if len(set(keys)) != len(keys):  # ON CONFLICT DO UPDATE cannot affect a row twice
            raise InternalError("ON CONFLICT DO UPDATE command cannot affect row a second time")
        with self.lock:
            rows = [
                self.state.insert_email_template(t["languageTag"], t["templateType"], t["details"])
                for t in body["templates"]
            ]
            return Response(200, [row.response() for row in rows])

    def list_templates(self, request: Request) -> Response:
        query = g.parse("query", TEMPLATE_QUERY, dict(request.query))
        with self.lock:
            rows = [
                r
                for r in self.state.email_templates.values()
                if query.get("languageTag") in (None, r.language_tag)
                and query.get("templateType") in (None, r.template_type)
            ]
            rows.sort(key=lambda r: (r.language_tag, r.template_type))
            return Response(200, [r.response() for r in rows])

    def get_template(self, request: Request) -> Response:
        with self.lock:
            return Response(200, self._template(request.params["id"]).response())

    def patch_template_details(self, request: Request) -> Response:
        body = g.parse("body", PATCH_TEMPLATE_DETAILS, request.json_body())
        with self.lock:
            row = self._template(request.params["id"])
            row.details = {**row.details, **copy.deepcopy(body)}
            return Response(200, row.response())

    def delete_template(self, request: Request) -> Response:
        with self.lock:
            self._template(request.params["id"])  # 404 entity.not_exists_with_id, as observed
            del self.state.email_templates[request.params["id"]]
        return Response(204)

    def bulk_delete_templates(self, request: Request) -> Response:
        query = g.parse("query", TEMPLATE_QUERY, dict(request.query))
        # Logto asserts `languageTag ?? templateType` is truthy: an empty languageTag is no filter.
        chosen = query["languageTag"] if query.get("languageTag") is not None else query.get("templateType")
        if not chosen:
            raise ApiError(
                422,
                "connector.email_connector.bulk_deletion_no_filter",
                {"properties": ["languageTag", "templateType"]},
            )
        with self.lock:
            doomed = [
                r.id
                for r in self.state.email_templates.values()
                if query.get("languageTag") in (None, r.language_tag)
                and query.get("templateType") in (None, r.template_type)
            ]
            for template_id in doomed:
                del self.state.email_templates[template_id]
        return Response(200, {"rowCount": len(doomed)})
