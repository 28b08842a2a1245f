"""The connector is pushed only after SES readiness passed, and not at all when it fails.

The program's real readiness step runs here (LOGTO_EMAIL_READINESS=run), boto3 pointed at the
local SESv2 server; the registration log shows the order the program produced.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.program.harness import EVENTS, ROOT, run_stack_file
from tests.sesv2_fake import FakeSes, identity_doc

pytestmark = pytest.mark.program


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeSes]:
    with FakeSes() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeSes, monkeypatch: pytest.MonkeyPatch) -> FakeSes:
    fake_server.reset()
    fake_server.state.calls = EVENTS  # one log for registrations and SES calls
    for name, value in {
        "LOGTO_EMAIL_READINESS": "run",
        "AWS_ENDPOINT_URL_SESV2": fake_server.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }.items():
        monkeypatch.setenv(name, value)
    return fake_server


def test_connector_registered_after_readiness_passed(fake: FakeSes) -> None:
    fake.state.identities["mail.dev.shop.example.com"] = [identity_doc(True, "SUCCESS")]
    fake.state.production_access = False  # dev: the sandbox is allowed
    run = run_stack_file(ROOT / "Pulumi.dev.yaml")
    assert run.error is None, repr(run.error)
    assert run.stack_outputs["shop"]["readiness"] == "ready"
    log = list(EVENTS)
    checks = [i for i, e in enumerate(log) if e == "GetEmailIdentity mail.dev.shop.example.com"]
    assert len(checks) == 1
    records = [i for i, e in enumerate(log) if e.startswith("register aws:route53/record:Record shop-")]
    connector = log.index("register pulumi-python:dynamic/logto:EmailConnector shop-connector")
    assert len(records) == 6 and max(records) < checks[0] < connector
    assert "GetAccount" not in log


def test_sandboxed_production_account_stops_the_connector(fake: FakeSes) -> None:
    fake.state.identities["mail.shop.example.com"] = [identity_doc(True, "SUCCESS")]
    fake.state.production_access = False
    run = run_stack_file(ROOT / "Pulumi.prod.yaml")
    assert run.error is not None
    assert "sandbox" in str(run.error) and "put-account-details" in str(run.error)
    assert "register aws:route53/record:Record shop-aws-ses-dkim-0" in EVENTS  # it got that far
    assert "register pulumi-python:dynamic/logto:EmailConnector shop-connector" not in EVENTS
    assert "GetAccount" in EVENTS


def test_production_account_passes(fake: FakeSes) -> None:
    fake.state.identities["mail.shop.example.com"] = [identity_doc(True, "SUCCESS")]
    run = run_stack_file(ROOT / "Pulumi.prod.yaml")
    assert run.error is None, repr(run.error)
    assert run.stack_outputs["shop"]["readiness"] == "ready"
    assert EVENTS.index("GetAccount") < EVENTS.index("register pulumi-python:dynamic/logto:EmailConnector shop-connector")
