"""`promote`: portable settings copied, environment-bound ones and secrets kept, file edited in place."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from click.testing import CliRunner

from connectors.promote import plan_promotion
from connectors.cli.promote import promote_command
from connectors.stack import load_stack
from tests.promote.stacks import DEV, PROD, project, repo_project

SWITCH_CMD = "pulumi config set --secret --path 'tenants.support.provider.apiKey' <value> --stack prod"


def run(project_dir: Path, *args: str):
    result = CliRunner().invoke(promote_command, ["-C", str(project_dir), *args])
    return result


def with_prod_api_key(prod: str = PROD) -> str:
    """What `pulumi config set --secret --path 'tenants.support.provider.apiKey' …` leaves in prod."""
    return prod.replace(
        "        password:\n          secure: v1:PRODSMTPPASSWORD\n",
        "        password:\n          secure: v1:PRODSMTPPASSWORD\n        apiKey:\n          secure: v1:PRODSENDGRIDKEY\n",
    )


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        (removed if line.startswith("-") else added).append(line[1:])
    return removed, added


# --- the repository's own example stacks --------------------------------------------------------------
def observing_dmarc(proj):
    """The shipped dev stack, as a team that still observes DMARC in dev would have it."""
    dev = proj / "Pulumi.dev.yaml"
    text = dev.read_text()
    assert "policy: quarantine" in text
    dev.write_text(text.replace("policy: quarantine", "policy: none", 1))
    return proj


def test_repo_stacks_dry_run_lists_portable_differences_and_writes_nothing(tmp_path):
    proj = observing_dmarc(repo_project(tmp_path))
    before = (proj / "Pulumi.prod.yaml").read_bytes()
    result = run(proj, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    got = {(c["tenant"], c["path"], json.dumps(c["before"]), json.dumps(c["after"])) for c in doc["changes"]}
    assert got == {
        ("shop", "tenants.shop.provider.dmarc.policy", '"quarantine"', '"none"'),
        ("shop", "tenants.shop.locales", '["en", "de", "fr"]', '["en", "de", "fr", "es"]'),
        ("support", "tenants.support.locales", '["en", "ja"]', '["en", "ja", "zh-CN"]'),
        ("partners", "tenants.partners.locales", '["en", "pt-BR"]', '["en", "pt-BR", "es"]'),
    }
    assert doc["missing_in_target"] == ["internal", "labs"]
    assert doc["written"] is False and doc["ok"] is True
    assert any("weaken" in n for n in doc["notes"])  # dev still observes DMARC; prod quarantines
    assert (proj / "Pulumi.prod.yaml").read_bytes() == before


def test_repo_stacks_write_changes_only_the_promoted_lines(tmp_path):
    proj = observing_dmarc(repo_project(tmp_path))
    before = (proj / "Pulumi.prod.yaml").read_text()
    result = run(proj, "--write")
    assert result.exit_code == 0, result.output
    after = (proj / "Pulumi.prod.yaml").read_text()
    removed, added = changed_lines(before, after)
    assert removed == ["          policy: quarantine", "      locales: [en, de, fr]", "      locales: [en, ja]", "      locales: [en, pt-BR]"]
    assert added == ["          policy: none", "      locales: [en, de, fr, es]", "      locales: [en, ja, zh-CN]", "      locales: [en, pt-BR, es]"]
    spec = load_stack(proj, "prod")
    assert spec.tenants["shop"].provider.readiness.timeout_seconds == 1800  # environment-bound, kept
    assert spec.tenants["shop"].test_recipient == "mail-canary+shop@example.com"
    assert "wrote Pulumi.prod.yaml" in result.output
    assert [p.name for p in proj.iterdir() if p.name.endswith(".tmp")] == []


# --- a pair with comments, secrets on both sides, tenants on one side only ---------------------------
def test_dry_run_shows_table_and_commands_without_secrets(tmp_path):
    proj = project(tmp_path)
    result = run(proj)
    assert result.exit_code == 1  # support's switch to sendgrid lacks prod's apiKey
    out = result.output
    assert "provider.dmarc.policy" in out and "reject" in out
    assert SWITCH_CMD in out
    assert "tenant labs is in dev but not in prod: not promoted" in out
    assert "tenant legacy is only in prod: left as it is" in out
    assert "nothing written" in out
    for ciphertext in ("DEVSHOPAPPSECRET", "DEVSENDGRIDAPIKEY", "PRODSMTPPASSWORD", "PRODSHOPAPPSECRET"):
        assert ciphertext not in out
    assert (proj / "Pulumi.prod.yaml").read_text() == PROD


def test_provider_switch_without_prod_secret_fails_and_writes_nothing(tmp_path):
    proj = project(tmp_path)
    result = run(proj, "--write", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["ok"] is False and doc["written"] is False
    assert doc["needed"] == [{
        "tenant": "support", "path": "tenants.support.provider.apiKey", "secret": True,
        "reason": "required by SendgridProvider, environment-bound: never copied from dev", "command": SWITCH_CMD,
    }]
    assert (proj / "Pulumi.prod.yaml").read_text() == PROD


def test_provider_switch_with_prod_secret_keeps_it_and_drops_old_keys(tmp_path):
    prod = with_prod_api_key()
    proj = project(tmp_path, prod=prod)
    result = run(proj, "--write")
    assert result.exit_code == 0, result.output
    text = (proj / "Pulumi.prod.yaml").read_text()
    support = text.split("    support:\n")[1].split("    # only in prod")[0]
    assert "type: sendgrid" in support
    assert "secure: v1:PRODSENDGRIDKEY" in support  # prod's own secret, untouched
    assert "DEVSENDGRIDAPIKEY" not in text  # dev's secret never copied
    for gone in ("host:", "port:", "username:", "PRODSMTPPASSWORD"):
        assert gone not in support
    assert "    # help desk, still on the corporate relay in prod\n" in text
    assert "switching smtp → sendgrid keeps prod's own apiKey" in result.output
    spec = load_stack(proj, "prod")
    assert spec.tenants["support"].provider.type == "sendgrid"
    assert spec.tenants["support"].logto.endpoint == "https://supportprod.logto.app"


def test_environment_bound_values_comments_and_secure_values_are_kept(tmp_path):
    proj = project(tmp_path, prod=with_prod_api_key())
    assert run(proj, "--write").exit_code == 0
    text = (proj / "Pulumi.prod.yaml").read_text()
    for kept in (
        "# prod: settings arrive by promotion\n",
        "    # the storefront\n",
        "        endpoint: https://shopprod.logto.app   # the prod tenant\n",
        "          secure: v1:PRODSHOPAPPSECRETCIPHERTEXT\n",
        "        domain: mail.shop.example.com\n",
        "          timeoutSeconds: 1800    # prod DNS is slow\n",
        "      testRecipient: canary@example.com\n",
        "        email: no-reply@mail.shop.example.com\n",
        "  logto-email:production: true\n",
        "    # only in prod\n    legacy:\n",
    ):
        assert kept in text, kept
    spec = load_stack(proj, "prod")
    shop = spec.tenants["shop"]
    assert shop.provider.dmarc.policy == "reject" and shop.provider.dmarc.alignment == "strict"
    assert shop.provider.events.types == ["BOUNCE", "COMPLAINT"]
    assert shop.sender.name == "Shop Team" and shop.locales == ["en", "de"]
    assert shop.branding.logo_url is None and shop.branding.company_name is None  # dev has none
    assert "labs" not in spec.tenants  # never invented
    assert "legacy" in spec.tenants  # never removed


def test_lines_outside_the_changes_are_byte_for_byte_identical(tmp_path):
    prod = with_prod_api_key()
    proj = project(tmp_path, prod=prod)
    assert run(proj, "--write").exit_code == 0
    after = (proj / "Pulumi.prod.yaml").read_text()
    removed, added = changed_lines(prod, after)
    assert removed == [
        "        name: Shop",
        "      locales: [en]",
        "        logoUrl: https://assets.shop.example.com/logo.png   # to be dropped",
        "        companyName: Example Shop GmbH",
        "        type: smtp",
        "        host: smtp.corp.example.com",
        "        port: 587",
        "        username: support",
        "        password:",
        "          secure: v1:PRODSMTPPASSWORD",
    ]
    assert added == [
        "        dmarc:",
        "          policy: reject",
        "          alignment: strict",
        "        events:",
        "          types: [BOUNCE, COMPLAINT]",
        "        name: Shop Team",
        "      locales: [en, de]",
        "        type: sendgrid",
    ]


def test_second_run_finds_nothing_to_promote(tmp_path):
    proj = project(tmp_path, prod=with_prod_api_key())
    assert run(proj, "--write").exit_code == 0
    first = (proj / "Pulumi.prod.yaml").read_bytes()
    again = run(proj, "--write", "--json")
    assert again.exit_code == 0
    doc = json.loads(again.output)
    assert doc["changes"] == [] and doc["written"] is False
    assert (proj / "Pulumi.prod.yaml").read_bytes() == first
    assert "no portable setting differs" in run(proj).output


def test_tenant_option_limits_the_promotion(tmp_path):
    proj = project(tmp_path)
    result = run(proj, "--tenant", "shop", "--write", "--json")
    assert result.exit_code == 0, result.output  # support (which would fail) is not promoted
    doc = json.loads(result.output)
    assert {c["tenant"] for c in doc["changes"]} == {"shop"}
    assert doc["written"] is True
    text = (proj / "Pulumi.prod.yaml").read_text()
    assert "type: smtp" in text and "name: Shop Team" in text
    assert doc["missing_in_target"] == []


def test_tenant_option_reports_a_tenant_missing_in_target(tmp_path):
    proj = project(tmp_path)
    doc = json.loads(run(proj, "-t", "labs", "--json").output)
    assert doc["changes"] == [] and doc["missing_in_target"] == ["labs"]


def test_unknown_tenant_is_a_usage_error(tmp_path):
    result = run(project(tmp_path), "--tenant", "nope")
    assert result.exit_code == 2
    assert "'nope' is not in stack dev" in result.output


def test_invalid_source_stack_is_refused(tmp_path):
    proj = project(tmp_path, dev=DEV.replace("appSecret:\n          secure: v1:DEVLABSAPPSECRET", "appSecret: plaintext-oops"))
    result = run(proj)
    assert result.exit_code == 1
    assert "plaintext-oops" not in result.output
    assert "secure" in result.output


def test_result_that_would_not_load_is_not_written(tmp_path):
    # prod's own (environment-bound) sender is on the wrong domain: the promoted file is checked like load_stack
    prod = with_prod_api_key().replace("email: no-reply@mail.shop.example.com", "email: no-reply@elsewhere.example.org")
    proj = project(tmp_path, prod=prod)
    result = run(proj, "--write", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["written"] is False
    assert any("sender domain is not the sending domain" in p["message"] for p in doc["problems"])
    assert (proj / "Pulumi.prod.yaml").read_text() == prod


def test_new_block_needs_environment_bound_value(tmp_path):
    # dev moves labs from http to mailgun; prod's labs (logto-email, no sender) lacks domain, apiKey and sender.email
    dev = DEV.replace(
        "        type: http\n        endpoint: https://mailer.dev.labs.example.com/send\n",
        "        type: mailgun\n        domain: dev.labs.example.com\n        region: eu\n        apiKey:\n          secure: v1:DEVMAILGUN\n",
    )
    prod = PROD.replace("    legacy:", "    labs:")
    proj = project(tmp_path, dev=dev, prod=prod)
    doc = json.loads(run(proj, "-t", "labs", "--json").output)
    commands = {n["command"] for n in doc["needed"]}
    assert commands == {
        "pulumi config set --path 'tenants.labs.provider.domain' <value> --stack prod",
        "pulumi config set --secret --path 'tenants.labs.provider.apiKey' <value> --stack prod",
        "pulumi config set --path 'tenants.labs.sender.email' <value> --stack prod",
    }
    assert "DEVMAILGUN" not in json.dumps(doc)


def test_appended_key_goes_before_the_next_sections_comment(tmp_path):
    dev = DEV.replace("      testRecipient: qa@example.com\n", "      testRecipient: qa@example.com\n      signInExperience:\n        emailSignIn: true\n")
    proj = project(tmp_path, dev=dev)
    first = json.loads(run(proj, "-t", "shop", "--json").output)["changes"]
    assert {"tenant": "shop", "path": "tenants.shop.signInExperience.emailSignIn", "action": "add",
            "before": None, "after": True, "note": None} in first
    assert {c["path"]: c["action"] for c in first}["tenants.shop.sender.name"] == "change"
    assert {c["path"]: c["action"] for c in first}["tenants.shop.branding.logoUrl"] == "remove"
    assert run(proj, "-t", "shop", "--write").exit_code == 0
    text = (proj / "Pulumi.prod.yaml").read_text()
    doc = json.loads(run(proj, "-t", "shop", "--json").output)
    assert doc["changes"] == []
    assert "      testRecipient: canary@example.com\n      signInExperience:\n        emailSignIn: true\n\n    # help desk" in text
    assert load_stack(proj, "prod").tenants["shop"].sign_in_experience.email_sign_in is True


def test_plan_api_does_not_write(tmp_path):
    proj = project(tmp_path, prod=with_prod_api_key())
    promo = plan_promotion(proj, "dev", "prod")
    assert promo.ok and promo.changed and not promo.written
    assert (proj / "Pulumi.prod.yaml").read_text() == with_prod_api_key()


def test_a_staged_tenant_outside_the_selection_does_not_block(tmp_path):
    # prod's support already holds the sendgrid apiKey next to its smtp settings (staged for its
    # own promotion): it does not load yet, but promoting only shop is still possible
    proj = project(tmp_path, prod=with_prod_api_key())
    doc = json.loads(run(proj, "-t", "shop", "--write", "--json").output)
    assert doc["ok"] is True and doc["written"] is True
    assert any(n.startswith("tenant support (not promoted) does not load") for n in doc["notes"])


def test_registered_in_the_cli(tmp_path):
    import subprocess
    import sys

    proj = project(tmp_path, prod=with_prod_api_key())
    out = subprocess.run([sys.executable, "-m", "connectors", "promote", "-C", str(proj), "--json"],
                         capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["ok"] is True


def test_document_start_marker_and_layout_are_kept(tmp_path):
    prod = "---\n" + PROD.replace("      locales: [en]\n", "      locales:\n      - en\n")
    proj = project(tmp_path, prod=prod)
    assert run(proj, "-t", "shop", "--write").exit_code == 0
    after = (proj / "Pulumi.prod.yaml").read_text()
    assert after.startswith("---\n# prod: settings arrive by promotion\n")
    removed, added = changed_lines(prod, after)
    assert "      - de" in added and not any("locales" in line or "- en" in line for line in removed)  # block style kept
    assert "        name: Shop Team" in added


def test_a_tenant_that_is_not_a_mapping_is_a_problem(tmp_path):
    prod = PROD.replace("    # only in prod\n    legacy:", "    labs:\n    # only in prod\n    legacy:")
    proj = project(tmp_path, prod=prod)
    result = run(proj, "-t", "labs", "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["problems"][0]["path"] == "config.logto-email:tenants.labs"


def test_alarm_levels_and_suppression_are_promoted_subscribers_stay(tmp_path):
    """What dev proved about alarms and suppression goes to prod; who is paged is each stack's own."""
    proj = repo_project(tmp_path)
    dev = proj / "Pulumi.dev.yaml"
    text = dev.read_text()
    anchor = "        alerts:                   # who hears the reputation alarms (docs/deliverability.md)\n"
    assert anchor in text
    dev.write_text(text.replace(anchor, "        alarms:\n          bounceRate: {warning: 1.5, review: 4, pause: 8}\n"
                                        "        suppression:\n          accountLevel: true\n" + anchor, 1))
    result = run(proj, "--json", "--tenant", "shop")
    assert result.exit_code == 0, result.output
    paths = {c["path"]: c["after"] for c in json.loads(result.output)["changes"]}
    assert paths["tenants.shop.provider.suppression.accountLevel"] is True
    assert paths["tenants.shop.provider.alarms.bounceRate"] == {"warning": 1.5, "review": 4, "pause": 8}
    assert not any(".alerts" in p for p in paths)  # mail-dev@ never replaces prod's on-call


