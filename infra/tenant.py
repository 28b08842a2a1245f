"""`TenantEmail`: one Logto tenant's whole email chain as a Pulumi component.

It holds the provider's component (identity, DNS, keys …), the rendered templates, and the
`LogtoEmailConnector` built from both. The connector waits for the provider's resources (DNS
records, identity, send policy, key) and, for SES, for the readiness check: its config is an
output that resolves only after readiness has passed, so it is never pushed too early.

Usable from any Pulumi program:

    TenantEmail("acme", tenant=TenantSpec.model_validate({...}), production=False)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from connectors.connector_config import build_connector_config, mailbox, render_tenant
from connectors.errors import ConfigError
from connectors.spec.models import TenantSpec
from connectors.templates import RenderedSet
from infra.connector import LogtoEmailConnector
from infra.providers import ProviderResult, create_provider

PROJECT_DIR = Path(__file__).resolve().parent.parent


class TenantEmail(pulumi.ComponentResource):
    """Inputs: tenant (TenantSpec), production, project_dir (for templates.directory).

    Outputs: connector_id, factory_id, sender, readiness, dns_records (all the provider's
    records) and dns_records_to_create (those to add by hand when DNS is not in Route53).
    """

    connector_id: pulumi.Output[str]
    readiness: pulumi.Output[str]
    dns_records: pulumi.Output[list[dict[str, Any]]]
    dns_records_to_create: pulumi.Output[list[dict[str, Any]]]

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
        self.readiness = self.provider.readiness
        self.dns_records = self.provider.dns_records
        self.dns_records_to_create = self.provider.dns_to_create

        def config(args: dict[str, Any]) -> dict[str, Any]:
            try:
                model = build_connector_config(tenant, self.rendered, args["generated"], path=f"{where}: connector")
            except ConfigError as exc:
                raise pulumi.RunError(str(exc)) from None
            return model.to_logto(reveal=True)

        # `ready` is part of the inputs so the config (and so the connector) waits for readiness.
        connector_config = pulumi.Output.secret(
            pulumi.Output.all(generated=pulumi.Output.all(**self.provider.generated), ready=self.readiness).apply(config)
        )
        self.connector = LogtoEmailConnector(
            f"{name}-connector",
            endpoint=tenant.logto.endpoint,
            resource=tenant.logto.resource,
            app_id=tenant.logto.app_id,
            app_secret=pulumi.Output.secret(tenant.logto.app_secret.reveal()),
            factory_id=tenant.factory_id,
            config=connector_config,
            test_recipient=tenant.test_recipient,
            allow_sign_in_breakage=tenant.allow_sign_in_breakage,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.provider.waits_for),
        )
        self.connector_id = self.connector.connector_id
        self.register_outputs(self.outputs)

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
        }
