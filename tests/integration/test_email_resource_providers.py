"""The two new dynamic providers as the Pulumi engine handles them: pickled, checked, diffed."""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from infra.email_templates import LogtoEmailTemplatesProvider
from infra.sign_in_experience import LogtoSignInEmailProvider
from infra.sign_in_experience import diff_summary as sie_diff

ACCESS = {"endpoint": "https://ab12cd.logto.app/", "app_id": "m2m", "app_secret": "app-secret-7f7f7f7f"}


@pytest.mark.parametrize("provider", [LogtoEmailTemplatesProvider, LogtoSignInEmailProvider])
def test_provider_survives_dill_round_trip_in_a_fresh_interpreter(tmp_path, provider):
    blob = serialize_provider(provider())
    assert ACCESS["app_secret"] not in base64.b64decode(blob).decode("latin-1")
    script = textwrap.dedent(
        f"""
        import base64, dill
        provider = dill.loads(base64.b64decode({blob!r}))
        result = provider.check({{}}, {{"endpoint": "http://example.com", "app_id": "a", "app_secret": "s"}})
        print(type(provider).__module__, sorted({{f.property for f in result.failures}}))
        print(vars(provider))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    module, state = out.stdout.splitlines()
    assert module.startswith(provider.__module__) and "endpoint" in module and state == "{}"


def test_sign_in_check_and_diff():
    p = LogtoSignInEmailProvider()
    assert {f.property for f in p.check({}, {**ACCESS, "email_sign_in": "yes"}).failures} == {"email_sign_in"}
    assert [f.property for f in p.check({}, ACCESS).failures] == ["email_sign_up"]  # nothing declared
    checked = p.check({}, {**ACCESS, "email_sign_in": True}).inputs
    assert checked["endpoint"] == "https://ab12cd.logto.app"
    olds = {**checked, "resource": "https://ab12cd.logto.app/api", "email_sign_in": False, "app_secret": rpc.wrap_rpc_secret(ACCESS["app_secret"])}
    changed, text = sie_diff(olds, checked)
    assert changed == ["email_sign_in"] and "email_sign_in: False → True" in text
    changed, text = sie_diff({**olds, "email_sign_in": True}, {**checked, "email_sign_in": None, "app_secret": "rotated-0000"})
    assert changed == ["email_sign_in", "app_secret"] and "no longer managed" in text and "rotated-0000" not in text
    assert p.diff("id", olds, {**checked, "endpoint": "https://other.logto.app"}).replaces == ["endpoint"]
