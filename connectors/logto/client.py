"""Logto Management API client: the calls the deploy step needs, made safe to repeat.

Idempotent calls (GET, PUT, PATCH, DELETE) are retried with exponential backoff and jitter on
429 (honouring Retry-After), 5xx and connection errors. POSTs are not: a POST that may have
reached Logto is only sent again after a read shows it did not land, and the test-send (which
mails a real person) is never repeated once it may have been delivered.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterable
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
import stamina

from connectors.logto.endpoint import default_resource, normalize_endpoint
from connectors.logto.errors import (
    FORBIDDEN_HINT,
    MORE_THAN_ONE_HINT,
    SEND_FAILURE_CODES,
    UNAUTHORIZED_HINT,
    ConnectorSendFailed,
    LogtoApiError,
    LogtoUnreachable,
    MoreThanOneEmailConnector,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    error_class,
)
from connectors.logto.masking import Scrubber, remember, scrubbed_logger, secret_values
from connectors.logto.records import Connector, Factory
from connectors.logto.settings import ClientSettings
from connectors.logto.token import TOKENS, TokenCache, secret_digest
from connectors.secret import Secret

log = scrubbed_logger(__name__)
T = TypeVar("T")


class _Unsent(LogtoUnreachable):
    """The connection failed before the request could be sent: always safe to try again."""


class _PostNotLanded(Exception):
    """A POST failed ambiguously and a read showed it did not land: safe to send again."""

    def __init__(self, cause: Exception) -> None:
        self.cause = cause
        super().__init__(str(cause))


class LogtoClient:
    """One tenant's Management API. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        endpoint: str,
        app_id: str,
        app_secret: Secret | str,
        *,
        resource: str | None = None,
        settings: ClientSettings | None = None,
        tokens: TokenCache = TOKENS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = normalize_endpoint(endpoint)
        self.resource = resource or default_resource(self.endpoint)
        self.app_id = app_id
        self._secret = app_secret if isinstance(app_secret, Secret) else Secret(app_secret)
        self.settings = settings or ClientSettings.from_env()
        self._tokens = tokens
        self._scrub = Scrubber([self._secret.reveal()] if self._secret.known else [])
        remember([self._secret.reveal()] if self._secret.known else [])
        self._secret_digest = secret_digest(self._secret.reveal()) if self._secret.known else ""
        s = self.settings
        self._http = httpx.Client(
            base_url=self.endpoint,
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"LogtoClient({self.endpoint!r}, app_id={self.app_id!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- token ------------------------------------------------------------------------------
    @property
    def _token_key(self) -> tuple[str, str, str, str]:
        return (self.endpoint, self.app_id, self.resource, self._secret_digest)

    def _token(self) -> str:
        cached = self._tokens.get(self._token_key)
        if cached is not None:
            return cached.value
        body = self._retrying(self._fetch_token, idempotent=True)
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise Unauthorized(200, None, "the token endpoint returned no access_token", method="POST", path="/oidc/token")
        self._scrub.add([value])
        remember([value])
        expires_in = float(body.get("expires_in") or 3600)
        self._tokens.put(self._token_key, value, expires_in, self.settings.token_margin)
        log.debug("fetched a Management API token for app %s (expires in %ss)", self.app_id, expires_in)
        return value

    def _fetch_token(self) -> dict[str, Any]:
        form = {"grant_type": "client_credentials", "resource": self.resource, "scope": "all"}
        resp = self._transmit("POST", "/oidc/token", data=form, auth=(self.app_id, self._secret.reveal()))
        if resp.status_code >= 400:
            err = self._error(resp, "POST", "/oidc/token")
            if resp.status_code in (400, 401) and err.code in ("oidc.invalid_client", "oidc.invalid_grant", None):
                raise Unauthorized(
                    err.status, err.code, err.message, method="POST", path="/oidc/token", hint=UNAUTHORIZED_HINT
                ) from None
            if err.code == "oidc.invalid_target":
                err.hint = f"the resource indicator {self.resource!r} is not this tenant's Management API"
                err.args = (err._render(),)
            raise err
        return resp.json()

    # -- transport ----------------------------------------------------------------------------
    def _transmit(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            resp = self._http.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _Unsent(f"cannot reach Logto at {self.endpoint} ({type(exc).__name__}: {self._scrub(str(exc))})") from None
        except httpx.TransportError as exc:
            raise LogtoUnreachable(
                f"lost the connection to Logto at {self.endpoint} during {method} {path} "
                f"({type(exc).__name__}: {self._scrub(str(exc))}); the request may have been applied"
            ) from None
        log.debug("%s %s -> %s", method, path, resp.status_code)
        return resp

    def _error(self, resp: httpx.Response, method: str, path: str, scrub: Scrubber | None = None) -> LogtoApiError:
        scrub = scrub or self._scrub
        try:
            body = resp.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        code = body.get("code") if isinstance(body.get("code"), str) else None
        if code is None and isinstance(body.get("error"), str):  # a bare OAuth error from the token endpoint
            code = f"oidc.{body['error']}"
        message = body.get("message") or body.get("error_description") or resp.reason_phrase or "error"
        details = body.get("details") if isinstance(body.get("details"), str) else None
        cls = error_class(resp.status_code, code)
        kwargs: dict[str, Any] = {}
        if cls is RateLimited:
            kwargs["retry_after"] = _retry_after(resp.headers.get("retry-after"))
        hint = FORBIDDEN_HINT if resp.status_code == 403 else MORE_THAN_ONE_HINT if cls is MoreThanOneEmailConnector else None
        return cls(
            resp.status_code,
            code,
            scrub(str(message)),
            scrub(body.get("data")),
            method=method,
            path=path,
            hint=hint,
            details=scrub(details) if details else None,
            **kwargs,
        )

    def _retrying(self, fn: Callable[[], T], *, idempotent: bool) -> T:
        s = self.settings

        def hook(exc: Exception) -> bool | float:
            if isinstance(exc, _Unsent):
                return True
            if not idempotent:
                return False
            if isinstance(exc, RateLimited):
                return min(exc.retry_after, s.max_retry_after) if exc.retry_after is not None else True
            return isinstance(exc, (ServerError, LogtoUnreachable))

        for attempt in stamina.retry_context(
            on=hook,
            attempts=s.attempts,
            timeout=s.retry_timeout,
            wait_initial=s.wait_initial,
            wait_max=s.wait_max,
            wait_jitter=s.wait_jitter,
        ):
            with attempt:
                return fn()
        raise AssertionError("unreachable")  # pragma: no cover

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        idempotent: bool,
        scrub: Scrubber | None = None,
    ) -> httpx.Response:
        """One API call with token handling and (for idempotent calls) retries."""
        for renewed in (False, True):
            token = self._token()

            def once(token: str = token) -> httpx.Response:
                kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"}}
                if json is not None:
                    kwargs["json"] = json
                if params:
                    kwargs["params"] = params
                resp = self._transmit(method, path, **kwargs)
                if resp.status_code >= 400:
                    raise self._error(resp, method, path, scrub)
                return resp

            try:
                return self._retrying(once, idempotent=idempotent)
            except Unauthorized:
                # 401 means Logto did not process the call: renew the token and send it once more.
                self._tokens.drop(self._token_key, token)
                if renewed:
                    raise
                log.info("Management API token rejected; fetching a new one")
        raise AssertionError("unreachable")  # pragma: no cover

    def _config_scrubber(self, config: Any) -> Scrubber:
        values = list(secret_values(config))
        remember(values)
        return self._scrub.extended(values)

    # -- connectors ---------------------------------------------------------------------------
    def list_factories(self) -> list[Factory]:
        items = self._call("GET", "/api/connector-factories", idempotent=True).json()
        return [Factory(i["id"], i.get("type", ""), (i.get("name") or {}).get("en", "")) for i in items]

    def list_connectors(self) -> list[Connector]:
        items = self._call("GET", "/api/connectors", idempotent=True).json()
        return [_connector(i) for i in items]

    def get_connector(self, connector_id: str) -> Connector:
        return _connector(self._call("GET", f"/api/connectors/{_seg(connector_id)}", idempotent=True).json())

    def get_email_connector(self) -> Connector | None:
        """The tenant's one email connector, or None."""
        emails = [c for c in self.list_connectors() if c.type == "Email"]
        if len(emails) > 1:
            raise MoreThanOneEmailConnector(
                400, "connector.more_than_one_email", f"the tenant lists {len(emails)} email connectors",
                method="GET", path="/api/connectors", hint=MORE_THAN_ONE_HINT,
            )
        return emails[0] if emails else None

    def create_connector(self, factory_id: str, config: dict[str, Any]) -> Connector:
        """POST a connector (Logto atomically replaces any other email connector).

        Never sent twice blindly: after an ambiguous failure the live email connector is read,
        and the POST counts as done if it now has `factory_id` and `config`.
        """
        scrub = self._config_scrubber(config)
        body = {"connectorId": factory_id, "config": config}

        def once() -> Connector:
            try:
                return _connector(self._call("POST", "/api/connectors", json=body, idempotent=False, scrub=scrub).json())
            except (ServerError, RateLimited, LogtoUnreachable) as exc:
                if isinstance(exc, _Unsent):
                    raise
                live = self.get_email_connector()
                if live is not None and live.matches(factory_id, config):
                    log.warning("POST /api/connectors failed (%s) but the connector landed as %s", exc.__class__.__name__, live.id)
                    return live
                log.warning("POST /api/connectors failed (%s) and did not land; sending it again", exc.__class__.__name__)
                raise _PostNotLanded(exc) from None

        s = self.settings

        def hook(exc: Exception) -> bool | float:
            if isinstance(exc, _PostNotLanded):
                cause = exc.cause
                if isinstance(cause, RateLimited) and cause.retry_after is not None:
                    return min(cause.retry_after, s.max_retry_after)
                return True
            return False

        try:
            for attempt in stamina.retry_context(
                on=hook, attempts=s.attempts, timeout=s.retry_timeout,
                wait_initial=s.wait_initial, wait_max=s.wait_max, wait_jitter=s.wait_jitter,
            ):
                with attempt:
                    return once()
        except _PostNotLanded as exc:
            raise exc.cause from None
        raise AssertionError("unreachable")  # pragma: no cover

    def update_connector_config(self, connector_id: str, config: dict[str, Any]) -> Connector:
        """PATCH the whole config (Logto replaces it; it does not merge)."""
        resp = self._call(
            "PATCH", f"/api/connectors/{_seg(connector_id)}", json={"config": config},
            idempotent=True, scrub=self._config_scrubber(config),
        )
        return _connector(resp.json())

    def delete_connector(self, connector_id: str, *, missing_ok: bool = False) -> bool:
        """DELETE; True if deleted, False if it was already gone (and `missing_ok`)."""
        path = f"/api/connectors/{_seg(connector_id)}"
        tries = 0

        def once() -> bool:
            nonlocal tries
            tries += 1
            try:
                self._call("DELETE", path, idempotent=False)
                return True
            except NotFound:
                if missing_ok or tries > 1:  # a 404 after a retry: the earlier attempt landed
                    return tries > 1
                raise

        return self._retrying(once, idempotent=True)

    def test_send(self, factory_id: str, config: dict[str, Any], email: str, locale: str | None = None) -> None:
        """Send Logto's Generic test message (code 000000) through an unsaved config."""
        body: dict[str, Any] = {"email": email, "config": config}
        if locale:
            body["locale"] = locale
        try:
            self._call(
                "POST", f"/api/connectors/{_seg(factory_id)}/test", json=body,
                idempotent=False, scrub=self._config_scrubber(config),
            )
        except LogtoApiError as exc:
            if exc.code in SEND_FAILURE_CODES or (exc.status >= 500 and exc.code):
                raise ConnectorSendFailed(
                    exc.status, exc.code, exc.message, exc.data, method=exc.method, path=exc.path, details=exc.details
                ) from None
            raise

    # -- sign-in experience -----------------------------------------------------------------
    def get_sign_in_experience(self) -> dict[str, Any]:
        return self._call("GET", "/api/sign-in-exp", idempotent=True).json()

    def patch_sign_in_experience(self, changes: dict[str, Any]) -> dict[str, Any]:
        return self._call("PATCH", "/api/sign-in-exp", json=changes, idempotent=True).json()

    # -- account center and organization invitations (what else sends email) ---------------
    def get_account_center(self) -> dict[str, Any]:
        return self._call("GET", "/api/account-center", idempotent=True).json()

    def list_organization_invitations(self) -> list[dict[str, Any]]:
        return self._call("GET", "/api/organization-invitations", idempotent=True).json()

    def patch_account_center(self, changes: dict[str, Any]) -> dict[str, Any]:
        """PATCH replaces `fields` as a whole: send every field, not only the changed one."""
        return self._call("PATCH", "/api/account-center", json=changes, idempotent=True).json()

    # -- i18n email templates ----------------------------------------------------------------
    def list_email_templates(self, language_tag: str | None = None, template_type: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("languageTag", language_tag), ("templateType", template_type)) if v}
        return self._call("GET", "/api/email-templates", params=params, idempotent=True).json()

    def upsert_email_templates(self, templates: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """PUT (upsert on languageTag × templateType)."""
        body = {"templates": list(templates)}
        if not body["templates"]:
            return []
        return self._call("PUT", "/api/email-templates", json=body, idempotent=True).json()

    def delete_email_templates(self, language_tag: str) -> int:
        """Every row of one language tag in one call (`DELETE /api/email-templates?languageTag=`);
        returns how many went. Idempotent: a retry deletes nothing more."""
        resp = self._call("DELETE", "/api/email-templates", params={"languageTag": language_tag}, idempotent=True)
        return int(resp.json().get("rowCount", 0))

    def delete_email_template(self, template_id: str) -> bool:
        tries = 0

        def once() -> bool:
            nonlocal tries
            tries += 1
            try:
                self._call("DELETE", f"/api/email-templates/{_seg(template_id)}", idempotent=False)
                return True
            except NotFound:
                if tries > 1:
                    return False
                raise

        return self._retrying(once, idempotent=True)


def _connector(item: dict[str, Any]) -> Connector:
    return Connector(
        id=item["id"], factory_id=item["connectorId"], type=item.get("type", ""), config=item.get("config") or {}
    )


def _seg(value: str) -> str:
    return quote(value, safe="")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
