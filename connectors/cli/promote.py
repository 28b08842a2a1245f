"""`python -m connectors promote`: the click command and how a promotion is shown."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Any

import click

from connectors.errors import ConfigError
from connectors.promote.engine import Promotion, plan_promotion, write_promotion

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@click.command("promote")
@click.option("--from", "source", default="dev", show_default=True, metavar="STACK", help="Stack whose proven settings are copied.")
@click.option("--to", "target", default="prod", show_default=True, metavar="STACK", help="Stack file that receives them.")
@click.option("--tenant", "-t", "tenants", multiple=True, metavar="KEY", help="Promote only this tenant (repeatable).")
@click.option("--write", is_flag=True, help="Apply the changes to Pulumi.<to>.yaml (default: dry run).")
@click.option("--json", "as_json", is_flag=True, help="Print the promotion as JSON (for pipelines).")
@click.option("--patch", is_flag=True, help="Also print the file change as a unified diff.")
@click.option(
    "--project-dir", "-C", "project_dir", default=".", show_default="current directory",
    type=click.Path(file_okay=False, path_type=Path), help="Directory holding Pulumi.yaml and the stack files.",
)
def promote_command(source: str, target: str, tenants: tuple[str, ...], write: bool, as_json: bool, patch: bool, project_dir: Path) -> None:
    """Copy the portable settings of stack FROM into Pulumi.TO.yaml.

    Portable settings are the ones the schema marks so: provider choice and its tuning, sender
    name, branding, templates, locales, DMARC, events, sign-in experience. Everything bound to an
    environment (Logto endpoint and app, domains, DNS zones, secrets, test recipient) stays as the
    target has it; secrets are never copied. Comments, key order and `secure:` values are kept.

    A dry run by default: shows `tenant  path  TO value -> FROM value`. With --write the file is
    validated as `load_stack` would load it, then replaced atomically.

    \b
    Exit codes:
      0  nothing to promote, dry run shown, or file written
      1  cannot promote: the target lacks a secret or other environment-bound value the
         promoted setup needs (the `pulumi config set` commands are printed), the result would
         not validate, or the source stack is invalid; nothing is written
      2  bad usage (unknown option or tenant)
    """
    try:
        promo = plan_promotion(project_dir, source, target, tenants)
    except ConfigError as exc:
        if as_json:
            click.echo(json.dumps({"ok": False, "error": str(exc)}, indent=2))
        else:
            click.secho(str(exc), err=True, fg="red")
        unknown_tenant = any("is not in stack" in p.message for p in exc.problems)
        sys.exit(EXIT_USAGE if unknown_tenant else EXIT_FAILED)
    if write and promo.ok:
        try:
            write_promotion(promo)
        except (ConfigError, OSError) as exc:
            click.secho(f"nothing written: {exc}", err=True, fg="red")
            sys.exit(EXIT_FAILED)
    if as_json:
        click.echo(json.dumps(to_json(promo), indent=2, ensure_ascii=False))
    else:
        show(promo, write=write, patch=patch)
    sys.exit(EXIT_OK if promo.ok else EXIT_FAILED)


def to_json(promo: Promotion) -> dict[str, Any]:
    return {
        "from": promo.source,
        "to": promo.target,
        "file": promo.target_file.name,
        "ok": promo.ok,
        "written": promo.written,
        "changes": [
            {"tenant": c.tenant, "path": c.path, "action": c.action, "before": c.before, "after": c.after, "note": c.note}
            for c in promo.changes
        ],
        "needed": [
            {"tenant": n.tenant, "path": n.path, "secret": n.secret, "reason": n.reason, "command": n.command(promo.target)}
            for n in promo.needed
        ],
        "missing_in_target": promo.missing_in_target,
        "only_in_target": promo.only_in_target,
        "problems": [{"path": p.path, "message": p.message, "fix": p.hint} for p in promo.problems],
        "notes": promo.notes,
        "formatting_kept": promo.faithful,
    }


def show(promo: Promotion, *, write: bool, patch: bool) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = Console(highlight=False, soft_wrap=True)
    src, dst = promo.source, promo.target
    if promo.changes:
        table = Table(title=f"promote {src} → {dst}: {len(promo.changes)} setting(s) differ", title_justify="left")
        table.add_column("tenant")
        table.add_column("path")
        table.add_column(f"{dst} (now)")
        table.add_column(f"→ {src}")
        for c in promo.changes:
            rel = c.path.split(".", 2)[2]
            before = _fmt(c.before) + (" (default)" if c.action == "add" and c.before is not None else "")
            after = "(removed)" if c.action == "remove" and c.after is None else _fmt(c.after)
            if c.action == "remove" and c.after is not None:
                after += " (default)"
            table.add_row(c.tenant, rel + (f"\n[dim]{c.note}[/dim]" if c.note else ""), Text(before, style="red"), Text(after, style="green"))
        out.print(table)
    else:
        out.print(f"promote {src} → {dst}: no portable setting differs")
    for note in promo.notes:
        out.print(Text(f"note: {note}", style="yellow"))
    for t in promo.missing_in_target:
        out.print(f"[yellow]tenant {t} is in {src} but not in {dst}: not promoted[/yellow] "
                  f"(declare it in Pulumi.{dst}.yaml with its own logto endpoint, app, domains and secrets first)")
    for t in promo.only_in_target:
        out.print(f"[dim]tenant {t} is only in {dst}: left as it is[/dim]")
    if promo.needed:
        out.print(f"[red bold]cannot promote: Pulumi.{dst}.yaml lacks {len(promo.needed)} environment-bound value(s) "
                  f"the promoted setup needs (never copied from {src}). Set them, then run promote again:[/red bold]")
        for n in promo.needed:
            out.print("  " + n.command(dst), markup=False)
    if promo.problems:
        out.print(f"[red bold]cannot promote: the promoted Pulumi.{dst}.yaml would not load:[/red bold]")
        for p in promo.problems:
            out.print(f"  - {p}", markup=False)
    if patch and promo.changed:
        name = promo.target_file.name
        diff = difflib.unified_diff(promo.original.splitlines(True), promo.text.splitlines(True), f"a/{name}", f"b/{name}")
        out.print("".join(diff), markup=False, end="")
    if not promo.faithful:
        out.print("[yellow]note: this file's layout is not one ruamel.yaml reproduces exactly; lines outside the changes may be re-indented[/yellow]")
    if not promo.ok:
        out.print("nothing written")
    elif promo.written:
        out.print(f"[green]wrote {promo.target_file.name}[/green]: next `pulumi preview --stack {dst}`, then `pulumi up --stack {dst}`")
    elif promo.changed:
        out.print(f"dry run: nothing written; apply with `python -m connectors promote --from {src} --to {dst} --write`")


def _fmt(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    if value == "":
        return '""'
    return str(value)
