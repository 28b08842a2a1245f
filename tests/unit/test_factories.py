"""The factory models: exact JSON, strict keys, the usage-type and {{code}} rules, masked secrets."""

from __future__ import annotations

import json
import logging

import pytest

from connectors.errors import ConfigError
from connectors.providers import FACTORIES, parse_config
from connectors.logto_facts import clean_deep
from connectors.secret import SECRET_MARKER, Secret

SECRET = "s3cr3t-VALUE-never-shown"
REQUIRED = ["Register", "SignIn", "ForgotPassword", "Generic"]


def templates(fields: dict, types=REQUIRED) -> list[dict]:
    return [{"usageType": t, "subject": f"{t} {{{{code}}}}", "content": "Your code is {{code}}", **fields} for t in types]


VALID = {
    "aws-ses-mail": {"accessKeyId": "AKIDEXAMPLE", "accessKeySecret": SECRET, "region": "eu-west-1",
                     "emailAddress": "Shop <no-reply@mail.example.com>", "configurationSetName": "cs", "templates": templates({})},
    "mailgun-email": {"endpoint": "https://api.eu.mailgun.net", "domain": "mg.example.com", "apiKey": SECRET,
                      "from": "Shop <no-reply@mg.example.com>",
                      "deliveries": {t: {"subject": "S", "html": "<b>{{code}}</b>", "text": "{{code}}"} for t in REQUIRED}},
    "sendgrid-email-service": {"apiKey": SECRET, "fromEmail": "a@example.com", "fromName": "A",
                               "templates": templates({"type": "text/html"})},
    "simple-mail-transfer-protocol": {"host": "smtp.example.com", "port": 587, "auth": {"user": "u", "pass": SECRET},
                                      "fromEmail": "A <a@example.com>", "templates": templates({"contentType": "text/plain"})},
    "http-email": {"endpoint": "https://mail.example.com/send", "authorization": "Bearer " + SECRET},
    "postmark-mail": {"serverToken": SECRET, "fromEmail": "a@example.com",
                      "templates": [{"usageType": t, "templateAlias": f"logto-{t.lower()}"} for t in REQUIRED]},
    "aliyun-direct-mail": {"accessKeyId": "LTAIexample", "accessKeySecret": SECRET, "regionId": "eu-central-1",
                           "accountName": "a@example.com", "templates": templates({})},
    "logto-email": {"senderName": "Shop", "companyInformation": "Example GmbH", "appLogo": "https://example.com/logo.png"},
}


def test_every_factory_has_a_model():
    assert set(FACTORIES) == set(VALID)


@pytest.mark.parametrize("factory_id", sorted(VALID))
def test_valid_config_round_trips_exactly(factory_id):
    model = parse_config(factory_id, VALID[factory_id])
    assert model.to_logto(reveal=True) == VALID[factory_id]
    assert model.to_stored(reveal=True) == clean_deep(VALID[factory_id])


@pytest.mark.parametrize("factory_id", sorted(VALID))
def test_secrets_never_show(factory_id, caplog):
    model = parse_config(factory_id, VALID[factory_id])
    masked = json.dumps(model.to_logto())
    logging.getLogger("t").warning("model %r %s", model, model)
    for text in (repr(model), str(model), masked, caplog.text):
        assert SECRET not in text
    if model.SECRET_FIELDS:
        assert SECRET_MARKER in masked


@pytest.mark.parametrize("factory_id", sorted(VALID))
def test_unknown_keys_are_rejected(factory_id):
    with pytest.raises(ConfigError) as exc:
        parse_config(factory_id, {**VALID[factory_id], "replyto": "x@example.com"}, path="cfg")
    assert "cfg.replyto: unknown key" in str(exc.value)


@pytest.mark.parametrize("factory_id", ["aws-ses-mail", "sendgrid-email-service", "simple-mail-transfer-protocol", "aliyun-direct-mail", "postmark-mail"])
def test_required_usage_types(factory_id):
    data = dict(VALID[factory_id])
    data["templates"] = [t for t in data["templates"] if t["usageType"] != "ForgotPassword"]
    with pytest.raises(ConfigError, match=r"Template with UsageType \(ForgotPassword\) should be provided!"):
        parse_config(factory_id, data)


