"""`provider: relay` under mocks: the relay on Lambda behind a NAT gateway with a fixed egress IP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.program.harness import Run, is_secret, leaked, run_program, tenants_config, unwrap

# pulumi_aws warns about deprecated resources of its own ec2 and lambda modules when they load.
pytestmark = [pytest.mark.program, pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws")]

SECRETS = {
    "app": "app-secret-relay-5c1e",
    "token0": "relay-token-new-8d2f7a",
    "token1": "relay-token-old-41b9c0",
    "mailgun": "key-mailgun-relay-77e1",
    "app2": "app-secret-relay-ses-0aa2",
    "app3": "app-secret-relay-local-9b3d",
}


def tenant(key: str, app_secret: str, provider: dict[str, Any]) -> dict[str, Any]:
    return {
        "logto": {"endpoint": f"https://{key}.logto.app", "appId": f"{key}-m2m", "appSecret": app_secret},
        "provider": provider,
        "sender": {"email": f"no-reply@{key}.example.com", "name": key.title()},
        "branding": {"productName": key.title()},
        "testRecipient": f"ops@{key}.example.com",
    }


TENANTS = {
    "mg": tenant("mg", SECRETS["app"], {
        "type": "relay", "tokens": [SECRETS["token0"], SECRETS["token1"]],
        "upstream": {"type": "mailgun", "domain": "mg.example.com", "apiKey": SECRETS["mailgun"], "region": "eu"},
        "aws": {"region": "eu-central-1", "vpcCidr": "10.50.0.0/24", "alarmEmail": "oncall@mg.example.com", "logRetentionDays": 14},
    }),
    "sesrelay": tenant("sesrelay", SECRETS["app2"], {
        "type": "relay", "tokens": [SECRETS["token0"]],
        "upstream": {"type": "aws-ses", "region": "eu-west-1", "configurationSetName": "sesrelay-logto-email"},
        "aws": {"region": "eu-west-1"},
    }),
    "local": tenant("local", SECRETS["app3"], {
        "type": "relay", "tokens": [SECRETS["token1"]], "endpoint": "https://relay.local.example.com/",
        "upstream": {"type": "smtp", "host": "smtp.local.example.com", "port": 2525, "username": "u", "password": "smtp-pass-relay-1"},
    }),
}
SECRETS["smtp"] = "smtp-pass-relay-1"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    # The dependency layer `python -m relay.package` builds; under mocks only its existence matters.
    package = tmp_path_factory.mktemp("relay") / "relay-lambda.zip"
    package.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive
    tenants = {key: {**t, "provider": {**t["provider"], "aws": {**t["provider"]["aws"], "package": str(package)}}}
               if "aws" in t["provider"] else t for key, t in TENANTS.items()}
    result = run_program("relay", tenants_config(tenants), ["logto-email:tenants"], secrets=SECRETS)
    assert result.error is None, repr(result.error)
    return result


def of(run: Run, type_: str, tenant_key: str) -> list:
    component = run.named(f"{tenant_key}-relay")
    return [r for r in run.descendants(component.urn) if r.type == type_]


def test_egress_ip_is_fixed_and_exported(run: Run) -> None:
    [eip] = of(run, "aws:ec2/eip:Eip", "mg")
    [nat] = of(run, "aws:ec2/natGateway:NatGateway", "mg")
    assert nat.inputs["allocationId"] == eip.outputs["allocationId"]
    assert run.stack_outputs["mg"]["relayEgressIp"] == eip.outputs["publicIp"]
    subnets = {r.name: r for r in of(run, "aws:ec2/subnet:Subnet", "mg")}
    assert subnets["mg-relay-public"].inputs["cidrBlock"] == "10.50.0.0/25"
    assert subnets["mg-relay-private"].inputs["cidrBlock"] == "10.50.0.128/25"
    assert nat.inputs["subnetId"] == subnets["mg-relay-public"].outputs.get("id", nat.inputs["subnetId"])
    [function] = of(run, "aws:lambda/function:Function", "mg")
    assert function.inputs["vpcConfig"]["subnetIds"] == [f"{subnets['mg-relay-private'].name}-id"]
    routes = {r.name: r for r in of(run, "aws:ec2/routeTable:RouteTable", "mg")}
    assert routes["mg-relay-private-routes"].inputs["routes"] == [{"cidrBlock": "0.0.0.0/0", "natGatewayId": "mg-relay-nat-id"}]
    assert routes["mg-relay-public-routes"].inputs["routes"][0]["gatewayId"] == "mg-relay-igw-id"


def test_connector_gets_the_function_url_and_the_first_token(run: Run) -> None:
    c = run.named("mg-connector")
    assert c.inputs["factory_id"] == "http-email" and is_secret(c.inputs["config"])
    [url] = of(run, "aws:lambda/functionUrl:FunctionUrl", "mg")
    assert unwrap(c.inputs["config"]) == {"endpoint": url.outputs["functionUrl"], "authorization": f"Bearer {SECRETS['token0']}"}
    assert url.inputs["authorizationType"] == "NONE"
    assert url.urn in c.dependencies and run.stack_outputs["mg"]["relayEndpoint"] == url.outputs["functionUrl"]
    assert c.inputs["test_recipient"] == "ops@mg.example.com"  # test-sent like any other connector


def test_relay_config_lives_in_secrets_manager(run: Run) -> None:
    [version] = of(run, "aws:secretsmanager/secretVersion:SecretVersion", "mg")
    assert is_secret(version.inputs["secretString"])
    config = json.loads(unwrap(version.inputs["secretString"]))
    assert config["tokens"] == [SECRETS["token0"], SECRETS["token1"]]
    assert config["upstream"] == {"type": "mailgun", "domain": "mg.example.com", "region": "eu", "apiKey": SECRETS["mailgun"]}
    assert config["idempotency"] == {"dynamodbTable": "logto-email-mg-relay", "region": "eu-central-1"}
    [table] = of(run, "aws:dynamodb/table:Table", "mg")
    assert table.inputs["name"] == "logto-email-mg-relay" and table.inputs["ttl"] == {"attributeName": "expires", "enabled": True}
    [endpoint] = of(run, "aws:ec2/vpcEndpoint:VpcEndpoint", "mg")
    assert endpoint.inputs["vpcEndpointType"] == "Gateway" and endpoint.inputs["routeTableIds"] == ["mg-relay-private-routes-id"]
    from relay.config import parse_config

    assert parse_config(config, source="secret", env={}).upstream.api_key.reveal() == SECRETS["mailgun"]
    [function] = of(run, "aws:lambda/function:Function", "mg")
    env = function.inputs["environment"]["variables"]
    assert set(env) == {"RELAY_CONFIG_SECRET", "RELAY_CONFIG_VERSION"}
    assert function.inputs["handler"] == "relay.aws_lambda.handler" and function.inputs["runtime"] == "python3.11"


def _policy(run: Run, key: str) -> dict[str, Any]:
    [policy] = of(run, "aws:iam/rolePolicy:RolePolicy", key)
    return json.loads(unwrap(policy.inputs["policy"]))


def test_iam_is_limited_to_logs_network_secret_and_sending(run: Run) -> None:
    allowed = {"logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue", "ses:SendEmail", "ses:SendRawEmail",
               "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
               "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
               "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}
    for key in ("mg", "sesrelay"):
        statements = _policy(run, key)["Statement"]
        actions = {a for s in statements for a in s["Action"]}
        assert actions <= allowed and not any("*" in a for a in actions)
        assert all(s["Effect"] == "Allow" for s in statements)
        for s in statements:
            if s["Resource"] == "*":
                assert all(a.startswith("ec2:") for a in s["Action"])  # only what a VPC function must have
        assert not [r for r in run.descendants(run.named(f"{key}-relay").urn) if r.type.startswith("aws:iam/rolePolicyAttachment")]
    assert not any(a.startswith("ses:") for s in _policy(run, "mg")["Statement"] for a in s["Action"])  # Mailgun: no SES rights
    [table] = of(run, "aws:dynamodb/table:Table", "mg")
    [dynamo] = [s for s in _policy(run, "mg")["Statement"] if s["Sid"] == "OwnIdempotencyTable"]
    assert dynamo["Resource"] == table.outputs["arn"]
    [ses] = [s for s in _policy(run, "sesrelay")["Statement"] if s["Sid"] == "SendAsLogtoSenderOnly"]
    assert ses["Resource"] == ["arn:aws:ses:eu-west-1:123456789012:identity/sesrelay.example.com",
                               "arn:aws:ses:eu-west-1:123456789012:configuration-set/sesrelay-logto-email"]
    assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": "no-reply@sesrelay.example.com"}}


def test_logs_and_alarms(run: Run) -> None:
    [logs] = of(run, "aws:cloudwatch/logGroup:LogGroup", "mg")
    assert logs.inputs["retentionInDays"] == 14 and logs.inputs["name"] == "/aws/lambda/logto-email-mg-relay"
    alarms = of(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "mg")
    assert {a.inputs["metricName"] for a in alarms} == {"mg-upstream-failures", "Errors", "Throttles"}
    [topic] = of(run, "aws:sns/topic:Topic", "mg")
    assert all(a.inputs["alarmActions"] == [topic.outputs["arn"]] for a in alarms)
    [sub] = of(run, "aws:sns/topicSubscription:TopicSubscription", "mg")
    assert sub.inputs["endpoint"] == "oncall@mg.example.com"
    assert not of(run, "aws:sns/topic:Topic", "sesrelay")  # no alarm address, no topic


def test_relay_running_elsewhere_creates_nothing(run: Run) -> None:
    component = run.named("local-relay")
    assert run.descendants(component.urn) == []
    assert unwrap(run.named("local-connector").inputs["config"]) == {
        "endpoint": "https://relay.local.example.com/", "authorization": f"Bearer {SECRETS['token1']}"}
    assert "relayEgressIp" not in run.stack_outputs["local"]


def test_no_secret_in_clear_or_in_outputs(run: Run) -> None:
    assert not leaked(run)
    text = json.dumps(run.stack_outputs)
    assert not [v for v in SECRETS.values() if v in text]
