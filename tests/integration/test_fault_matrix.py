"""The fault matrix: every call of every operation × every fault, then a retry.

Operations: connector create, update, switch and delete, the i18n template sync and the
sign-in settings. For each, a clean run records the calls it makes; then, for every call in
that sequence (by occurrence, so a read-back is a different call from the plan's read) and
every fault in FAULTS, a fresh tenant runs the operation with the fault injected at exactly
that call (lasting as long as the client's retries of it), and a second run without faults
retries. After both the invariants must hold:
- never two email connectors; exactly one whenever anything on the tenant needs email;
- the live connector is a working one (the previous or the desired config, both proven);
- no orphan template rows: every row is the tenant's own from before or recorded as ours,
  and giving ours up leaves exactly the rows from before; the sign-in settings relax back;
- each run either succeeds or fails with an error that names the live state (`.state`).
Plus two runs racing on one tenant. The totals are printed at the end of the session.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from connectors import deploy
from connectors.deploy import email_templates as templates
from connectors.deploy import sign_in_experience as sie_core
from connectors.deploy.guard import email_dependencies
from connectors.logto import ClientSettings, LogtoClient
from connectors.logto_facts import clean_deep
from connectors.logto.token import TOKENS
from tests.integration.deploy_support import http_config, smtp_config
from tests.integration.email_support import rows_for

pytestmark = pytest.mark.integration

SMTP = "simple-mail-transfer-protocol"
RECIPIENT = "ops@example.com"
EMAIL_SIGN_IN = {
    "signUp": {"identifiers": ["email"], "password": False, "verify": True},
    "signIn": {"methods": [{"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False}]},
}
READ_TIMEOUT, SLOW = 0.4, 0.5  # a "timeout": the request is applied, the answer comes after the client gave up
MATRIX = ClientSettings(connect_timeout=1, read_timeout=READ_TIMEOUT, attempts=3, retry_timeout=5,
                        wait_initial=0.005, wait_max=0.02, wait_jitter=0.005, max_retry_after=0.05)
CALM = replace(MATRIX, read_timeout=15)  # set-up, discovery and the retry: no fault, so no reason to give up early
FAULTS: dict[str, dict[str, Any]] = {
    "500": {"status": 500, "when": "after"},
    "502": {"status": 502, "when": "after", "body": "<html>Bad Gateway</html>"},
    "503": {"status": 503, "when": "before", "headers": {"Retry-After": "0"}},
    "429": {"status": 429, "when": "before", "headers": {"Retry-After": "0"},
            "body": {"code": "request.too_many_requests", "message": "Too many requests."}},
    "timeout": {"status": None, "when": "after", "delay": SLOW, "times": 1},
    "reset before apply": {"status": None, "when": "before", "drop_connection": True},
    "reset after apply": {"status": None, "when": "after", "drop_connection": True},
}
RESULTS: dict[str, list[str]] = {"ran": [], "held": [], "broke": []}


def pytest_terminal_summary_line() -> str | None:
    if not RESULTS["ran"]:
        return None
    return f"fault matrix: {len(RESULTS['ran'])} scenarios ran, {len(RESULTS['held'])} held, {len(RESULTS['broke'])} broke"


def _pattern(path: str) -> str:
    if re.fullmatch(r"/api/connectors/[^/]+/test", path):
        return "^" + re.escape(path) + "$"
    for prefix in ("/api/connectors/", "/api/email-templates/"):
        if path.startswith(prefix) and "/" not in path[len(prefix):]:
            return "^" + re.escape(prefix) + "[^/]+$"
    return "^" + re.escape(path) + "$"


@dataclass
class Op:
    """One operation: prepare a fresh tenant, run, retry, and check the invariants."""

    name: str
    setup: Callable[[Any, LogtoClient, dict[str, Any]], None]
    run: Callable[[LogtoClient, dict[str, Any]], None]
    check: Callable[[Any, LogtoClient, dict[str, Any], bool], None]


def _connectors(server: Any, client: LogtoClient, ctx: dict[str, Any], final: bool) -> None:
    emails = [c for c in client.list_connectors() if c.type == "Email"]
    assert len(emails) <= 1, f"{len(emails)} email connectors"
    assert len(server.email_connector_rows()) == len(emails)
    needs = email_dependencies(client.get_sign_in_experience())
    if needs:
        assert len(emails) == 1, f"sign-in needs email ({needs}) but there is no email connector"
    live = emails[0] if emails else None
    good = [ctx["want"]] if final else [ctx["want"], ctx.get("before")]
    if live is None:
        assert None in good, "no email connector, although the run should have left one"
    else:
        assert (live.factory_id, clean_deep(live.config)) in [(g[0], clean_deep(g[1])) for g in good if g], (
            f"the live {live.factory_id} connector is neither the previous nor the desired one")


def _deploy(client: LogtoClient, ctx: dict[str, Any]) -> None:
    factory, config = ctx["want"]
    outcome = deploy.deploy(client, deploy.Desired(factory, config, test_recipient=RECIPIENT), ctx.get("known"))
    ctx["known"] = outcome.connector.id


def _seed(factory: str, config: dict[str, Any], sign_in: dict[str, Any] | None = None):
    def setup(server: Any, client: LogtoClient, ctx: dict[str, Any]) -> None:
        made = client.create_connector(factory, config)
        ctx["before"], ctx["known"] = (factory, config), made.id
        if sign_in:
            client.patch_sign_in_experience(sign_in)
    return setup


def _operations(http: Any, smtp: Any) -> list[Op]:
    a, b = http_config(http, "/a"), http_config(http, "/b")
    s = smtp_config(smtp)

    def create_setup(server: Any, client: LogtoClient, ctx: dict[str, Any]) -> None:
        ctx["before"] = None

    def with_want(setup: Callable, want: Any) -> Callable:
        def wrapped(server: Any, client: LogtoClient, ctx: dict[str, Any]) -> None:
            setup(server, client, ctx)
            ctx["want"] = want
        return wrapped

    def delete_run(client: LogtoClient, ctx: dict[str, Any]) -> None:
        deploy.delete(client, expected_id=ctx["known"])

    def delete_check(server: Any, client: LogtoClient, ctx: dict[str, Any], final: bool) -> None:
        _connectors(server, client, {**ctx, "want": None}, final)

    # -- template rows: a foreign row before us; after everything, giving ours up leaves exactly it
    foreign = {"languageTag": "ko", "templateType": "SignIn", "details": {"subject": "theirs", "content": "<p>{{code}}</p>"}}

    def rows_setup(server: Any, client: LogtoClient, ctx: dict[str, Any]) -> None:
        client.create_connector(SMTP, s)
        client.upsert_email_templates([foreign])
        ctx["rows_before"] = templates.by_key(client.list_email_templates())
        ctx["state"] = None

    def rows_run(client: LogtoClient, ctx: dict[str, Any]) -> None:
        ctx["state"], _ = templates.sync(client, rows_for(["de", "en"]), ctx["state"], test_recipient=RECIPIENT)

    def rows_check(server: Any, client: LogtoClient, ctx: dict[str, Any], final: bool) -> None:
        live = templates.by_key(client.list_email_templates())
        state = ctx["state"] or templates.TemplateState()
        strays = sorted(k for k in live if k not in ctx["rows_before"] and k not in state.owned)
        if final:
            assert not strays, f"orphan rows: {strays}"
            assert set(state.originals) <= set(ctx["rows_before"])
            templates.remove(client, state)
            assert templates.by_key(client.list_email_templates()) == ctx["rows_before"], "destroy did not leave the rows as before"
        # after a failed run, rows not yet owned are allowed only if the retry will own them (checked on the final pass)

    # -- sign-in settings: apply email sign-in; afterwards relaxing must give the original back
    def sie_setup(server: Any, client: LogtoClient, ctx: dict[str, Any]) -> None:
        client.create_connector(SMTP, s)
        ctx["sie_before"] = client.get_sign_in_experience()
        ctx["record"] = None

    def sie_run(client: LogtoClient, ctx: dict[str, Any]) -> None:
        edit = sie_core.apply(client, sie_core.EmailSettings(email_sign_in=True, forgot_password=True), ctx["record"])
        ctx["record"] = edit.record

    def sie_check(server: Any, client: LogtoClient, ctx: dict[str, Any], final: bool) -> None:
        _connectors(server, client, {"want": (SMTP, s)}, True)
        if final:
            live = client.get_sign_in_experience()
            assert sie_core.live_settings(live).email_sign_in and sie_core.live_settings(live).forgot_password
            sie_core.relax(client, ctx["record"])
            after = client.get_sign_in_experience()
            keys = ("signUp", "signIn", "forgotPasswordMethods")
            assert {k: after[k] for k in keys} == {k: ctx["sie_before"][k] for k in keys}, "relax did not give the settings back"

    return [
        Op("create", with_want(create_setup, ("http-email", a)), _deploy, _connectors),
        Op("update", with_want(_seed("http-email", a, EMAIL_SIGN_IN), ("http-email", b)), _deploy, _connectors),
        Op("switch", with_want(_seed("http-email", a, EMAIL_SIGN_IN), (SMTP, s)), _deploy, _connectors),
        Op("delete", _seed("http-email", a), delete_run, delete_check),
        Op("template sync", rows_setup, rows_run, rows_check),
        Op("sign-in settings", sie_setup, sie_run, sie_check),
    ]


def _client(server: Any, settings: ClientSettings = CALM) -> LogtoClient:
    return LogtoClient(server.url, server.app_id, server.app_secret, resource=server.resource, settings=settings)


def _outcome_ok(exc: BaseException | None) -> str | None:
    """None if the outcome is acceptable: success, or an error that says what is live."""
    if exc is None:
        return None
    state = getattr(exc, "state", "")
    if not state:
        return f"{type(exc).__name__} without the live state: {exc}"
    return None


def _scenario(server: Any, op: Op, call: tuple[str, str, int] | None, fault: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Run one scenario; returns the calls made (for discovery) and raises AssertionError if an invariant broke."""
    server.reset()
    TOKENS.clear()
    ctx: dict[str, Any] = {}
    with _client(server) as setup_client:
        op.setup(server, setup_client, ctx)
    TOKENS.clear()
    server.clear_requests()
    if call is not None and fault is not None:
        method, pattern, occurrence = call
        spec = dict(fault)
        times = spec.pop("times", 3)
        if occurrence > 1:  # let the earlier occurrences of the same call through
            server.faults.add(method=method, path=pattern, status=None, times=occurrence - 1)
        server.faults.add(method=method, path=pattern, times=times, **spec)
    with _client(server, MATRIX if fault else CALM) as client:
        error: BaseException | None = None
        try:
            op.run(client, ctx)
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - judged below
            error = exc
    calls = [(r.method, r.path) for r in server.requests]
    server.faults.clear()
    problem = _outcome_ok(error)
    assert problem is None, problem
    with _client(server) as client:
        op.check(server, client, ctx, False)
        op.run(client, ctx)  # the retry, without faults, must succeed
        op.check(server, client, ctx, True)
    return calls


