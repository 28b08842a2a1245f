"""Drive the real Pulumi engine (scripts/pulumi-engine) on this project, offline.

Each `EngineStack` is one stack of this project on its own `file://` backend and passphrase in a
temporary directory; its config lives in a `--config-file` there, so the repository's
`Pulumi.*.yaml` are never touched. Every command's output is kept (`outputs`) so that tests can
search all of it for secrets.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "logto-email"


def engine_env(bin_dir: Path, work: Path, passphrase_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PULUMI_HOME=str(work / "pulumi-home"),
        PULUMI_BACKEND_URL=(work / "backend").as_uri(),
        PULUMI_CONFIG_PASSPHRASE_FILE=str(passphrase_file),
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PULUMI_SKIP_CONFIRMATIONS="true",
        NO_COLOR="1",
    )
    return env


@dataclass
class EngineStack:
    bin_dir: Path
    work: Path
    name: str = "e2e"
    outputs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.work / "backend").mkdir(parents=True, exist_ok=True)
        (self.work / "pulumi-home").mkdir(exist_ok=True)
        self.passphrase_file = self.work / "passphrase"
        self.passphrase_file.write_text(secrets.token_urlsafe(24))
        self.config_file = self.work / f"Pulumi.{self.name}.yaml"
        self.env = engine_env(self.bin_dir, self.work, self.passphrase_file)

    # -- running -------------------------------------------------------------------------------

    def run(self, *args: str, check: bool = True, stdin: str | None = None, timeout: float = 600,
            stack: bool = True, config: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = ["pulumi", *args]
        if stack:
            cmd += ["--stack", self.name]
        if config:
            cmd += ["--config-file", str(self.config_file)]
        proc = subprocess.run(cmd, cwd=ROOT, env=self.env, input=stdin, text=True, capture_output=True,
                              timeout=timeout, check=False)
        self.outputs.append(f"$ {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
        if check and proc.returncode != 0:
            raise AssertionError(f"`{' '.join(args)}` failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}")
        return proc

    def start(self, *args: str) -> subprocess.Popen[str]:
        """A command in the background (for interrupting it); its output goes to a file, kept when it ends."""
        cmd = ["pulumi", *args, "--stack", self.name, "--config-file", str(self.config_file)]
        self._bg_out = (self.work / "background.out").open("w")
        return subprocess.Popen(cmd, cwd=ROOT, env=self.env, text=True, stdout=self._bg_out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def interrupt(self, proc: subprocess.Popen[str], timeout: float = 180) -> str:
        """SIGINT (Ctrl-C) to the command's process group; waits for it to end."""
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            self._bg_out.close()
        out = (self.work / "background.out").read_text()
        self.outputs.append(out)
        return out

    # -- config --------------------------------------------------------------------------------

    def init(self, tenants: dict[str, Any], secret_values: dict[str, str], production: bool = False) -> None:
        """Create the stack (passphrase provider) with this config; secrets set via `config set --secret`."""
        init_stack(self.name, self.work, self.env, self.config_file)
        self.write_config(tenants, production=production)
        for path, value in secret_values.items():
            self.set_secret(path, value)

    def _load(self) -> dict[str, Any]:
        if not self.config_file.exists():
            return {}
        return YAML(typ="safe").load(self.config_file.read_text()) or {}

    def _dump(self, doc: dict[str, Any]) -> None:
        yaml = YAML(typ="safe")
        yaml.default_flow_style = False
        with self.config_file.open("w") as handle:
            yaml.dump(doc, handle)

    def write_config(self, tenants: dict[str, Any], production: bool = False) -> None:
        """Replace the stack's config: pass `tenants()` edited, so the `secure:` values stay."""
        doc = self._load()
        doc["config"] = {f"{NAMESPACE}:production": production, f"{NAMESPACE}:tenants": tenants}
        self._dump(doc)

    def tenants(self) -> dict[str, Any]:
        return self._load()["config"][f"{NAMESPACE}:tenants"]

    def set_secret(self, path: str, value: str) -> None:
        """`pulumi config set --secret --path`, the value on stdin."""
        self.run("config", "set", "--secret", "--path", f"{NAMESPACE}:tenants.{path}", stdin=value)

    # -- what the engine holds -----------------------------------------------------------------

    def state_files(self) -> list[Path]:
        return [p for p in (self.work / "backend").rglob("*") if p.is_file()]

    def provider_logs(self) -> list[Path]:
        return [p for p in (self.work / "pulumi-home").rglob("*") if p.is_file() and p.suffix in (".log", ".txt", "")]


def init_stack(name: str, work: Path, env: dict[str, str], config_file: Path) -> None:
    """`pulumi stack init` with the passphrase provider, its `encryptionsalt` put in `config_file`.

    `stack init` has no --config-file: it runs in a directory holding only a copy of Pulumi.yaml
    (same project, same backend), and the salt it writes there is moved to the config file.
    """
    scratch = work / "init"
    scratch.mkdir(exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", scratch / "Pulumi.yaml")
    proc = subprocess.run(["pulumi", "stack", "init", name, "--secrets-provider", "passphrase", "--no-select"],
                          cwd=scratch, env=env, text=True, capture_output=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"pulumi stack init failed: {proc.stderr}")
    salt = YAML(typ="safe").load((scratch / f"Pulumi.{name}.yaml").read_text())["encryptionsalt"]
    doc = YAML(typ="safe").load(config_file.read_text()) if config_file.exists() else {}
    doc = doc or {}
    doc["encryptionsalt"] = salt
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    with config_file.open("w") as handle:
        yaml.dump(doc, handle)
    shutil.rmtree(scratch)


def secret_forms(value: str) -> list[str]:
    """The value and the encodings a leak could take: base64 (std/url, padded or not), hex."""
    raw = value.encode()
    forms = {value, raw.hex()}
    for enc in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = enc.decode()
        forms.update({text, text.rstrip("=")})
    # base64 of the value inside a longer string: the three alignments, inner part only
    for shift in range(3):
        chunk = base64.b64encode(b"\0" * shift + raw).decode()
        inner = chunk[4 if shift else 0 : -4]  # the groups made of the value's bytes alone
        if len(inner) >= 12:
            forms.add(inner)
    return sorted(forms)


def wait_for(predicate: Any, timeout: float = 60, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
