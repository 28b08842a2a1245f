"""Our factory models against the real connector guards (the code Logto runs on POST/PATCH).

1. Everything our models emit passes the real guard (else Logto would answer 400).
2. Everything our models reject that Logto also rejects: the real guard rejects it too.
3. Where Logto is laxer, the real guard ACCEPTS what we reject: each case says why our
   strictness matters (a typo silently ignored, an email without its code, ...).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connectors.errors import ConfigError
from connectors.providers import FACTORIES, parse_config
from connectors.logto_facts import ALL_USAGE_TYPES, REQUIRED_USAGE_TYPES
from tests.contract.samples import (
    Sample,
    aliyun,
    mailgun,
    postmark,
    rendered_samples,
    sendgrid,
    ses,
    smtp,
    valid_samples,
)

pytestmark = pytest.mark.contract

SMTP = "simple-mail-transfer-protocol"
SAMPLES = valid_samples() + rendered_samples()


def logto_json(sample: Sample) -> dict[str, Any]:
    return parse_config(sample.factory_id, sample.data).to_logto(reveal=True)


def with_template(data: dict[str, Any], usage: str, key: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for entry in data["templates"]:
        if entry["usageType"] == usage:
            entry[key] = value
    return data


def without_template(data: dict[str, Any], usage: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["templates"] = [e for e in data["templates"] if e["usageType"] != usage]
    return data


def test_samples_cover_every_factory() -> None:
    assert {s.factory_id for s in SAMPLES} == set(FACTORIES)


def test_everything_our_models_emit_passes_the_real_guard(connector_runtime) -> None:
    emitted = [(s.factory_id, logto_json(s)) for s in SAMPLES]
    results = connector_runtime.validate_many(emitted)
    rejected = {str(s): r.details for s, r in zip(SAMPLES, results) if not r.ok}
    assert rejected == {}


def test_stored_form_round_trips_through_the_guard(connector_runtime) -> None:
    """What Logto stores (clean-deep) comes back; `payload_from_stored` must make it writable again."""
    items = []
    for s in SAMPLES:
        model = FACTORIES[s.factory_id]
        items.append((s.factory_id, model.payload_from_stored(parse_config(s.factory_id, s.data).to_stored(reveal=True))))
    results = connector_runtime.validate_many(items)
    assert {str(s): r.details for s, r in zip(SAMPLES, results) if not r.ok} == {}


def test_logto_stores_an_ip_relay_smtp_config_its_guard_then_rejects(connector_runtime) -> None:
    """Why payload_from_stored exists: clean-deep drops `auth: {}`, and `auth` is required."""
    stored = parse_config(SMTP, smtp(auth={})).to_stored(reveal=True)
    assert "auth" not in stored
    result = connector_runtime.validate(SMTP, stored)
    assert not result.ok
    assert 'Error in key path "auth": (invalid_union)' in result.details


# -- both reject ----------------------------------------------------------------------------------

BOTH_REJECT: list[tuple[str, str, Any]] = [
    ("smtp port as a string", SMTP, smtp(port="587")),
    ("smtp without host", SMTP, {k: v for k, v in smtp().items() if k != "host"}),
    ("smtp without templates", SMTP, {k: v for k, v in smtp().items() if k != "templates"}),
    ("smtp without a SignIn template", SMTP, without_template(smtp(), "SignIn")),
    ("smtp without a Generic template", SMTP, without_template(smtp(), "Generic")),
    ("smtp unknown contentType", SMTP, with_template(smtp(), "SignIn", "contentType", "text/markdown")),
    ("smtp template without subject", SMTP, with_template(smtp(), "SignIn", "subject", None)),
    ("smtp login auth with an extra key", SMTP, smtp(auth={"type": "login", "user": "u", "pass": "p", "x": 1})),
    ("smtp oauth2 service key without user", SMTP, smtp(auth={"type": "oauth2", "privateKey": "k", "serviceClient": "c"})),
    ("smtp secure as a string", SMTP, smtp(secure="true")),
    ("smtp customHeaders with a number", SMTP, smtp(customHeaders={"X-Count": 3})),
    ("smtp tls not an object", SMTP, smtp(tls="strict")),
    ("smtp timeout as a string", SMTP, smtp(socketTimeout="60s")),
    ("http without endpoint", "http-email", {"authorization": "Bearer x"}),
    ("http endpoint a number", "http-email", {"endpoint": 8080}),
    ("ses without region", "aws-ses-mail", {k: v for k, v in ses().items() if k != "region"}),
    ("ses without secret", "aws-ses-mail", {k: v for k, v in ses().items() if k != "accessKeySecret"}),
    ("ses without a Register template", "aws-ses-mail", without_template(ses(), "Register")),
    ("ses template without content", "aws-ses-mail", with_template(ses(), "SignIn", "content", None)),
    ("mailgun endpoint not mailgun", "mailgun-email", mailgun(endpoint="https://api.mailgun.org")),
    ("mailgun endpoint without scheme", "mailgun-email", mailgun(endpoint="api.eu.mailgun.net")),
    ("mailgun without apiKey", "mailgun-email", {k: v for k, v in mailgun().items() if k != "apiKey"}),
    ("mailgun delivery with neither html nor template", "mailgun-email",
     mailgun(deliveries={**mailgun()["deliveries"], "SignIn": {"subject": "x"}})),
    ("mailgun deliveries a list", "mailgun-email", mailgun(deliveries=[])),
    ("sendgrid contentType instead of type", "sendgrid-email-service",
     sendgrid(templates=[{**{k: v for k, v in e.items() if k != "type"}, "contentType": e["type"]}
                         for e in sendgrid()["templates"]])),
    ("sendgrid without fromEmail", "sendgrid-email-service", {k: v for k, v in sendgrid().items() if k != "fromEmail"}),
    ("postmark template without alias", "postmark-mail",
     postmark(templates=[{"usageType": str(u)} for u in REQUIRED_USAGE_TYPES])),
    ("postmark without ForgotPassword", "postmark-mail", without_template(postmark(), "ForgotPassword")),
    ("aliyun unknown region", "aliyun-direct-mail", aliyun(regionId="cn-beijing")),
    ("aliyun without accountName", "aliyun-direct-mail", {k: v for k, v in aliyun().items() if k != "accountName"}),
    ("logto-email URL in sender name", "logto-email", {"senderName": "Visit https://acme.example.com"}),
    ("logto-email URL in company information", "logto-email", {"companyInformation": "See www.acme.com now"}),
    ("logto-email logo not a URL", "logto-email", {"appLogo": "logo.png"}),
]


@pytest.mark.parametrize(("case", "factory_id", "data"), BOTH_REJECT, ids=[c[0] for c in BOTH_REJECT])
def test_model_rejects(case: str, factory_id: str, data: Any) -> None:
    with pytest.raises(ConfigError):
        parse_config(factory_id, data)


def test_real_guard_rejects_what_both_reject(connector_runtime) -> None:
    results = connector_runtime.validate_many([(f, d) for _, f, d in BOTH_REJECT])
    accepted = [case for (case, _, _), r in zip(BOTH_REJECT, results) if r.ok]
    assert accepted == []
    for (case, _, _), r in zip(BOTH_REJECT, results):
        assert r.code == "invalid_config", case
        assert r.details and r.details.startswith("Error in key path"), case


def test_non_object_config_is_rejected_by_both(connector_runtime) -> None:
    with pytest.raises(ConfigError):
        parse_config(SMTP, [smtp()])
    result = connector_runtime.validate(SMTP, [smtp()])
    assert not result.ok and result.code == "invalid_input"


# -- Logto is laxer: the real guard accepts, we reject (with the reason it matters) ---------------

def _signin_text(data: dict[str, Any], text: str) -> dict[str, Any]:
    return with_template(data, "SignIn", "content", text)


LOGTO_LAXER: list[tuple[str, str, Any]] = [
    # Unknown keys: zod strips them from its parse result, Logto stores the raw object.
    ("typo'd top-level key (replyto) is silently ignored", SMTP, {**smtp(), "replyto": "help@example.com"}),
    ("unknown key in a SES config is stored and ignored", "aws-ses-mail", {**ses(), "regoin": "us-east-1"}),
    ("unknown key in a template entry is ignored", SMTP, with_template(smtp(), "SignIn", "contentTyp", "text/html")),
    ("unknown key in a Mailgun delivery is ignored", "mailgun-email",
     mailgun(deliveries={**mailgun()["deliveries"], "SignIn": {"html": "{{code}}", "replyto": "x@example.com"}})),
    ("login auth with a typo'd key passes as an OAuth2-token auth (zod union fallthrough)", SMTP,
     smtp(auth={"user": "mailer", "pass": "p", "passwrd": "p"})),
    ("oauth2 privateKey object without passphrase also falls through to the OAuth2-token variant", SMTP,
     smtp(auth={"type": "oauth2", "user": "u", "privateKey": {"key": "k"}, "serviceClient": "c"})),
    ("legacy logto-email keys are still in the guard, though Logto no longer uses them", "logto-email",
     {"appSecret": "legacy", "endpoint": "https://example.com"}),
    # Values Logto does not check.
    ("http endpoint that is not a URL fails only when a user signs in", "http-email", {"endpoint": "mail.example.com"}),
    ("smtp port out of range", SMTP, smtp(port=70000)),
    ("smtp port not an integer", SMTP, smtp(port=587.5)),
    ("smtp negative timeout", SMTP, smtp(connectionTimeout=-1)),
    ("smtp secure together with ignoreTLS", SMTP, smtp(secure=True, ignoreTLS=True)),
    ("smtp fromEmail that is not an address: the send fails later", SMTP, smtp(fromEmail="acme")),
    ("ses sender that is not an address", "aws-ses-mail", ses(emailAddress="no-reply")),
    ("sendgrid fromEmail that is not an address", "sendgrid-email-service", sendgrid(fromEmail="acme")),
    ("aliyun accountName that is not an address", "aliyun-direct-mail", aliyun(accountName="acme")),
    ("mailgun from that is not an address", "mailgun-email", mailgun(**{"from": "Acme"})),
    # Empty strings: the guard takes "", Logto's clean-deep then drops the key from the stored config.
    ("empty smtp host", SMTP, smtp(host="")),
    ("empty ses region", "aws-ses-mail", ses(region="")),
    ("empty template subject", SMTP, with_template(smtp(), "SignIn", "subject", "")),
    ("empty mailgun domain", "mailgun-email", mailgun(domain="")),
    ("empty logto-email sender name", "logto-email", {"senderName": ""}),
    # Templates: Logto checks only that the four required usage types exist.
    ("code email without {{code}}: the user never sees the code", SMTP, _signin_text(smtp(), "Welcome back!")),
    ("{{link}} in a SignIn email stays literal (only invitations carry link)", SMTP,
     _signin_text(smtp(), "Code {{code}}, or click {{link}}")),
    ("unknown placeholder reaches the user literally", "aws-ses-mail", _signin_text(ses(), "Hi {{usr.name}}, {{code}}")),
    ("{{code}} only in the subject, not the body", "aliyun-direct-mail",
     with_template(_signin_text(aliyun(), "Welcome"), "SignIn", "subject", "Code {{code}}")),
    ("a usage type listed twice: Logto uses only the first", SMTP,
     {**smtp(), "templates": smtp()["templates"] + [smtp()["templates"][0]]}),
    ("a usage type Logto never sends", "sendgrid-email-service",
     {**sendgrid(), "templates": sendgrid()["templates"] + [{**sendgrid()["templates"][0], "usageType": "Login"}]}),
    ("mailgun with no deliveries: every send fails with template_not_found", "mailgun-email", mailgun(deliveries={})),
    ("mailgun without a SignIn delivery nor Generic", "mailgun-email",
     mailgun(deliveries={"Register": mailgun()["deliveries"]["Register"]})),
    ("mailgun html without {{code}}", "mailgun-email",
     mailgun(deliveries={**mailgun()["deliveries"], "SignIn": {"html": "<p>Welcome</p>"}})),
]


@pytest.mark.parametrize(("case", "factory_id", "data"), LOGTO_LAXER, ids=[c[0] for c in LOGTO_LAXER])
def test_model_rejects_what_logto_lets_through(case: str, factory_id: str, data: Any) -> None:
    with pytest.raises(ConfigError):
        parse_config(factory_id, data)


def test_real_guard_accepts_what_we_reject(connector_runtime) -> None:
    results = connector_runtime.validate_many([(f, d) for _, f, d in LOGTO_LAXER])
    rejected = {case: r.details for (case, _, _), r in zip(LOGTO_LAXER, results) if not r.ok}
    assert rejected == {}


# Required secrets set to "": the guard takes them, Logto's clean-deep drops them, and the stored
# config fails the guard on the next send or PATCH. Our models should refuse them.
EMPTY_SECRETS: list[tuple[str, str, Any]] = [
    ("sendgrid apiKey", "sendgrid-email-service", sendgrid(apiKey="")),
    ("mailgun apiKey", "mailgun-email", mailgun(apiKey="")),
    ("ses accessKeySecret", "aws-ses-mail", ses(accessKeySecret="")),
    ("postmark serverToken", "postmark-mail", postmark(serverToken="")),
    ("aliyun accessKeySecret", "aliyun-direct-mail", aliyun(accessKeySecret="")),
]


def test_real_guard_accepts_empty_secrets_but_not_their_stored_form(connector_runtime) -> None:
    emitted = connector_runtime.validate_many([(f, d) for _, f, d in EMPTY_SECRETS])
    assert all(r.ok for r in emitted)
    stored = [(f, {k: v for k, v in d.items() if v != ""}) for _, f, d in EMPTY_SECRETS]
    assert not any(r.ok for r in connector_runtime.validate_many(stored))


@pytest.mark.parametrize(("case", "factory_id", "data"), EMPTY_SECRETS, ids=[c[0] for c in EMPTY_SECRETS])
def test_model_rejects_empty_required_secret(case: str, factory_id: str, data: Any) -> None:
    with pytest.raises(ConfigError, match="must not be empty"):
        parse_config(factory_id, data)


def test_every_usage_type_has_a_sample_template() -> None:
    assert [e["usageType"] for e in smtp()["templates"]] == [str(u) for u in ALL_USAGE_TYPES]


def test_email_template_rows_pass_connector_kits_details_guard(connector_runtime) -> None:
    from connectors.templates import Sender, email_template_rows
    from tests.contract.samples import rendered_set

    sender = Sender(email="no-reply@example.com", name="Acme, Inc.", reply_to="help@example.com")
    details = [
        row["details"]
        for factory_id in FACTORIES
        for row in email_template_rows(factory_id, rendered_set(), sender)
    ]
    assert len(details) >= 5 * 9 * len(rendered_set().locales)
    results = connector_runtime.validate_email_template_details(details)
    assert [r.details for r in results if not r.ok] == []
    bad = connector_runtime.validate_email_template_details([{"subject": "s"}, {**details[0], "contentType": "html"}])
    assert [r.ok for r in bad] == [False, False]
    assert bad[0].details == 'Error in key path "content": (invalid_type) Expected string but received undefined.'


# -- generated mutations of every sample: each top-level key removed, or given a wrong JSON type ---

def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true"
    if isinstance(value, (int, float)):
        return "587"
    if isinstance(value, str):
        return 12345
    return "x"


def _mutations() -> list[tuple[str, str, dict[str, Any]]]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for sample in valid_samples():
        base = parse_config(sample.factory_id, sample.data).to_logto(reveal=True)
        for key, value in base.items():
            for kind, data in (
                ("missing", {k: v for k, v in base.items() if k != key}),
                ("wrong-type", {**base, key: _wrong_type(value)}),
            ):
                if (sample.factory_id, key, kind) not in seen:
                    seen.add((sample.factory_id, key, kind))
                    out.append((f"{sample.factory_id}.{key} {kind}", sample.factory_id, data))
    return out


def test_mutations_agree_with_the_real_guard(connector_runtime) -> None:
    """What we accept, we emit as a config the guard accepts; what we reject, the guard rejects too.

    (Numeric strings for SMTP timeouts are accepted and emitted as numbers, so they count as
    accepted-and-valid, not as a disagreement.)
    """
    mutations = _mutations()
    assert len(mutations) > 80
    verdicts = connector_runtime.validate_many([(f, d) for _, f, d in mutations])
    emitted, disagreements = [], []
    for (case, factory_id, data), verdict in zip(mutations, verdicts):
        try:
            model = parse_config(factory_id, data)
        except ConfigError:
            if verdict.ok:
                disagreements.append(case)
        else:
            emitted.append((case, factory_id, model.to_logto(reveal=True)))
    assert disagreements == []
    results = connector_runtime.validate_many([(f, d) for _, f, d in emitted])
    assert {case: r.details for (case, _, _), r in zip(emitted, results) if not r.ok} == {}


def _nested_paths(value: Any, prefix: tuple = ()) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _nested_paths(item, (*prefix, key))
    elif isinstance(value, list) and value:
        yield (*prefix, 0)
        yield from _nested_paths(value[0], (*prefix, 0))


def _mutated(base: dict[str, Any], path: tuple, kind: str) -> dict[str, Any]:
    data = copy.deepcopy(base)
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    if kind == "missing":
        del parent[path[-1]]
    else:
        parent[path[-1]] = _wrong_type(parent[path[-1]])
    return data


def _expected_laxness(factory_id: str, path: tuple, kind: str, data: dict[str, Any]) -> bool:
    """Where Logto's guard is known to accept what we reject (see LOGTO_LAXER)."""
    # Any SMTP auth object with a string `user` passes zod's last union variant (OAuth2 token).
    if factory_id == SMTP and path[0] == "auth" and isinstance(data["auth"].get("user"), str):
        return True
    # Mailgun's deliveries is a free record: the required usage types are our rule only.
    return factory_id == "mailgun-email" and path[0] == "deliveries" and kind == "missing" and len(path) == 2


