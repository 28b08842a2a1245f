"""`check` offline: each finding triggered by a fixture stack, and the exit codes a pipeline reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner

from connectors.check import check_stack, dev_like
from connectors.cli.check import check_command
from tests.check.stacks import http_tenant, sec, sendgrid_tenant, ses_tenant, smtp_tenant, stack, variant, write

REPO = Path(__file__).resolve().parents[2]


def run(project_dir: Path, *args: str):
    return CliRunner().invoke(check_command, ["-C", str(project_dir), *args])


def findings_of(project_dir: Path, name: str = "prod") -> list[dict[str, Any]]:
    result = run(project_dir, "-s", name, "--json")
    doc = json.loads(result.output)
    assert doc["exit_code"] == result.exit_code
    return doc["findings"]


def clean_tenants() -> dict[str, dict[str, Any]]:
    return {"shop": ses_tenant(), "support": sendgrid_tenant(), "labs": http_tenant(), "intranet": smtp_tenant()}


def test_clean_production_stack_has_no_findings_and_exits_0(tmp_path):
    write(tmp_path, "prod", stack(clean_tenants()))
    result = run(tmp_path, "-s", "prod")
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_repository_stacks_pass(stack_name):
    result = run(REPO, "-s", stack_name)
    assert result.exit_code == 0, result.output


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(tenant: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = tenant
        for p in parents:
            node = node.setdefault(p, {})
        if value is _DELETE:
            node.pop(last)
        else:
            node[last] = value
    return change


_DELETE = object()

CASES = [
    # code, severity, tenant factory, change, path suffix
    ("LE110", "error", ses_tenant, _set("sender.email", "no-reply@shop.example.com"), "shop.sender.email"),
    ("LE111", "error", sendgrid_tenant, _set("sender.email", "help@elsewhere.example.org"), "shop.sender.email"),
    ("LE112", "warning", sendgrid_tenant, _set("provider.dnsRecords", []), "shop.provider.dnsRecords"),
    ("LE120", "error", ses_tenant, _set("logto.endpoint", "https://shopdev7.logto.app"), "shop.logto.endpoint"),
    ("LE120", "error", ses_tenant, _set("logto.endpoint", "https://127.0.0.1:3001"), "shop.logto.endpoint"),
    ("LE120", "error", ses_tenant, _set("logto.endpoint", "https://auth.staging.example.com"), "shop.logto.endpoint"),
    ("LE123", "error", http_tenant, _set("provider.endpoint", "http://mailer.labs.example.com/send"), "shop.provider.endpoint"),
    ("LE124", "warning", http_tenant, _set("provider.endpoint", "https://mailer.dev.labs.example.com/send"), "shop.provider.endpoint"),
    ("LE124", "warning", smtp_tenant, _set("provider.host", "smtp.staging.corp.example.com"), "shop.provider.host"),
    ("LE125", "error", smtp_tenant, _set("provider.security", "none"), "shop.provider.security"),
    ("LE130", "error", ses_tenant, _set("testRecipient", _DELETE), "shop.testRecipient"),
    ("LE140", "error", ses_tenant, lambda t: (t["provider"]["dmarc"].update(alignment="strict"),
                                                t["sender"].update(email="no-reply@eu.mail.shop.example.com")), "shop.provider.dmarc.policy"),
    ("LE141", "error", ses_tenant, _set("provider.dmarc.enabled", False), "shop.provider.dmarc.enabled"),
    ("LE142", "warning", ses_tenant, _set("provider.dmarc.policy", "none"), "shop.provider.dmarc.policy"),
    ("LE143", "warning", ses_tenant, _set("provider.dmarc.reportEmail", _DELETE), "shop.provider.dmarc.reportEmail"),
    ("LE140", "error", sendgrid_tenant, lambda t: (t["provider"]["dmarc"].update(alignment="strict"),
                                                     t["sender"].update(email="help@eu.support.example.com")), "shop.provider.dmarc.policy"),
    ("LE141", "error", sendgrid_tenant, _set("provider.dmarc.enabled", False), "shop.provider.dmarc.enabled"),
    ("LE142", "warning", sendgrid_tenant, _set("provider.dmarc.policy", "none"), "shop.provider.dmarc.policy"),
    ("LE144", "info", ses_tenant, _set("provider.dmarc.policy", "quarantine"), "shop.provider.dmarc.policy"),
    ("LE150", "error", ses_tenant, _set("provider.events", {"enabled": False}), "shop.provider.events.enabled"),
    ("LE152", "warning", ses_tenant, _set("provider.alarms", {"enabled": False}), "shop.provider.alarms.enabled"),
    ("LE153", "warning", ses_tenant, _set("provider.alerts", {}), "shop.provider.alerts"),
    ("LE154", "warning", ses_tenant, _set("provider.alarms", {"bounceRate": {"warning": 3, "review": 6, "pause": 10}}),
     "shop.provider.alarms.bounceRate.review"),
    ("LE151", "warning", ses_tenant, _set("provider.events", {"types": ["BOUNCE"]}), "shop.provider.events.types"),
    ("LE160", "warning", ses_tenant, _set("provider.readiness", {"requireProductionAccess": False}), "shop.provider.readiness.requireProductionAccess"),
    ("LE161", "warning", ses_tenant, _set("allowSignInBreakage", True), "shop.allowSignInBreakage"),
    ("LE170", "warning", ses_tenant, _set("branding.logoUrl", "http://assets.shop.example.com/logo.png"), "shop.branding.logoUrl"),
]


@pytest.mark.parametrize("code,severity,base,change,path", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_finding_is_triggered_by_its_fixture(tmp_path, code, severity, base, change, path):
    write(tmp_path, "prod", stack({"shop": variant(base, change)}))
    found = findings_of(tmp_path)
    assert [(f["code"], f["severity"]) for f in found] == [(code, severity)], found
    f = found[0]
    assert f["path"] == f"config.logto-email:tenants.{path}"
    assert f["tenant"] == "shop" and f["message"] and f["fix"]
    # the same tenant without the change is clean: the finding comes from the change
    write(tmp_path, "prod", stack({"shop": base()}))
    assert findings_of(tmp_path) == []


def test_same_endpoint_as_another_stack(tmp_path):
    write(tmp_path, "prod", stack({"shop": ses_tenant()}))
    dev = variant(ses_tenant, _set("testRecipient", _DELETE))
    write(tmp_path, "dev", stack({"shop-dev": dev}, production=False))
    found = findings_of(tmp_path)
    assert [(f["code"], f["severity"]) for f in found] == [("LE121", "error")]
    assert "stack dev, tenant shop-dev" in found[0]["message"]


def test_two_tenants_of_one_stack_sharing_an_endpoint(tmp_path):
    other = variant(sendgrid_tenant, _set("logto.endpoint", "https://shopprod2.logto.app/"))
    write(tmp_path, "staging", stack({"shop": ses_tenant(), "support": other}, production=False))
    found = findings_of(tmp_path, "staging")
    assert [(f["code"], f["tenant"]) for f in found] == [("LE121", "support")]


def test_non_production_stack_is_not_held_to_production_rules(tmp_path):
    relaxed = variant(ses_tenant, lambda t: (t.pop("testRecipient"), t["provider"].update(dmarc={"enabled": False}, events={"enabled": False}),
                                             t["logto"].update(endpoint="http://localhost:3001")))
    write(tmp_path, "dev", stack({"shop": relaxed}, production=False))
    # only the test-recipient rule holds in every stack (as a warning: the live tenant decides)
    assert [(f["code"], f["severity"]) for f in findings_of(tmp_path, "dev")] == [("LE130", "warning")]


def test_test_recipient_opt_out_is_reported(tmp_path):
    opted = variant(ses_tenant, lambda t: (t.pop("testRecipient"), t.update(allowUntestedChanges=True)))
    write(tmp_path, "prod", stack({"shop": opted}))
    assert [(f["code"], f["severity"], f["path"]) for f in findings_of(tmp_path)] == [
        ("LE131", "warning", "config.logto-email:tenants.shop.allowUntestedChanges")]
    write(tmp_path, "dev", stack({"shop": opted}, production=False))
    assert [(f["code"], f["severity"]) for f in findings_of(tmp_path, "dev")] == [("LE131", "info")]


def test_declared_email_sign_in_without_test_recipient_is_refused_by_validate(tmp_path):
    from connectors.errors import ConfigError
    from connectors.stack import load_stack

    needs = variant(ses_tenant, lambda t: (t.pop("testRecipient"), t.update(signInExperience={"emailSignIn": True})))
    write(tmp_path, "dev", stack({"shop": needs}, production=False))
    with pytest.raises(ConfigError) as info:
        load_stack(tmp_path, "dev")
    assert "testRecipient" in str(info.value) and "allowUntestedChanges" in str(info.value)


def test_stack_that_does_not_load_is_LE100_and_exit_1(tmp_path):
    bad = variant(ses_tenant, lambda t: t["logto"].update(appSecret="plain-text-oops"))
    write(tmp_path, "prod", stack({"shop": bad}))
    result = run(tmp_path, "-s", "prod")
    assert result.exit_code == 1
    assert "LE100" in result.output and "plain-text-oops" not in result.output


def test_template_problem_is_LE101(tmp_path):
    (tmp_path / "mytemplates").mkdir()
    (tmp_path / "mytemplates" / "SignIn.html").write_text("<p>Hello {{ product_name }}, no code here</p>", encoding="utf-8")
    (tmp_path / "mytemplates" / "SignIn.txt").write_text("Hello, no code here", encoding="utf-8")
    tenant = variant(ses_tenant, _set("templates", {"directory": "mytemplates"}))
    write(tmp_path, "prod", stack({"shop": tenant}))
    found = findings_of(tmp_path)
    assert found and {f["code"] for f in found} <= {"LE101", "LE102", "LE103"}
    assert all(f["severity"] == "error" for f in found)
    assert any("code" in f["message"] for f in found)


def test_exit_codes_errors_warnings_and_warnings_ok(tmp_path):
    write(tmp_path, "prod", stack({"shop": variant(ses_tenant, _set("provider.dmarc.policy", "none"))}))
    assert run(tmp_path, "-s", "prod").exit_code == 2
    assert run(tmp_path, "-s", "prod", "--warnings-ok").exit_code == 0
    assert run(tmp_path, "-s", "prod", "--ignore", "LE142").exit_code == 0
    write(tmp_path, "prod", stack({"shop": variant(ses_tenant, _set("provider.dmarc.enabled", False))}))
    assert run(tmp_path, "-s", "prod", "--warnings-ok").exit_code == 1


def test_tenant_option_and_json_shape(tmp_path):
    tenants = clean_tenants()
    tenants["labs"]["provider"]["endpoint"] = "http://mailer.labs.example.com/send"
    write(tmp_path, "prod", stack(tenants))
    assert run(tmp_path, "-s", "prod").exit_code == 1
    assert run(tmp_path, "-s", "prod", "-t", "shop").exit_code == 0
    doc = json.loads(run(tmp_path, "-s", "prod", "--json").output)
    assert doc["counts"] == {"error": 1, "warning": 0, "info": 0} and doc["production"] is True
    assert set(doc["findings"][0]) == {"severity", "code", "path", "message", "fix", "tenant"}
    assert run(tmp_path, "-s", "prod", "-t", "nope").exit_code == 2


def test_no_secret_ciphertext_in_output(tmp_path):
    write(tmp_path, "prod", stack({"shop": variant(ses_tenant, _set("provider.dmarc.enabled", False)), "support": sendgrid_tenant()}))
    out = run(tmp_path, "-s", "prod", "--json").output + run(tmp_path, "-s", "prod").output
    assert "CIPHERTEXT" not in out


@pytest.mark.parametrize("host,why", [
    ("shopdev7.logto.app", "dev"), ("logto.internal.dev", "dev"), ("auth-staging.example.com", "staging"),
    ("localhost", "local"), ("10.1.2.3", "private"), ("test.example.com", "test"), ("qa1.example.com", "qa"),
])
def test_dev_like_hosts(host, why):
    assert why in (dev_like(host) or "")


@pytest.mark.parametrize("host", ["shopprod2.logto.app", "auth.example.com", "devices.example.com", "latest.example.com", "stagecoach.example.com"])
def test_production_hosts_are_not_dev_like(host):
    assert dev_like(host) is None


def test_api_returns_spec_and_findings(tmp_path):
    write(tmp_path, "prod", stack({"shop": ses_tenant()}))
    spec, found = check_stack(tmp_path, "prod")
    assert spec is not None and spec.production and found == []
    assert sec("X") == {"secure": "v1:XCIPHERTEXT"}


def test_registered_in_the_cli(tmp_path):
    import subprocess
    import sys

    write(tmp_path, "prod", stack({"shop": variant(ses_tenant, _set("provider.dmarc.policy", "none"))}))
    out = subprocess.run([sys.executable, "-m", "connectors", "check", "-C", str(tmp_path), "-s", "prod"],
                         capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.returncode == 2 and "LE142" in out.stdout


def test_dmarc_ramp_recommends_the_next_step_for_every_provider(tmp_path):
    """none → quarantine → reject: each step's finding names the next one; reject is the end."""
    none_sg = variant(sendgrid_tenant, _set("provider.dmarc", {"policy": "none"}))
    quarantine_ses = variant(ses_tenant, _set("provider.dmarc.policy", "quarantine"))
    write(tmp_path, "staging", stack({"sg": none_sg, "ses": quarantine_ses}, production=False))
    found = {(f["tenant"], f["code"]): f for f in findings_of(tmp_path, "staging")}
    assert set(found) == {("sg", "LE144"), ("sg", "LE145"), ("ses", "LE144")}
    assert "next step is p=quarantine" in found[("sg", "LE144")]["message"]
    assert "next step is p=reject" in found[("ses", "LE144")]["message"]
    assert "dmarc@shop.example.com" in found[("ses", "LE144")]["fix"]
    assert all(f["severity"] == "info" for f in found.values())  # not production: nothing blocks
    (tmp_path / "Pulumi.staging.yaml").unlink()  # else the same endpoint in two stacks (LE121)
    write(tmp_path, "prod", stack({"sg": none_sg}))
    assert sorted((f["code"], f["severity"]) for f in findings_of(tmp_path)) == [("LE142", "warning"), ("LE145", "warning")]


