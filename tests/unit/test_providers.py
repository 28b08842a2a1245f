"""The provider registry is complete: every provider has every facet, and the tables that used
to be written by hand elsewhere are derived from it (a hand-written one fails here)."""

from __future__ import annotations

import ast
import importlib
import typing
from pathlib import Path

import pytest

from connectors import providers
from connectors.factories import FactoryModel
from connectors.logto.masking import SECRET_KEYS, declared_secret_keys
from connectors.providers import (
    FACTORIES,
    FACTORY_OF_PROVIDER,
    I18N_TEMPLATE_FACTORIES,
    PROVIDER_TYPES,
    PROVIDERS,
    ProviderSpec,
    provider_of,
)
from connectors.schema import Model

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_MODULES = sorted(
    p.stem for p in (ROOT / "connectors" / "providers").glob("*.py") if not p.name.startswith("_")
)


def test_every_provider_module_is_registered_once():
    assert sorted(p.model.__module__.rsplit(".", 1)[1] for p in PROVIDERS) == PROVIDER_MODULES
    assert len(PROVIDER_TYPES) == len(PROVIDERS) == len(set(PROVIDER_TYPES))


def test_the_static_union_lists_exactly_the_registered_models():
    union, _discriminator = typing.get_args(ProviderSpec)
    assert typing.get_args(union) == tuple(p.model for p in PROVIDERS)


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.type)
def test_every_facet_is_declared(provider):
    # stack model: its `type` tag is the registry's type
    assert issubclass(provider.model, Model)
    assert typing.get_args(provider.model.model_fields["type"].annotation) == (provider.type,)
    # Logto factory, with every fact the toolkit reads about it
    factory = provider.factory
    assert issubclass(factory, FactoryModel) and factory.FACTORY_ID
    assert factory.TEMPLATE_FORMAT.kind in ("none", "entries", "aliases", "deliveries")
    assert "SENDER_KEYS" in vars(factory) or factory.TEMPLATE_FORMAT.kind == "none"
    names = {f.alias or n for n, f in factory.model_fields.items()}
    assert set(factory.SENDER_KEYS) <= names and factory.SECRET_FIELDS <= names
    # typed mapping, who writes the emails, storage rule, generated keys, infrastructure
    assert callable(provider.connector_config)
    assert provider.emails in ("rendered", "provider", "elsewhere")
    assert (provider.storage_problem() is None) == provider.reads_logto_templates
    assert all(g.name for g in provider.generated)
    if provider.infra_module:
        assert (ROOT / "infra" / "providers" / f"{provider.infra_module}.py").is_file()
    else:
        assert provider.component, "a settings-only provider names its Pulumi component"
    assert provider_of(provider.type) is provider
    # signing domains: every provider whose stack model publishes DMARC says what it signs with
    if "dmarc" in provider.model.model_fields:
        assert provider.signing is not None, f"{provider.type} has a DMARC record but no signing facet"
        # ... and what the deliverability report can confirm in DNS
        assert provider.expected_dns is not None, f"{provider.type} has a DMARC record but no expected_dns facet"


def test_derived_tables():
    assert FACTORY_OF_PROVIDER == {p.type: p.factory.FACTORY_ID for p in PROVIDERS}
    assert set(FACTORIES) == {p.factory.FACTORY_ID for p in PROVIDERS}
    assert I18N_TEMPLATE_FACTORIES == {
        "aws-ses-mail", "mailgun-email", "sendgrid-email-service", "simple-mail-transfer-protocol", "aliyun-direct-mail",
    }


def test_settings_only_providers_have_no_infra_module():
    modules = {p.stem for p in (ROOT / "infra" / "providers").glob("*.py")}
    wanted = {p.infra_module for p in PROVIDERS if p.infra_module}
    helpers = {"__init__", "base", "dns", "settings_only"}
    assert modules - helpers == wanted


def test_secrecy_comes_from_the_factory_declarations():
    for model in FACTORIES.values():
        declared = declared_secret_keys(model, model.SECRET_FIELDS)
        assert declared <= SECRET_KEYS
        # every top-level secret field is covered (itself, or the secret leaves inside it)
        assert model.SECRET_FIELDS <= {f.alias or n for n, f in model.model_fields.items()}
    assert {"accesskeysecret", "apikey", "servertoken", "authorization", "pass"} <= SECRET_KEYS


