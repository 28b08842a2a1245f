"""How the Logto resources keep their state small: packed keys and row digests, one reference for a
config's rendered part, one-line JSON; and that what earlier versions recorded still reads."""

from __future__ import annotations

import hashlib
import json

import pytest

from connectors.deploy import email_templates as deploy_templates
from connectors.deploy.content import (
    ContentMismatch,
    canonical,
    compact,
    details_digest,
    expand,
    ref,
    refs_in,
    short_details_digest,
)
from connectors.templates import Branding, render_all
from connectors.templates.formats import config_templates
from infra.dynamic_support import packed, unpacked

SMTP = "simple-mail-transfer-protocol"


def test_keys_pack_by_the_types_each_locale_owns_and_unpack_to_the_same_keys():
    keys = [f"{tag}/{t}" for tag in ("en", "de", "fr") for t in ("SignIn", "Generic")] + ["ko/SignIn"]
    packed_keys = deploy_templates.pack_keys(keys)
    assert packed_keys == {"de en fr": "Generic SignIn", "ko": "SignIn"}
    assert deploy_templates.unpack_keys(packed_keys) == sorted(keys)
    assert deploy_templates.pack_keys([]) == {} and deploy_templates.unpack_keys({}) == []


def test_template_state_round_trips_through_its_outputs_with_absent_rows_and_originals():
    state = deploy_templates.TemplateState(
        owned=["en/SignIn", "de/SignIn", "de/Generic"],
        originals={"de/Generic": {"subject": "theirs", "content": "c"}},
        live={"en/SignIn": details_digest({"subject": "a"}), "de/Generic": details_digest({"subject": "b"})},  # de/SignIn deleted
    )
    outs = state.to_outputs()
    assert isinstance(outs["live"], str) and len(outs["live"]) == 8 * 3
    back = deploy_templates.TemplateState.from_outputs(json.loads(json.dumps(outs)))
    assert back.owned == sorted(state.owned) and back.live == state.live and back.originals == state.originals
    assert "originals" not in deploy_templates.TemplateState(owned=["en/SignIn"]).to_outputs()


def test_row_digests_recorded_by_the_previous_version_read_as_todays():
    details = {"subject": "Dein Code", "content": "<p>{{code}}</p>", "contentType": "text/html"}
    old_hex = hashlib.sha256(canonical(details).encode()).hexdigest()[:16]  # 64 bits in hex, as recorded before
    assert short_details_digest(old_hex) == details_digest(details) and len(details_digest(details)) == 8
    assert short_details_digest(details_digest(details)) == details_digest(details)
    old = {"owned": ["de/SignIn", "en/SignIn"], "digests": {"de/SignIn": old_hex}, "originals": {}}
    state = deploy_templates.TemplateState.from_outputs(old)
    assert state.owned == ["de/SignIn", "en/SignIn"] and state.live == {"de/SignIn": details_digest(details)}
    rows = [{"languageTag": "en", "templateType": "SignIn", "details": details}]
    assert deploy_templates.TemplateState.from_outputs({"owned": ["en/SignIn"], "templates": rows}).live == deploy_templates.digests(rows)


def test_a_connector_configs_rendered_part_is_one_reference_and_expands_back_exactly():
    rendered = render_all(Branding(product_name="Acme"), ["en", "de"])
    part = config_templates(SMTP, rendered)
    known = {ref(part["templates"]): part["templates"]}
    config = {"host": "smtp.example.com", "auth": {"user": "u", "pass": "secret-pass-1"}, **part}
    small = compact(config, known)
    assert small["templates"] == ref(part["templates"]) and small["auth"] == config["auth"]
    assert expand(small, known) == config
    assert compact(config, set(known)) == small  # refresh knows only the references it recorded
    # a part that differs (somebody edited a subject) stays whole: it is not ours to name
    edited = {**config, "templates": [{**part["templates"][0], "subject": "edited"}, *part["templates"][1:]]}
    assert compact(edited, known)["templates"] == edited["templates"]
    with pytest.raises(ContentMismatch):
        expand(small, {})
    assert refs_in(small) == {ref(part["templates"])}


def test_packed_is_one_line_of_sorted_json_without_none_and_reads_either_form():
    source = {"render": {"locales": ["en", "de"], "overrides": None}, "factory_id": SMTP}
    line = packed(source)
    assert "\n" not in line and line == '{"factory_id":"simple-mail-transfer-protocol","render":{"locales":["en","de"]}}'
    assert unpacked(line) == {"factory_id": SMTP, "render": {"locales": ["en", "de"]}}
    assert unpacked(source) is source and unpacked(None) is None  # what an older version recorded
