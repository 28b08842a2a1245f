"""Deliverability resources under mocks: alarms, alerts topic and subscribers, suppression,
feedback forwarding, DMARC for every provider; names, thresholds, dependencies, exports."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.deliverability.alarms import BOUNCE_RATE, COMPLAINT_RATE, CONFIG_SET_DIMENSION, NAMESPACE, REJECT
from tests.program.harness import Registration, Run, is_secret, leaked, run_program, tenants_config, unwrap

pytestmark = pytest.mark.program

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUB = "aws:sns/topicSubscription:TopicSubscription"
DEST = "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination"
NOTIFY = "aws:ses/identityNotificationTopic:IdentityNotificationTopic"
FEEDBACK = "aws:sesv2/emailIdentityFeedbackAttributes:EmailIdentityFeedbackAttributes"
ACCOUNT_SUPPRESSION = "aws:sesv2/accountSuppressionAttributes:AccountSuppressionAttributes"
R53 = "aws:route53/record:Record"

WEBHOOK = "https://hooks.example.net/alerts/T0KEN-9d1f7be2"
SECRETS = {"ses.app": "app-secret-ses-3c1d", "mg.app": "app-secret-mg-7f2e", "mg.key": "key-mailgun-52bd0",
           "sg.app": "app-secret-sg-11aa", "sg.key": "SG.sendgrid-key-8e3f", "quiet.app": "app-secret-quiet-4b4b"}


def logto(key: str) -> dict[str, Any]:
    return {"endpoint": f"https://{key}dev.logto.app", "appId": f"{key}-m2m", "appSecret": SECRETS[f"{key}.app"]}


TENANTS = {
    "ses": {
        "logto": logto("ses"),
        "provider": {
            "type": "aws-ses", "region": "eu-central-1", "domain": "mail.ses.example.com",
            "dns": {"route53ZoneName": "ses.example.com"},
            "alarms": {"bounceRate": {"warning": 1.5, "review": 4, "pause": 8}, "rejects": 3, "periodSeconds": 900},
            "alerts": {"emails": ["oncall@ses.example.com", "mail-team@ses.example.com"], "webhooks": [WEBHOOK]},
            "suppression": {"accountLevel": True},
            "dmarc": {"policy": "quarantine", "reportEmail": "dmarc@ses.example.com"},
        },
        "sender": {"email": "no-reply@mail.ses.example.com"},
        "branding": {"productName": "Ses"},
    },
    "quiet": {
        "logto": logto("quiet"),
        "provider": {"type": "aws-ses", "region": "us-west-2", "domain": "quiet.example.com",
                     "alarms": {"enabled": False}, "events": {"types": ["BOUNCE", "REJECT"]}},
        "sender": {"email": "no-reply@quiet.example.com"},
        "branding": {"productName": "Quiet"},
    },
    "mg": {
        "logto": logto("mg"),
        "provider": {"type": "mailgun", "domain": "mg.example.org", "apiKey": SECRETS["mg.key"],
                     "dns": {"route53ZoneId": "ZMG1"}, "dmarc": {"policy": "reject", "reportEmail": "dmarc@example.org"}},
        "sender": {"email": "no-reply@mg.example.org"},
        "branding": {"productName": "Mg"},
    },
    "sg": {
        "logto": logto("sg"),
        "provider": {"type": "sendgrid", "apiKey": SECRETS["sg.key"], "dmarc": {"alignment": "strict"},
                     "dnsRecords": [{"type": "CNAME", "name": "s1._domainkey.sg.example.net", "value": "s1.domainkey.u1.wl.sendgrid.net"}]},
        "sender": {"email": "hello@sg.example.net"},
        "branding": {"productName": "Sg"},
    },
}


@pytest.fixture(scope="module")
def run() -> Run:
    secrets = {f"s{i}": v for i, v in enumerate([*SECRETS.values(), WEBHOOK])}
    r = run_program("deliverability", tenants_config(TENANTS), ["logto-email:tenants"], secrets=secrets)
    assert r.error is None, repr(r.error)
    return r


def parts(run: Run, component: str) -> dict[str, list[Registration]]:
    out: dict[str, list[Registration]] = {}
    for r in run.descendants(run.named(component).urn):
        out.setdefault(r.type, []).append(r)
    return out


def test_alarm_names_metrics_and_thresholds(run: Run) -> None:
    by = parts(run, "ses-aws-ses")
    alarms = {a.inputs["name"]: a.inputs for a in by[ALARM]}
    p = "logto-email-ses"
    # declared bounce levels (percent → fraction); complaint levels keep AWS's defaults
    assert {n: (a["metricName"], a["threshold"]) for n, a in alarms.items()} == {
        f"{p}-bounce-rate-warning": (BOUNCE_RATE, 0.015),
        f"{p}-bounce-rate-review": (BOUNCE_RATE, 0.04),
        f"{p}-bounce-rate-pause-risk": (BOUNCE_RATE, 0.08),
        f"{p}-complaint-rate-warning": (COMPLAINT_RATE, 0.0005),
        f"{p}-complaint-rate-review": (COMPLAINT_RATE, 0.001),
        f"{p}-complaint-rate-pause-risk": (COMPLAINT_RATE, 0.005),
        f"{p}-rejects": (REJECT, 3.0),
    }
    for name, a in alarms.items():
        assert a["namespace"] == NAMESPACE and a["region"] == "eu-central-1"
        assert a["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert a["period"] == 900 and a["evaluationPeriods"] == 1
        assert a["treatMissingData"] == "notBreaching"
        assert a["tags"]["logto-email:tenant"] == "ses" and a["tags"]["logto-email:level"] in ("warning", "review", "pause")
        assert "docs/deliverability.md" in a["alarmDescription"]
        if a["metricName"] == REJECT:
            assert a["dimensions"] == {CONFIG_SET_DIMENSION: "ses-logto-email"} and a["statistic"] == "Sum"
        else:
            assert "dimensions" not in a and a["statistic"] == "Maximum"  # account-wide reputation


def test_defaults_are_aws_review_levels() -> None:
    from connectors.deliverability.alarms import all_alarms
    from connectors.stack.models import AlarmsSpec

    got = {d.key: d.threshold for d in all_alarms("t", AlarmsSpec(), "t-logto-email")}
    assert got["bounce-rate-review"] == 0.05 and got["complaint-rate-review"] == 0.001
    assert got["bounce-rate-pause-risk"] == 0.10 and got["complaint-rate-pause-risk"] == 0.005
    assert got["bounce-rate-warning"] < 0.05 and got["complaint-rate-warning"] < 0.001


def test_alarms_notify_the_alerts_topic_and_its_subscribers(run: Run) -> None:
    by = parts(run, "ses-aws-ses")
    (alerts,) = [t for t in by[TOPIC] if t.name == "ses-aws-ses-alerts"]
    assert alerts.inputs["name"] == "logto-email-ses-alerts" and alerts.inputs["tags"] == {"logto-email:tenant": "ses"}
    for a in by[ALARM]:
        assert a.inputs["alarmActions"] == [alerts.outputs["arn"]] == a.inputs["okActions"]
        assert alerts.urn in a.property_dependencies["alarmActions"]
    subs = {r.name: r for r in by[SUB]}
    assert sorted((s.inputs["protocol"], unwrap(s.inputs["endpoint"])) for s in subs.values()) == [
        ("email", "mail-team@ses.example.com"), ("email", "oncall@ses.example.com"), ("https", WEBHOOK)]
    assert all(s.inputs["topic"] == alerts.outputs["arn"] for s in subs.values())
    # the webhook URL (it carries a token) only ever as a secret
    assert is_secret(subs["ses-aws-ses-alerts-webhook-0"].inputs["endpoint"])
    assert leaked(run, {WEBHOOK}) == []


def test_rejects_are_counted_per_configuration_set(run: Run) -> None:
    by = parts(run, "ses-aws-ses")
    (cw,) = [d for d in by[DEST] if "cloudWatchDestination" in d.inputs["eventDestination"]]
    ev = cw.inputs["eventDestination"]
    assert cw.inputs["eventDestinationName"] == "logto-email-metrics" and "REJECT" in ev["matchingEventTypes"]
    assert ev["cloudWatchDestination"]["dimensionConfigurations"] == [
        {"dimensionName": CONFIG_SET_DIMENSION, "dimensionValueSource": "MESSAGE_TAG", "defaultDimensionValue": "ses-logto-email"}]
    (rejects,) = [a for a in by[ALARM] if a.inputs["metricName"] == REJECT]
    assert cw.urn in rejects.dependencies


def test_suppression_and_feedback_forwarding(run: Run) -> None:
    by = parts(run, "ses-aws-ses")
    (config_set,) = by["aws:sesv2/configurationSet:ConfigurationSet"]
    assert config_set.inputs["suppressionOptions"] == {"suppressedReasons": ["BOUNCE", "COMPLAINT"]}
    assert config_set.inputs["tags"] == {"logto-email:tenant": "ses"}
    (account,) = by[ACCOUNT_SUPPRESSION]
    assert account.inputs["suppressedReasons"] == ["BOUNCE", "COMPLAINT"] and account.inputs["region"] == "eu-central-1"
    (events,) = [t for t in by[TOPIC] if t.name == "ses-aws-ses-events"]
    (identity,) = by["aws:sesv2/emailIdentity:EmailIdentity"]
    notify = by[NOTIFY]
    assert sorted(n.inputs["notificationType"] for n in notify) == ["Bounce", "Complaint"]
    assert all(n.inputs["topicArn"] == events.outputs["arn"] and n.inputs["identity"] == "mail.ses.example.com" for n in notify)
    assert all(n.inputs["includeOriginalHeaders"] is False for n in notify)
    (policy,) = by["aws:sns/topicPolicy:TopicPolicy"]
    assert all(policy.urn in n.dependencies for n in notify)  # SES may publish before it is told to
    (feedback,) = by[FEEDBACK]
    assert feedback.inputs["emailForwardingEnabled"] is False and feedback.inputs["emailIdentity"] == "mail.ses.example.com"
    assert {n.urn for n in notify} <= set(feedback.dependencies)  # SES refuses it before both topics are set
    statement = json.loads(policy.inputs["policy"])["Statement"][0]
    assert identity.outputs["arn"] in statement["Condition"]["StringEquals"]["AWS:SourceArn"]


def test_opt_outs(run: Run) -> None:
    """Alarms off: no alerts topic, no alarm; events without COMPLAINT: forwarding stays on;
    account-level suppression only when asked for."""
    by = parts(run, "quiet-aws-ses")
    assert ALARM not in by and SUB not in by and ACCOUNT_SUPPRESSION not in by
    assert [t.name for t in by[TOPIC]] == ["quiet-aws-ses-events"]
    assert FEEDBACK not in by and NOTIFY not in by
    assert run.stack_outputs["quiet"]["alarmNames"] == [] and run.stack_outputs["quiet"]["alertsTopicArn"] is None


def test_exports_name_everything_and_hold_no_secret(run: Run) -> None:
    out = run.stack_outputs["ses"]
    by = parts(run, "ses-aws-ses")
    assert sorted(out["alarmNames"]) == sorted(a.inputs["name"] for a in by[ALARM])
    (alerts,) = [t for t in by[TOPIC] if t.name == "ses-aws-ses-alerts"]
    assert out["alertsTopicArn"] == alerts.outputs["arn"]
    assert out["eventsTopicArn"].endswith(":ses-aws-ses-events") and out["configurationSetName"] == "ses-logto-email"
    text = json.dumps(run.stack_outputs)
    assert WEBHOOK not in text and "T0KEN" not in text
    assert not any(v in text for v in SECRETS.values())


def test_dmarc_for_every_provider(run: Run) -> None:
    mg = [r.inputs for r in parts(run, "mg-mailgun")[R53] if r.inputs["name"].startswith("_dmarc.")]
    assert [(r["zoneId"], r["name"], r["records"]) for r in mg] == [
        ("ZMG1", "_dmarc.mg.example.org", ["v=DMARC1; p=reject; rua=mailto:dmarc@example.org; adkim=r; aspf=r"])]
    assert mg[0]["allowOverwrite"] is False
    exported = run.stack_outputs["sg"]["dnsRecordsToCreate"]
    assert exported[-1] == {"type": "TXT", "name": "_dmarc.sg.example.net", "value": "v=DMARC1; p=none; adkim=s; aspf=s", "purpose": "DMARC"}
    ses = [r.inputs for r in parts(run, "ses-aws-ses")[R53] if r.inputs["name"].startswith("_dmarc.")]
    assert ses[0]["records"] == ["v=DMARC1; p=quarantine; rua=mailto:dmarc@ses.example.com; adkim=r; aspf=r"]


def test_webhook_must_be_https() -> None:
    from pydantic import ValidationError

    from connectors.stack.models import AlertsSpec

    with pytest.raises(ValidationError) as exc:
        AlertsSpec.model_validate({"webhooks": ["http://hooks.example.net/T0KEN-abc"]})
    assert "https" in str(exc.value) and "T0KEN" not in str(exc.value)


def test_encrypted_webhook_is_refused_by_path_never_by_value() -> None:
    from connectors.stack.models import TenantSpec

    def program() -> None:
        from infra.tenant import TenantEmail

        TenantEmail("enc", tenant=TenantSpec.model_validate({
            "logto": {"endpoint": "https://enc.logto.app", "appId": "enc-m2m", "appSecret": "plain-for-this-test"},
            "provider": {"type": "aws-ses", "region": "eu-west-1", "domain": "enc.example.com",
                         "alerts": {"webhooks": ["https://ok.example.net/x", {"secure": "v1:HOOKCIPHER"}]}},
            "sender": {"email": "no-reply@enc.example.com"},
        }))

    run = run_program("enc", {}, program_fn=program)
    assert run.error is not None and "provider.alerts.webhooks[1] still encrypted" in str(run.error)
    assert "HOOKCIPHER" not in str(run.error)


def test_plain_webhook_in_a_stack_file_is_refused_without_its_value(tmp_path) -> None:
    from connectors.errors import ConfigError
    from connectors.stack import load_stack
    from tests.check.stacks import ses_tenant, stack, variant, write

    tenant = variant(ses_tenant, lambda t: t["provider"].update(alerts={"webhooks": ["https://hooks.example.net/T0KEN-1"]}))
    write(tmp_path, "prod", stack({"shop": tenant}))
    with pytest.raises(ConfigError) as exc:
        load_stack(tmp_path, "prod")
    assert "alerts.webhooks[0]" in str(exc.value) and "secure" in str(exc.value) and "T0KEN" not in str(exc.value)
