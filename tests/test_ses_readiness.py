"""SES readiness: moto (server mode) where it supports the calls, a local SESv2 server for the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.dns_records import ses_records
from connectors.aws.ses_readiness import (
    SesCheckFailed,
    SesNotReady,
    SesSandboxed,
    identity_status,
    wait_until_ready,
)
from tests.sesv2_fake import FakeSes, identity_doc


class FakeClock:
    """Virtual time: `sleep` advances it, so polling tests take no wall time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def fake_ses() -> Iterator[FakeSes]:
    with FakeSes() as server:
        yield server


@pytest.fixture
def fake(fake_ses: FakeSes) -> FakeSes:
    fake_ses.reset()
    return fake_ses


RECORDS = ses_records("mail.example.com", "eu-west-1", ["tok1", "tok2", "tok3"], "bounce", None)


# --- moto ------------------------------------------------------------------------------------
def test_moto_missing_identity_times_out_listing_records(moto_ses) -> None:
    clock = FakeClock()
    with pytest.raises(SesNotReady) as err:
        wait_until_ready(moto_ses.client(), "absent.example.com", region="eu-west-1", timeout_seconds=60,
                         poll_seconds=15, records=RECORDS, sleep=clock.sleep, clock=clock)
    msg = str(err.value)
    assert "absent.example.com does not exist" in msg
    assert "tok1._domainkey.mail.example.com CNAME tok1.dkim.amazonses.com" in msg
    assert "bounce.mail.example.com MX 10 feedback-smtp.eu-west-1.amazonses.com" in msg
    assert clock.sleeps == [15, 15, 15, 15]  # bounded by the timeout, polled every pollSeconds


def test_moto_unverified_identity_is_pending(moto_ses) -> None:
    client = moto_ses.client()
    client.create_email_identity(EmailIdentity="pending.readiness.example.com",
                                 DkimSigningAttributes={"NextSigningKeyLength": "RSA_2048_BIT"})
    status = identity_status(client, "pending.readiness.example.com")
    assert status.exists and not status.verified_for_sending and status.dkim_status == "SUCCESS"
    clock = FakeClock()
    with pytest.raises(SesNotReady) as err:
        wait_until_ready(client, "pending.readiness.example.com", region="eu-west-1", timeout_seconds=30,
                         poll_seconds=10, sleep=clock.sleep, clock=clock)
    assert "is not verified for sending" in str(err.value)
    assert "DKIM status" not in str(err.value)


def test_moto_timeout_zero_checks_once(moto_ses) -> None:
    clock = FakeClock()
    with pytest.raises(SesNotReady):
        wait_until_ready(moto_ses.client(), "once.example.com", region="eu-west-1", timeout_seconds=0,
                         sleep=clock.sleep, clock=clock)
    assert clock.sleeps == []


# --- local SESv2 server (GetAccount; verification over time) ---------------------------------
def test_becomes_ready_after_polls(fake: FakeSes) -> None:
    fake.state.identities["mail.example.com"] = [
        identity_doc(False, "PENDING"), identity_doc(False, "SUCCESS"), identity_doc(True, "SUCCESS", "PENDING"),
    ]
    clock = FakeClock()
    result = wait_until_ready(fake.client(), "mail.example.com", region="eu-west-1", timeout_seconds=100,
                              poll_seconds=7, sleep=clock.sleep, clock=clock)
    assert result.polls == 3 and clock.sleeps == [7, 7]
    assert result.production_access is None  # not asked: not required
    assert "GetAccount" not in fake.state.calls
    assert any("MAIL FROM" in n for n in result.notes)


def test_dkim_pending_times_out_with_dkim_listed(fake: FakeSes) -> None:
    fake.state.identities["mail.example.com"] = [identity_doc(True, "PENDING")]
    clock = FakeClock()
    with pytest.raises(SesNotReady) as err:
        wait_until_ready(fake.client(), "mail.example.com", region="eu-west-1", timeout_seconds=20,
                         poll_seconds=15, records=RECORDS, sleep=clock.sleep, clock=clock)
    assert "DKIM status is PENDING" in str(err.value)
    assert clock.sleeps == [15, 5]


def test_dkim_failed_stops_at_once(fake: FakeSes) -> None:
    fake.state.identities["mail.example.com"] = [identity_doc(False, "FAILED")]
    clock = FakeClock()
    with pytest.raises(SesNotReady, match="failed DKIM verification"):
        wait_until_ready(fake.client(), "mail.example.com", region="eu-west-1", timeout_seconds=900,
                         sleep=clock.sleep, clock=clock)
    assert clock.sleeps == []


def test_sandbox_refused_before_any_wait(fake: FakeSes) -> None:
    fake.state.production_access = False
    fake.state.identities["mail.example.com"] = [identity_doc(True, "SUCCESS")]
    with pytest.raises(SesSandboxed) as err:
        wait_until_ready(fake.client(), "mail.example.com", region="eu-west-1", require_production_access=True)
    msg = str(err.value)
    assert "sandbox" in msg and "put-account-details" in msg and "console.aws.amazon.com/ses" in msg
    assert fake.state.calls == ["GetAccount"]


def test_production_access_ok(fake: FakeSes) -> None:
    fake.state.identities["mail.example.com"] = [identity_doc(True, "SUCCESS")]
    result = wait_until_ready(fake.client(), "mail.example.com", region="eu-west-1", require_production_access=True)
    assert result.production_access is True and result.polls == 1
    assert fake.state.calls == ["GetAccount", "GetEmailIdentity mail.example.com"]


def test_sandbox_allowed_when_not_required(fake: FakeSes) -> None:
    fake.state.production_access = False
    fake.state.identities["mail.example.com"] = [identity_doc(True, "SUCCESS")]
    assert wait_until_ready(fake.client(), "mail.example.com", region="eu-west-1").polls == 1


def test_access_denied_is_explained(fake: FakeSes) -> None:
    fake.state.deny = True
    with pytest.raises(SesCheckFailed) as err:
        wait_until_ready(fake.client(), "mail.example.com", region="eu-west-1", require_production_access=True)
    assert "AccessDeniedException" in str(err.value) and "ses:GetAccount" in str(err.value)