def test_nested_mutations_agree_with_the_real_guard(connector_runtime) -> None:
    seen: set[tuple] = set()
    cases = []
    for sample in valid_samples():
        base = parse_config(sample.factory_id, sample.data).to_logto(reveal=True)
        for path in _nested_paths(base):
            if len(path) < 2:
                continue
            for kind in ("missing", "wrong-type"):
                shape = (sample.factory_id, sample.name if path[0] == "auth" else "", path, kind)
                if shape not in seen:
                    seen.add(shape)
                    cases.append((sample.factory_id, path, kind, _mutated(base, path, kind)))
    assert len(cases) > 250
    verdicts = connector_runtime.validate_many([(f, d) for f, _, _, d in cases])
    unexpected_lax, emitted = [], []
    for (factory_id, path, kind, data), verdict in zip(cases, verdicts):
        try:
            model = parse_config(factory_id, data)
        except ConfigError:
            if verdict.ok and not _expected_laxness(factory_id, path, kind, data):
                unexpected_lax.append(f"{factory_id} {path} {kind}")
        else:
            emitted.append((f"{factory_id} {path} {kind}", factory_id, model.to_logto(reveal=True)))
    assert unexpected_lax == []
    results = connector_runtime.validate_many([(f, d) for _, f, d in emitted])
    assert {case: r.details for (case, _, _), r in zip(emitted, results) if not r.ok} == {}
