"""Deploy `scripts/up`'s local stack under the real engine and export its state as a user would.

The steps of `python -m logto_standin.local_up` (stand-in Logto and SMTP sink, file backend,
passphrase secrets, `pulumi up --yes`), in a directory of the caller's, with the tenant's
`locales` optionally replaced; then `pulumi stack export`, whose text (indented JSON) is what a
user measures. Shared by `tests/engine/test_state_size.py` and `benchmarks/scale.py`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from logto_standin.local_up import (
    APP_SECRET_KEY,
    SMTP_PASSWORD_KEY,
    STACK,
    ensure_stack,
    pulumi_env,
    run_pulumi,
    set_secret,
    start_standin,
    working_config,
)
from logto_standin.smtp_sink import free_port
from tests.engine.harness import ROOT


@dataclass
class Export:
    """`pulumi stack export`'s output and what is measured of it."""

    text: str  # as printed (indented JSON)
    document: dict[str, Any]

    @property
    def resources(self) -> list[dict[str, Any]]:
        return list(self.document["deployment"]["resources"])

    @property
    def tenants(self) -> int:
        return sum(1 for r in self.resources if r["type"] == "logto-email:index:TenantEmail")

    @property
    def printed_bytes(self) -> int:
        return len(self.text.encode())

    @property
    def compact_bytes(self) -> int:
        return compact_size(self.document)

    def by_resource(self) -> dict[str, int]:
        """Compact JSON bytes of each resource, by the last part of its type (summed per type)."""
        out: dict[str, int] = {}
        for r in self.resources:
            kind = r["type"].rsplit(":", 1)[-1]
            out[kind] = out.get(kind, 0) + compact_size(r)
        return out


def compact_size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def deploy_and_export(engine_bin: Path, work: Path, *, locales: list[str] | None = None) -> Export:
    """`pulumi up --yes` of the local stack (its tenant with `locales` if given), then its export."""
    state = work / "local-stack"
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    (state / "backend").mkdir(exist_ok=True)
    (state / "passphrase").write_text(os.urandom(24).hex() + "\n")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "LOGTO_"))}
    base.update(PATH=f"{engine_bin}{os.pathsep}{base['PATH']}", PULUMI_HOME=str(work / "pulumi-home"))
    env = pulumi_env(state, base)
    log = state / "up.log"
    standin = start_standin(state / "logto", port=free_port(), smtp_port=free_port(), log=state / "standin.log")
    try:
        ensure_stack(ROOT, env, state / f"Pulumi.{STACK}.yaml", log)
        config_file = working_config(ROOT, state, endpoint=standin.info["url"], app_id=standin.info["appId"],
                                     smtp=standin.info["smtp"])
        if locales is not None:
            yaml = YAML(typ="rt")
            config = yaml.load(config_file.read_text(encoding="utf-8"))
            for tenant in config["config"]["logto-email:tenants"].values():
                tenant["locales"] = list(locales)
            with config_file.open("w", encoding="utf-8") as handle:
                yaml.dump(config, handle)
        set_secret(ROOT, env, config_file, APP_SECRET_KEY, standin.app_secret, log)
        assert standin.smtp_password is not None
        set_secret(ROOT, env, config_file, SMTP_PASSWORD_KEY, standin.smtp_password, log)
        up = run_pulumi(["up", "--yes", "--stack", STACK, "--config-file", str(config_file), "--color", "never"],
                        env=env, cwd=ROOT, log=log)
        if up.returncode != 0:
            raise RuntimeError(f"pulumi up failed (exit {up.returncode}):\n{up.stdout[-4000:]}{up.stderr[-3000:]}")
        exported = run_pulumi(["stack", "export", "--stack", STACK], env=env, cwd=ROOT)
        if exported.returncode != 0:
            raise RuntimeError(f"pulumi stack export failed:\n{exported.stderr[-3000:]}")
    finally:
        standin.stop()
    return Export(exported.stdout, json.loads(exported.stdout))
