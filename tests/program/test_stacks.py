"""The real program under mocks with every shipped stack file: resources, order, scope, secrets."""

from __future__ import annotations

from connectors.connector_config import render_from_source
from connectors.deploy.content import compact, expand, refs_in, texts_of

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.connector_config import build_connector_config, mailbox, render_tenant
from connectors.dns_records import SPF_SES, dmarc_record
from connectors.stack import load_stack
from connectors.stack.models import AwsSesProvider, TenantSpec
from tests.program.harness import (
    NOT_CHECKED,
    ROOT,
    Registration,
    Run,
    is_secret,
    provider_blob,
    strip_secrets,
    unwrap,
)

pytestmark = pytest.mark.program

CONNECTOR_TYPE = "pulumi-python:dynamic/logto:EmailConnector"
R53 = "aws:route53/record:Record"


def tenants_of(path: Path) -> dict[str, TenantSpec]:
    stack = path.name[len("Pulumi."):-len(".yaml")]
    return dict(load_stack(ROOT, stack).tenants)


def run_of(stack_runs: dict[str, Run], path: Path) -> Run:
    run = stack_runs[path.name]
    assert run.error is None, f"{path.name}: {run.error!r}"
    return run


def tenant_parts(run: Run, key: str) -> tuple[Registration, Registration, list[Registration]]:
    """(TenantEmail, its connector, everything under the provider component)."""
    component = run.named(key)
    assert component.type == "logto-email:index:TenantEmail"
    children = [r for r in run.registrations if r.parent == component.urn]
    connectors = [r for r in children if r.type == CONNECTOR_TYPE]
    providers = [r for r in children if r.type.startswith("logto-email:providers:")]
    assert len(connectors) == 1 and len(providers) == 1, [c.type for c in children]
    return component, connectors[0], run.descendants(providers[0].urn)


def test_every_tenant_has_its_component_connector_and_export(stack_runs, stack_file) -> None:
    run = run_of(stack_runs, stack_file)
    tenants = tenants_of(stack_file)
    assert set(run.stack_outputs) == set(tenants)
    for key, tenant in tenants.items():
        _, connector, _ = tenant_parts(run, key)
        assert connector.inputs["factory_id"] == tenant.factory_id
        assert connector.inputs["endpoint"] == tenant.logto.endpoint
        assert connector.inputs["app_id"] == tenant.logto.app_id
        exported = run.stack_outputs[key]
        assert exported["factory"] == tenant.factory_id
        assert exported["connectorId"] == connector.outputs["connector_id"]
        assert exported["sender"] == mailbox(tenant)
        assert exported["readiness"] == (NOT_CHECKED if tenant.provider.type in ("aws-ses", "ses-smtp") else "n/a")
        external = not getattr(tenant.provider, "dns", None) or not tenant.provider.dns.in_route53
        records = exported["dnsRecordsToCreate"]
        if tenant.provider.type in ("sendgrid", "postmark") and external:
            dmarc = [dmarc_record(tenant.sender.email.rsplit("@", 1)[1], tenant.provider.dmarc.policy,
                                  tenant.provider.dmarc.report_email, tenant.provider.dmarc.alignment)] if tenant.provider.dmarc.enabled else []
            assert [(r["type"], r["name"], r["value"]) for r in records] == [
                (r.type, r.name, r.value) for r in [*tenant.provider.dns_records, *dmarc]
            ]
        elif not external:
            assert records == []


