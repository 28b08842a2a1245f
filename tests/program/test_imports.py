"""pulumi_aws (and pulumi_mailgun) are imported only when a tenant needs them. Fresh processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.program.harness import ROOT

pytestmark = pytest.mark.program


def run_python(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_cli_and_validate_never_import_pulumi_aws() -> None:
    out = run_python("""
        import json, sys
        import connectors.cli
        from click.testing import CliRunner
        result = CliRunner().invoke(connectors.cli.cli, ["validate", "--stack", "dev"])
        print(json.dumps({"exit": result.exit_code,
                          "aws": "pulumi_aws" in sys.modules, "mailgun": "pulumi_mailgun" in sys.modules}))
    """)
    assert out["exit"] in (0, 1)  # validate ran (its verdict is the CLI tests' business)
    assert out == {**out, "aws": False, "mailgun": False}


def test_smtp_and_http_stack_never_imports_pulumi_aws_or_mailgun() -> None:
    out = run_python("""
        import json, sys, time
        from tests.program.harness import run_program, tenants_config, ROOT, stack_config
        config, _, _ = stack_config(ROOT / "Pulumi.dev.yaml")
        tenants = json.loads(config["logto-email:tenants"])
        only = {k: v for k, v in tenants.items() if v["provider"]["type"] in ("smtp", "http")}
        start = time.perf_counter()
        run = run_program("smtp-http", tenants_config(only), ["logto-email:tenants"])
        print(json.dumps({"error": repr(run.error) if run.error else None, "tenants": sorted(run.stack_outputs),
                          "seconds": time.perf_counter() - start,
                          "aws": "pulumi_aws" in sys.modules, "mailgun": "pulumi_mailgun" in sys.modules}))
    """)
    assert out["error"] is None
    assert out["tenants"] == ["internal", "labs"]
    assert out["aws"] is False and out["mailgun"] is False


def test_ses_stack_does_import_pulumi_aws() -> None:
    """The check above can fail: the same harness does see pulumi_aws when a tenant needs it."""
    out = run_python("""
        import json, sys
        from tests.program.harness import run_stack_file, ROOT
        run = run_stack_file(ROOT / "Pulumi.prod.yaml")
        print(json.dumps({"error": repr(run.error) if run.error else None, "aws": "pulumi_aws" in sys.modules}))
    """)
    assert out == {"error": None, "aws": True}
