"""The relay's configuration: who may call it, what it renders, where it sends.

The same model is read from a YAML/JSON file (`python -m relay --config FILE`), from the secret
the Pulumi program keeps in Secrets Manager (AWS Lambda), and built from a stack's `relay`
tenant (`from_tenant`), so a local relay and a deployed one behave alike.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from connectors.errors import ConfigError, Problem, problems_from_validation
from connectors.secret import Secret
from connectors.stack.models import (
    RELAY_UPSTREAM_TYPES,
    BrandingSpec,
    Model,
    RelayProvider,
    RelayUpstream,
    SenderSpec,
    TemplatesSpec,
    TenantSpec,
)
from connectors.logto_facts import LOGTO_LANGUAGE_TAGS
from connectors.validators import HttpUrl

# Environment variable holding extra tokens (comma-separated) so a token need not sit in a file.
TOKENS_ENV = "LOGTO_EMAIL_RELAY_TOKENS"


class RelayLimits(Model):
    """Bounds that keep a request well inside what a sign-in page waits for."""

    max_body_bytes: Annotated[StrictInt, Field(ge=1024, le=1_048_576)] = Field(64 * 1024, description="larger bodies get 413")
    upstream_timeout_seconds: Annotated[float, Field(gt=0, le=30)] = Field(5.0, description="one upstream call")
    budget_seconds: Annotated[float, Field(gt=0, le=60)] = Field(12.0, description="all attempts of one send together")
    attempts: Annotated[StrictInt, Field(ge=1, le=10)] = Field(3, description="upstream attempts on transient errors")


class RelayIdempotency(Model):
    """A DynamoDB table shared by every instance (the program creates it for a deployed relay)."""

    dynamodb_table: Annotated[str, Field(min_length=3, max_length=255)] = Field(description="table name (hash key `k`, TTL attribute `expires`)")
    region: Annotated[str, Field(min_length=1)] = Field(description="its AWS region")
    endpoint: HttpUrl | None = Field(None, description="DynamoDB endpoint override (tests)")


class RelayConfig(Model):
    """Everything one tenant's relay needs. Field names match the tenant spec so the template
    helpers of `connectors.connector_config` take it as they take a tenant."""

    tokens: list[Secret] = Field(default_factory=list, max_length=5, description="accepted bearer tokens")
    sender: SenderSpec = Field(description="From / Reply-To of every email")
    locales: list[str] = Field(["en"], min_length=1, description="the tenant's locales; the first is the fallback")
    branding: BrandingSpec | None = Field(None, description="how the emails look")
    templates: TemplatesSpec = Field(default_factory=TemplatesSpec, description="templates.directory: the tenant's overrides")
    upstream: RelayUpstream = Field(description="where the relay sends")
    code_ttl_seconds: Annotated[StrictInt, Field(ge=60, le=3600)] = Field(600, description="a repeated request within it is not re-sent")
    limits: RelayLimits = Field(default_factory=RelayLimits, description="body size, timeouts, retries")
    idempotency: RelayIdempotency | None = Field(None, description="share duplicate detection across instances (default: in memory)")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="the relay's log level")

    @property
    def sign_in_experience(self) -> "_CodeLifetime":
        """What the template helpers read of a tenant's sign-in experience: the code lifetime the
        emails state, which is also how long a repeated request is recognised."""
        return _CodeLifetime(self.code_ttl_seconds)

    @property
    def authorizations(self) -> list[str]:
        """The exact Authorization header values accepted (what Logto's connector sends)."""
        from connectors.providers.relay import relay_authorization

        return [relay_authorization(t).reveal() for t in self.tokens]


@dataclass(frozen=True)
class _CodeLifetime:
    code_lifetime_seconds: int


def from_tenant(tenant: TenantSpec, **overrides: Any) -> RelayConfig:
    """The relay config of a `provider: relay` tenant (secrets must be known)."""
    p = tenant.provider
    if not isinstance(p, RelayProvider):
        raise ValueError(f"tenant provider is {p.type}, not relay")
    assert tenant.sender is not None  # required by the schema for every provider but logto-email
    data: dict[str, Any] = dict(
        tokens=list(p.tokens), sender=tenant.sender, locales=list(tenant.locales), branding=tenant.branding,
        templates=tenant.templates, upstream=p.upstream,
        # the declared verificationCodePolicy wins: the emails state it and Logto enforces it
        code_ttl_seconds=(tenant.sign_in_experience.code_lifetime_seconds if tenant.sign_in_experience else None)
        or p.code_ttl_seconds,
    )
    data.update(overrides)
    return RelayConfig(**_by_alias(data))


def _by_alias(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in data.items():
        alias = RelayConfig.model_fields[name].alias or name
        out[alias] = value
    return out


def to_json(config: RelayConfig) -> str:
    """The config as JSON with secrets in clear: only for the secret store / a 0600 file."""
    return json.dumps(config.model_dump(mode="json", by_alias=True, exclude_none=True, context={"reveal_secrets": True}))


def parse_config(data: Any, *, source: str, env: dict[str, str] | None = None) -> RelayConfig:
    """Validate a loaded document; every problem names its path, never the value."""
    env = os.environ if env is None else env
    if not isinstance(data, dict):
        raise ConfigError([Problem("", "the relay config must be a mapping with sender, upstream, tokens, …")], source=source)
    data = dict(data)
    extra = [t.strip() for t in (env.get(TOKENS_ENV) or "").split(",") if t.strip()]
    if extra:
        data["tokens"] = [*(data.get("tokens") or []), *extra]
    try:
        config = RelayConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, tags=frozenset(RELAY_UPSTREAM_TYPES)), source=source) from None
    problems = []
    if not config.tokens:
        problems.append(Problem("tokens", "at least one token is required",
                                f"list it under tokens: or set {TOKENS_ENV} (comma-separated)"))
    bad = [t for t in config.locales if t not in LOGTO_LANGUAGE_TAGS]
    if bad:
        problems.append(Problem("locales", f"not a Logto language tag: {', '.join(map(repr, bad))}",
                                f"use one of {', '.join(LOGTO_LANGUAGE_TAGS)}"))
    if problems:
        raise ConfigError(problems, source=source)
    return config


def load_config(path: Path | str, *, env: dict[str, str] | None = None) -> RelayConfig:
    """Read a YAML (or JSON) relay config file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([Problem("", f"no relay config file {path}", "pass --config with an existing file")])
    try:
        with path.open(encoding="utf-8") as fh:
            data = YAML(typ="safe").load(fh)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([Problem(where, f"not valid YAML: {getattr(exc, 'problem', None) or 'parse error'}")], source=str(path)) from None
    return parse_config(data, source=str(path), env=env)
