"""`python -m logto_standin.local_up`: the local default of `bash scripts/up`.

It deploys the shipped `local` stack for real, under the Pulumi engine, on this machine:

1. starts the Logto stand-in and its SMTP sink on 127.0.0.1 (`python -m logto_standin`), unless
   `LOGTO_ENDPOINT`, `LOGTO_APP_ID` and `LOGTO_APP_SECRET` name a real Logto to use instead;
2. keeps everything it makes in `.local-stack/` (git-ignored): the `file://` backend, a generated
   passphrase for the passphrase secrets provider, the stand-in's rows/credentials/mailbox, and
   the stack's working config (`Pulumi.local.yaml` as shipped + `encryptionsalt` + the two
   secrets, set with `pulumi config set --secret` from stdin, never on a command line);
3. runs `pulumi up --yes`, then prints a summary a person can act on.

Nothing secret is printed or written outside `.local-stack/` (the state dir is 0700, its secret
files 0600); Pulumi state holds the secrets encrypted with the passphrase.
"""

from __future__ import annotations

import json
import mailbox
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import httpx
from ruamel.yaml import YAML

STACK = "local"
TENANT = "demo"
STATE_DIRNAME = ".local-stack"
APP_SECRET_KEY = f"logto-email:tenants.{TENANT}.logto.appSecret"
SMTP_PASSWORD_KEY = f"logto-email:tenants.{TENANT}.provider.password"


