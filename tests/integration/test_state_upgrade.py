"""State written by the previous version (outputs that copied every input, per-row digests in a
mapping, one reference per rendered body, the sign-in record as an object) read by this one:
diff says nothing changed, update writes nothing to Logto and records the new shape, and refresh
and delete work from the old outputs.

The old outputs are built here the way the previous version wrote them (field for field), from a
resource this version created against the same Logto.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from pulumi.runtime import rpc

from connectors.connector_config import render_from_source
from connectors.deploy import email_templates as deploy_templates
from connectors.deploy.content import canonical, compact, refs_in, texts_of
from connectors.templates import email_template_rows
from connectors.templates.formats import config_templates
from infra.connector import LogtoEmailConnectorProvider
from infra.dynamic_support import packed, unwrap
from infra.email_templates import LogtoEmailTemplatesProvider
from infra.sign_in_experience import LogtoSignInEmailProvider
from tests.integration.deploy_support import client_for, smtp_config
from tests.integration.email_support import SENDER, SMTP, access

pytestmark = pytest.mark.integration

SOURCE = {"branding": {"product_name": "Acme"}, "locales": ["en", "de"], "codeLifetime": 600}


def _old_row_digest(details: dict[str, Any]) -> str:
    """The previous version's row digest: 64 bits of the same SHA-256, in hex."""
    return hashlib.sha256(canonical(details).encode()).hexdigest()[:16]


def test_templates_state_of_the_previous_version_diffs_clean_updates_without_writes_and_deletes(logto_target):
    provider = LogtoEmailTemplatesProvider()
    source = {"render": SOURCE, "factory_id": SMTP, "sender": {"email": SENDER.email, "name": SENDER.name, "reply_to": SENDER.reply_to}}
    rows = email_template_rows(SMTP, render_from_source(SOURCE), SENDER)
    digest = deploy_templates.set_digest(deploy_templates.digests(rows))
    news = provider.check({}, {**access(logto_target), "source": packed(source), "digest": digest}).inputs
    created = provider.create(news)
    assert set(unwrap(created.outs)) == {"endpoint", "resource", "app_id", "app_secret", "owned", "live"}
    owned = deploy_templates.TemplateState.from_outputs(unwrap(created.outs)).owned
    with client_for(logto_target) as client:
        live = deploy_templates.read(client, owned)
    old = {**access(logto_target), "app_secret": rpc.wrap_rpc_secret(logto_target.app_secret), "source": source,
           "digests": {k: _old_row_digest(v) for k, v in live.items()}, "test_recipient": None,
           "owned": sorted(owned), "originals": {}}
    assert not provider.diff(created.id, old, news).changes
    logto_target.recorder.clear_requests()
    updated = unwrap(provider.update(created.id, old, news).outs)
    assert logto_target.recorder.writes() == []
    assert updated["owned"] == {"de en": " ".join(sorted({k.split("/")[1] for k in owned}))} and "digests" not in updated
    assert not provider.diff(created.id, updated, news).changes
    # refresh and delete from the old outputs alone
    refreshed = unwrap(provider.read(created.id, old).outs)
    assert deploy_templates.TemplateState.from_outputs(refreshed).live == deploy_templates.digests(rows)
    provider.delete(created.id, old)
    with client_for(logto_target) as client:
        assert deploy_templates.read(client, owned) == {}


def test_connector_state_of_the_previous_version_diffs_clean_and_updates_without_writes(logto_target, smtp_sink):
    provider = LogtoEmailConnectorProvider()
    rendered = render_from_source(SOURCE)
    full = {**{k: v for k, v in smtp_config(smtp_sink).items() if k != "templates"}, **config_templates(SMTP, rendered)}
    config = compact(full, texts_of(rendered, SMTP))
    assert len(refs_in(config)) == 1  # the rendered part as one reference
    news = provider.check({}, {**access(logto_target), "factory_id": SMTP, "config": config, "source": packed(SOURCE)}).inputs
    created = provider.create(news)
    outs = unwrap(created.outs)
    old_config = compact(full, texts_of(rendered))  # the previous version: one reference per body
    assert len(refs_in(old_config)) > 1
    old = {**outs, "app_secret": rpc.wrap_rpc_secret(logto_target.app_secret), "config": rpc.wrap_rpc_secret(old_config),
           "source": SOURCE, "allow_sign_in_breakage": False, "allow_untested_changes": False, "credential_wait": 0,
           "test_recipient": None}
    assert not provider.diff(created.id, old, news).changes
    logto_target.recorder.clear_requests()
    updated = unwrap(provider.update(created.id, old, news).outs)
    assert [w for w in logto_target.recorder.writes() if "/test" not in str(w)] == []
    assert updated["config"] == config and "source" not in updated and "credential_wait" not in updated
    assert provider.read(created.id, old).id == created.id  # refresh from the old outputs
    # a changed template still shows, as the config's rendered part
    changed = compact({**full, "templates": [{**t, "subject": t["subject"] + "!"} for t in full["templates"]]}, texts_of(rendered, SMTP))
    news2 = provider.check(updated, {**access(logto_target), "factory_id": SMTP, "config": changed, "source": packed(SOURCE)}).inputs
    diff = provider.diff(created.id, updated, news2)
    assert diff.changes and not diff.replaces


def test_sign_in_state_of_the_previous_version_diffs_clean_and_relaxes_on_delete(logto_target, smtp_sink):
    connectors = LogtoEmailConnectorProvider()
    connector = connectors.create(connectors.check({}, {**access(logto_target), "factory_id": SMTP, "config": smtp_config(smtp_sink),
                                                        "allow_untested_changes": True}).inputs)
    provider = LogtoSignInEmailProvider()
    news = provider.check({}, {**access(logto_target), "email_sign_in": True, "forgot_password": True}).inputs
    created = provider.create(news)
    outs = unwrap(created.outs)
    assert isinstance(outs["record"], str) and "notes" not in outs
    record = json.loads(outs["record"])
    old = {**outs, "app_secret": rpc.wrap_rpc_secret(logto_target.app_secret), "notes": [],
           "record": {"sign_in_method_added": False, "sign_in_code_enabled": False, "sign_up_identifier_added": None,
                      "sign_up_verify_set": False, "forgot_password_added": False, "prior_sign_in_methods": None,
                      "policies": {}, "mfa_factor_added": False, "account_center_email": None, **record}}
    assert not provider.diff(created.id, old, news).changes
    assert json.loads(unwrap(provider.read(created.id, old).outs)["record"]) == record
    provider.delete(created.id, old)  # relaxes what the old record says this stack changed
    with client_for(logto_target) as client:
        sie = client.get_sign_in_experience()
    assert all(m["identifier"] != "email" for m in sie["signIn"]["methods"])
    connectors.delete(connector.id, connector.outs)
