"""`TenantEmail`: one Logto tenant's whole email chain as a Pulumi component.

It holds the provider's component (identity, DNS, keys …), the rendered templates, and the
`LogtoEmailConnector` built from both. The connector waits for the provider's resources (DNS
records, identity, send policy, key) and, for SES, for the readiness check: its config is an
output that resolves only after readiness has passed, so it is never pushed too early.

Usable from any Pulumi program:

    TenantEmail("acme", tenant=TenantSpec.model_validate({...}), production=False)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, TypedDict

import pulumi
from pydantic import BaseModel

from connectors.connector_config import (
    build_connector_config,
    mailbox,
    placeholders_in,
    render_source,
    render_tenant,
)
from connectors.deploy.content import compact, texts_of
from connectors.errors import ConfigError
from connectors.providers import provider_of
from connectors.secret import Secret
from connectors.stack.models import TenantSpec
from connectors.templates import RenderedSet
from infra.connector import LogtoEmailConnector
from infra.providers import ProviderResult, create_provider

PROJECT_DIR = Path(__file__).resolve().parent.parent


def opaque_secrets(model: BaseModel, path: str = "") -> list[str]:
    """Paths of secrets the program cannot reveal (ciphertext read from a file)."""
    found: list[str] = []
    for field_name in type(model).model_fields:
        value = getattr(model, field_name)
        here = f"{path}{field_name}"
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            where = f"{here}[{i}]" if isinstance(value, list) else here
            if isinstance(item, Secret) and not item.known:
                found.append(where)
            elif isinstance(item, BaseModel):
                found += opaque_secrets(item, where + ".")
    return found


class _LogtoAccess(TypedDict):
    """The Management API access every Logto resource of a tenant takes (keyword arguments)."""

    endpoint: str
    resource: str | None
    app_id: str
    app_secret: str  # each resource marks it secret


class TenantEmail(pulumi.ComponentResource):
    """Inputs: tenant (TenantSpec), production, project_dir (for templates.directory).

    Outputs: connector_id, factory_id, sender, readiness, dns_records (all the provider's
    records) and dns_records_to_create (those to add by hand when DNS is not in Route53).
    """

    # No class-level annotations: the SDK resolves a resource class's annotations as output types
    # at every registration (`get_type_hints`, about 1 ms each); a component's outputs are its
    # attributes, typed where they are set.

    def __init__(
        self,
        name: str,
        *,
        tenant: TenantSpec,
        production: bool = False,
        project_dir: Path | str = PROJECT_DIR,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("logto-email:index:TenantEmail", name, None, opts)
        self.tenant = tenant
        where = f"tenant {name}"
        encrypted = opaque_secrets(tenant)
        if encrypted:
            raise pulumi.RunError(
                f"{where}: {', '.join(encrypted)} still encrypted (`secure:`); pass the values Pulumi decrypted "
                "(pulumi.Config(...).get_object / require), not the stack file's ciphertext"
            )
        try:
            self.rendered: RenderedSet = render_tenant(tenant, project_dir, path=f"{where}: templates")
            # Fail in preview, with placeholders for what only `up` knows, not mid-update.
            build_connector_config(tenant, self.rendered, path=f"{where}: connector")
        except ConfigError as exc:
            raise pulumi.RunError(str(exc)) from None

        self.provider: ProviderResult = create_provider(
            f"{name}-{tenant.provider.type}", name, tenant, production=production, parent=self
        )
        self.factory_id = tenant.factory_id
        self.sender = mailbox(tenant) if tenant.sender else "Logto Email Service"
        self.readiness: pulumi.Output[str] = self.provider.readiness
        self.dns_records: pulumi.Input[list[dict[str, Any]]] = self.provider.dns_records
        self.dns_records_to_create: pulumi.Input[list[dict[str, Any]]] = self.provider.dns_to_create

        def config(args: dict[str, Any]) -> dict[str, Any]:
            try:
                generated = {k: v for k, v in args.items() if k != "ready"}
                model = build_connector_config(tenant, self.rendered, generated, path=f"{where}: connector")
            except ConfigError as exc:
                raise pulumi.RunError(str(exc)) from None
            # Rendered text by reference: the state keeps digests, the provider renders from `source`.
            payload = compact(model.to_logto(reveal=True), texts)
            missing = placeholders_in(payload)
            if missing:
                # Never push a placeholder to Logto.
                raise pulumi.RunError(f"{where}: connector config incomplete, provider outputs missing for: {', '.join(missing)}")
            return payload

        self.render_source = render_source(tenant, project_dir)
        texts = texts_of(self.rendered, tenant.factory_id)  # and the config part built from them: one reference
        # `ready` is part of the inputs so the config (and so the connector) waits for readiness.
        # One flat Output.all (a nested one lifts every value twice); the connector marks it secret.
        connector_config: pulumi.Output[dict[str, Any]] = pulumi.Output.all(**self.provider.generated, ready=self.readiness).apply(config)
        self.connector = LogtoEmailConnector(
            f"{name}-connector",
            endpoint=tenant.logto.endpoint,
            resource=tenant.logto.resource,
            app_id=tenant.logto.app_id,
            app_secret=tenant.logto.app_secret.reveal(),  # the resource marks it secret
            factory_id=tenant.factory_id,
            config=connector_config,
            test_recipient=tenant.test_recipient,
            allow_sign_in_breakage=tenant.allow_sign_in_breakage,
            allow_untested_changes=tenant.allow_untested_changes,
            # a just-created IAM key takes seconds to be accepted: the test-send waits for it, bounded
            credential_wait=provider_of(tenant.provider.type).new_key_wait,
            source=self.render_source,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.provider.waits_for),
        )
        self.connector_id: pulumi.Output[str] = self.connector.connector_id
        self._email_extras(name, tenant)
        self.register_outputs({})  # the stack exports `outputs`; a copy in the component's state would double it

    def _email_extras(self, name: str, tenant: TenantSpec) -> None:
        """Localized rows in Logto's email templates, and the email part of the sign-in experience.

        The sign-in settings depend on the connector: created after it, relaxed before it goes.
        """
        from connectors.connector_config import template_sender
        from connectors.deploy.email_templates import digests as template_digests
        from connectors.templates import email_template_rows
        from infra.email_templates import LogtoEmailTemplates
        from infra.sign_in_experience import LogtoSignInEmail

        access: _LogtoAccess = {
            "endpoint": tenant.logto.endpoint,
            "resource": tenant.logto.resource,
            "app_id": tenant.logto.app_id,
            "app_secret": tenant.logto.app_secret.reveal(),  # each resource marks it secret
        }
        sender = template_sender(tenant)
        rows = email_template_rows(tenant.factory_id, self.rendered, sender) if tenant.templates.storage == "logto" else []
        # Digests, not rows: the provider renders the rows from `source` where it writes them.
        source = {"render": self.render_source, "factory_id": tenant.factory_id, "sender": dataclasses.asdict(sender)}
        self.email_templates = (
            LogtoEmailTemplates(
                f"{name}-email-templates", source=source, digests=template_digests(rows), test_recipient=tenant.test_recipient, **access,
                # after the connector (their test-sends go through it), removed before it
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.connector]),
            )
            if rows else None
        )
        sie = tenant.sign_in_experience
        wanted = {} if sie is None else sie.resource_inputs()
        self.sign_in_email = (
            LogtoSignInEmail(f"{name}-sign-in-email", connector=self.connector, **wanted, **access, opts=pulumi.ResourceOptions(parent=self))
            if wanted else None
        )

    @property
    def outputs(self) -> dict[str, Any]:
        """What the program exports per tenant; nothing secret."""
        return {
            "connectorId": self.connector_id,
            "factory": self.factory_id,
            "provider": self.tenant.provider.type,
            "sender": self.sender,
            "readiness": self.readiness,
            "dnsRecordsToCreate": self.dns_records_to_create,
            **self.provider.exports,
        }
