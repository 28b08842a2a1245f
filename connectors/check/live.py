"""Checks that read the live systems (`check --live`): the Logto tenant, and the deliverability
report (SES account, configuration set, identity, reputation rates; SPF/DKIM/DMARC in DNS).

Credentials come from the environment, never from the stack file: the M2M app secret from
`LOGTO_APP_SECRET_<STACK>_<TENANT>`, `LOGTO_APP_SECRET_<TENANT>` or `LOGTO_EMAIL_<TENANT>_APP_SECRET`
(the operator commands' name; upper case, `-` → `_`),
AWS from boto3's usual chain (env, profile, OIDC web identity). Each source sits behind a
small protocol, so tests (and other Logto clients) plug in without this module changing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from connectors.check.findings import Finding, Severity
from connectors.deploy.guard import EmailDependencyReader, live_email_dependencies
from connectors.email_policy import lifetime_mismatch
from connectors.stack.models import StackSpec, TenantSpec

E, W, I = Severity.error, Severity.warning, Severity.info
BASE = "config.logto-email:tenants"


class LogtoView(EmailDependencyReader, Protocol):
    """What the live checks read from a tenant (LogtoClient satisfies it)."""

    def get_email_connector(self) -> Any | None: ...  # has .factory_id, or None
    def list_factories(self) -> list[Any]: ...  # each has .id


LogtoOpener = Callable[[str, TenantSpec, str], LogtoView]  # (tenant key, spec, app secret) -> view
SesClientFactory = Callable[[str], Any]  # region -> boto3 sesv2 client


def secret_env_names(stack: str, key: str) -> list[str]:
    t = key.upper().replace("-", "_")
    # the last one is what `status` / `test-send` read (connectors.cli.credentials)
    return [f"LOGTO_APP_SECRET_{stack.upper().replace('-', '_')}_{t}", f"LOGTO_APP_SECRET_{t}", f"LOGTO_EMAIL_{t}_APP_SECRET"]


def open_logto_client(key: str, tenant: TenantSpec, secret: str) -> Any:
    from connectors.logto import LogtoClient

    return LogtoClient(tenant.logto.endpoint, tenant.logto.app_id, secret, resource=tenant.logto.resource)


def ses_client(region: str) -> Any:
    from connectors.deliverability.report import boto_client

    return boto_client("sesv2", region)  # honours AWS_ENDPOINT_URL_SESV2 / AWS_ENDPOINT_URL


def live_findings(
    spec: StackSpec,
    *,
    tenants: list[str] | None = None,
    env: Mapping[str, str] | None = None,
    open_logto: LogtoOpener = open_logto_client,
    ses: SesClientFactory = ses_client,
    sources: Any | None = None,
) -> list[Finding]:
    """`sources` (a deliverability `Sources`) says where SES, CloudWatch and DNS are read;
    by default SES through `ses`, CloudWatch through boto3 and DNS through the system's resolvers."""
    from connectors.deliverability.report import Sources

    env = os.environ if env is None else env
    sources = sources or Sources(sesv2=ses)
    out: list[Finding] = []
    for key, tenant in spec.tenants.items():
        if tenants and key not in tenants:
            continue
        out.extend(sign_in_dependency(spec, key, tenant, env, open_logto))
        out.extend(deliverability(spec, key, tenant, sources))
    return out


def sign_in_dependency(spec: StackSpec, key: str, tenant: TenantSpec, env: Mapping[str, str], open_logto: LogtoOpener) -> Iterator[Finding]:
    from connectors.logto.errors import LogtoError

    base = f"{BASE}.{key}"
    names = secret_env_names(spec.stack, key)
    secret = next((env[n] for n in names if env.get(n)), None)
    if secret is None:
        yield Finding(W, "LE200", f"{base}.logto.appSecret", "live Logto checks skipped: no M2M app secret in the environment",
                      f"export {names[1]} (or {names[0]}) from the CI secret store", key)
        return
    view = None
    try:
        view = open_logto(key, tenant, secret)
        sie = view.get_sign_in_experience()
        needs = live_email_dependencies(view, sie)
        live = view.get_email_connector()
        factories = {f.id for f in view.list_factories()}
    except LogtoError as exc:
        yield Finding(E, "LE200", f"{base}.logto", f"cannot read the Logto tenant at {tenant.logto.endpoint}: {exc}",
                      "check the endpoint, the M2M app (it needs the `all` Management API permission) and its secret", key)
        return
    finally:
        close = getattr(view, "close", None)
        if callable(close):
            close()
    declared = tenant.factory_id
    if needs and live is None:
        yield Finding(E, "LE201", f"{base}.provider", "the live sign-in experience needs email (" + "; ".join(needs) + ") but the tenant has no email connector: users cannot get codes now",
                      "run `pulumi up` for this stack promptly (it creates the connector), or turn those sign-in settings off in the Console", key)
    if declared not in factories:
        what = f"; sign-in needs email ({'; '.join(needs)}), so users would stay locked out" if needs else ""
        yield Finding(E, "LE202", f"{base}.provider.type", f"this Logto has no connector factory {declared} (provider {tenant.provider.type}): `pulumi up` cannot create the connector{what}",
                      "pick a provider this Logto offers (the Logto Email Service exists only on Logto Cloud)", key)
    if needs and tenant.test_recipient is None and not tenant.allow_untested_changes:
        yield Finding(E, "LE205", f"{base}.testRecipient", "the live tenant needs email (" + "; ".join(needs) + ") and has no test recipient: `pulumi up` will refuse every connector change",
                      "set testRecipient (or allowUntestedChanges: true to opt out)", key)
    if needs and tenant.allow_sign_in_breakage:
        yield Finding(W, "LE203", f"{base}.allowSignInBreakage", "allowSignInBreakage is set while sign-in needs email (" + "; ".join(needs) + "): a destroy would lock users out",
                      "remove allowSignInBreakage", key)
    from connectors.connector_config import code_lifetime_seconds

    declared_lifetime = tenant.sign_in_experience.code_lifetime_seconds if tenant.sign_in_experience else None
    mismatch = lifetime_mismatch(code_lifetime_seconds(tenant), sie.get("verificationCodePolicy"))
    if mismatch:
        if declared_lifetime is None:
            yield Finding(W, "LE206", f"{base}.signInExperience.verificationCodePolicy", mismatch,
                          "declare the lifetime so the emails and Logto agree", key)
        else:
            yield Finding(I, "LE206", f"{base}.signInExperience.verificationCodePolicy.expirationDuration",
                          f"Logto's codes live {(sie.get('verificationCodePolicy') or {}).get('expirationDuration', 600)} s now; "
                          f"`pulumi up` sets the declared {declared_lifetime} s", None, key)
    if live is not None and live.factory_id != declared:
        yield Finding(I, "LE204", f"{base}.provider.type", f"the tenant's email connector is {live.factory_id}; `pulumi up` switches it to {declared} (test-sent first, swapped atomically)", None, key)


LEVEL_SEVERITY = {"critical": E, "unknown": E, "warning": W, "info": I}


def deliverability(spec: StackSpec, key: str, tenant: TenantSpec, sources: Any) -> Iterator[Finding]:
    """The deliverability report's problems (SES sending health, DNS) as findings: one rule, two views."""
    from connectors.deliverability.report import tenant_report

    for p in tenant_report(spec, key, tenant, sources).problems:
        severity = W if p.code == "LE225" else LEVEL_SEVERITY[p.level]  # DNS that did not answer: retry, not a defect
        yield Finding(severity, p.code, f"{BASE}.{key}.{p.path}", p.message, p.fix, key)