@pytest.mark.parametrize("factory_id", ["aws-ses-mail", "sendgrid-email-service", "simple-mail-transfer-protocol", "aliyun-direct-mail"])
def test_code_emails_need_the_code_placeholder(factory_id):
    data = json.loads(json.dumps(VALID[factory_id]))
    data["templates"][1]["content"] = "Welcome back!"
    with pytest.raises(ConfigError, match=r"SignIn email must contain the \{\{code\}\} placeholder"):
        parse_config(factory_id, data)


def test_code_in_subject_alone_is_not_enough():
    data = json.loads(json.dumps(VALID["aws-ses-mail"]))
    data["templates"][0]["content"] = "no code here"
    with pytest.raises(ConfigError, match="Register email must contain"):
        parse_config("aws-ses-mail", data)


def test_link_outside_invitations_and_unknown_placeholders():
    data = json.loads(json.dumps(VALID["simple-mail-transfer-protocol"]))
    data["templates"][0]["content"] = "{{code}} {{link}} {{ usr.name }}"
    with pytest.raises(ConfigError) as exc:
        parse_config("simple-mail-transfer-protocol", data)
    text = str(exc.value)
    assert "{{link}} only exists in OrganizationInvitation" in text
    assert "unknown placeholder {{usr}}" in text


def test_invitation_may_use_link_without_code():
    data = json.loads(json.dumps(VALID["aws-ses-mail"]))
    data["templates"].append({"usageType": "OrganizationInvitation", "subject": "Join {{organization.name}}",
                              "content": '<a href="{{link}}">Join</a>'})
    parse_config("aws-ses-mail", data)


def test_unknown_usage_type_is_rejected():
    data = json.loads(json.dumps(VALID["aws-ses-mail"]))
    data["templates"].append({"usageType": "Signin", "subject": "x", "content": "{{code}}"})
    with pytest.raises(ConfigError, match="unknown usage type"):
        parse_config("aws-ses-mail", data)


@pytest.mark.parametrize("auth", [
    {},
    {"user": "relay"},
    {"type": "login", "user": "u", "pass": SECRET},
    {"type": "oauth2", "user": "u", "privateKey": SECRET, "serviceClient": "sc"},
    {"user": "u", "privateKey": {"key": SECRET, "passphrase": SECRET}, "serviceClient": "sc"},
    {"type": "OAuth2", "user": "u", "clientId": "id", "clientSecret": SECRET, "refreshToken": SECRET, "expires": 1700000000},
])
def test_smtp_auth_variants(auth):
    model = parse_config("simple-mail-transfer-protocol", {**VALID["simple-mail-transfer-protocol"], "auth": auth})
    assert model.to_logto(reveal=True)["auth"] == auth
    assert SECRET not in json.dumps(model.to_logto())


def test_smtp_relay_without_auth_sends_empty_auth_but_stores_none():
    model = parse_config("simple-mail-transfer-protocol", {**VALID["simple-mail-transfer-protocol"], "auth": {}})
    assert model.to_logto()["auth"] == {}
    assert "auth" not in model.to_stored()
    assert FACTORIES["simple-mail-transfer-protocol"].payload_from_stored(model.to_stored())["auth"] == {}


@pytest.mark.parametrize("bad,message", [
    ({"port": "587"}, "port: Input should be a valid integer"),
    ({"port": 0}, "port: Input should be greater than or equal to 1"),
    ({"port": 65536}, "port: Input should be less than or equal to 65535"),
    ({"secure": "yes"}, "secure: Input should be a valid boolean"),
    ({"auth": {"user": "u", "pass": SECRET, "extra": 1}}, "auth.extra: unknown key"),
    ({"fromEmail": "not-an-address"}, "fromEmail: must be an email address"),
    ({"secure": True, "ignoreTLS": True}, "contradict"),
])
def test_smtp_rejections(bad, message):
    with pytest.raises(ConfigError) as exc:
        parse_config("simple-mail-transfer-protocol", {**VALID["simple-mail-transfer-protocol"], **bad})
    assert message in str(exc.value)
    assert SECRET not in str(exc.value)