def test_ses_resources_and_key_inputs(stack_runs, stack_file) -> None:
    run = run_of(stack_runs, stack_file)
    for key, tenant in tenants_of(stack_file).items():
        p = tenant.provider
        if not isinstance(p, AwsSesProvider):
            continue
        _, connector, parts = tenant_parts(run, key)
        by_type: dict[str, list[Registration]] = {}
        for r in parts:
            by_type.setdefault(r.type, []).append(r)
        (identity,) = by_type["aws:sesv2/emailIdentity:EmailIdentity"]
        assert identity.inputs["emailIdentity"] == p.domain
        assert identity.inputs["dkimSigningAttributes"] == {"nextSigningKeyLength": "RSA_2048_BIT"}
        assert identity.inputs["region"] == p.region
        (mail_from,) = by_type["aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes"]
        assert mail_from.inputs["mailFromDomain"] == f"{p.mail_from_subdomain}.{p.domain}"
        (config_set,) = by_type["aws:sesv2/configurationSet:ConfigurationSet"]
        assert config_set.inputs["configurationSetName"] == f"{key}-logto-email"
        # events → SNS, topic open to SES for this configuration set only
        dests = by_type["aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination"]
        (dest,) = [d for d in dests if "snsDestination" in d.inputs["eventDestination"]]
        (topic,) = [t for t in by_type["aws:sns/topic:Topic"] if t.name.endswith("-events")]
        ev = dest.inputs["eventDestination"]
        assert ev["matchingEventTypes"] == list(p.events.types) and ev["enabled"] is True
        assert ev["snsDestination"]["topicArn"] == topic.outputs["arn"]
        (topic_policy,) = by_type["aws:sns/topicPolicy:TopicPolicy"]
        statement = json.loads(topic_policy.inputs["policy"])["Statement"][0]
        assert statement["Principal"] == {"Service": "ses.amazonaws.com"} and statement["Action"] == "sns:Publish"
        assert statement["Condition"]["StringEquals"]["AWS:SourceArn"] == [config_set.outputs["arn"], identity.outputs["arn"]]
        # DNS: 3 DKIM CNAMEs, MAIL FROM MX + SPF, DMARC; never a TXT on the domain; never overwrite
        records = by_type.get(R53, [])
        assert p.dns.in_route53 and len(records) == 6
        tokens = identity.outputs["dkimSigningAttributes"]["tokens"]
        got = sorted((r.inputs["type"], r.inputs["name"], tuple(r.inputs["records"])) for r in records)
        want = sorted(
            [("CNAME", f"{t}._domainkey.{p.domain}", (f"{t}.dkim.amazonses.com",)) for t in tokens]
            + [
                ("MX", f"bounce.{p.domain}", (f"10 feedback-smtp.{p.region}.amazonses.com",)),
                ("TXT", f"bounce.{p.domain}", (SPF_SES,)),
                ("TXT", f"_dmarc.{p.domain}", (
                    f"v=DMARC1; p={p.dmarc.policy}; rua=mailto:{p.dmarc.report_email}; adkim=r; aspf=r",)),
            ]
        )
        assert got == want
        assert all(r.inputs["allowOverwrite"] is False for r in records)
        assert not [r for r in records if r.inputs["type"] == "TXT" and r.inputs["name"] in (p.domain, p.dns.route53_zone_name)]
        zone_calls = [a for tok, a in run.calls if tok == "aws:route53/getZone:getZone" and a.get("name") == p.dns.route53_zone_name]
        assert zone_calls and zone_calls[0].get("privateZone") is False
        assert {r.inputs["zoneId"] for r in records} == {"ZMOCK" + __import__("hashlib").sha256(p.dns.route53_zone_name.encode()).hexdigest()[:10].upper()}
        # access key named after the rotation, never deleted before its replacement exists
        (key_res,) = by_type["aws:iam/accessKey:AccessKey"]
        assert key_res.name == f"{key}-aws-ses-sender-key-{p.key_rotation}"
        assert key_res.delete_before_replace is False
        # Secrets Manager copy of the credentials
        (version,) = by_type["aws:secretsmanager/secretVersion:SecretVersion"]
        assert is_secret(version.inputs["secretString"])
        stored = json.loads(unwrap(version.inputs["secretString"]))
        assert stored == {"accessKeyId": key_res.outputs.get("id", stored["accessKeyId"]), "secretAccessKey": unwrap(key_res.outputs["secret"])}
        config = unwrap(connector.inputs["config"])
        assert config["accessKeyId"] == stored["accessKeyId"] and config["accessKeySecret"] == stored["secretAccessKey"]
        assert config["region"] == p.region
        assert config["configurationSetName"] == f"{key}-logto-email"
        assert config["emailAddressIdentityArn"] == identity.outputs["arn"]