def test_plain_http_logto_endpoint_in_production(tmp_path):
    """Public http is a schema error (the client refuses it at `pulumi up`); private http is LE120 + LE122."""
    write(tmp_path, "prod", stack({"shop": variant(ses_tenant, _set("logto.endpoint", "http://auth.example.com"))}))
    assert [f["code"] for f in findings_of(tmp_path)] == ["LE100"]
    write(tmp_path, "prod", stack({"shop": variant(ses_tenant, _set("logto.endpoint", "http://10.0.0.5:3001"))}))
    assert {f["code"] for f in findings_of(tmp_path)} >= {"LE120", "LE122"}


# -- email policy -------------------------------------------------------------------------------------
POLICY_CASES = [
    ("LE180", "warning", _set("signInExperience", {"verificationCodePolicy": {"expirationDuration": 1800}}),
     "shop.signInExperience.verificationCodePolicy.expirationDuration", "30 min"),
    ("LE181", "warning", _set("signInExperience", {"emailSignUp": True}), "shop.signInExperience.emailBlocklistPolicy",
     "disposable mailboxes"),
    ("LE183", "warning", lambda t: (_set("logto.endpoint", "https://auth.example.com")(t),
                                    _set("signInExperience", {"emailBlocklistPolicy": {"blockDisposableAddresses": True}})(t)),
     "shop.signInExperience.emailBlocklistPolicy.blockDisposableAddresses", "self-hosted"),
]