def pulumi_env(state: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every `pulumi` command of the local stack runs with: offline, file backend."""
    env = dict(os.environ if base is None else base)
    env.update(
        PULUMI_BACKEND_URL=(state / "backend").as_uri(),
        PULUMI_CONFIG_PASSPHRASE_FILE=str(state / "passphrase"),
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PULUMI_SKIP_CONFIRMATIONS="true",
    )
    env.pop("PULUMI_CONFIG_PASSPHRASE", None)
    return env


def _private_file(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def ensure_state_dir(project: Path) -> Path:
    """`.local-stack/` (or `LOGTO_EMAIL_LOCAL_STATE`, for tests), 0700, with backend and passphrase."""
    state = Path(os.environ.get("LOGTO_EMAIL_LOCAL_STATE") or project / STATE_DIRNAME)
    state.mkdir(mode=0o700, exist_ok=True)
    os.chmod(state, 0o700)
    (state / "backend").mkdir(exist_ok=True)
    if not (state / "passphrase").exists():
        _private_file(state / "passphrase", secrets.token_urlsafe(32) + "\n")
    return state


@dataclass
class StandIn:
    """A running `python -m logto_standin` and what it printed when ready."""

    proc: subprocess.Popen[bytes] | None
    info: dict[str, Any]
    app_secret: str
    smtp_password: str | None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def start_standin(state_dir: Path, *, port: int, smtp_port: int, log: Path, timeout: float = 90.0) -> StandIn:
    """Start the stand-in + SMTP sink and wait for its ready line (it prints no secret)."""
    with log.open("ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "logto_standin", "--state-dir", str(state_dir),
             "--port", str(port), "--smtp-port", str(smtp_port)],
            stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
        )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    line = b""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line or proc.poll() is not None:
            break
    if not line:
        proc.kill()
        raise SystemExit(f"the Logto stand-in did not start (port {port} or {smtp_port} busy?); see {log}")
    info = json.loads(line)
    creds = json.loads(Path(info["credentialsFile"]).read_text())
    return StandIn(proc, info, creds["appSecret"], creds["smtpPassword"])


def working_config(project: Path, state: Path, *, endpoint: str, app_id: str, smtp: dict[str, Any] | None) -> Path:
    """`.local-stack/Pulumi.local.yaml`: the shipped file with this run's addresses and the stack's
    `encryptionsalt`; the secrets are set into it afterwards (`set_secret`), so it is always current."""
    yaml = YAML(typ="rt")
    shipped = yaml.load((project / f"Pulumi.{STACK}.yaml").read_text(encoding="utf-8"))
    target = state / f"Pulumi.{STACK}.yaml"
    salt = state / "encryptionsalt"
    if salt.exists():
        shipped["encryptionsalt"] = salt.read_text().strip()
    for tenant in shipped["config"]["logto-email:tenants"].values():
        tenant["logto"]["endpoint"] = endpoint
        tenant["logto"]["appId"] = app_id
        provider = tenant["provider"]
        if smtp is not None and provider.get("type") == "smtp" and provider.get("host") in ("127.0.0.1", "localhost"):
            provider["port"] = smtp["port"]
            provider["username"] = smtp["user"]
    with target.open("w", encoding="utf-8") as handle:
        yaml.dump(shipped, handle)
    return target


def run_pulumi(args: list[str], *, env: dict[str, str], cwd: Path, stdin: str | None = None,
               capture: bool = True, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["pulumi", *args], env=env, cwd=cwd, input=stdin, text=True,
                          capture_output=capture, check=False)
    if log is not None and capture:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"$ pulumi {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    return proc


def ensure_stack(project: Path, env: dict[str, str], config_file: Path, log: Path) -> None:
    """Create the stack on the file backend once, with the passphrase provider.

    `pulumi stack init` has no --config-file: it runs in a scratch directory holding only a copy of
    Pulumi.yaml (same project, same backend), and the `encryptionsalt` it writes there is kept in
    the state dir (`encryptionsalt`), from where `working_config` puts it in the working copy.
    """
    state = config_file.parent
    listed = run_pulumi(["stack", "ls", "--json"], env=env, cwd=project, log=log)
    names = {s["name"] for s in json.loads(listed.stdout or "[]")} if listed.returncode == 0 else set()
    if STACK in names and (state / "encryptionsalt").exists():
        return
    scratch = state / "init"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    shutil.copy(project / "Pulumi.yaml", scratch / "Pulumi.yaml")
    init = run_pulumi(["stack", "init", STACK, "--secrets-provider", "passphrase", "--no-select"],
                      env=env, cwd=scratch, log=log)
    if init.returncode != 0:
        raise SystemExit(f"pulumi stack init {STACK} failed:\n{init.stderr.strip()}")
    salt = YAML(typ="safe").load((scratch / f"Pulumi.{STACK}.yaml").read_text())["encryptionsalt"]
    (state / "encryptionsalt").write_text(salt + "\n")
    shutil.rmtree(scratch)


def set_secret(project: Path, env: dict[str, str], config_file: Path, key: str, value: str, log: Path) -> None:
    """`pulumi config set --secret`, the value on stdin (never in argv, where `ps` shows it)."""
    done = run_pulumi(["config", "set", "--secret", "--path", key, "--stack", STACK, "--config-file", str(config_file)],
                      env=env, cwd=project, stdin=value, log=log)
    if done.returncode != 0:
        raise SystemExit(f"pulumi config set --secret {key} failed:\n{done.stderr.strip()}")


def last_update_changes(project: Path, env: dict[str, str]) -> dict[str, int]:
    hist = run_pulumi(["stack", "history", "--json", "--stack", STACK], env=env, cwd=project)
    if hist.returncode != 0:
        return {}
    entries = json.loads(hist.stdout or "[]")
    return dict(entries[0].get("resourceChanges") or {}) if entries else {}


def live_connectors(endpoint: str, app_id: str, app_secret: str, resource: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=endpoint, timeout=10) as client:
        token = client.post("/oidc/token", data={"grant_type": "client_credentials", "resource": resource, "scope": "all"},
                            auth=(app_id, app_secret)).json()["access_token"]
        rows = client.get("/api/connectors", headers={"Authorization": f"Bearer {token}"}).json()
    return [{"id": r["id"], "connectorId": r["connectorId"]} for r in rows if r.get("type") == "Email"]


def newest_mail(box_dir: Path) -> tuple[Path, str, float] | None:
    """The newest message of the sink's Maildir: its file, subject and time."""
    newest: tuple[float, Path, str] | None = None
    for sub in ("new", "cur"):
        for path in (box_dir / sub).glob("*"):
            mtime = path.stat().st_mtime
            if newest is None or mtime > newest[0]:
                with path.open("rb") as handle:
                    subject = str(make_header(decode_header(mailbox.MaildirMessage(handle.read())["Subject"] or "")))
                newest = (mtime, path, subject)
    return None if newest is None else (newest[1], newest[2], newest[0])


def main() -> int:
    project = Path.cwd()
    if shutil.which("pulumi") is None:
        raise SystemExit("pulumi is not on PATH: run through `bash scripts/up`, which gets the engine first")
    state = ensure_state_dir(project)
    log = state / "up.log"
    env = pulumi_env(state)
    real = {k: os.environ.get(k) for k in ("LOGTO_ENDPOINT", "LOGTO_APP_ID", "LOGTO_APP_SECRET")}
    use_real = all(real.values())
    port = int(os.environ.get("LOGTO_LOCAL_PORT", "3301"))
    smtp_port = int(os.environ.get("LOGTO_LOCAL_SMTP_PORT", "2525"))
    print(f"local stack: starting the Logto stand-in{'' if use_real else ' and'} SMTP sink on 127.0.0.1 (state in {STATE_DIRNAME}/)", flush=True)
    standin = start_standin(state / "logto", port=0 if use_real else port, smtp_port=smtp_port, log=state / "standin.log")
    try:
        endpoint = str(real["LOGTO_ENDPOINT"]).rstrip("/") if use_real else standin.info["url"]
        app_id = str(real["LOGTO_APP_ID"]) if use_real else standin.info["appId"]
        app_secret = str(real["LOGTO_APP_SECRET"]) if use_real else standin.app_secret
        ensure_stack(project, env, state / f"Pulumi.{STACK}.yaml", log)
        config_file = working_config(project, state, endpoint=endpoint, app_id=app_id, smtp=standin.info["smtp"])
        set_secret(project, env, config_file, APP_SECRET_KEY, app_secret, log)
        if standin.smtp_password is not None:
            set_secret(project, env, config_file, SMTP_PASSWORD_KEY, standin.smtp_password, log)
        print(f"local stack: pulumi up --yes --stack {STACK} (Logto at {endpoint})", flush=True)
        started = time.time()
        up = run_pulumi(["up", "--yes", "--stack", STACK, "--config-file", str(config_file), "--color", "never"],
                        env=env, cwd=project, log=log)
        sys.stdout.write(up.stdout)
        sys.stderr.write(up.stderr)
        if up.returncode != 0:
            print(f"\nlocal stack: pulumi up failed (exit {up.returncode}); full log in {os.path.relpath(log, project)}", file=sys.stderr)
            return up.returncode
        previews = state / "previews"
        subprocess.run([sys.executable, "-m", "connectors", "render", "--stack", STACK, "--project-dir", str(state),
                        "--out", str(previews)], cwd=project, capture_output=True, text=True, check=False)
        print(summary(project, env, state, endpoint, app_id, app_secret, standin, use_real, started))
        return 0
    finally:
        standin.stop()


def logto_calls(request_log: Path, since: float) -> dict[str, int]:
    """Requests the stand-in answered since `since`, by kind (`PATCH /api/connectors/:id` …)."""
    counts: dict[str, int] = {}
    if not request_log.exists():
        return counts
    for line in request_log.read_text(encoding="utf-8").splitlines():
        stamp, method, path, _status = line.split(" ", 3)
        if float(stamp) < since:
            continue
        kind = f"{method} " + re.sub(r"/(?=[a-z0-9]{12,21}(/|$))[a-z0-9]+", "/:id", path)
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def summary(project: Path, env: dict[str, str], state: Path, endpoint: str, app_id: str, app_secret: str,
            standin: StandIn, use_real: bool, started: float) -> str:
    rel = lambda p: os.path.relpath(p, project)  # noqa: E731
    changes = last_update_changes(project, env)
    changed = {k: v for k, v in changes.items() if k != "same" and v}
    lines = ["", "── local stack: summary ──"]
    if changed:
        lines.append("this run changed: " + ", ".join(f"{v} {k}" for k, v in sorted(changed.items())))
    else:
        lines.append(f"this run changed nothing: {changes.get('same', 0)} resources already as declared")
    calls = logto_calls(Path(standin.info["stateDir"]) / "requests.log", since=started) if not use_real else {}
    if not use_real:
        writes = sum(n for kind, n in calls.items() if not kind.startswith(("GET ", "POST /oidc")) and not kind.endswith("/test"))
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(calls.items())) or "none"
        lines.append(f"Logto calls during pulumi up: {writes} write(s); by kind: {kinds}")
    resource = standin.info["resource"] if not use_real else os.environ.get("LOGTO_RESOURCE", "https://default.logto.app/api")
    try:
        live = live_connectors(endpoint, app_id, app_secret, resource)
        desc = ", ".join(f"{c['connectorId']} (id {c['id']})" for c in live) or "none"
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        desc = f"could not ask Logto ({type(exc).__name__})"
    lines.append(f"tenant {TENANT}: Logto {endpoint}, live email connector: {desc}")
    if standin.info.get("mailbox"):
        mail = newest_mail(Path(standin.info["mailbox"]))
        if mail is None:
            lines.append(f"test email: none in the sink's mailbox {rel(standin.info['mailbox'])}/")
        else:
            if mail[2] >= started:
                lines.append(f"test email of this run: {rel(mail[0])} (subject: {mail[1]!r})")
            else:
                lines.append(f"test email: none this run (no connector change); the last one: {rel(mail[0])}")
    previews = state / "previews" / "index.html"
    if previews.exists():
        lines.append(f"rendered previews: {rel(previews)}")
    lines += [
        f"state: {rel(state / 'backend')} (file:// backend; passphrase in {rel(state / 'passphrase')})",
        "again: `bash scripts/up` (a second run changes nothing); real services: `bash scripts/up dev`",
        "a real Logto: LOGTO_ENDPOINT=https://<tenant>.logto.app LOGTO_APP_ID=<m2m app id> "
        "LOGTO_APP_SECRET=<secret> bash scripts/up (the same stack, the SMTP sink stays local)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
