"""Python side of the Node harness that runs the real ``@logto/connector-*`` packages.

Logto validates and sends with these exact packages; running them (instead of a re-implementation
of their zod guards) is what lets contract tests and the Logto-compatible test server say "Logto
would accept this config" or "this is what Logto would have sent".

One Node process (``harness.mjs``) is kept alive and spoken to in JSON lines. Config values are
never logged: requests are not echoed anywhere, Node's stderr is kept in a small buffer (with
secret-looking values already masked by the harness) and only shown when the process dies.
"""

from __future__ import annotations

import atexit
import fcntl
import itertools
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HARNESS_DIR = Path(__file__).resolve().parent

#: Factory id (Logto ``connectorId``) -> npm package the harness loads for it.
FACTORY_PACKAGES: dict[str, str] = {
    "simple-mail-transfer-protocol": "@logto/connector-smtp",
    "http-email": "@logto/connector-http-email",
    "aws-ses-mail": "@logto/connector-aws-ses",
    "mailgun-email": "@logto/connector-mailgun",
    "sendgrid-email-service": "@logto/connector-sendgrid-email",
    "postmark-mail": "@logto/connector-postmark",
    "aliyun-direct-mail": "@logto/connector-aliyun-dm",
    "logto-email": "@logto/connector-logto-email",
}

DEFAULT_TIMEOUT = 30.0
# Starting Node and loading every connector package is not a request: a short request budget must
# not fail a cold start on a busy machine.
START_TIMEOUT = 30.0
_MIN_NODE = (20, 12)  # nock 14


class HarnessError(RuntimeError):
    """The harness cannot answer: Node/npm missing, install failed, crash, timeout."""