@pytest.fixture(scope="module")
def ops(http_sink, smtp_sink) -> list[Op]:
    return _operations(http_sink, smtp_sink)


@pytest.mark.parametrize("op_name", ["create", "update", "switch", "delete", "template sync", "sign-in settings"])
def test_fault_matrix(op_name, ops, logto_server, http_sink):
    op = next(o for o in ops if o.name == op_name)
    calls = _scenario(logto_server, op, None, None)
    seen: dict[tuple[str, str], int] = {}
    sequence = []
    for method, path in calls:
        key = (method, _pattern(path))
        seen[key] = seen.get(key, 0) + 1
        sequence.append((method, key[1], seen[key]))
    assert sequence, "the operation made no call"
    broke: list[str] = []
    if op.name != "create":  # a token request fails the same way before every operation: matrix it once
        sequence = [c for c in sequence if c[1] != "^/oidc/token$"]
    for call in sequence:
        for fault_name, fault in FAULTS.items():
            label = f"{op.name}: {call[0]} {call[1]} #{call[2]} × {fault_name}"
            RESULTS["ran"].append(label)
            try:
                _scenario(logto_server, op, call, fault)
            except AssertionError as exc:
                RESULTS["broke"].append(label)
                broke.append(f"{label}: {exc}")
                continue
            RESULTS["held"].append(label)
    assert not broke, "\n".join(broke)


