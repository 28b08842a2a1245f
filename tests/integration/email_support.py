"""Shared pieces of the i18n-template, sign-in-experience and operator-command tests."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from connectors.templates import Branding, RenderedSet, Sender, available_locales, email_template_rows, render_all
from infra.dynamic_support import unwrap
from infra.email_templates import LogtoEmailTemplatesProvider
from infra.sign_in_experience import LogtoSignInEmailProvider

SMTP = "simple-mail-transfer-protocol"
SENDER = Sender(email="no-reply@example.com", name="Acme", reply_to="help@example.com")


@lru_cache(maxsize=1)
def rendered_all() -> RenderedSet:
    """Every shipped locale, default branding (rendering once keeps the suite fast)."""
    return render_all(Branding(product_name="Acme"), available_locales())


def rows_for(locales: list[str], factory_id: str = SMTP) -> list[dict[str, Any]]:
    return [r for r in email_template_rows(factory_id, rendered_all(), SENDER) if r["languageTag"] in locales]


def access(target: Any) -> dict[str, Any]:
    return {
        "endpoint": target.endpoint,
        "resource": target.resource,
        "app_id": target.app_id,
        "app_secret": target.app_secret,
    }


class ProviderDriver:
    """Calls a dynamic provider the way the Pulumi engine does: update/read/delete see stored outputs only."""

    provider: Any

    def __init__(self, target: Any) -> None:
        self.target = target
        self.id: str | None = None
        self.outs: dict[str, Any] | None = None

    def checked(self, **inputs: Any) -> dict[str, Any]:
        checked = self.provider.check(self.outs or {}, {**access(self.target), **inputs})
        assert not checked.failures, [f"{f.property}: {f.reason}" for f in checked.failures]
        return checked.inputs

    def apply(self, news: dict[str, Any]) -> dict[str, Any]:
        if self.outs is None:
            created = self.provider.create(news)
            self.id, self.outs = created.id, created.outs
        else:
            self.outs = self.provider.update(self.id, self.outs, news).outs
        return unwrap(self.outs)

    def refresh(self) -> dict[str, Any]:
        assert self.outs is not None and self.id is not None
        self.outs = self.provider.read(self.id, self.outs).outs
        return unwrap(self.outs)

    def destroy(self) -> None:
        assert self.outs is not None and self.id is not None
        self.provider.delete(self.id, self.outs)
        self.outs = None


class TemplatesDriver(ProviderDriver):
    provider = LogtoEmailTemplatesProvider()

    def up(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return self.apply(self.checked(templates=rows))

    def diff(self, rows: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
        assert self.outs is not None and self.id is not None
        checked = self.provider.check(self.outs, {**access(self.target), "templates": rows})
        return self.provider.diff(self.id, self.outs, checked.inputs)


class SignInDriver(ProviderDriver):
    provider = LogtoSignInEmailProvider()

    def inputs(self, **settings: Any) -> dict[str, Any]:
        return self.checked(**settings)

    def up(self, **settings: Any) -> dict[str, Any]:
        return self.apply(self.inputs(**settings))
