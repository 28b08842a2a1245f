"""`python -m connectors validate|render`: exit codes, messages, files, no secrets, no pulumi_aws."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.cli import cli
from connectors.secret import SECRET_MARKER

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_validate_shipped_stacks(stack):
    result = invoke("validate", "--stack", stack, "--project-dir", str(ROOT), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["valid"] and doc["tenants"]


def test_validate_reports_every_problem_and_exits_1(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: logto-email\n")
    (tmp_path / "Pulumi.bad.yaml").write_text(
        "config:\n  logto-email:tenants:\n    acme:\n"
        "      logto: {endpoint: https://a.logto.app, appId: a, appSecret: leaked-plain-secret}\n"
        "      provider: {type: smtp, host: h, port: 99999}\n"
        "      sender: {email: a@example.com}\n"
    )
    result = invoke("validate", "-s", "bad", "-C", str(tmp_path))
    assert result.exit_code == 1
    out = result.output
    assert "Pulumi.bad.yaml" in out and "2 problems" in out
    assert "tenants.acme.logto.appSecret" in out and "pulumi config set --secret" in out
    assert "tenants.acme.provider.port" in out
    assert "leaked-plain-secret" not in out and "Traceback" not in out


def test_template_problems_name_the_tenant(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: logto-email\n")
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tmp_path / "Pulumi.t.yaml").write_text(
        "config:\n  logto-email:tenants:\n    acme:\n"
        "      logto: {endpoint: https://a.logto.app, appId: a, appSecret: {secure: v1:x}}\n"
        "      provider: {type: http, endpoint: https://m.example.com/send}\n"
        "      sender: {email: a@example.com}\n"
        "      templates: {directory: tpl}\n"
    )
    from connectors.templates import available_locales  # noqa: F401  (override layout is the templates' own)

    result = invoke("validate", "-s", "t", "-C", str(tmp_path))
    assert result.exit_code == 0, result.output  # an empty override directory changes nothing


def test_missing_stack_is_exit_1_with_the_stacks_listed():
    result = invoke("validate", "-s", "nope", "-C", str(ROOT))
    assert result.exit_code == 1 and "stacks here: dev, local, prod" in result.output


def test_usage_error_is_exit_2():
    assert invoke("validate").exit_code == 2


def test_render_writes_configs_emails_and_galleries(tmp_path):
    out = tmp_path / "out"
    result = invoke("render", "--stack", "dev", "-C", str(ROOT), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file()
    shop = out / "shop"
    doc = json.loads((shop / "connector.json").read_text())
    assert doc["connectorId"] == "aws-ses-mail"
    assert doc["config"]["accessKeySecret"] == SECRET_MARKER
    assert {t["usageType"] for t in doc["config"]["templates"]} >= {"SignIn", "Register", "ForgotPassword", "Generic"}
    assert all("{{code}}" in t["content"] for t in doc["config"]["templates"] if t["usageType"] != "OrganizationInvitation")
    from connectors.templates.preview import SAMPLE_PAYLOAD

    for locale in ("en", "de", "fr", "es"):  # previews show what a user sees: placeholders filled like Logto does
        html = (shop / locale / "SignIn.html").read_text()
        txt = (shop / locale / "SignIn.txt").read_text()
        assert SAMPLE_PAYLOAD["code"] in html and SAMPLE_PAYLOAD["code"] in txt
        assert f'lang="{locale}"' in html
    assert (shop / "email-templates.json").is_file()  # storage: logto
    index = (shop / "index.html").read_text()
    assert "de/SignIn.html" in index
    internal = json.loads((out / "internal" / "connector.json").read_text())
    assert internal["config"]["auth"]["pass"] == SECRET_MARKER
    assert "secure" not in json.dumps(internal) and "v1:" not in json.dumps(internal)


def test_render_never_imports_pulumi_boto3_or_httpx(tmp_path):
    code = (
        "import sys\n"
        "from connectors.cli import cli\n"
        "try:\n"
        f"    cli(['render', '--stack', 'dev', '-C', {str(ROOT)!r}, '--out', {str(tmp_path)!r}], standalone_mode=False)\n"
        "finally:\n"
        "    print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'pulumi_mailgun', 'boto3', 'httpx')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_validate_table_shows_every_tenant_with_whole_values():
    """One aligned line per tenant, nothing wrapped or cut short, whatever the number of tenants."""
    result = invoke("validate", "--stack", "dev", "--project-dir", str(ROOT))
    assert result.exit_code == 0, result.output
    title, header, rule, *body = result.output.splitlines()
    assert title == "stack dev: valid"
    names = ["tenant", "provider", "factory", "sender", "locales", "templates"]
    assert header.split() == [*names, "emails"] and set(rule) == {"-", " "}
    tenants = json.loads(invoke("validate", "--stack", "dev", "--project-dir", str(ROOT), "--json").output)["tenants"]
    assert len(body) == len(tenants)
    for line, t in zip(body, tenants):
        values = {**t, "locales": ", ".join(t["locales"])}
        for name in names:  # each value whole, starting under its column's name
            at = header.index(name)
            assert line[at:].startswith(f"{values[name]}  "), (name, line)
        assert line.endswith(f" {t['emails']}") and len(line) == len(header)


def test_aligned_table_counts_wide_characters_as_two_columns():
    from connectors.cli import aligned_table

    out = aligned_table(("a", "n"), [["例え", "1"], ["xy", "10"]], right=frozenset({1}))
    assert out == ["a      n", "----  --", "例え   1", "xy    10"]
