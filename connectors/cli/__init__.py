"""`python -m connectors`: validate and render stacks, and the operator commands.

Exit codes (every command): 0 success; 1 the stack or a live check has errors (each printed
with file, YAML path and fix); 2 bad command-line usage; 70 an internal error (a bug, reported
without a traceback). Commands document any extra codes.
Nothing here imports pulumi or pulumi_aws: it runs in well under a second.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

import click

from connectors.errors import ConfigError, Problem

if TYPE_CHECKING:
    from connectors.stack import StackSpec

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def stack_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--stack and --project-dir, shared by every command that reads one stack."""

    @click.option("--stack", "-s", "stack", required=True, metavar="NAME", help="Stack name: reads Pulumi.NAME.yaml.")
    @click.option(
        "--project-dir", "-C", "project_dir", default=".", show_default="current directory",
        type=click.Path(file_okay=False, path_type=Path), help="Directory holding Pulumi.yaml and the stack files.",
    )
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def fail(error: ConfigError) -> NoReturn:
    """Print every problem (never a traceback) and exit 1."""
    click.secho(str(error), err=True, fg="red")
    sys.exit(EXIT_INVALID)


class Lazy(NamedTuple):
    """A command in its own module, and the start of its help for the command list of `--help`
    (a test keeps it equal to the command's own)."""

    module: str
    attr: str
    summary: str


