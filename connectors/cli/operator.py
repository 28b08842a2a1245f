"""Operator commands: `status` (what each tenant has live, and how it differs from the stack) and
`test-send` (send the declared config through Logto's test endpoint, saving nothing).

Both read secrets from the environment or, when the Pulumi CLI is installed, from the stack
(see `connectors.cli.credentials`). Output is a rich table for people or `--json` for
programs; neither ever holds a secret: configs are compared as paths, secrets only named.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from connectors.cli import EXIT_OK, fail, stack_options
from connectors.errors import ConfigError
from connectors.validators import is_email_address

EXIT_DRIFT = 3  # status: something live differs from the stack
EXIT_UNREACHABLE = 4  # a tenant could not be checked / the message was not sent

_PULUMI_OPTION = click.option(
    "--pulumi/--no-pulumi", "use_pulumi", default=None,
    help="Read secrets missing from the environment with the Pulumi CLI (default: when it is installed).",
)


# -- shared --------------------------------------------------------------------------------------
def _compile(project_dir: Path, stack: str):  # type: ignore[no-untyped-def]
    from connectors.cli import compile_stack

    try:
        return compile_stack(project_dir, stack)
    except ConfigError as exc:
        fail(exc)


def sender_of(factory_id: str, config: dict[str, Any]) -> str:
    from connectors.providers import FACTORIES

    model = FACTORIES.get(factory_id)
    keys = model.SENDER_KEYS if model else ()
    parts = [str(config[k]) for k in keys if config.get(k)]
    if not keys:
        return "(your endpoint)"
    if len(parts) == 2:
        from connectors.templates.formats import format_address

        return format_address(parts[0], parts[1])
    return parts[0] if parts else "?"


def _client(creds: Any):  # type: ignore[no-untyped-def]
    from connectors.logto import LogtoClient

    logto = creds.tenant.logto
    return LogtoClient(logto.endpoint, logto.app_id, logto.app_secret, resource=logto.resource)


def _unknown_paths(desired: Any, live: Any, path: str = "") -> tuple[Any, list[str]]:
    """`desired` with every value we could not know (an unresolved secret, a value only `pulumi up`
    makes) replaced by the live one, so it is not reported as drift; and those paths."""
    from connectors.connector_config import GENERATED, GENERATED_URL
    from connectors.secret import SECRET_MARKER

    if isinstance(desired, dict):
        out, unknown = {}, []
        for k, v in desired.items():
            sub = f"{path}.{k}" if path else str(k)
            out[k], more = _unknown_paths(v, live.get(k) if isinstance(live, dict) else None, sub)
            unknown += more
        return out, unknown
    if isinstance(desired, list):
        out_list, unknown = [], []
        for i, v in enumerate(desired):
            other = live[i] if isinstance(live, list) and i < len(live) else None
            value, more = _unknown_paths(v, other, f"{path}[{i}]")
            out_list.append(value)
            unknown += more
        return out_list, unknown
    if desired in (SECRET_MARKER, GENERATED, GENERATED_URL):
        return live, [path]
    return desired, []


# -- status --------------------------------------------------------------------------------------
def tenant_status(key: str, tenant: Any, rendered: Any, creds: Any) -> dict[str, Any]:
    """Everything `status` reports for one tenant, as JSON-able data without secrets."""
    from connectors.connector_config import build_connector_config, template_sender
    from connectors.deploy import Desired, make_plan
    from connectors.deploy import email_templates as tpl
    from connectors.deploy import sign_in_experience as sie_core
    from connectors.logto import LogtoError
    from connectors.providers import I18N_TEMPLATE_FACTORIES
    from connectors.templates import email_template_rows

    fid = tenant.factory_id
    out: dict[str, Any] = {
        "tenant": key,
        "endpoint": tenant.logto.endpoint,
        "declared": {"factory": fid, "provider": tenant.provider.type, "sender": None},
        "credentials": creds.sources,
        "missing": creds.missing,
        "live": None,
        "connector": None,
        "sign_in": None,
        "policy": None,
        "templates": None,
        "drift": False,
        "error": None,
    }
    from connectors.connector_config import GENERATED

    # Values we cannot know here are compared as "unknown", not reported as drift.
    generated = {**creds.generated, **{k: GENERATED for k in creds.unresolved}}
    try:
        model = build_connector_config(creds.tenant, rendered, generated, path=f"tenants.{key}")
    except ConfigError as exc:
        out["error"] = str(exc)
        return out
    desired_raw = model.to_logto(reveal=True)
    out["declared"]["sender"] = sender_of(fid, desired_raw)
    if not creds.app_secret_known:
        out["error"] = "no Management API credentials: " + "; ".join(m for m in creds.missing if m.startswith("logto."))
        return out
    try:
        with _client(creds) as client:
            live = client.get_email_connector()
            desired, unknown = _unknown_paths(desired_raw, live.config if live else {})
            the_plan = make_plan(live, Desired(fid, desired), live.id if live else None)
            out["live"] = (
                {"factory": live.factory_id, "id": live.id, "sender": sender_of(live.factory_id, live.config)} if live else None
            )
            in_sync = the_plan.action.value in ("noop", "adopt")
            out["connector"] = {
                "action": the_plan.action.value,
                "summary": the_plan.summary,
                "changes": [{"path": c.path, "kind": c.kind, "secret": c.secret} for c in the_plan.changes],
                "not_compared": unknown,
                "in_sync": in_sync,
            }
            sie = client.get_sign_in_experience()
            live_email = sie_core.live_settings(sie)
            declared = tenant.sign_in_experience
            wanted = {} if declared is None else {
                k: getattr(declared, k) for k in ("email_sign_up", "email_sign_in", "forgot_password") if getattr(declared, k) is not None
            }
            sign_in_drift = sorted(k for k, v in wanted.items() if getattr(live_email, k) != v)
            out["sign_in"] = {
                "declared": wanted,
                "live": {k: getattr(live_email, k) for k in ("email_sign_up", "email_sign_in", "forgot_password")},
                "drift": sign_in_drift,
                **sie_core.summary(sie),
            }
            out["policy"] = _policy_status(client, tenant, sie, sie_core)
            out["sign_in"]["needs_email_connector"] += out["policy"]["needs_email_connector"]
            templates: dict[str, Any] = {"storage": tenant.templates.storage, "read_by_factory": fid in I18N_TEMPLATE_FACTORIES}
            rows = client.list_email_templates()
            by_lang: dict[str, int] = {}
            for r in rows:
                by_lang[r["languageTag"]] = by_lang.get(r["languageTag"], 0) + 1
            templates["rows_by_language"] = by_lang
            template_drift: list[str] = []
            if tenant.templates.storage == "logto":
                want = tpl.by_key(email_template_rows(fid, rendered, template_sender(tenant)))
                have = tpl.by_key(rows)
                template_drift = [str(c) for c in tpl.details_changes({k: have[k] for k in want if k in have}, want)]
                templates["declared_rows"] = len(want)
                templates["other_rows"] = sorted(k for k in have if k not in want)
                fallback = (sie.get("languageInfo") or {}).get("fallbackLanguage")
                templates["fallback_language"] = fallback
                if fallback and fallback not in tenant.locales:
                    templates["note"] = (
                        f"Logto's fallback language {fallback} has no declared rows: users whose language is not one of "
                        f"{', '.join(tenant.locales)} get the connector's own templates ({tenant.locales[0]})"
                    )
            elif rows and fid in I18N_TEMPLATE_FACTORIES:
                templates["note"] = (
                    f"{len(rows)} row(s) in Logto's email templates take precedence over the connector's own templates"
                )
            templates["drift"] = template_drift
            out["templates"] = templates
            out["drift"] = not in_sync or bool(sign_in_drift) or bool(template_drift) or bool(out["policy"]["drift"])
    except LogtoError as exc:
        out["error"] = str(exc)
    return out


def _policy_status(client: Any, tenant: Any, sie: dict[str, Any], sie_core: Any) -> dict[str, Any]:
    """Code lifetime, block/allow list, email MFA and account-center email: declared, live, drift."""
    from connectors import email_policy as ep
    from connectors.connector_config import code_lifetime_seconds
    from connectors.deploy.guard import email_dependencies
    from connectors.logto import LogtoError

    declared = tenant.sign_in_experience
    inputs = declared.resource_inputs() if declared else {}
    want = sie_core.EmailSettings(**{k: inputs.get(k) for k in (
        "verification_code_policy", "email_blocklist_policy", "email_mfa", "account_center_email")})
    try:
        account_center = client.get_account_center()
    except LogtoError:
        account_center = None  # an older Logto without the Account Center
    drift = sie_core.policy_drift(want, sie, account_center)
    mismatch = ep.lifetime_mismatch(code_lifetime_seconds(tenant), sie.get("verificationCodePolicy"))
    if mismatch:
        drift.append(mismatch)
    return {
        "declared": {k: v for k, v in inputs.items() if k not in ("email_sign_up", "email_sign_in", "forgot_password")},
        "live": {
            "verification_code_policy": dict(sie.get("verificationCodePolicy") or {}),
            "email_blocklist_policy": dict(sie.get("emailBlocklistPolicy") or {}),
            "email_mfa": sie_core.live_settings(sie).email_mfa,
            "account_center": None if account_center is None else {
                "enabled": bool(account_center.get("enabled")), "email": (account_center.get("fields") or {}).get("email", "Off")},
        },
        "drift": drift,
        "needs_email_connector": email_dependencies({}, account_center),
    }


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 140, highlight=False, soft_wrap=False)


def _print_status(stack: str, results: list[dict[str, Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    table = Table(title=f"stack {stack}: live status", show_lines=False)
    for col in ("tenant", "live connector", "sender", "drift", "email sign-in (live)", "i18n rows"):
        table.add_column(col)
    for r in results:
        live = r["live"]
        connector = f"{live['factory']} · {live['id']}" if live else ("?" if r["error"] else "none")
        if r["error"]:
            drift = "[red]unknown[/red]"
        elif r["drift"]:
            drift = "[yellow]drift[/yellow]"
        else:
            drift = "[green]in sync[/green]"
        s = r["sign_in"]
        email = (
            ", ".join(k.replace("email_", "").replace("_", " ") for k, v in s["live"].items() if v) or "none"
        ) if s else "?"
        t = r["templates"]
        rows = ", ".join(f"{k} {v}" for k, v in sorted(t["rows_by_language"].items())) if t and t["rows_by_language"] else ("none" if t else "?")
        sender = (live or {}).get("sender") or r["declared"]["sender"] or "?"
        table.add_row(escape(r["tenant"]), escape(connector), escape(sender), drift, escape(email), escape(rows))
    console.print(table)
    for r in results:
        lines: list[str] = []
        if r["error"]:
            lines.append(f"[red]error:[/red] {escape(r['error'])}")
        c = r["connector"]
        if c:
            if not c["in_sync"]:
                lines.append(f"connector: {escape(c['summary'])} (declared {r['declared']['factory']}, sender {escape(r['declared']['sender'] or '?')})")
            if c["not_compared"]:
                lines.append("not compared (value unknown here): " + ", ".join(c["not_compared"]))
        s = r["sign_in"]
        if s:
            for k in s["drift"]:
                lines.append(f"sign-in: {k} declared {s['declared'][k]}, live {s['live'][k]}")
            lines.append("sign-in methods: " + (", ".join(s["sign_in_methods"]) or "none")
                         + f"; sign-up: {', '.join(s['sign_up_identifiers'] + s['secondary_identifiers']) or 'none'}"
                         + (" (verified)" if s["sign_up_verify"] else ""))
            if s["needs_email_connector"]:
                lines.append("needs the email connector: " + "; ".join(s["needs_email_connector"]))
        p = r.get("policy")
        if p:
            for d in p["drift"]:
                lines.append(f"policy: {escape(d)}")
            live_p = p["live"]
            code = live_p["verification_code_policy"]
            lines.append(
                f"codes live {code.get('expirationDuration', 600)} s, {code.get('maxRetryAttempts', 10)} tries; email MFA "
                + ("on" if live_p["email_mfa"] else "off")
                + ("" if live_p["account_center"] is None else
                   f"; account center {'on' if live_p['account_center']['enabled'] else 'off'}, email {live_p['account_center']['email']}")
            )
        t = r["templates"]
        if t:
            if t.get("drift"):
                lines.append("i18n templates: " + ", ".join(t["drift"][:12]) + (f" … and {len(t['drift']) - 12} more" if len(t["drift"]) > 12 else ""))
            if t.get("other_rows"):
                lines.append(f"i18n templates not declared here: {', '.join(t['other_rows'][:12])}")
            if t.get("note"):
                lines.append(f"note: {t['note']}")
        for m in r["missing"]:
            if not r["error"] or not m.startswith("logto."):
                lines.append(f"[dim]secret not available: {escape(m)}[/dim]")
        if lines:
            console.print(f"[bold]{escape(r['tenant'])}[/bold]")
            for line in lines:
                console.print(f"  {line}", soft_wrap=True)


@click.command()
@stack_options
@click.option("--tenant", "-t", "only", multiple=True, metavar="T", help="Only this tenant (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@_PULUMI_OPTION
def status(stack: str, project_dir: Path, only: tuple[str, ...], as_json: bool, use_pulumi: bool | None) -> None:
    """Show each tenant's live email connector, sign-in settings and i18n template rows,
    and how they differ from Pulumi.STACK.yaml (secrets are never shown, only named).

    \b
    Credentials: LOGTO_EMAIL_<TENANT>_APP_SECRET (tenant upper-cased, - → _),
    provider secrets LOGTO_EMAIL_<TENANT>_<KEY> (e.g. _PASSWORD, _API_KEY), else
    `pulumi config get` when the Pulumi CLI is installed. See docs/operator-commands.md.

    \b
    Exit codes: 0 everything live matches the stack · 1 invalid stack · 2 bad usage
    (e.g. unknown tenant) · 3 drift found · 4 a tenant could not be checked
    (no credentials, Logto unreachable or refusing).
    """
    from connectors.cli.credentials import CredentialSource

    spec, built = _compile(project_dir, stack)
    keys = list(only) or list(spec.tenants)
    unknown = [k for k in keys if k not in spec.tenants]
    if unknown:
        raise click.BadParameter(f"no tenant {', '.join(unknown)} in stack {stack} (tenants: {', '.join(spec.tenants)})", param_hint="--tenant")
    source = CredentialSource(stack, project_dir, use_pulumi=use_pulumi)
    results = []
    for key in keys:
        tenant = spec.tenants[key]
        creds = source.resolve(key, tenant)
        results.append(tenant_status(key, tenant, built[key][0], creds))
    code = EXIT_UNREACHABLE if any(r["error"] for r in results) else EXIT_DRIFT if any(r["drift"] for r in results) else EXIT_OK
    if as_json:
        click.echo(json.dumps({"stack": stack, "in_sync": code == EXIT_OK, "exit_code": code, "tenants": results,
                               "pulumi_errors": source.pulumi_errors}, indent=2, ensure_ascii=False))
    else:
        _print_status(stack, results)
        for err in source.pulumi_errors:
            click.secho(f"pulumi: {err}", err=True, fg="yellow")
    sys.exit(code)


# -- test-send -----------------------------------------------------------------------------------
@click.command("test-send")
@stack_options
@click.option("--tenant", "-t", "tenant_key", required=True, metavar="T", help="The tenant whose declared connector to test.")
@click.option("--to", "to", required=True, metavar="ADDR", help="Recipient of the test message.")
@click.option("--locale", "-l", default=None, metavar="L", help="Logto language tag (e.g. de, pt-BR): picks the i18n template row.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_PULUMI_OPTION
def test_send(stack: str, project_dir: Path, tenant_key: str, to: str, locale: str | None, as_json: bool, use_pulumi: bool | None) -> None:
    """Send the declared connector config through Logto's test endpoint
    (POST /api/connectors/<factory>/test): a real "Generic" message with code 000000.
    Nothing is saved in Logto; the live connector is not touched.

    \b
    Secrets as for `status`. For AWS SES the access key is made by `pulumi up`: set
    LOGTO_EMAIL_<TENANT>_ACCESS_KEY_ID and _SECRET_ACCESS_KEY, or let the Pulumi CLI read
    them from `pulumi stack output --show-secrets`.

    \b
    Exit codes: 0 sent · 1 invalid stack · 2 bad usage (unknown tenant, malformed
    address or locale) · 4 not sent (a secret is missing, Logto refused the config,
    or the provider failed to deliver; Logto's error is shown).
    """
    from connectors.cli.credentials import CredentialSource
    from connectors.connector_config import build_connector_config
    from connectors.logto import LogtoError
    from connectors.logto_facts import LOGTO_LANGUAGE_TAGS

    if not is_email_address(to):
        raise click.BadParameter("must be an email address", param_hint="--to")
    if locale is not None and locale not in LOGTO_LANGUAGE_TAGS:
        raise click.BadParameter(f"{locale!r} is not a language tag Logto resolves; one of {', '.join(LOGTO_LANGUAGE_TAGS)}", param_hint="--locale")
    spec, built = _compile(project_dir, stack)
    if tenant_key not in spec.tenants:
        raise click.BadParameter(f"no tenant {tenant_key} in stack {stack} (tenants: {', '.join(spec.tenants)})", param_hint="--tenant")
    tenant = spec.tenants[tenant_key]
    rendered = built[tenant_key][0]
    source = CredentialSource(stack, project_dir, use_pulumi=use_pulumi)
    creds = source.resolve(tenant_key, tenant)
    result: dict[str, Any] = {"tenant": tenant_key, "factory": tenant.factory_id, "to": to, "locale": locale, "sent": False}

    def stop(message: str) -> None:
        result["error"] = message
        if as_json:
            click.echo(json.dumps(result, indent=2))
        else:
            click.secho(message, err=True, fg="red")
            for err in source.pulumi_errors:
                click.secho(f"pulumi: {err}", err=True, fg="yellow")
        sys.exit(EXIT_UNREACHABLE)

    if creds.missing:
        stop(f"cannot test-send for tenant {tenant_key}: secret(s) not available:\n  - " + "\n  - ".join(creds.missing))
    try:
        model = build_connector_config(creds.tenant, rendered, creds.generated, path=f"tenants.{tenant_key}")
    except ConfigError as exc:
        stop(str(exc))
    config = model.to_logto(reveal=True)
    _, unknown = _unknown_paths(config, {})
    if unknown:
        stop(f"cannot test-send for tenant {tenant_key}: unknown value at {', '.join(unknown)}")
    notes = []
    if tenant.templates.storage == "logto":
        notes.append("the message uses the i18n template rows as they are live in Logto (run `pulumi up` first to test changed rows)")
    if locale and locale not in tenant.locales:
        notes.append(f"{locale} is not one of the tenant's locales ({', '.join(tenant.locales)}): Logto falls back to its fallback language")
    try:
        with _client(creds) as client:
            client.test_send(tenant.factory_id, config, to, locale)
    except LogtoError as exc:
        stop(f"test message not sent: {exc}")
    result["sent"] = True
    result["notes"] = notes
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        where = f" (locale {locale})" if locale else ""
        click.echo(f"sent a Generic test message (code 000000) to {to} through the declared {tenant.factory_id} config of tenant {tenant_key}{where}; nothing was saved in Logto")
        for n in notes:
            click.secho(f"note: {n}", fg="yellow")
    sys.exit(EXIT_OK)


__all__ = ["EXIT_DRIFT", "EXIT_UNREACHABLE", "sender_of", "status", "tenant_status", "test_send"]