def test_iam_policy_is_exactly_send_as_sender(stack_runs, stack_file) -> None:
    run = run_of(stack_runs, stack_file)
    for key, tenant in tenants_of(stack_file).items():
        if not isinstance(tenant.provider, AwsSesProvider):
            continue
        _, _, parts = tenant_parts(run, key)
        (user,) = [r for r in parts if r.type == "aws:iam/user:User"]
        policies = [r for r in parts if r.type == "aws:iam/userPolicy:UserPolicy"]
        assert len(policies) == 1, "one inline policy, nothing attached"
        assert not [r for r in run.registrations if r.type in (
            "aws:iam/userPolicyAttachment:UserPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment",
            "aws:iam/groupMembership:GroupMembership", "aws:iam/userGroupMembership:UserGroupMembership")]
        policy = policies[0]
        assert policy.inputs["user"] == user.outputs["name"]
        doc = json.loads(policy.inputs["policy"])
        (statement,) = doc["Statement"]
        identity = next(r for r in parts if r.type == "aws:sesv2/emailIdentity:EmailIdentity")
        config_set = next(r for r in parts if r.type == "aws:sesv2/configurationSet:ConfigurationSet")
        assert statement["Effect"] == "Allow"
        assert sorted(statement["Action"]) == ["ses:SendEmail", "ses:SendRawEmail"]
        assert sorted(statement["Resource"]) == sorted([identity.outputs["arn"], config_set.outputs["arn"]])
        assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": tenant.sender.email}}
        assert set(statement) == {"Sid", "Effect", "Action", "Resource", "Condition"}


def test_connector_waits_for_dns_and_provider(stack_runs, stack_file) -> None:
    run = run_of(stack_runs, stack_file)
    for key, tenant in tenants_of(stack_file).items():
        _, connector, parts = tenant_parts(run, key)
        deps = set(connector.dependencies) | {u for urns in connector.property_dependencies.values() for u in urns}
        must = [r for r in parts if r.type == R53 or r.type in (
            "aws:sesv2/emailIdentity:EmailIdentity",
            "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes",
            "aws:iam/userPolicy:UserPolicy",
            "aws:iam/accessKey:AccessKey",
            "mailgun:index/domain:Domain",
        )]
        if getattr(tenant.provider, "dns", None) is not None and tenant.provider.dns.in_route53:
            assert [r for r in must if r.type == R53], f"{key}: no Route53 records"
        missing = [r.name for r in must if r.urn not in deps]
        assert not missing, f"{key}: the connector does not wait for {missing}"
        # and it is registered after every one of them
        order = [r.urn for r in run.registrations]
        assert all(order.index(r.urn) < order.index(connector.urn) for r in must)


def test_connector_config_is_the_rendered_templates_exactly(stack_runs, stack_file) -> None:
    run = run_of(stack_runs, stack_file)
    for key, tenant in tenants_of(stack_file).items():
        _, connector, parts = tenant_parts(run, key)
        assert is_secret(connector.inputs["config"]) and is_secret(connector.inputs["app_secret"])
        config = unwrap(connector.inputs["config"])
        generated: dict[str, Any] = {}
        if isinstance(tenant.provider, AwsSesProvider):
            key_res = next(r for r in parts if r.type == "aws:iam/accessKey:AccessKey")
            identity = next(r for r in parts if r.type == "aws:sesv2/emailIdentity:EmailIdentity")
            generated = {"access_key_id": config["accessKeyId"], "secret_access_key": unwrap(key_res.outputs["secret"]),
                         "configuration_set_name": f"{key}-logto-email", "identity_arn": identity.outputs["arn"]}
        # the stack file's tenant has opaque secrets: substitute the values the program got
        live = _with_secrets(tenant, run, stack_file, key)
        expected = build_connector_config(live, render_tenant(live, ROOT), generated).to_logto(reveal=True)
        # The state holds references for the rendered text; the provider renders them back exactly.
        known = texts_of(render_tenant(live, ROOT), tenant.factory_id)
        assert config == compact(expected, known)
        assert expand(config, texts_of(render_from_source(json.loads(unwrap(connector.inputs["source"]))), tenant.factory_id)) == expected
        if tenant.factory_id not in ("http-email", "logto-email", "postmark-mail"):
            assert refs_in(config), key  # the HTML bodies are references, not text
            # the whole rendered part (`templates`, or Mailgun's `deliveries`) is one reference
            assert len(refs_in(config)) == 1, (key, refs_in(config))
        rendered = render_tenant(live, ROOT)
        if tenant.factory_id != "http-email" and tenant.factory_id != "logto-email":
            sign_in = rendered.get(rendered.default_locale, "SignIn")
            assert sign_in.subject in json.dumps(expand(config, known), ensure_ascii=False)
            assert sign_in.subject not in json.dumps(config, ensure_ascii=False) or tenant.factory_id == "postmark-mail"