@pytest.mark.parametrize("code,severity,change,path,words", POLICY_CASES, ids=[c[0] for c in POLICY_CASES])
def test_each_email_policy_finding(tmp_path, code, severity, change, path, words):
    write(tmp_path, "prod", stack({"shop": variant(ses_tenant, change)}))
    found = findings_of(tmp_path)
    assert [(f["code"], f["severity"]) for f in found] == [(code, severity)], found
    assert found[0]["path"] == f"config.logto-email:tenants.{path}" and words in found[0]["message"] and found[0]["fix"]


def test_safe_email_policy_choices_are_clean(tmp_path):
    safe = {"emailSignUp": True, "emailMfa": True, "accountCenterEmail": "Edit",
            "verificationCodePolicy": {"expirationDuration": 900},
            "emailBlocklistPolicy": {"blockDisposableAddresses": True}}
    write(tmp_path, "prod", stack({"shop": variant(ses_tenant, _set("signInExperience", safe))}))
    assert findings_of(tmp_path) == []
    allow = {"emailSignUp": True, "emailBlocklistPolicy": {"customAllowlist": ["@shop.example.com"]}}
    write(tmp_path, "prod", stack({"shop": variant(ses_tenant, _set("signInExperience", allow))}))
    assert findings_of(tmp_path) == []  # sign-up limited to the company's addresses: not public


