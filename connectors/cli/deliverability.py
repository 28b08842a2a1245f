"""`python -m connectors deliverability`: each tenant's sending health and DNS, for people or pipelines."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from connectors.cli import EXIT_INVALID, fail, stack_options
from connectors.errors import ConfigError


def _nameserver(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from connectors.deliverability.dns_checks import parse_nameserver

    if value is not None:
        try:
            parse_nameserver(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


nameserver_option = click.option(
    "--nameserver", metavar="IP[:PORT]", default=None, callback=_nameserver,
    help="Ask this DNS server instead of the system's resolvers.",
)


@click.command("deliverability")
@stack_options
@click.option("--tenant", "-t", "only", multiple=True, metavar="T", help="Only this tenant (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@nameserver_option
def deliverability_command(stack: str, project_dir: Path, only: tuple[str, ...], as_json: bool, nameserver: str | None) -> None:
    """Show, per tenant, whether the provider can send and whether the domain's DNS is right.

    \b
    SES: account sending enabled or paused, enforcement status (HEALTHY, under review
    = PROBATION, SHUTDOWN), production access, 24-hour quota and use, configuration set
    paused or not, identity and DKIM status, bounce and complaint rates (CloudWatch,
    latest hour of the last day) against the stack's alarm levels, suppressed addresses
    (counted, never listed). DNS, every provider: SPF (the provider's include, at most
    10 lookups), DKIM / the provider's records, SES MAIL FROM MX, DMARC as declared.
    AWS credentials come from boto3's usual chain (read-only permissions suffice:
    docs/deliverability.md); no stack secret is read or shown.

    \b
    Exit codes: 0 healthy (info allowed) · 1 invalid stack · 2 bad usage · 3 attention
    (warnings) · 4 something could not be read (credentials, permissions, DNS timeout)
    · 5 failing (sending paused or shut down, sandbox on production, a rate at the
    review level, DNS records missing or wrong, SPF over 10 lookups).
    """
    from connectors.deliverability.dns_checks import DnsResolver
    from connectors.deliverability.report import Sources, exit_code, stack_report
    from connectors.stack import load_stack

    try:
        spec = load_stack(project_dir, stack)
    except ConfigError as exc:
        fail(exc)
    unknown = [k for k in only if k not in spec.tenants]
    if unknown:
        raise click.BadParameter(f"no tenant {', '.join(unknown)} in stack {stack} (tenants: {', '.join(spec.tenants)})", param_hint="--tenant")
    sources = Sources(resolver=DnsResolver(nameserver) if nameserver else None)
    reports = stack_report(spec, sources, list(only) or None)
    code = exit_code(reports)
    if as_json:
        click.echo(json.dumps({"stack": stack, "production": spec.production, "exit_code": code,
                               "tenants": [r.to_dict() for r in reports]}, indent=2, ensure_ascii=False))
    else:
        _print(stack, [r.to_dict() for r in reports])
    sys.exit(code)


def _pct(v: float | None) -> str:
    return "?" if v is None else f"{v * 100:.3g} %"


def _print(stack: str, reports: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160, highlight=False, soft_wrap=False)
    colour = {"healthy": "green", "attention": "yellow", "unknown": "magenta", "failing": "red"}
    table = Table(title=f"stack {stack}: deliverability")
    for col in ("tenant", "provider", "state", "sending", "enforcement", "production", "24 h quota", "bounce", "complaint", "suppressed", "DNS"):
        table.add_column(col)
    for r in reports:
        s = r["sending"] or {}
        sending = "n/a" if not r["sending"] else (
            "paused" if s.get("sending_enabled") is False or s.get("configuration_set_sending") is False
            else "enabled" if s.get("sending_enabled") else "?")
        quota = f"{s['sent_last_24h']:g} / {s['max_24h_send']:g}" if s.get("max_24h_send") is not None and s.get("sent_last_24h") is not None else ("n/a" if not r["sending"] else "?")
        dns_ok = sum(1 for c in r["dns"] if c["status"] == "ok")
        table.add_row(
            escape(r["tenant"]), r["provider"], f"[{colour[r['state']]}]{r['state']}[/]", sending,
            str(s.get("enforcement_status") or ("n/a" if not r["sending"] else "?")),
            ("yes" if s.get("production_access") else "sandbox") if r["sending"] and s.get("production_access") is not None else ("n/a" if not r["sending"] else "?"),
            quota,
            _pct(s.get("bounce_rate")) if r["sending"] else "n/a",
            _pct(s.get("complaint_rate")) if r["sending"] else "n/a",
            (str(s["suppressed"]) + ("+" if s.get("suppressed_capped") else "")) if s.get("suppressed") is not None else ("n/a" if not r["sending"] else "?"),
            f"{dns_ok}/{len(r['dns'])} ok",
        )
    console.print(table)
    style = {"critical": "red", "warning": "yellow", "unknown": "magenta", "info": "cyan"}
    for r in reports:
        if not r["problems"]:
            continue
        console.print(f"[bold]{escape(r['tenant'])}[/bold]")
        for p in r["problems"]:
            console.print(f"  [{style[p['level']]}]{p['level']:<8}[/] {p['code']} {escape(p['path'])}: {escape(p['message'])}", soft_wrap=True)
            if p["fix"]:
                console.print(f"           fix: {escape(p['fix'])}", soft_wrap=True)


__all__ = ["EXIT_INVALID", "deliverability_command", "nameserver_option"]
