"""Shared pieces of the deploy-step integration tests: configs, drivers, invariants.

Two drivers run the same scenarios: `EngineDriver` calls `connectors.deploy` directly, and
`ProviderDriver` calls the Pulumi dynamic provider's methods the way the engine would (with
only the stored outputs on update, read and delete).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors import deploy
from connectors.deploy import email_dependencies
from connectors.logto import ClientSettings, LogtoClient
from connectors.logto_facts import REQUIRED_USAGE_TYPES
from infra.connector import LogtoEmailConnectorProvider
from infra.dynamic_support import unwrap

HTTP_AUTH_SECRET = "Bearer http-hook-secret-5c1f0e9a"
SMTP_PASSWORD = "sink-password-1"  # the SMTP sink's password (tests.sinks.smtp)
FAST = ClientSettings(
    connect_timeout=2, read_timeout=10, attempts=3, retry_timeout=20,
    wait_initial=0.01, wait_max=0.05, wait_jitter=0.01, max_retry_after=5,
)


def http_config(sink: Any, path: str = "/hook", secret: str = HTTP_AUTH_SECRET) -> dict[str, Any]:
    return {"endpoint": sink.url(path), "authorization": secret}


def smtp_config(sink: Any, subject_prefix: str = "") -> dict[str, Any]:
    return {
        "host": sink.host,
        "port": sink.port,
        "auth": {"user": sink.user, "pass": sink.password},
        "fromEmail": "Acme <no-reply@example.com>",
        "templates": [
            {
                "usageType": str(u),
                "contentType": "text/plain",
                "subject": f"{subject_prefix}{u} code",
                "content": f"Your {u} code is {{{{code}}}}",
            }
            for u in REQUIRED_USAGE_TYPES
        ],
    }


def client_for(target: Any) -> LogtoClient:
    return LogtoClient(target.endpoint, target.app_id, target.app_secret, resource=target.resource, settings=FAST)


def assert_one_email_connector(client: LogtoClient, target: Any) -> None:
    """Never two email connectors; exactly one whenever the sign-in experience needs email."""
    emails = [c for c in client.list_connectors() if c.type == "Email"]
    assert len(emails) <= 1, f"{len(emails)} email connectors"
    if target.server is not None:
        rows = [r for r in target.server.state.connectors.values() if r.connector_id in EMAIL_FACTORIES]
        assert len(rows) == len(emails)
    if email_dependencies(client.get_sign_in_experience()):
        assert len(emails) == 1, "sign-in needs email but the tenant has no email connector"


EMAIL_FACTORIES = {
    "aliyun-direct-mail", "aws-ses-mail", "http-email", "mailgun-email", "postmark-mail",
    "sendgrid-email-service", "simple-mail-transfer-protocol", "logto-email",
}


@dataclass
class Result:
    connector_id: str
    factory_id: str
    text: list[str] = field(default_factory=list)  # everything the run printed or returned


class EngineDriver:
    name = "engine"

    def __init__(self, target: Any) -> None:
        self.target = target
        self.client = client_for(target)
        self.known_id: str | None = None
        self.texts: list[str] = []

    def up(self, factory_id: str, config: dict[str, Any], **kw: Any) -> Result:
        desired = deploy.Desired(factory_id, config, **kw)
        outcome = deploy.deploy(self.client, desired, known_id=self.known_id)
        self.known_id = outcome.connector.id
        self.texts += [outcome.summary, repr(outcome)]
        return Result(outcome.connector.id, outcome.connector.factory_id, [outcome.summary])

    def read(self) -> tuple[str | None, str | None, dict[str, Any] | None]:
        live = deploy.read(self.client)
        return (live.id, live.factory_id, live.config) if live else (None, None, None)

    def destroy(self, allow_sign_in_breakage: bool = False) -> None:
        deploy.delete(self.client, allow_sign_in_breakage=allow_sign_in_breakage)
        self.known_id = None

    def close(self) -> None:
        self.client.close()


class ProviderDriver:
    """Calls the dynamic provider like the Pulumi engine: check → diff → create/update, etc."""

    name = "provider"

    def __init__(self, target: Any) -> None:
        self.target = target
        self.provider = LogtoEmailConnectorProvider()
        self.id: str | None = None
        self.outs: dict[str, Any] | None = None
        self.texts: list[str] = []
        self.client = client_for(target)

    def inputs(self, factory_id: str, config: dict[str, Any], **kw: Any) -> dict[str, Any]:
        props = {
            "endpoint": self.target.endpoint,
            "resource": self.target.resource,
            "app_id": self.target.app_id,
            "app_secret": self.target.app_secret,
            "factory_id": factory_id,
            "config": config,
        }
        if kw.get("test_recipient"):
            props["test_recipient"] = kw["test_recipient"]
        if "allow_sign_in_breakage" in kw:
            props["allow_sign_in_breakage"] = kw["allow_sign_in_breakage"]
        checked = self.provider.check(self.outs or {}, props)
        assert not checked.failures, [f"{f.property}: {f.reason}" for f in checked.failures]
        return checked.inputs

    def up(self, factory_id: str, config: dict[str, Any], **kw: Any) -> Result:
        news = self.inputs(factory_id, config, **kw)
        if self.outs is None:
            created = self.provider.create(news)
            self.id, self.outs = created.id, created.outs
        else:
            d = self.provider.diff(self.id, self.outs, news)
            assert not d.replaces
            # The engine skips update when diff says nothing changed; update must be safe anyway.
            self.outs = self.provider.update(self.id, self.outs, news).outs
        self.texts.append(repr(self.public_outputs()))
        outs = unwrap(self.outs)
        return Result(outs["connector_id"], outs["factory_id"])

    def public_outputs(self) -> dict[str, Any]:
        """Every output except the two that are allowed to (and must) be secret."""
        assert self.outs is not None
        return {k: v for k, v in self.outs.items() if k not in ("app_secret", "config")}

    def read(self) -> tuple[str | None, str | None, dict[str, Any] | None]:
        assert self.id is not None and self.outs is not None
        result = self.provider.read(self.id, self.outs)
        if not result.id:
            return (None, None, None)
        self.outs = result.outs
        outs = unwrap(result.outs)
        return outs["connector_id"], outs["factory_id"], outs["config"]

    def destroy(self, allow_sign_in_breakage: bool = False) -> None:
        if self.outs is None:
            self.up_state_from_live()
        assert self.outs is not None
        if allow_sign_in_breakage:
            # The engine hands delete only the stored outputs: record the override with an `up` first.
            outs = unwrap(self.outs)
            self.up(outs["factory_id"], outs["config"], allow_sign_in_breakage=True)
            assert unwrap(self.outs)["allow_sign_in_breakage"] is True
        self.provider.delete(self.id or "", self.outs)
        self.outs = None

    def up_state_from_live(self) -> None:
        live = deploy.read(self.client)
        assert live is not None
        self.up(live.factory_id, live.config)

    def close(self) -> None:
        self.client.close()


DRIVERS = {"engine": EngineDriver, "provider": ProviderDriver}


SIGN_IN_FIELDS = ("signUp", "signIn", "forgotPasswordMethods", "mfa")


@dataclass
class TenantSnapshot:
    """What a test may touch on a real tenant, taken before and put back after (as found)."""

    sign_in: dict[str, Any]
    connector: Any
    rows: dict[str, dict[str, Any]]

    @classmethod
    def take(cls, client: LogtoClient) -> "TenantSnapshot":
        sie = client.get_sign_in_experience()
        rows = {f"{r['languageTag']}/{r['templateType']}": dict(r["details"]) for r in client.list_email_templates()}
        return cls({k: sie[k] for k in SIGN_IN_FIELDS if k in sie}, client.get_email_connector(), rows)

    def restore(self, client: LogtoClient) -> None:
        from connectors.deploy.engine import sendable

        if self.connector is not None:  # the connector first: the sign-in settings may need it
            live = client.get_email_connector()
            if live is None or not live.matches(self.connector.factory_id, self.connector.config):
                deploy.deploy(client, deploy.Desired(self.connector.factory_id, sendable(self.connector.factory_id, self.connector.config),
                                                     allow_untested_changes=True))
        client.patch_sign_in_experience(self.sign_in)
        if self.connector is None:
            deploy.delete(client, allow_sign_in_breakage=True)
        for row in client.list_email_templates():
            key = f"{row['languageTag']}/{row['templateType']}"
            if key not in self.rows:
                client.delete_email_template(row["id"])
            elif row["details"] != self.rows[key]:
                client.upsert_email_templates([{"languageTag": row["languageTag"], "templateType": row["templateType"], "details": self.rows[key]}])
        live_keys = {f"{r['languageTag']}/{r['templateType']}" for r in client.list_email_templates()}
        missing = [k for k in self.rows if k not in live_keys]
        if missing:
            client.upsert_email_templates(
                {"languageTag": k.split("/")[0], "templateType": k.split("/")[1], "details": self.rows[k]} for k in missing
            )
