"""Hostile and careless stack files: one valid base and the ways people (and attackers) break it."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from connectors.cli import cli

APP_SECRET = "v1:AppSecretCiphertext0123456789abcdef"
SMTP_SECRET = "v1:SmtpPasswordCiphertext9876543210"
PLAIN_SECRET = "plain-text-secret-value-4711"
SECRETS = (APP_SECRET, SMTP_SECRET, PLAIN_SECRET, "hunter2-secret-a", "hunter2-secret-b")

BASE = f"""config:
  logto-email:tenants:
    acme:
      logto:
        endpoint: https://acme.logto.app
        appId: acme-m2m
        appSecret:
          secure: {APP_SECRET}
      provider:
        type: smtp
        host: smtp.example.com
        port: 587
        username: mailer
        password:
          secure: {SMTP_SECRET}
      sender:
        email: no-reply@example.com
        name: Acme
      locales: [en]
      branding:
        productName: Acme
        supportEmail: help@example.com
        supportUrl: https://help.example.com
"""

SES = """config:
  logto-email:tenants:
    shop:
      logto: {endpoint: https://shop.logto.app, appId: shop-m2m, appSecret: {secure: v1:abc}}
      provider:
        type: aws-ses
        region: eu-west-1
        domain: mail.example.com
        mailFromSubdomain: bounce
        dns: {route53ZoneId: Z0123456789ABC}
      sender: {email: no-reply@mail.example.com}
"""


def swap(old: str, new: str, base: str = BASE) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


# name -> file content (str or bytes); each must be refused with a problem and no echoed secret
REFUSED: dict[str, str | bytes] = {
    "not utf-8": BASE.encode() + b"      # caf\xe9\n",
    "nul": swap("name: Acme", "name: Ac\x00me"),
    "bel in file": swap("name: Acme", "name: Ac\x07me"),
    "escaped crlf in name": swap("name: Acme", 'name: "Acme\\r\\nBcc: x@evil.example"'),
    "escaped bel in name": swap("name: Acme", 'name: "Acme\\a"'),
    "lone surrogate": swap("name: Acme", 'name: "Acme\\ud800"'),
    "tab indentation": swap("      sender:\n        email", "      sender:\n\temail"),
    "deep flow": "config: " + "[" * 2000 + "]" * 2000 + "\n",
    "deep block": "config:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(120)),
    "alias bomb": "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)) + BASE,
    "merge bomb": "a: &a {x: 1, y: 2}\n" + "".join(
        f"m{i}: &m{i} {{<<: [{', '.join(['*a'] + [f'*m{j}' for j in range(i)])}], k{i}: {i}}}\n" for i in range(40)) + BASE,
    "reused anchor": swap("name: Acme", "name: &a Acme\n        replyTo: &a hunter2-secret-a"),
    "config scalar": "config: 5\n",
    "config list": "config: [1, 2]\n",
    "root list": "- a\n- b\n",
    "root scalar": "just text\n",
    "two documents": BASE + "---\n" + BASE,
    "duplicate plain secret": swap(f"appSecret:\n          secure: {APP_SECRET}",
                                   "appSecret: hunter2-secret-a\n        appSecret: hunter2-secret-b"),
    "duplicate secure secret": swap(f"appSecret:\n          secure: {APP_SECRET}",
                                    f"appSecret: {{secure: {APP_SECRET}}}\n        appSecret: {{secure: {SMTP_SECRET}}}"),
    "plain secret": swap(f"appSecret:\n          secure: {APP_SECRET}", f"appSecret: {PLAIN_SECRET}"),
    "python tag": swap("name: Acme", "name: !!python/object/apply:os.system ['touch /tmp/pwned']"),
    "ref tag": swap("name: Acme", "name: !Ref Acme"),
    "binary tag": swap("name: Acme", "name: !!binary QWNtZQ=="),
    "set tag": swap("name: Acme", "name: !!set {a, b}"),
    "huge value": swap("name: Acme", "name: " + "A" * 200_000),
    "big file": BASE + ("# " + "x" * 1000 + "\n") * 4200,  # just over MAX_FILE_BYTES (4 MiB)
    "many values": BASE + "      extra: [" + "1," * 100_000 + "1]\n",  # just over MAX_NODES, no alias needed
    "many unknown keys": BASE + "".join(f"      k{i}: v\n" for i in range(49_000)),  # values within the caps
    "many bad values": BASE + "      extra:\n" + "".join('        - "a\\tb"\n' for i in range(99_000)),
    "very long key": swap("name: Acme", "n" * 5000 + ": Acme"),
    "huge int": swap("port: 587", "port: " + "9" * 5000),
    "port out of range": swap("port: 587", "port: 99999"),
    "port negative": swap("port: 587", "port: -1"),
    "port nan": swap("port: 587", "port: .nan"),
    "port inf": swap("port: 587", "port: .inf"),
    "port float": swap("port: 587", "port: 587.0"),
    "port string": swap("port: 587", 'port: "587"'),
    "bool as string": BASE + "      allowSignInBreakage: 'true'\n",
    "email trailing newline": swap("email: no-reply@example.com", 'email: "no-reply@example.com\\n"'),
    "email leading dot": swap("email: no-reply@example.com", "email: .a@example.com"),
    "email trailing dot": swap("email: no-reply@example.com", "email: a.@example.com"),
    "email double dot": swap("email: no-reply@example.com", "email: a@example..com"),
    "email dash label": swap("email: no-reply@example.com", "email: a@-example.com"),
    "support email newline": swap("supportEmail: help@example.com", 'supportEmail: "help@example.com\\n"'),
    "smtp host newline": swap("host: smtp.example.com", 'host: "smtp.example.com\\n"'),
    "smtp host spaces": swap("host: smtp.example.com", "host: smtp example com"),
    "url port": swap("supportUrl: https://help.example.com", "supportUrl: https://help.example.com:99999/"),
    "url credentials": swap("supportUrl: https://help.example.com", "supportUrl: https://user:pw@help.example.com/"),
    "url newline": swap("supportUrl: https://help.example.com", 'supportUrl: "https://help.example.com/\\n"'),
    "endpoint plain http public": swap("endpoint: https://acme.logto.app", "endpoint: http://logto.internal.dev:3001"),
    "endpoint query": swap("endpoint: https://acme.logto.app", "endpoint: https://acme.logto.app/?x=1"),
    "empty secure": swap(f"secure: {APP_SECRET}", 'secure: ""'),
    "blank secure": swap(f"secure: {APP_SECRET}", 'secure: "   "'),
    "tenant key newline": swap("    acme:", '    "acme\\n":'),
    "templates absolute": BASE + "      templates: {directory: /etc}\n",
    "templates escape": BASE + "      templates: {directory: ../../..}\n",
    "templates project root": BASE + "      templates: {directory: .}\n",
    "templates hidden": BASE + "      templates: {directory: .git}\n",
    "zone id empty": swap("route53ZoneId: Z0123456789ABC", 'route53ZoneId: ""', SES),
    "mail from dash": swap("mailFromSubdomain: bounce", 'mailFromSubdomain: "-"', SES),
    "mail from dot": swap("mailFromSubdomain: bounce", "mailFromSubdomain: a.b", SES),
    "region newline": swap("region: eu-west-1", 'region: "eu-west-1\\n"', SES),
}

# What the problem must say for cases that test a rule (not merely a YAML syntax error).
EXPECTED: dict[str, str] = {
    "nul": "U+0000", "bel in file": "U+0007", "escaped crlf in name": "sender.name: contains a control character",
    "escaped bel in name": "control character", "lone surrogate": "line 18, column",
    "deep flow": "nested more than", "deep block": "nested more than", "alias bomb": "values (YAML aliases expanded)",
    "merge bomb": "values (YAML aliases expanded)", "reused anchor": "anchor (&name) is defined twice", "config scalar": "config: must be a mapping",
    "duplicate plain secret": "duplicate key", "duplicate secure secret": "duplicate key",
    "plain secret": "encrypted `secure:` value", "python tag": "YAML tags", "ref tag": "YAML tags",
    "binary tag": "YAML tags", "set tag": "YAML tags", "huge value": "longer than 8192 characters", "many values": "more than 100000 values",
    "many unknown keys": "more problems after the first 100", "many bad values": "more problems after the first 100",
    "big file": "larger than 4 MiB", "very long key": "line 18",
    "huge int": "number", "port out of range": "provider.port", "port negative": "provider.port",
    "port nan": "provider.port", "port inf": "provider.port", "port float": "provider.port",
    "port string": "provider.port", "bool as string": "allowSignInBreakage",
    "email trailing newline": "sender.email", "email leading dot": "sender.email", "email trailing dot": "sender.email",
    "email double dot": "sender.email", "email dash label": "sender.email", "support email newline": "supportEmail",
    "smtp host newline": "provider.host", "smtp host spaces": "provider.host", "url port": "supportUrl",
    "url credentials": "supportUrl: must not contain user:password@", "url newline": "supportUrl",
    "endpoint plain http public": "plain http:// is refused", "endpoint query": "logto.endpoint",
    "empty secure": "appSecret", "blank secure": "appSecret", "tenant key newline": "tenant keys",
    "templates absolute": "templates.directory: must be a relative path", "templates escape": "templates.directory: must be a directory inside",
    "templates project root": "templates.directory: must be a directory inside", "templates hidden": "templates.directory",
    "zone id empty": "route53ZoneId", "mail from dash": "mailFromSubdomain", "mail from dot": "mailFromSubdomain",
    "region newline": "region",
}

# name -> content that must stay valid (BOM, CRLF, comments, quoting styles)
ACCEPTED: dict[str, str | bytes] = {
    "base": BASE,
    "bom": b"\xef\xbb\xbf" + BASE.encode(),
    "crlf": BASE.replace("\n", "\r\n"),
    "tab in comment": BASE + "# a\tcomment\n",
    "private http": swap("endpoint: https://acme.logto.app", "endpoint: http://logto:3001"),
    "ses": SES,
    "comments up to the size cap": BASE + ("# " + "x" * 1000 + "\n") * 4000,
    "multi-line address": swap("productName: Acme", 'productName: Acme\n        companyAddress: "1 Main St\\nSpringfield"'),
}


def many_tenants(count: int, *, port_of_last: int = 587) -> str:
    """`count` copies of BASE's tenant (acme0, acme1, …): a large stack that is valid."""
    head, tenant = BASE.split("    acme:\n", 1)
    copies = [f"    acme{i}:\n" + tenant for i in range(count)]
    copies[-1] = copies[-1].replace("port: 587", f"port: {port_of_last}")
    return head + "".join(copies)


def project(tmp: Path, content: str | bytes, stack: str = "x") -> Path:
    (tmp / "Pulumi.yaml").write_text("name: logto-email\nruntime: python\n")
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    (tmp / f"Pulumi.{stack}.yaml").write_bytes(data)
    return tmp


def run_cli(*args: str) -> tuple[int, str]:
    """In-process, with exceptions propagating: a bug is a failing test, not a clean message."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def leaked(output: str) -> list[str]:
    return [s for s in SECRETS if s in output] + [s for s in SECRETS if s.removeprefix("v1:") in output]


def have_symlinks() -> bool:
    return hasattr(os, "symlink")
