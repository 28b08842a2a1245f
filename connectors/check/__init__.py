"""Policy checks a pipeline runs before `pulumi preview`/`up`: offline, and live with --live."""

from connectors.check.findings import Finding, Severity, exit_code
from connectors.check.policy import check_stack, dev_like

__all__ = ["Finding", "Severity", "check_stack", "dev_like", "exit_code"]