def test_two_concurrent_runs_on_one_tenant(logto_server, http_sink, smtp_sink):
    """Run A switches http → smtp while run B updates the http config, ten times over: one
    connector always, the final one is what one of the runs wanted, and each run either
    succeeded or said what is live; a retry of a failed run then succeeds."""
    a_want = (SMTP, smtp_config(smtp_sink))
    b_want = ("http-email", http_config(http_sink, "/b"))
    for round_ in range(10):
        label = f"concurrent runs #{round_ + 1}"
        RESULTS["ran"].append(label)
        try:
            server = logto_server
            server.reset()
            TOKENS.clear()
            with _client(server) as c:
                start = c.create_connector("http-email", http_config(http_sink, "/a"))
                c.patch_sign_in_experience(EMAIL_SIGN_IN)
            errors: dict[str, BaseException | None] = {}
            gate = threading.Barrier(2)

            def run(name: str, want: tuple[str, dict[str, Any]]) -> None:
                with _client(server) as c:
                    gate.wait()
                    try:
                        deploy.deploy(c, deploy.Desired(*want, test_recipient=RECIPIENT), start.id)
                        errors[name] = None
                    except Exception as exc:  # noqa: BLE001
                        errors[name] = exc

            threads = [threading.Thread(target=run, args=("A", a_want)), threading.Thread(target=run, args=("B", b_want))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            for name, exc in errors.items():
                assert _outcome_ok(exc) is None, f"run {name}: {_outcome_ok(exc)}"
            with _client(server) as c:
                _connectors(server, c, {"want": a_want, "before": b_want}, False)
                for name, want in (("A", a_want), ("B", b_want)):
                    if errors.get(name) is not None:  # the retry plans against what is live now
                        deploy.deploy(c, deploy.Desired(*want, test_recipient=RECIPIENT))
                        _connectors(server, c, {"want": want}, True)
        except AssertionError:
            RESULTS["broke"].append(label)
            raise
        RESULTS["held"].append(label)
