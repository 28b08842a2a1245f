"""Stacks declared in code: every other provider, SES variants, preview, and TenantEmail reuse."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.aws.ses_smtp import smtp_password
from connectors.stack.models import TenantSpec
from tests.program.harness import (
    Run,
    is_secret,
    leaked,
    run_program,
    tenants_config,
    unwrap,
)

pytestmark = pytest.mark.program

CONNECTOR_TYPE = "pulumi-python:dynamic/logto:EmailConnector"
R53 = "aws:route53/record:Record"
SECRETS = {
    "acme.app": "app-secret-acme-0f3c9",
    "pm.token": "pm-server-token-77a1e",
    "ali.secret": "aliyun-key-secret-5b2d",
    "cloud.app": "app-secret-cloud-91c4",
    "smtpses.app": "app-secret-smtpses-2e8a",
    "pm.app": "app-secret-pm-61d0",
    "ali.app": "app-secret-ali-a4f2",
}


def tenant(key: str, provider: dict[str, Any], email: str | None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "logto": {"endpoint": f"https://{key}dev.logto.app", "appId": f"{key}-m2m", "appSecret": SECRETS[f"{key}.app"]},
        "provider": provider,
        "branding": {"productName": f"{key.title()} App", "companyName": "Acme Inc."},
        **extra,
    }
    if email:
        out["sender"] = {"email": email, "name": f"{key.title()} App"}
    return out


TENANTS = {
    "smtpses": tenant("smtpses", {
        "type": "ses-smtp", "region": "us-east-1", "domain": "mail.smtpses.example.com",
        "dns": {"external": True}, "events": {"enabled": False}, "keyRotation": 3,
        "dmarc": {"policy": "reject", "alignment": "strict"},
    }, "no-reply@mail.smtpses.example.com"),
    "pm": tenant("pm", {
        "type": "postmark", "serverToken": SECRETS["pm.token"], "dns": {"route53ZoneId": "ZPOSTMARK1"},
        "dnsRecords": [
            {"type": "TXT", "name": "20240101pm._domainkey.pm.example.com", "value": "k=rsa;p=" + "Q" * 300},
            {"type": "CNAME", "name": "pm-bounces.pm.example.com", "value": "pm.mtasv.net"},
        ],
    }, "hello@pm.example.com"),
    "ali": tenant("ali", {
        "type": "aliyun", "region": "ap-southeast-1", "accessKeyId": "LTAI5tExample", "accessKeySecret": SECRETS["ali.secret"],
    }, "no-reply@ali.example.com"),
    "cloud": tenant("cloud", {"type": "logto-email"}, None),
}


@pytest.fixture(scope="module")
def variants() -> Run:
    run = run_program("variants", tenants_config(TENANTS), ["logto-email:tenants"],
                      secrets={f"s{i}": v for i, v in enumerate(SECRETS.values())})
    assert run.error is None, repr(run.error)
    return run


def connector(run: Run, key: str):
    return run.named(f"{key}-connector")


def test_ses_smtp_connector_uses_derived_password(variants: Run) -> None:
    c = connector(variants, "smtpses")
    assert c.inputs["factory_id"] == "simple-mail-transfer-protocol"
    assert is_secret(c.inputs["config"])
    config = unwrap(c.inputs["config"])
    key = variants.named("smtpses-ses-smtp-sender-key-3")
    secret_key = unwrap(key.outputs["secret"])
    assert config["host"] == "email-smtp.us-east-1.amazonaws.com" and config["port"] == 587
    assert config["requireTLS"] is True
    assert config["auth"]["user"] == json.loads(unwrap(variants.named("smtpses-ses-smtp-sender-credentials-3").inputs["secretString"]))["accessKeyId"]
    assert config["auth"]["pass"] == smtp_password(secret_key, "us-east-1")
    stored = json.loads(unwrap(variants.named("smtpses-ses-smtp-sender-credentials-3").inputs["secretString"]))
    assert set(stored) == {"accessKeyId", "secretAccessKey", "smtpUsername", "smtpPassword"}
    assert stored["smtpPassword"] == config["auth"]["pass"]
    assert not leaked(variants, {config["auth"]["pass"]})


def test_ses_external_dns_is_exported_not_created(variants: Run) -> None:
    parent = variants.named("smtpses-ses-smtp")
    assert not [r for r in variants.descendants(parent.urn) if r.type == R53]
    identity = variants.named("smtpses-ses-smtp-identity")
    tokens = identity.outputs["dkimSigningAttributes"]["tokens"]
    records = variants.stack_outputs["smtpses"]["dnsRecordsToCreate"]
    assert [(r["type"], r["name"]) for r in records] == [
        *[("CNAME", f"{t}._domainkey.mail.smtpses.example.com") for t in tokens],
        ("MX", "bounce.mail.smtpses.example.com"),
        ("TXT", "bounce.mail.smtpses.example.com"),
        ("TXT", "_dmarc.mail.smtpses.example.com"),
    ]
    assert records[-1]["value"] == "v=DMARC1; p=reject; adkim=s; aspf=s"
    assert records[3]["priority"] == 10


def test_events_disabled_keeps_configuration_set_only(variants: Run) -> None:
    parts = variants.descendants(variants.named("smtpses-ses-smtp").urn)
    kinds = {r.type for r in parts}
    assert "aws:sesv2/configurationSet:ConfigurationSet" in kinds
    # no events topic, no SNS destination, and feedback forwarding stays on (nothing else reports bounces)
    assert not kinds & {"aws:sns/topicPolicy:TopicPolicy", "aws:ses/identityNotificationTopic:IdentityNotificationTopic",
                        "aws:sesv2/emailIdentityFeedbackAttributes:EmailIdentityFeedbackAttributes"}
    assert [r.name for r in parts if r.type == "aws:sns/topic:Topic"] == ["smtpses-ses-smtp-alerts"]
    dests = [r for r in parts if r.type == "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination"]
    assert [set(d.inputs["eventDestination"]) & {"snsDestination", "cloudWatchDestination"} for d in dests] == [{"cloudWatchDestination"}]


def test_postmark_records_in_route53_and_token_secret(variants: Run) -> None:
    records = [r for r in variants.descendants(variants.named("pm-postmark").urn) if r.type == R53]
    assert sorted((r.inputs["type"], r.inputs["zoneId"], r.inputs["allowOverwrite"]) for r in records) == [
        ("CNAME", "ZPOSTMARK1", False), ("TXT", "ZPOSTMARK1", False), ("TXT", "ZPOSTMARK1", False)]
    txt = next(r for r in records if r.inputs["type"] == "TXT" and "_domainkey" in r.inputs["name"])
    assert txt.inputs["records"][0].replace('""', "") == "k=rsa;p=" + "Q" * 300  # split for Route53
    c = connector(variants, "pm")
    assert unwrap(c.inputs["config"])["serverToken"] == SECRETS["pm.token"]
    assert {r.urn for r in records} <= set(c.dependencies)
    assert variants.stack_outputs["pm"]["dnsRecordsToCreate"] == []


def test_aliyun_and_logto_email_need_no_resources(variants: Run) -> None:
    for key, kind in (("ali", "AliyunDirectMail"), ("cloud", "LogtoEmailService")):
        component = variants.named(f"{key}-{'aliyun' if key == 'ali' else 'logto-email'}")
        assert component.type == f"logto-email:providers:{kind}"
        assert variants.descendants(component.urn) == []
    ali = unwrap(connector(variants, "ali").inputs["config"])
    assert ali["accessKeySecret"] == SECRETS["ali.secret"] and ali["regionId"] == "ap-southeast-1"
    cloud = unwrap(connector(variants, "cloud").inputs["config"])
    assert cloud == {"senderName": "Cloud App", "companyInformation": "Acme Inc."}
    assert variants.stack_outputs["cloud"]["factory"] == "logto-email"


def test_no_secret_in_clear(variants: Run) -> None:
    assert not leaked(variants)
    for c in variants.of_type(CONNECTOR_TYPE):
        assert is_secret(c.inputs["app_secret"]) and is_secret(c.inputs["config"])


def test_preview_reports_readiness_pending() -> None:
    run = run_program("preview", tenants_config({"smtpses": TENANTS["smtpses"]}), ["logto-email:tenants"], preview=True)
    assert run.error is None, repr(run.error)
    assert run.stack_outputs["smtpses"]["readiness"] == "pending"


def test_tenant_email_from_your_own_program() -> None:
    def program() -> None:
        import pulumi

        from infra.tenant import TenantEmail

        acme = TenantEmail("acme", tenant=TenantSpec.model_validate({
            "logto": {"endpoint": "https://acme.logto.app", "appId": "acme-m2m", "appSecret": "own-program-secret-1"},
            "provider": {"type": "http", "endpoint": "https://mailer.acme.example.com/logto",
                         "authorization": "Bearer own-program-token-2"},
            "sender": {"email": "no-reply@acme.example.com", "name": "Acme"},
            "branding": {"productName": "Acme"},
        }), production=False)
        pulumi.export("acme", acme.outputs)

    run = run_program("own", {}, program_fn=program, secrets={"a": "own-program-secret-1", "b": "Bearer own-program-token-2"})
    assert run.error is None, repr(run.error)
    c = run.named("acme-connector")
    assert unwrap(c.inputs["config"]) == {"endpoint": "https://mailer.acme.example.com/logto",
                                          "authorization": "Bearer own-program-token-2"}
    assert run.stack_outputs["acme"]["factory"] == "http-email"
    assert not leaked(run)


def test_invalid_stack_fails_with_the_yaml_path_and_no_value() -> None:
    bad = {"oops": tenant("pm", {"type": "postmark", "serverToken": SECRETS["pm.token"]}, "not-an-address")}
    run = run_program("bad", tenants_config(bad), ["logto-email:tenants"])
    assert run.error is not None
    msg = str(run.error)
    assert "oops" in msg and "sender" in msg
    assert SECRETS["pm.token"] not in msg and SECRETS["pm.app"] not in msg
    assert not run.of_type(CONNECTOR_TYPE)


def test_domain_outside_its_zone_is_refused() -> None:
    bad = {"smtpses": {**TENANTS["smtpses"], "provider": {**TENANTS["smtpses"]["provider"],
                                                           "dns": {"route53ZoneName": "other.example.org"}}}}
    run = run_program("zone", tenants_config(bad), ["logto-email:tenants"])
    assert run.error is not None and "not in the Route53 zone other.example.org" in str(run.error)


def test_encrypted_secrets_are_refused_by_tenant_email() -> None:
    def program() -> None:
        from infra.tenant import TenantEmail

        TenantEmail("enc", tenant=TenantSpec.model_validate({
            "logto": {"endpoint": "https://enc.logto.app", "appId": "enc-m2m", "appSecret": {"secure": "v1:abc"}},
            "provider": {"type": "http", "endpoint": "https://mailer.example.com/logto"},
            "sender": {"email": "no-reply@example.com"},
        }))

    run = run_program("enc", {}, program_fn=program)
    assert run.error is not None and "logto.app_secret still encrypted" in str(run.error)
    assert "v1:abc" not in str(run.error)