class UnknownFactoryError(ValueError):
    """The factory id is not one of :data:`FACTORY_PACKAGES`."""


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of Logto's create-path validation of one config.

    ``details`` is the text Logto puts in the 400 ``connector.invalid_config`` body
    (one ``Error in key path "<path>": (<code>) <message>`` line per issue).
    ``code`` is ``invalid_config`` (zod guard) or ``invalid_input`` (config is not a JSON object,
    rejected by Logto's request guard before the connector runs).
    """

    ok: bool
    issues: list[dict[str, Any]] = field(default_factory=list)
    details: str | None = None
    code: str | None = None

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class SendResult:
    """Outcome of the real ``sendMessage``.

    ``code`` is a ``ConnectorErrorCodes`` value (``general``, ``invalid_config``,
    ``template_not_found``, ``invalid_response``, ...) mapped to ``connector.<code>`` by Logto, or
    ``internal_error`` for a non-connector exception (Logto: 500 "Internal server error.").
    ``data``/``message`` are what Logto's error body would carry, with known secrets masked.
    """

    ok: bool
    code: str | None = None
    data: Any = field(default=None, repr=False)
    message: str | None = field(default=None, repr=False)
    issues: list[dict[str, Any]] = field(default_factory=list, repr=False)
    details: str | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return self.ok


# ------------------------------------------------------------------------------------------------
# Installation


def _versions(lockfile: Path) -> dict[str, str | None]:
    packages = json.loads(lockfile.read_text(encoding="utf-8")).get("packages", {})
    return {path: meta.get("version") for path, meta in packages.items() if path}


def is_installed() -> bool:
    """Whether node_modules holds exactly what package-lock.json pins.

    npm writes the installed tree to node_modules/.package-lock.json; comparing it with the
    committed lockfile also accepts an install made outside Python (`npm ci --prefix ...`).
    """
    installed = HARNESS_DIR / "node_modules" / ".package-lock.json"
    try:
        return installed.exists() and _versions(installed) == _versions(HARNESS_DIR / "package-lock.json")
    except (OSError, ValueError):
        return False


def _check_node() -> str:
    node = shutil.which("node")
    if node is None:
        raise HarnessError("Node.js is not installed (need node >= 20.12 and npm on PATH).")
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout
    parts = tuple(int(p) for p in out.strip().lstrip("v").split(".")[:2] if p.isdigit())
    if parts < _MIN_NODE:
        raise HarnessError(f"Node.js {out.strip()} is too old; need >= 20.12.")
    return node


def ensure_installed() -> None:
    """Run ``npm ci`` in :data:`HARNESS_DIR` unless ``node_modules`` matches the lockfile.

    A file lock makes concurrent callers (pytest workers, the test server) install once.
    """
    _check_node()
    if is_installed():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise HarnessError("npm is not installed; it is needed to install the connector packages.")
    with open(HARNESS_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_installed():
            return
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HARNESS_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
            raise HarnessError(f"`npm ci` failed in {HARNESS_DIR} (exit {proc.returncode}):\n{tail}")
        if not is_installed():
            raise HarnessError(f"`npm ci` in {HARNESS_DIR} did not produce the locked tree")


# ------------------------------------------------------------------------------------------------
# Runtime


class ConnectorRuntime:
    """A long-lived Node process running the real connector packages.

    Thread-safe: one request at a time. A request that takes longer than ``timeout`` seconds
    (starting takes up to ``START_TIMEOUT``) kills the process (raising :class:`HarnessError`); a dead process is restarted on the next
    request. Restarting loses :meth:`intercept` registrations and recordings.
    """

    def __init__(self, env: Mapping[str, str] | None = None, *, timeout: float = DEFAULT_TIMEOUT):
        self._env = dict(env or {})
        self._timeout = timeout
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._proc: subprocess.Popen[str] | None = None
        self._responses: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=60)
        self.versions: dict[str, str] = {}
        self.start_seconds: float | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> ConnectorRuntime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return
            ensure_installed()
            node = _check_node()
            env = {**os.environ, "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED": "true", **self._env}
            began = time.perf_counter()
            self._responses = queue.Queue()
            self._stderr.clear()
            self._proc = subprocess.Popen(
                [node, str(HARNESS_DIR / "harness.mjs")],
                cwd=HARNESS_DIR,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
            threading.Thread(target=self._read_stdout, args=(self._proc, self._responses), daemon=True).start()
            threading.Thread(target=self._read_stderr, args=(self._proc,), daemon=True).start()
            ready = self._next_response(self._proc, self._responses, max(self._timeout, START_TIMEOUT), "start")
            if not ready.get("ready"):
                raise HarnessError(f"Harness did not announce readiness: {ready!r}")
            self.versions = ready["versions"]
            self.start_seconds = time.perf_counter() - began

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is None:
                return
            try:
                if proc.stdin:
                    proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait(timeout=5)

    # -- plumbing --------------------------------------------------------------------------------

    @staticmethod
    def _read_stdout(proc: subprocess.Popen[str], sink: queue.Queue[dict[str, Any] | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                sink.put(json.loads(line))
            except json.JSONDecodeError:
                continue  # not ours; the harness keeps stdout for responses only
        sink.put(None)

    def _read_stderr(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._stderr.append(line.rstrip("\n"))

    def _stderr_tail(self) -> str:
        return "\n".join(self._stderr) or "(empty)"

    def stderr_tail(self) -> str:
        """Node's recent stderr (already masked by the harness), for diagnostics."""
        return "\n".join(self._stderr)

    @property
    def pid(self) -> int | None:
        """The Node process id while it runs (tests use it to simulate a crash)."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def _next_response(
        self,
        proc: subprocess.Popen[str],
        responses: queue.Queue[dict[str, Any] | None],
        timeout: float,
        what: str,
        want_id: int | None = None,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                message = responses.get(timeout=max(remaining, 0.001))
            except queue.Empty:
                proc.kill()
                proc.wait(timeout=5)
                raise HarnessError(
                    f"Connector harness: no answer to {what} within {timeout:.0f} s; Node process "
                    f"killed (restarted on next request). stderr tail:\n{self._stderr_tail()}"
                ) from None
            if message is None:
                proc.wait(timeout=5)
                time.sleep(0.05)  # let the stderr reader drain
                raise HarnessError(
                    f"Connector harness exited (code {proc.returncode}) during {what}. "
                    f"stderr tail:\n{self._stderr_tail()}"
                )
            if want_id is None or message.get("id") == want_id:
                return message

    def _request(self, op: str, timeout: float | None = None, **fields: Any) -> dict[str, Any]:
        with self._lock:
            self.start()
            proc, responses = self._proc, self._responses
            assert proc is not None and proc.stdin is not None
            request_id = next(self._ids)
            what = f"{op!r} (factory {fields.get('factoryId')!r})" if "factoryId" in fields else repr(op)
            try:
                proc.stdin.write(json.dumps({"id": request_id, "op": op, **fields}) + "\n")
                proc.stdin.flush()
            except (BrokenPipeError, OSError):
                raise HarnessError(
                    f"Connector harness is not running (sending {what}). stderr tail:\n{self._stderr_tail()}"
                ) from None
            response = self._next_response(proc, responses, timeout or self._timeout, what, request_id)
            if response.get("code") in {"harness_error", "unknown_op", "bad_request"}:
                raise HarnessError(f"Connector harness failed on {what}: {response.get('message')}")
            return response

    @staticmethod
    def _check_factory(factory_id: str) -> None:
        if factory_id not in FACTORY_PACKAGES:
            raise UnknownFactoryError(f"Unknown connector factory id {factory_id!r}")

    @staticmethod
    def _validation(response: Mapping[str, Any]) -> ValidationResult:
        if response.get("ok"):
            return ValidationResult(ok=True)
        return ValidationResult(
            ok=False,
            issues=list(response.get("issues") or []),
            details=response.get("details"),
            code=response.get("code"),
        )

    # -- API -------------------------------------------------------------------------------------

    def ping(self) -> dict[str, str]:
        """Package versions the running process has loaded."""
        return self._request("ping")["versions"]

    def validate(self, factory_id: str, config: Any) -> ValidationResult:
        """Validate ``config`` exactly as Logto's ``POST /api/connectors`` does."""
        self._check_factory(factory_id)
        return self._validation(self._request("validate", factoryId=factory_id, config=config))

    def validate_many(self, items: Sequence[tuple[str, Any]]) -> list[ValidationResult]:
        """Validate a batch in one round trip (same semantics as :meth:`validate`)."""
        for factory_id, _ in items:
            self._check_factory(factory_id)
        response = self._request("validate_many", items=[[f, c] for f, c in items])
        return [self._validation(r) for r in response["results"]]

    def validate_email_template_details(self, items: Sequence[Any]) -> list[ValidationResult]:
        """Check `/api/email-templates` row ``details`` with connector-kit's ``emailTemplateDetailsGuard``."""
        response = self._request("validate_template_details", items=list(items))
        return [self._validation(r) for r in response["results"]]

    def send(
        self,
        factory_id: str,
        config: dict[str, Any],
        *,
        to: str,
        type: str,  # noqa: A002 - Logto's field name
        payload: dict[str, Any],
        ip: str | None = None,
        i18n_templates: Mapping[tuple[str, str], dict[str, Any]] | None = None,
        fallback_language: str = "en",
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> SendResult:
        """Call the real ``sendMessage({to, type, payload, ip?}, config)``.

        ``i18n_templates`` maps ``(usage type, language tag)`` to Logto email-template details
        (``subject``, ``content``, ``contentType?``, ``replyTo?``, ``sendFrom?``) and is served
        through ``getI18nEmailTemplate`` with Logto's lookup order. ``env`` is set in the Node
        process for this send only (e.g. ``AWS_ENDPOINT_URL_SESV2``).
        """
        self._check_factory(factory_id)
        data: dict[str, Any] = {"to": to, "type": type, "payload": payload}
        if ip is not None:
            data["ip"] = ip
        fields: dict[str, Any] = {"factoryId": factory_id, "config": config, "data": data}
        if i18n_templates:
            fields["i18nTemplates"] = {f"{t}|{lang}": d for (t, lang), d in i18n_templates.items()}
            fields["fallbackLanguage"] = fallback_language
        if env:
            fields["env"] = dict(env)
        response = self._request("send", timeout=timeout, **fields)
        if response.get("code") == "unknown_factory":
            raise UnknownFactoryError(response.get("message"))
        return SendResult(
            ok=bool(response.get("ok")),
            code=response.get("code"),
            data=response.get("data"),
            message=response.get("message"),
            issues=list(response.get("issues") or []),
            details=response.get("details"),
        )

    def intercept(self, host: str, *, status: int = 200, body: Any = None) -> None:
        """Answer POSTs to ``host`` (an origin such as ``https://api.sendgrid.com``) inside Node.

        Requests are recorded for :meth:`intercepted`. ``body=None`` gives a realistic success body
        for SendGrid, Postmark and Aliyun DM. Calling again for the same host changes the reply.
        Without an interception, non-loopback hosts are unreachable from the harness.
        """
        fields: dict[str, Any] = {"host": host, "status": status}
        if body is not None:
            fields["body"] = body
        self._request("intercept", **fields)

    def intercepted(self, *, clear: bool = False) -> list[dict[str, Any]]:
        """Recorded intercepted requests: ``method, host, path, headers, body`` (+ ``json``/``form``)."""
        return self._request("intercepted", clear=clear)["recordings"]


# ------------------------------------------------------------------------------------------------
# Module-level shared runtime

_shared: ConnectorRuntime | None = None
_shared_lock = threading.Lock()


def shared_runtime() -> ConnectorRuntime:
    """A lazily started process-wide runtime (closed at interpreter exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ConnectorRuntime()
            atexit.register(_shared.close)
        _shared.start()
        return _shared


__all__ = [
    "FACTORY_PACKAGES",
    "HARNESS_DIR",
    "ConnectorRuntime",
    "HarnessError",
    "SendResult",
    "UnknownFactoryError",
    "ValidationResult",
    "ensure_installed",
    "is_installed",
    "shared_runtime",
]
