"""From a tenant's declared spec and its rendered templates to the exact Logto connector config.

The same function serves `render` (provider outputs unknown: visible placeholders) and the
Pulumi program (provider outputs known, secrets real), so both always agree on the config.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectors.email_policy import EXPIRATION_DEFAULT
from connectors.errors import ConfigError, Problem
from connectors.factories import FactoryModel
from connectors.providers import (
    GENERATED,
    GENERATED_URL,
    ConnectorInputs,
    parse_config,
    provider_of,
)
from connectors.secret import SECRET_MARKER
from connectors.stack.models import TenantSpec
from connectors.templates import (
    Branding,
    RenderedSet,
    Sender,
    TemplateError,
    config_templates,
    render_all,
)
from connectors.templates.environment import directory_stamp
from connectors.templates.formats import format_address


def template_branding(tenant: TenantSpec) -> Branding:
    b = tenant.branding
    if b is None:
        name = (tenant.sender.name if tenant.sender and tenant.sender.name else None) or "Your account"
        return Branding(product_name=name)
    return Branding(
        product_name=b.product_name,
        logo_url=b.logo_url,
        primary_color=b.primary_color,
        background_color=b.background_color,
        text_color=b.text_color,
        company_name=b.company_name,
        company_address=b.company_address,
        support_email=b.support_email,
        support_url=b.support_url,
    )


def template_sender(tenant: TenantSpec) -> Sender:
    s = tenant.sender
    if s is None:  # Logto Email Service: the address is Logto's
        return Sender(email="no-reply@logto.email")
    return Sender(email=s.email, name=s.name, reply_to=s.reply_to)


def code_lifetime_seconds(tenant: TenantSpec) -> int:
    """What the emails state: the declared expirationDuration, else Logto's default (600 s)."""
    declared = tenant.sign_in_experience.code_lifetime_seconds if tenant.sign_in_experience else None
    return declared if declared is not None else EXPIRATION_DEFAULT


_RENDERED: OrderedDict[tuple[Any, ...], RenderedSet] = OrderedDict()
_RENDERED_MAX = 64  # distinct rendering inputs kept; a stack of 1,000 copies of a few brands renders a few times


def render_source(tenant: TenantSpec, project_dir: Path | str = ".") -> dict[str, Any]:
    """The small, JSON-able inputs the tenant's emails are rendered from (what the Logto
    resources keep in the state instead of the rendered text; see `connectors.deploy.content`)."""
    directory = Path(project_dir) / tenant.templates.directory if tenant.templates.directory else None
    return {
        "branding": dataclasses.asdict(template_branding(tenant)),
        "locales": list(tenant.locales),
        "codeLifetime": code_lifetime_seconds(tenant),
        "overrides": str(directory) if directory is not None else None,
    }


def render_tenant(tenant: TenantSpec, project_dir: Path | str = ".", *, path: str = "") -> RenderedSet:
    """All emails of the tenant, every locale. TemplateError → ConfigError naming the tenant."""
    return render_from_source(render_source(tenant, project_dir), path=path)


def render_from_source(source: Mapping[str, Any], *, path: str = "") -> RenderedSet:
    """The emails `render_source` describes. TemplateError → ConfigError at `path`.

    Shared: equal rendering inputs (branding, locales, code lifetime, overrides) get the same
    (immutable) set, rendered once per process; a changed override file is a new key."""
    directory = Path(source["overrides"]) if source.get("overrides") else None
    branding = Branding(**source["branding"])
    lifetime = int(source["codeLifetime"])
    locales = list(source["locales"])
    key = (branding, tuple(locales), lifetime, directory_stamp(directory))
    if (hit := _RENDERED.get(key)) is not None:
        _RENDERED.move_to_end(key)
        return hit
    try:
        rendered = render_all(branding, locales, directory, code_lifetime_seconds=lifetime)
    except TemplateError as exc:
        raise ConfigError([Problem(path or "templates", str(p)) for p in exc.problems]) from None
    _RENDERED[key] = rendered
    if len(_RENDERED) > _RENDERED_MAX:
        _RENDERED.popitem(last=False)
    return rendered


def mailbox(tenant: TenantSpec) -> str:
    """The sender as a From mailbox (the same formatter as the i18n rows' sendFrom)."""
    s = tenant.sender
    assert s is not None
    return format_address(s.name, s.email)


def build_connector_config(
    tenant: TenantSpec,
    rendered: RenderedSet,
    generated: Mapping[str, Any] | None = None,
    *,
    path: str = "",
) -> FactoryModel:
    """The factory model of the tenant's connector; validated exactly as Logto's guard (and stricter).

    `generated` holds what only the provider resources know (each provider's `generated` keys).
    """
    provider = provider_of(tenant.provider.type)
    fid = provider.factory_id

    def templates(**options: Any) -> dict[str, Any]:
        return config_templates(fid, rendered, **options)

    data = provider.config_of(tenant.provider, ConnectorInputs(tenant, dict(generated or {}), templates))
    return parse_config(fid, {k: v for k, v in data.items() if v is not None}, path=path or "connector")


def placeholders_in(config: Any, path: str = "") -> list[str]:
    """Paths in a connector payload still holding a value only `pulumi up` can know."""
    if isinstance(config, dict):
        return [p for k, v in config.items() for p in placeholders_in(v, f"{path}.{k}" if path else k)]
    if isinstance(config, list):
        return [p for i, v in enumerate(config) for p in placeholders_in(v, f"{path}[{i}]")]
    return [path] if config in (GENERATED, GENERATED_URL, SECRET_MARKER) else []
