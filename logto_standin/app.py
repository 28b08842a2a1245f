"""Request handling for the Logto-compatible server: routing and error mapping.

Routes follow core 1.42's order of checks (koa-auth, then koa-guard, then the handler's
asserts), because a client is judged by which error it meets first. The routes themselves live
in `oidc`, `connector_routes`, `sign_in_exp` and `template_routes`.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from .account_routes import AccountRoutes
from .connector_routes import ConnectorRoutes
from .errors import ApiError, InternalError, RawResponse
from .factories import Factory, installed_factories
from .oidc import TokenRoutes
from .sign_in_exp import AccountCenterRoutes, SignInExperienceRoutes
from .state import TenantState
from .template_routes import EmailTemplateRoutes
from .wire import Request, Response

Handler = Callable[[Request], Response]


class LogtoApp(TokenRoutes, ConnectorRoutes, SignInExperienceRoutes, AccountCenterRoutes, EmailTemplateRoutes, AccountRoutes):
    """One tenant's Management API plus its OIDC token endpoint."""

    def __init__(
        self, *, runtime: Any, cloud: bool, token_ttl: int, resource: str, tenant_id: str = "default"
    ) -> None:
        self.runtime = runtime
        self.cloud = cloud
        self.token_ttl = token_ttl
        self.resource = resource
        self.issuer = resource.removesuffix("/api") + "/oidc"
        self.factories: dict[str, Factory] = installed_factories(cloud)
        self.state = TenantState(cloud=cloud, tenant_id=tenant_id)
        self.lock = threading.RLock()
        self._signing_key = secrets.token_bytes(32)
        self.routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self.last_internal_error: str | None = None  # why the last 500 happened (no secrets)
        self._register_routes()

    # -- routing ----------------------------------------------------------------------------

    def _route(self, method: str, pattern: str, handler: Handler, auth: bool = True) -> None:
        regex = re.compile("^" + re.sub(r":(\w+)", r"(?P<\1>[^/]+)", pattern) + "$")
        self.routes.append((method, regex, handler, auth))

    def _register_routes(self) -> None:
        r = self._route
        r("POST", "/oidc/token", self.token, auth=False)
        r("GET", "/api/connector-factories", self.list_factories)
        r("GET", "/api/connector-factories/:id", self.get_factory)
        r("GET", "/api/connectors", self.list_connectors)
        r("POST", "/api/connectors", self.create_connector)
        r("GET", "/api/connectors/:id", self.get_connector)
        r("PATCH", "/api/connectors/:id", self.update_connector)
        r("DELETE", "/api/connectors/:id", self.delete_connector)
        r("POST", "/api/connectors/:factoryId/test", self.test_connector)
        r("POST", "/api/verification-codes", self.send_verification_code)
        r("POST", "/api/verification-codes/verify", self.verify_verification_code)
        r("GET", "/api/sign-in-exp", self.get_sie)
        r("PATCH", "/api/sign-in-exp", self.patch_sie)
        r("GET", "/api/account-center", self.get_account_center)
        r("PATCH", "/api/account-center", self.patch_account_center)
        r("PUT", "/api/email-templates", self.put_templates)
        r("GET", "/api/email-templates", self.list_templates)
        r("DELETE", "/api/email-templates", self.bulk_delete_templates)
        r("POST", "/api/organizations", self.create_organization)
        r("DELETE", "/api/organizations/:id", self.delete_organization)
        r("GET", "/api/organization-invitations", self.list_invitations)
        r("POST", "/api/organization-invitations", self.create_invitation)
        r("GET", "/api/email-templates/:id", self.get_template)
        r("DELETE", "/api/email-templates/:id", self.delete_template)
        r("PATCH", "/api/email-templates/:id/details", self.patch_template_details)

    def handle(self, request: Request) -> Response:
        """Dispatch one request; map errors to Logto's bodies."""
        try:
            for method, regex, handler, auth in self.routes:
                match = regex.match(request.path)
                if match and method == request.method:
                    request.params = {k: unquote(v) for k, v in match.groupdict().items()}
                    if auth:
                        self.authenticate(request)
                    return handler(request)
            return Response(404, "Not Found", content_type="text/plain; charset=utf-8")
        except ApiError as error:
            return Response(error.status, error.body())
        except RawResponse as raw:
            return Response(raw.status, raw.body, content_type=raw.content_type)
        except InternalError as error:
            self.last_internal_error = str(error)
            return Response(500, {"message": "Internal server error."})
        except Exception as error:  # a bug here or a harness failure: answer like Logto, keep a hint
            self.last_internal_error = f"{type(error).__name__} in {request.method} {request.path}"
            return Response(500, {"message": "Internal server error."})

__all__ = ["LogtoApp", "Request", "Response"]