# Commands that live in their own modules: imported only when invoked, so `validate` never pays
# for httpx, boto3 or the promotion engine, and `--help` for none of them.
LAZY_COMMANDS: dict[str, Lazy] = {
    "check": Lazy("connectors.cli.check", "check_command",
                  "Policy checks of Pulumi.STACK.yaml, without cloud credentials unless --live."),
    "deliverability": Lazy("connectors.cli.deliverability", "deliverability_command",
                           "Show, per tenant, whether the provider can send and whether the domain's DNS is right."),
    "promote": Lazy("connectors.cli.promote", "promote_command", "Copy the portable settings of stack FROM into Pulumi.TO.yaml."),
    "status": Lazy("connectors.cli.operator", "status", "Show each tenant's live email connector, sign-in settings and i18n "
                   "template rows, and how they differ from Pulumi.STACK.yaml (secrets are never shown, only named)."),
    "test-send": Lazy("connectors.cli.operator", "test_send", "Send the declared connector config through Logto's test "
                      "endpoint (POST /api/connectors/<factory>/test): a real \"Generic\" message with code 000000."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            import importlib

            lazy = LAZY_COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(lazy.module), lazy.attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's command list, with the lazy commands' lines from LAZY_COMMANDS (no import)."""
        names = [n for n in self.list_commands(ctx) if n in LAZY_COMMANDS or not self.commands[n].hidden]
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)

        def line(name: str) -> str:
            command = self.commands.get(name)
            if command is not None:
                return command.get_short_help_str(limit)
            return click.Command(name, help=LAZY_COMMANDS[name].summary).get_short_help_str(limit)  # click's own shortening

        rows = [(n, line(n)) for n in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="logto-email")
def cli() -> None:
    """logto-email: each Logto tenant's email chain as code.

    \b
    Exit codes: 0 ok · 1 invalid stack or failed check (every problem is listed
    with its file, YAML path and fix) · 2 bad usage · 70 internal error (a bug).
    """


@dataclass(frozen=True)
class RenderedSummary:
    """What `validate` reports of a rendered set, without holding the set."""

    count: int
    warnings: tuple[Any, ...]


def _cells(text: str) -> int:
    """Terminal columns `text` takes (East Asian wide and full-width characters take two)."""
    from unicodedata import east_asian_width

    return len(text) if text.isascii() else sum(2 if east_asian_width(c) in "WF" else 1 for c in text)


def aligned_table(columns: Sequence[str], rows: Sequence[Sequence[str]], *, right: frozenset[int] = frozenset()) -> list[str]:
    """A header, a rule and one line per row, every value whole (never wrapped or cut short): what
    `validate` prints for hundreds of tenants, where rich's table took longer than the checks."""
    widths = [max([_cells(c), *(_cells(row[i]) for row in rows)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        pads = [" " * (w - _cells(v)) for v, w in zip(values, widths)]
        return "  ".join(p + v if i in right else v + p for i, (v, p) in enumerate(zip(values, pads))).rstrip()

    return [line(columns), "  ".join("-" * w for w in widths), *map(line, rows)]


def compile_stack(project_dir: Path, stack: str, *, keep_rendered: bool = True) -> tuple[StackSpec, dict[str, tuple[Any, Any]]]:
    """Load a stack and build every tenant's templates and connector config; all problems at once.

    `built[tenant]` is `(rendered set, connector model)`; with `keep_rendered=False` (checks that
    only report) it is `(RenderedSummary, model)`, so a large stack's sets are not all held."""
    from connectors.stack import load_stack

    spec = load_stack(project_dir, stack)  # before the heavier imports: a bad file is refused fast
    from connectors.connector_config import build_connector_config, render_tenant

    problems: list[Problem] = []
    built: dict[str, tuple[Any, Any]] = {}
    for key, tenant in spec.tenants.items():
        base = f"config.logto-email:tenants.{key}"
        try:
            rendered = render_tenant(tenant, project_dir, path=f"{base}.templates")
            model = build_connector_config(tenant, rendered, path=f"{base} (connector config)")
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        built[key] = (rendered if keep_rendered else RenderedSummary(len(rendered.emails), tuple(rendered.warnings)), model)
    if problems:
        raise ConfigError(problems, source=spec.source)
    return spec, built


@cli.command()
@stack_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of a table.")
def validate(stack: str, project_dir: Path, as_json: bool) -> None:
    """Check Pulumi.STACK.yaml: schema, secrets, templates and every connector config.

    Exit 0 when valid; exit 1 listing every problem with file, YAML path and how to fix it.
    """
    try:
        spec, built = compile_stack(project_dir, stack, keep_rendered=False)
    except ConfigError as exc:
        if as_json:
            click.echo(json.dumps({"valid": False, "source": exc.source, "problems": [
                {"path": p.path, "message": p.message, "fix": p.hint} for p in exc.problems]}, indent=2))
            sys.exit(EXIT_INVALID)
        fail(exc)
    rows = [
        {
            "tenant": key,
            "provider": t.provider.type,
            "factory": t.factory_id,
            "sender": t.sender.email if t.sender else "(Logto)",
            "locales": list(t.locales),
            "templates": t.templates.storage,
            "emails": built[key][0].count,
        }
        for key, t in spec.tenants.items()
    ]
    warnings = [
        {"path": f"config.logto-email:tenants.{key}.templates", "where": w.where, "message": w.message}
        for key in spec.tenants for w in built[key][0].warnings
    ]
    if as_json:
        click.echo(json.dumps({"valid": True, "stack": stack, "production": spec.production, "tenants": rows,
                               "warnings": warnings}, indent=2))
        return
    click.echo(f"stack {stack}{' (production)' if spec.production else ''}: valid")
    columns = ("tenant", "provider", "factory", "sender", "locales", "templates", "emails")
    cells = [[r["tenant"], r["provider"], r["factory"], r["sender"], ", ".join(r["locales"]), r["templates"],
              str(r["emails"])] for r in rows]
    for line in aligned_table(columns, cells, right=frozenset({len(columns) - 1})):
        click.echo(line)
    for w in warnings:  # valid, but an email would say something untrue
        click.echo(f"warning: {w['path']}: {w['where']}: {w['message']}", err=True)


@cli.command()
@stack_options
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output directory (created).")
def render(stack: str, project_dir: Path, out: Path) -> None:
    """Write what each tenant would push, for review: no secret is ever written.

    \b
    OUT/index.html                      the stack's gallery, one section per tenant
    OUT/<tenant>/connector.json         the exact Logto config; secrets shown as <secret>
    OUT/<tenant>/email-templates.json   the /api/email-templates rows (templates.storage: logto)
    OUT/<tenant>/<locale>/<Type>.html   each email, HTML and plain text (.txt)
    OUT/<tenant>/index.html             that tenant's gallery

    Exit 0 when written; 1 when the stack is invalid (nothing written).
    """
    from connectors.connector_config import template_sender
    from connectors.templates import email_template_rows, write_preview

    try:
        spec, built = compile_stack(project_dir, stack)
    except ConfigError as exc:
        fail(exc)
    out.mkdir(parents=True, exist_ok=True)
    sections = []
    for key, (rendered, model) in built.items():
        tenant = spec.tenants[key]
        tdir = out / key
        tdir.mkdir(parents=True, exist_ok=True)
        doc = {"connectorId": model.FACTORY_ID, "config": model.to_logto(reveal=False)}
        (tdir / "connector.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if tenant.templates.storage == "logto":
            rows = email_template_rows(model.FACTORY_ID, rendered, template_sender(tenant))
            (tdir / "email-templates.json").write_text(json.dumps({"templates": rows}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        write_preview(tdir, rendered)
        sections.append((key, tenant, len(rendered.emails)))
    _write_stack_index(out, stack, spec.production, sections)
    click.echo(f"rendered {len(sections)} tenant(s) of stack {stack} into {out}/ (open {out / 'index.html'})")


def _write_stack_index(out: Path, stack: str, production: bool, sections: list[tuple[str, Any, int]]) -> None:
    from html import escape

    items = "\n".join(
        f'<tr><td><a href="{escape(key)}/index.html">{escape(key)}</a></td><td>{escape(t.provider.type)}</td>'
        f"<td>{escape(t.factory_id)}</td><td>{escape(', '.join(t.locales))}</td><td>{n}</td>"
        f'<td><a href="{escape(key)}/connector.json">connector.json</a></td></tr>'
        for key, t, n in sections
    )
    (out / "index.html").write_text(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>logto-email · {escape(stack)}</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#1f2937}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #e5e7eb;padding:.5rem;text-align:left}}</style></head>
<body><h1>Stack <code>{escape(stack)}</code>{' · production' if production else ''}</h1>
<table><tr><th>tenant</th><th>provider</th><th>factory</th><th>locales</th><th>emails</th><th>config</th></tr>
{items}</table></body></html>
""",
        encoding="utf-8",
    )


EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in this tool, not in the stack


def main() -> None:
    """The console entry point: whatever escapes a command is reported without a traceback.

    A traceback can quote local values (a decrypted secret, a template's output); the type name
    is enough to file a bug, and LOGTO_EMAIL_DEBUG=1 re-raises for a developer. Tests call `cli`
    directly, so they still see every exception.
    """
    import os

    try:
        cli.main(prog_name="python -m connectors", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BaseException as exc:  # the last line of defence, see above
        if os.environ.get("LOGTO_EMAIL_DEBUG") == "1":
            raise
        click.secho(f"internal error ({type(exc).__name__}): a bug in logto-email, not in your stack. "
                    "Re-run with LOGTO_EMAIL_DEBUG=1 to see the traceback.", err=True, fg="red")
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":  # pragma: no cover
    main()
