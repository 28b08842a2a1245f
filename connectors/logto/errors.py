"""Typed errors of the Management API client.

Each error carries Logto's `code` and message so the operator sees what Logto said, and nothing
the client sent: request bodies are never included, and server text is scrubbed of every secret
the client knows about (Logto's zod and connector errors can echo config values).
"""

from __future__ import annotations

from typing import Any


class LogtoError(Exception):
    """Base class of everything the client raises."""


class InsecureEndpoint(LogtoError, ValueError):
    """The endpoint would send credentials in clear text over a public network."""


class LogtoUnreachable(LogtoError):
    """No HTTP answer: connection refused, DNS failure, timeout, dropped connection."""


class LogtoApiError(LogtoError):
    """Logto answered with an error status."""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        data: Any = None,
        *,
        method: str = "",
        path: str = "",
        hint: str | None = None,
        details: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.data = data
        self.method = method
        self.path = path
        self.hint = hint
        self.details = details
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.method} {self.path} " if self.method else ""
        text = f"Logto {where}answered {self.status} {self.code or '(no code)'}: {_cap(self.message)}"
        if self.details:
            text += f" ({_cap(self.details.strip())})"
        if self.hint:
            text += f" — {self.hint}"
        return text


def _cap(text: str, limit: int = 600) -> str:
    """Connector errors can be whole serialized HTTP clients; keep the head (already scrubbed)."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


class BadRequest(LogtoApiError):
    pass


class InvalidConfig(BadRequest):
    """400 `connector.invalid_config`: the factory's zod guard rejected the config."""

    @property
    def issues(self) -> list[dict[str, Any]]:
        data = self.data if isinstance(self.data, dict) else {}
        issues = data.get("issues")
        return issues if isinstance(issues, list) else []


class Unauthorized(LogtoApiError):
    """401, or the token endpoint refusing the M2M app's credentials."""


class Forbidden(LogtoApiError):
    """403 `auth.forbidden`: the token lacks the Management API `all` scope."""


class NotFound(LogtoApiError):
    pass


class Unprocessable(LogtoApiError):
    """422: e.g. unknown factory, or Logto's own sign-in-experience guard."""


class RateLimited(LogtoApiError):
    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(LogtoApiError):
    """5xx: the request may or may not have been applied."""


class MoreThanOneEmailConnector(BadRequest):
    """400 `connector.more_than_one_email`: the tenant's database is inconsistent."""


class ConnectorSendFailed(LogtoApiError):
    """The connector could not deliver the test message (its provider's error is in `message`)."""


FORBIDDEN_HINT = (
    "did the M2M app get a role with the Logto Management API `all` permission, "
    "and was the token requested with scope=all?"
)
MORE_THAN_ONE_HINT = (
    "the tenant's database holds several email connectors (Logto never does this itself); "
    "delete the extra ones in the Console, or POST the desired connector, which replaces them all"
)
UNAUTHORIZED_HINT = "check the M2M app id and secret, and that `resource` is this tenant's Management API indicator"

# Error codes the test-send route returns when the connector itself failed to deliver.
SEND_FAILURE_CODES = frozenset(
    {
        "connector.general",
        "connector.template_not_found",
        "connector.usage_limit_exceeded",
        "connector.not_found",
        "connector.not_implemented",
        "connector.rate_limit_exceeded",
        "connector.insufficient_request_parameters",
        "connector.invalid_response",
    }
)


def error_class(status: int, code: str | None) -> type[LogtoApiError]:
    if code == "connector.invalid_config":
        return InvalidConfig
    if code == "connector.more_than_one_email":
        return MoreThanOneEmailConnector
    if status == 401:
        return Unauthorized
    if status == 403:
        return Forbidden
    if status == 404:
        return NotFound
    if status == 422:
        return Unprocessable
    if status == 429:
        return RateLimited
    if status >= 500:
        return ServerError
    if status == 400:
        return BadRequest
    return LogtoApiError
