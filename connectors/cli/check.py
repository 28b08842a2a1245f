"""`python -m connectors check`: policy findings for a pipeline, with documented exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from connectors.check.findings import Finding, Severity, exit_code
from connectors.check.policy import check_stack
from connectors.cli.deliverability import nameserver_option


@click.command("check")
@click.option("--stack", "-s", "stack", required=True, metavar="NAME", help="Stack name: reads Pulumi.NAME.yaml.")
@click.option(
    "--project-dir", "-C", "project_dir", default=".", show_default="current directory",
    type=click.Path(file_okay=False, path_type=Path), help="Directory holding Pulumi.yaml and the stack files.",
)
@click.option("--live", is_flag=True, help="Also read the live Logto tenants and SES accounts (needs credentials).")
@click.option("--tenant", "-t", "tenants", multiple=True, metavar="KEY", help="Only this tenant (repeatable).")
@click.option("--ignore", "ignored", multiple=True, metavar="CODE", help="Drop findings with this code, e.g. LE142 (repeatable).")
@click.option("--warnings-ok", is_flag=True, help="Exit 0 when there are warnings but no errors.")
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON (for pipelines).")
@nameserver_option
def check_command(stack: str, project_dir: Path, live: bool, tenants: tuple[str, ...], ignored: tuple[str, ...],
                  warnings_ok: bool, as_json: bool, nameserver: str | None) -> None:
    """Policy checks of Pulumi.STACK.yaml, without cloud credentials unless --live.

    Offline: the stack loads; templates render with every required email and valid
    placeholders; the sender domain matches the provider's identity; a production stack does
    not point at a dev/staging/local or shared Logto endpoint, uses https, has a test recipient,
    keeps DMARC and SES events on; DMARC p=reject only with an aligned From.
    With --live (M2M secret from LOGTO_APP_SECRET_<STACK>_<TENANT>, LOGTO_APP_SECRET_<TENANT>
    or LOGTO_EMAIL_<TENANT>_APP_SECRET,
    AWS from the usual environment): the live sign-in experience keeps working with the declared
    connector, and the deliverability report (`deliverability`) finds nothing wrong: SES
    account not paused, under review or in the sandbox, rates below the alarm levels,
    SPF/DKIM/MAIL FROM/DMARC as the provider and the stack say.

    Each finding has a severity, a code (LE1xx offline, LE2xx live), the YAML path, and a fix.

    \b
    Exit codes:
      0  no errors or warnings (info findings allowed); also warnings only with --warnings-ok
      1  at least one error
      2  warnings but no errors (note: click's usage errors also exit 2)
    """
    spec, findings = check_stack(project_dir, stack)
    if spec is not None and tenants:
        unknown = [t for t in tenants if t not in spec.tenants]
        if unknown:
            raise click.BadParameter(f"not in stack {stack}: {', '.join(unknown)}", param_hint="--tenant")
        findings = [f for f in findings if f.tenant is None or f.tenant in tenants]
    if spec is not None and live:
        from connectors.check.live import live_findings
        from connectors.deliverability.dns_checks import DnsResolver
        from connectors.deliverability.report import Sources

        sources = Sources(resolver=DnsResolver(nameserver)) if nameserver else None
        findings += live_findings(spec, tenants=list(tenants) or None, sources=sources)
    findings = [f for f in findings if f.code not in set(ignored)]
    findings.sort(key=lambda f: (-f.severity.rank, f.tenant or "", f.code, f.path))
    code = exit_code(findings, warnings_ok=warnings_ok)
    if as_json:
        counts = {s.value: sum(f.severity is s for f in findings) for s in Severity}
        click.echo(json.dumps({"stack": stack, "production": spec.production if spec else None, "live": live,
                               "exit_code": code, "counts": counts, "findings": [f.to_json() for f in findings]}, indent=2))
    else:
        _show(stack, findings, spec.production if spec else None)
    sys.exit(code)


def _show(stack: str, findings: list[Finding], production: bool | None) -> None:
    colour = {Severity.error: "red", Severity.warning: "yellow", Severity.info: "cyan"}
    for f in findings:
        click.secho(f"{f.severity.value:<7}", fg=colour[f.severity], nl=False)
        click.echo(f" {f.code} {f.path}: {f.message}")
        if f.fix:
            click.echo(f"        fix: {f.fix}")
    n = {s: sum(f.severity is s for f in findings) for s in Severity}
    kind = " (production)" if production else ""
    click.echo(f"stack {stack}{kind}: {n[Severity.error]} error(s), {n[Severity.warning]} warning(s), {n[Severity.info]} info")