# The names of the tables that used to be written by hand; any literal dict/set/tuple keyed by
# provider types or factory ids outside the registry is one of them coming back.
_KNOWN_IDS = set(PROVIDER_TYPES) | set(FACTORIES)
_ALLOWED = {
    ROOT / "connectors" / "providers",
    ROOT / "connectors" / "factories",
}


def _literal_tables(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        keys: list[ast.expr | None] = []
        if isinstance(node, ast.Dict):
            keys = list(node.keys)
        elif isinstance(node, (ast.Set, ast.Tuple, ast.List)):
            keys = list(node.elts)
        ids = {k.value for k in keys if isinstance(k, ast.Constant) and isinstance(k.value, str)} & _KNOWN_IDS
        if len(ids) >= 4:  # a table over several providers/factories
            found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}")
    return found


def test_no_hand_written_provider_table_outside_the_registry():
    tables = [
        t
        for base in ("connectors", "infra")
        for path in sorted((ROOT / base).rglob("*.py"))
        if not any(path.is_relative_to(a) for a in _ALLOWED)
        for t in _literal_tables(path)
    ]
    assert tables == []


def test_factories_depend_only_on_logto_facts_and_validators():
    allowed = {"connectors.logto_facts", "connectors.validators", "connectors.secret", "connectors.factories"}
    for path in sorted((ROOT / "connectors" / "factories").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("connectors"):
                assert any(node.module == a or node.module.startswith(a + ".") for a in allowed), (path.name, node.module)


def test_registry_modules_import_cleanly_on_their_own():
    for name in PROVIDER_MODULES:
        assert importlib.import_module(f"connectors.providers.{name}").PROVIDER in PROVIDERS
    assert providers.__all__


def test_expected_dns_of_the_domain_providers():
    """SES: DKIM from the tokens SES issued, MAIL FROM's MX and SPF; Mailgun: SPF only; declared
    records as declared; DMARC beside the SES identity, elsewhere at the From domain."""
    from connectors.dns_records import dmarc_domain
    from connectors.stack.models import (
        AwsSesProvider,
        MailgunProvider,
        SendgridProvider,
    )

    ses = AwsSesProvider.model_validate({"type": "aws-ses", "region": "eu-west-1", "domain": "mail.example.com"})
    got = provider_of("aws-ses").expected_dns(ses, ["t1", "t2"])
    assert [(e.kind, e.record.name, e.path) for e in got.records] == [
        ("dkim", "t1._domainkey.mail.example.com", "provider.domain"),
        ("dkim", "t2._domainkey.mail.example.com", "provider.domain"),
        ("mail-from-mx", "bounce.mail.example.com", "provider.mailFromSubdomain")]
    assert [(s.domain, s.include) for s in got.spf] == [("bounce.mail.example.com", "amazonses.com")]
    assert [e.kind for e in provider_of("aws-ses").expected_dns(ses, []).records] == ["mail-from-mx"]
    assert dmarc_domain(ses, "no-reply@other.example") == "mail.example.com"

    mailgun = MailgunProvider.model_validate({"type": "mailgun", "domain": "mg.example.com", "apiKey": "k"})
    got = provider_of("mailgun").expected_dns(mailgun, [])
    assert got.records == () and [(s.domain, s.include) for s in got.spf] == [("mg.example.com", "mailgun.org")]
    assert dmarc_domain(mailgun, "no-reply@Example.com") == "example.com"

    sendgrid = SendgridProvider.model_validate({"type": "sendgrid", "apiKey": "k", "dnsRecords": [
        {"type": "CNAME", "name": "s1._domainkey.example.com", "value": "s1.domainkey.u1.wl.sendgrid.net"},
        {"type": "CNAME", "name": "em1.example.com", "value": "u1.wl.sendgrid.net"}]})
    got = provider_of("sendgrid").expected_dns(sendgrid, [])
    assert [(e.kind, e.record.name, e.path) for e in got.records] == [
        ("dkim", "s1._domainkey.example.com", "provider.dnsRecords"), ("cname", "em1.example.com", "provider.dnsRecords")]