def test_open_sign_up_is_only_info_off_production(tmp_path):
    write(tmp_path, "dev", stack({"shop": variant(ses_tenant, _set("signInExperience", {"emailSignUp": True}))}, production=False))
    assert [(f["code"], f["severity"]) for f in findings_of(tmp_path, "dev")] == [("LE181", "info")]


def test_email_mfa_without_a_test_recipient_is_an_error_on_any_stack(tmp_path):
    def change(t):
        t.pop("testRecipient")
        t["signInExperience"] = {"emailMfa": True}
    write(tmp_path, "dev", stack({"shop": variant(ses_tenant, change)}, production=False))
    found = findings_of(tmp_path, "dev")
    assert [(f["code"], f["severity"], f["path"]) for f in found] == [("LE130", "error", "config.logto-email:tenants.shop.testRecipient")]


def test_email_mfa_with_templates_that_drop_the_mfa_emails_is_an_error(tmp_path):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "templates.yaml").write_text("usage_types: [SignIn, Register, ForgotPassword, Generic]\n")

    def change(t):
        t["templates"] = {"directory": "tpl"}
        t["signInExperience"] = {"emailMfa": True, "accountCenterEmail": "Edit"}
    write(tmp_path, "prod", stack({"shop": variant(ses_tenant, change)}))
    found = findings_of(tmp_path)
    assert [(f["code"], f["severity"]) for f in found] == [("LE184", "error")]
    assert "MfaVerification, BindMfa, BindNewIdentifier, UserPermissionValidation" in found[0]["message"]
