"""The deliverability report against the local SESv2 server, moto's CloudWatch (server mode) and a
real DNS server on 127.0.0.1: healthy, under review, paused, sandbox, and each DNS failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.cli import cli
from connectors.deliverability.report import EXIT_ATTENTION, EXIT_FAILING, EXIT_HEALTHY, EXIT_UNKNOWN, exit_code, stack_report
from connectors.stack import load_stack
from tests.check.stacks import sendgrid_tenant, ses_tenant, stack, variant, write
from tests.deliverability_world import TOKENS, World, fake_ses, local_dns, moto_cloudwatch, ses_world  # noqa: F401 - fixtures

DOMAIN = "mail.shop.example.com"


@pytest.fixture
def world(ses_world: World) -> World:
    return ses_world


def report(tmp_path: Path, world: World, tenants: dict | None = None, production: bool = True):
    write(tmp_path, "prod", stack(tenants or {"shop": ses_tenant()}, production=production))
    reports = stack_report(load_stack(tmp_path, "prod"), world.sources())
    return reports, {r.tenant: r for r in reports}


def codes(r) -> list[tuple[str, str]]:
    return sorted((p.code, p.level) for p in r.problems)


def test_healthy_ses_tenant(tmp_path, world):
    world.rate("Reputation.BounceRate", 0.004)
    world.rate("Reputation.ComplaintRate", 0.0001)
    world.ses.state.sent_last_24h = 1200
    reports, by = report(tmp_path, world)
    shop = by["shop"]
    assert shop.problems == [] and shop.state == "healthy" and exit_code(reports) == EXIT_HEALTHY
    s = shop.sending.to_dict()
    assert (s["sending_enabled"], s["enforcement_status"], s["production_access"]) == (True, "HEALTHY", True)
    assert (s["max_24h_send"], s["sent_last_24h"], s["quota_used"]) == (50000.0, 1200, 0.024)
    assert (s["bounce_rate"], s["complaint_rate"], s["suppressed"]) == (0.004, 0.0001, 0)
    assert (s["configuration_set"], s["configuration_set_sending"], s["dkim_status"]) == ("shop-logto-email", True, "SUCCESS")
    kinds = sorted((c.kind, c.status) for c in shop.dns)
    assert kinds == [("dkim", "ok")] * 3 + [("dmarc", "ok"), ("mail-from-mx", "ok"), ("spf", "ok")]
    assert (f"{TOKENS[0]}._domainkey.{DOMAIN}", "CNAME") in world.dns.queries  # asked the real server


def test_under_review_with_rates_above_the_warning_level(tmp_path, world):
    world.ses.state.enforcement_status = "PROBATION"
    world.rate("Reputation.BounceRate", 0.031)
    reports, by = report(tmp_path, world)
    assert codes(by["shop"]) == [("LE212", "warning"), ("LE214", "warning")]
    assert "under review" in by["shop"].problems[0].message
    assert by["shop"].state == "attention" and exit_code(reports) == EXIT_ATTENTION


def test_rate_at_aws_review_level_fails(tmp_path, world):
    world.rate("Reputation.ComplaintRate", 0.0012)
    world.rate("Reputation.ComplaintRate", 0.0002, minutes_ago=200)  # older and lower: the latest counts
    reports, by = report(tmp_path, world)
    (p,) = by["shop"].problems
    assert (p.code, p.level, p.path) == ("LE214", "critical", "provider.alarms.complaintRate")
    assert "0.12 %" in p.message and "review level (0.1 %)" in p.message
    assert exit_code(reports) == EXIT_FAILING


def test_declared_levels_override_the_defaults(tmp_path, world):
    world.rate("Reputation.BounceRate", 0.012)
    tight = variant(ses_tenant, lambda t: t["provider"].update(alarms={"bounceRate": {"warning": 1, "review": 2, "pause": 4}}))
    _, by = report(tmp_path, world, {"shop": tight})
    assert codes(by["shop"]) == [("LE214", "warning")]


def test_paused_account_and_configuration_set(tmp_path, world):
    world.ses.state.sending_enabled = False
    world.ses.state.enforcement_status = "SHUTDOWN"
    world.ses.state.configuration_sets["shop-logto-email"] = False
    reports, by = report(tmp_path, world)
    assert codes(by["shop"]) == [("LE211", "critical"), ("LE212", "critical"), ("LE215", "critical")]
    assert by["shop"].state == "failing" and exit_code(reports) == EXIT_FAILING


def test_sandbox_fails_production_and_is_info_elsewhere(tmp_path, world):
    world.ses.state.production_access = False
    reports, by = report(tmp_path, world)
    assert codes(by["shop"]) == [("LE210", "critical")] and "at most 200 a day" in by["shop"].problems[0].message
    assert exit_code(reports) == EXIT_FAILING
    reports, by = report(tmp_path, world, production=False)
    assert codes(by["shop"]) == [("LE210", "info")] and exit_code(reports) == EXIT_HEALTHY


def test_quota_nearly_used(tmp_path, world):
    world.ses.state.sent_last_24h = 45000
    _, by = report(tmp_path, world)
    assert codes(by["shop"]) == [("LE217", "warning")] and "90%" in by["shop"].problems[0].message


def test_suppressed_addresses_are_counted_across_pages_never_listed(tmp_path, world):
    world.ses.state.suppressed = [f"gone{i}@customer.example.org" for i in range(2345)]
    reports, by = report(tmp_path, world)
    assert by["shop"].sending.suppressed == 2345
    assert codes(by["shop"]) == [("LE218", "info")] and exit_code(reports) == EXIT_HEALTHY
    assert [c for c in world.ses.state.calls if c.startswith("ListSupp")] == [
        "ListSuppressedDestinations 0", "ListSuppressedDestinations 1000", "ListSuppressedDestinations 2000"]
    assert "customer.example.org" not in json.dumps([r.to_dict() for r in reports])


def test_missing_dkim_and_wrong_mail_from(tmp_path, world):
    world.dns.zone.pop((f"{TOKENS[1]}._domainkey.{DOMAIN}", "CNAME"))
    world.dns.zone[(f"bounce.{DOMAIN}", "TXT")] = ["v=spf1 include:_spf.google.com ~all"]
    world.dns.add("_spf.google.com", "TXT", "v=spf1 ip4:1.2.3.4 ~all")
    reports, by = report(tmp_path, world)
    assert codes(by["shop"]) == [("LE220", "critical"), ("LE221", "critical")]
    dkim = next(p for p in by["shop"].problems if p.code == "LE220")
    assert f"{TOKENS[1]}._domainkey.{DOMAIN}" in dkim.message and dkim.fix == f"publish at {TOKENS[1]}._domainkey.{DOMAIN}: {TOKENS[1]}.dkim.amazonses.com"
    assert exit_code(reports) == EXIT_FAILING


def test_spf_over_ten_lookups_is_an_error(tmp_path, world):
    world.dns.zone[(f"bounce.{DOMAIN}", "TXT")] = ["v=spf1 include:amazonses.com include:spf.a.example include:spf.b.example ~all"]
    world.dns.add("spf.a.example", "TXT", "v=spf1 a mx ptr exists:%{i}.x.example include:spf.c.example -all")
    world.dns.add("spf.b.example", "TXT", "v=spf1 mx a:one.example a:two.example -all")
    world.dns.add("spf.c.example", "TXT", "v=spf1 mx -all")
    _, by = report(tmp_path, world)
    (p,) = by["shop"].problems
    assert (p.code, p.level) == ("LE222", "critical") and "needs 12 DNS lookups" in p.message


def test_dmarc_differs_from_the_stack_or_is_missing(tmp_path, world):
    world.dns.zone[(f"_dmarc.{DOMAIN}", "TXT")] = ["v=DMARC1; p=none; rua=mailto:dmarc@shop.example.com"]
    reports, by = report(tmp_path, world)
    (p,) = by["shop"].problems
    assert (p.code, p.level) == ("LE223", "warning") and "differs from the stack in p" in p.message
    assert exit_code(reports) == EXIT_ATTENTION
    world.dns.zone.pop((f"_dmarc.{DOMAIN}", "TXT"))
    _, by = report(tmp_path, world)
    assert codes(by["shop"]) == [("LE223", "critical")]


def test_dns_that_does_not_answer_is_unknown(tmp_path, world):
    world.dns.fail.add(f"_dmarc.{DOMAIN}")
    reports, by = report(tmp_path, world)
    assert codes(by["shop"]) == [("LE225", "unknown")]
    assert by["shop"].state == "unknown" and exit_code(reports) == EXIT_UNKNOWN


def test_permission_denied_is_unknown_and_says_which_permission(tmp_path, world):
    world.ses.state.deny = True
    reports, by = report(tmp_path, world)
    assert ("LE213", "unknown") in codes(by["shop"])
    assert "ses:GetAccount" in by["shop"].problems[0].fix and exit_code(reports) == EXIT_UNKNOWN


def test_other_providers_dns(tmp_path, world):
    world.dns.add("em5678.support.example.com", "CNAME", "u5678.wl.sendgrid.net")
    world.dns.add("s1._domainkey.support.example.com", "CNAME", "s1.domainkey.u5678.wl.sendgrid.net.")
    world.dns.add("_dmarc.support.example.com", "TXT", "v=DMARC1; p=reject; rua=mailto:dmarc@support.example.com; adkim=r; aspf=r")
    mailgun = {
        "logto": {"endpoint": "https://partnersprod4.logto.app", "appId": "p", "appSecret": {"secure": "v1:MGAPPCIPHERTEXT"}},
        "provider": {"type": "mailgun", "domain": "mg.partners.example.com", "apiKey": {"secure": "v1:MGKEYCIPHERTEXT"},
                     "dmarc": {"policy": "none", "reportEmail": "d@partners.example.com"}},
        "sender": {"email": "no-reply@mg.partners.example.com"}, "branding": {"productName": "P"}, "testRecipient": "c@example.com",
    }
    world.dns.add("mg.partners.example.com", "TXT", "v=spf1 include:mailgun.org ~all", "google-site-verification=abc")
    world.dns.add("mailgun.org", "TXT", "v=spf1 include:_spf.mailgun.org ~all")
    world.dns.add("_spf.mailgun.org", "TXT", "v=spf1 ip4:198.61.254.0/23 -all")
    reports, by = report(tmp_path, world, {"support": sendgrid_tenant(), "partners": mailgun})
    assert by["support"].problems == [] and by["support"].sending is None
    assert sorted((c.kind, c.status) for c in by["support"].dns) == [("cname", "ok"), ("dkim", "ok"), ("dmarc", "ok")]
    assert codes(by["partners"]) == [("LE223", "critical")]  # the declared DMARC record is not published
    assert [(c.kind, c.status, c.message) for c in by["partners"].dns if c.kind == "spf"] == [("spf", "ok", "present, 2 lookup(s)")]


def cli_run(tmp_path: Path, world: World, monkeypatch, *args: str):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", world.ses.endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", world.moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-never-shown")
    return CliRunner().invoke(cli, ["deliverability", "-C", str(tmp_path), "-s", "prod", "--nameserver", world.dns.nameserver, *args])


def test_command_json_exit_codes_and_no_secret(tmp_path, world, monkeypatch):
    write(tmp_path, "prod", stack({"shop": ses_tenant(), "support": sendgrid_tenant()}))
    world.dns.add("em5678.support.example.com", "CNAME", "u5678.wl.sendgrid.net")
    world.dns.add("s1._domainkey.support.example.com", "CNAME", "s1.domainkey.u5678.wl.sendgrid.net")
    world.dns.add("_dmarc.support.example.com", "TXT", "v=DMARC1; p=reject; rua=mailto:dmarc@support.example.com")
    result = cli_run(tmp_path, world, monkeypatch, "--json")
    doc = json.loads(result.output)
    assert result.exit_code == doc["exit_code"] == 0, result.output
    assert [t["state"] for t in doc["tenants"]] == ["healthy", "healthy"]
    for secret in ("CIPHERTEXT", "testing-secret-never-shown", "secure"):
        assert secret not in result.output
    world.ses.state.sending_enabled = False
    result = cli_run(tmp_path, world, monkeypatch, "-t", "shop")
    assert result.exit_code == 5
    assert "failing" in result.output and "LE211" in result.output and "paused" in result.output
    assert "CIPHERTEXT" not in result.output and "testing-secret-never-shown" not in result.output
    assert cli_run(tmp_path, world, monkeypatch, "-t", "nobody").exit_code == 2


def test_cloudwatch_unreachable_is_unknown_not_a_crash(tmp_path, world):
    from tests.sinks._net import free_port

    sources = world.sources()
    sources.cloudwatch = lambda region: __import__("boto3").client(
        "cloudwatch", endpoint_url=f"http://127.0.0.1:{free_port()}", region_name=region, aws_access_key_id="t",
        aws_secret_access_key="t", config=__import__("botocore.config").config.Config(retries={"max_attempts": 1}, connect_timeout=1))
    write(tmp_path, "prod", stack({"shop": ses_tenant()}))
    (shop,) = stack_report(load_stack(tmp_path, "prod"), sources)
    assert codes(shop) == [("LE213", "unknown")] and "CloudWatch" in shop.problems[0].message
    assert "cloudwatch:GetMetricStatistics" in shop.problems[0].fix
    assert shop.sending.sending_enabled is True  # what SES said is still reported


@pytest.mark.parametrize("bad", ["dns.example.com", "127.0.0.1:99999", "127.0.0.1:x", "[::1"])
def test_bad_nameserver_is_a_usage_error(tmp_path, world, monkeypatch, bad):
    write(tmp_path, "prod", stack({"shop": ses_tenant()}))
    for command in (["deliverability"], ["check", "--live"]):
        result = CliRunner().invoke(cli, [*command, "-C", str(tmp_path), "-s", "prod", "--nameserver", bad])
        assert result.exit_code == 2, result.output
        assert "nameserver" in result.output and "Traceback" not in result.output


def test_nameserver_forms():
    from connectors.deliverability.dns_checks import parse_nameserver

    assert parse_nameserver("127.0.0.1") == ("127.0.0.1", 53)
    assert parse_nameserver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_nameserver("[::1]:5300") == ("::1", 5300)
    assert parse_nameserver("::1") == ("::1", 53)


def test_dmarc_checked_for_providers_without_dns_settings(tmp_path, world):
    from tests.check.stacks import smtp_tenant

    reports, by = report(tmp_path, world, {"it": smtp_tenant()})
    (p,) = by["it"].problems
    assert (p.code, p.level, p.path) == ("LE223", "warning", "sender.email")
    assert "_dmarc.corp.example.com" in p.fix and exit_code(reports) == EXIT_ATTENTION
    world.dns.add("_dmarc.corp.example.com", "TXT", "v=DMARC1; p=quarantine")
    _, by = report(tmp_path, world, {"it": smtp_tenant()})
    assert by["it"].problems == [] and [(c.kind, c.status, c.message) for c in by["it"].dns] == [("dmarc", "ok", "present (p=quarantine)")]


def test_spf_loop_and_two_spf_records_are_errors(tmp_path, world):
    world.dns.zone[(f"bounce.{DOMAIN}", "TXT")] = ["v=spf1 include:amazonses.com include:loop.example ~all"]
    world.dns.add("loop.example", "TXT", "v=spf1 include:bounce." + DOMAIN + " -all")
    _, by = report(tmp_path, world)
    assert codes(by["shop"]) == [("LE222", "critical")] and "over the limit" in by["shop"].problems[0].message
    world.dns.zone[(f"bounce.{DOMAIN}", "TXT")] = ["v=spf1 include:amazonses.com ~all", "v=spf1 -all"]
    _, by = report(tmp_path, world)
    assert codes(by["shop"]) == [("LE222", "critical")] and "2 SPF records" in by["shop"].problems[0].message