@pytest.mark.parametrize("endpoint,ok", [
    ("https://api.mailgun.net", True),
    ("https://api.eu.mailgun.net", True),
    ("http://127.0.0.1:8025/.mailgun.net", True),  # Logto's rule is "a URL ending in .mailgun.net"
    ("https://api.mailgun.com", False),
    ("api.mailgun.net", False),
])
def test_mailgun_endpoint_rule(endpoint, ok):
    data = {**VALID["mailgun-email"], "endpoint": endpoint}
    if ok:
        assert parse_config("mailgun-email", data).to_logto()["endpoint"] == endpoint
    else:
        with pytest.raises(ConfigError, match="endpoint"):
            parse_config("mailgun-email", data)


def test_mailgun_template_delivery_shape():
    data = {**VALID["mailgun-email"], "deliveries": {**VALID["mailgun-email"]["deliveries"],
            "SignIn": {"template": "sign-in", "variables": {"brand": "Shop"}, "subject": "Sign in"}}}
    out = parse_config("mailgun-email", data).to_logto(reveal=True)
    assert out["deliveries"]["SignIn"] == {"template": "sign-in", "variables": {"brand": "Shop"}, "subject": "Sign in"}
    assert "from" in out and "from_" not in out


def test_mailgun_delivery_shapes_do_not_mix():
    data = {**VALID["mailgun-email"], "deliveries": {**VALID["mailgun-email"]["deliveries"],
            "SignIn": {"template": "t", "html": "{{code}}"}}}
    with pytest.raises(ConfigError, match="deliveries.SignIn"):
        parse_config("mailgun-email", data)


@pytest.mark.parametrize("region", ["cn-hangzhou", "ap-southeast-1", "ap-southeast-2", "eu-central-1", "us-east-1"])
def test_aliyun_regions(region):
    assert parse_config("aliyun-direct-mail", {**VALID["aliyun-direct-mail"], "regionId": region}).to_logto()["regionId"] == region


def test_aliyun_unknown_region():
    with pytest.raises(ConfigError, match="regionId"):
        parse_config("aliyun-direct-mail", {**VALID["aliyun-direct-mail"], "regionId": "eu-west-1"})


@pytest.mark.parametrize("field,value,message", [
    ("senderName", "Visit shop.example.com", "URL is not allowed in sender name."),
    ("companyInformation", "Example GmbH · www.example.de", "URL is not allowed in company information."),
    ("appLogo", "logo.png", "appLogo"),
    ("appSecret", "x", "unknown key"),  # legacy keys Logto removed
])
def test_logto_email_branding_rules(field, value, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parse_config("logto-email", {field: value})


def test_logto_email_empty_config_is_valid():
    assert parse_config("logto-email", {}).to_logto() == {}


def test_http_endpoint_must_be_a_url():
    with pytest.raises(ConfigError, match="http\\(s\\) URL"):
        parse_config("http-email", {"endpoint": "mail.example.com/send"})


def test_secure_values_from_a_stack_file_stay_opaque():
    model = parse_config("http-email", {"endpoint": "https://x.example.com", "authorization": {"secure": "v1:abc"}})
    assert isinstance(model.authorization, Secret) and not model.authorization.known
    assert model.to_logto(reveal=True)["authorization"] == SECRET_MARKER


def test_empty_required_strings_are_rejected():
    with pytest.raises(ConfigError, match="domain"):
        parse_config("mailgun-email", {**VALID["mailgun-email"], "domain": ""})


def test_unknown_factory():
    with pytest.raises(ConfigError, match="unknown connector factory 'smtp'"):
        parse_config("smtp", {})


def test_secret_is_not_picklable():
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(Secret(SECRET))
