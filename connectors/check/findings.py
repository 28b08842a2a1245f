"""A policy finding: what is wrong, how bad, where in the stack file, and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    error = "error"  # blocks the pipeline: the deployment would break mail or sign-in, or is unsafe
    warning = "warning"  # probably wrong or risky; the pipeline decides (--warnings-ok)
    info = "info"  # worth knowing; never changes the exit code

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str  # stable id, e.g. LE120; documented in docs/policy-checks.md
    path: str  # YAML path: config.logto-email:tenants.<tenant>.provider.dmarc.policy
    message: str
    fix: str | None = None
    tenant: str | None = None

    def to_json(self) -> dict[str, object]:
        doc = asdict(self)
        doc["severity"] = self.severity.value
        return doc

    def __str__(self) -> str:
        text = f"{self.severity.value:<7} {self.code} {self.path}: {self.message}"
        return text + (f"\n        fix: {self.fix}" if self.fix else "")


EXIT_CLEAN, EXIT_ERRORS, EXIT_WARNINGS = 0, 1, 2


def exit_code(findings: list[Finding], *, warnings_ok: bool = False) -> int:
    if any(f.severity is Severity.error for f in findings):
        return EXIT_ERRORS
    if any(f.severity is Severity.warning for f in findings) and not warnings_ok:
        return EXIT_WARNINGS
    return EXIT_CLEAN