POLICY_DEV = """\
      signInExperience:
        emailSignIn: false
        emailMfa: true
        accountCenterEmail: Edit
        verificationCodePolicy:
          expirationDuration: 300
          maxRetryAttempts: 5
        emailBlocklistPolicy:
          blockSubaddressing: true
          customBlocklist: ['@mailinator.com', 'spam*@example.com']
          customAllowlist: ['@*.shop.example.com']
"""


def test_email_policy_is_portable_block_and_allow_lists_included(tmp_path):
    dev = DEV.replace("      testRecipient: qa@example.com\n", "      testRecipient: qa@example.com\n" + POLICY_DEV, 1)
    prod = PROD.replace("      testRecipient: canary@example.com\n",
                        "      testRecipient: canary@example.com\n      signInExperience:\n        verificationCodePolicy:\n"
                        "          expirationDuration: 900\n", 1)
    proj = project(tmp_path, dev=dev, prod=prod)
    result = run(proj, "--tenant", "shop", "--write", "--json")
    assert result.exit_code == 0, result.output
    paths = {c["path"] for c in json.loads(result.output)["changes"]}
    assert any("verificationCodePolicy" in p for p in paths) and any("emailBlocklistPolicy" in p for p in paths)
    promoted = load_stack(proj, "prod").tenants["shop"].sign_in_experience
    assert promoted.verification_code_policy.expiration_duration == 300 and promoted.verification_code_policy.max_retry_attempts == 5
    assert promoted.email_blocklist_policy.custom_blocklist == ["@mailinator.com", "spam*@example.com"]
    assert promoted.email_blocklist_policy.custom_allowlist == ["@*.shop.example.com"]
    assert promoted.email_mfa is True and promoted.account_center_email == "Edit"
    assert load_stack(proj, "prod").tenants["shop"].test_recipient == "canary@example.com"  # environment-bound: kept
    assert run(proj, "--tenant", "shop", "--json").exit_code == 0
    assert json.loads(run(proj, "--tenant", "shop", "--json").output)["changes"] == []