def _with_secrets(tenant: TenantSpec, run: Run, stack_file: Path, key: str) -> TenantSpec:
    data = tenant.model_dump(by_alias=True, exclude_none=True, context={"reveal_secrets": False})
    prefix = f"logto-email:tenants.{key}."
    for path, value in run.secrets.items():
        if not path.startswith(prefix):
            continue
        node = data
        parts = path[len(prefix):].split(".")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value
    return TenantSpec.model_validate(data)


def test_no_secret_in_clear_anywhere(stack_runs, stack_file) -> None:
    run = run_of(stack_runs, stack_file)
    values = set(run.secrets.values())
    for r in run.of_type("aws:iam/accessKey:AccessKey"):
        values.add(unwrap(r.outputs["secret"]))
    assert values, "the stack file declares secrets"
    clear = json.dumps([strip_secrets(r.inputs) for r in run.registrations])
    clear += json.dumps(run.stack_outputs) + "".join(provider_blob(r.inputs) for r in run.registrations)
    leaked = [v for v in values if v in clear]
    assert not leaked
    assert not run.stack_outputs_secret
    # …and every config secret does reach its connector, as a secret
    wrapped = {r.name: json.dumps(unwrap({k: v for k, v in r.inputs.items() if is_secret(v)}))
               for r in run.of_type(CONNECTOR_TYPE)}
    for path, value in run.secrets.items():
        key = path.split(".")[1]
        if path.endswith((".appSecret", ".apiKey", ".serverToken", ".password", ".authorization", ".accessKeySecret")):
            assert value in wrapped[f"{key}-connector"], path


def test_other_providers_resources(stack_runs, stack_file) -> None:
    run = run_of(stack_runs, stack_file)
    for key, tenant in tenants_of(stack_file).items():
        p = tenant.provider
        _, connector, parts = tenant_parts(run, key)
        types = sorted(r.type for r in parts)
        config = unwrap(connector.inputs["config"])
        if p.type == "mailgun":
            (account,) = [r for r in parts if r.type == "pulumi:providers:mailgun"]
            assert is_secret(account.inputs["apiKey"])
            (domain,) = [r for r in parts if r.type == "mailgun:index/domain:Domain"]
            assert domain.inputs["name"] == p.domain and domain.inputs["region"] == p.region
            assert domain.inputs["dkimKeySize"] == 2048
            assert domain.provider.startswith(account.urn)
            records = [r for r in parts if r.type == R53]
            assert sorted((r.inputs["type"], r.inputs["zoneId"]) for r in records) == [
                ("TXT", p.dns.route53_zone_id)] * (3 if p.dmarc.enabled else 2)
            dmarc = {f"_dmarc.{tenant.sender.email.rsplit('@', 1)[1]}"} if p.dmarc.enabled else set()
            assert {r.inputs["name"] for r in records} == {p.domain, f"pdk1._domainkey.{p.domain}", *dmarc}
            assert config["domain"] == p.domain
            assert config["endpoint"] == ("https://api.eu.mailgun.net" if p.region == "eu" else config.get("endpoint"))
        elif p.type in ("sendgrid", "postmark"):
            assert [t for t in types if t != R53] == []
            assert len([t for t in types if t == R53]) == (len(p.dns_records) + p.dmarc.enabled if p.dns.in_route53 else 0)
        elif p.type in ("smtp", "http", "aliyun", "logto-email"):
            assert types == [], f"{key}: {types}"
        if p.type == "smtp":
            assert config["host"] == p.host and config["port"] == p.port
