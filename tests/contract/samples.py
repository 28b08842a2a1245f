"""Declared connector configs (our models' input) covering every factory and its variants.

Each sample is what a user would declare; the contract tests push it through
`parse_config(...).to_logto(reveal=True)` and hand the result to the real connector guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.factories.aliyun_direct_mail import ALIYUN_REGIONS
from connectors.logto_facts import ALL_USAGE_TYPES, REQUIRED_USAGE_TYPES, UsageType


@dataclass(frozen=True)
class Sample:
    name: str
    factory_id: str
    data: dict[str, Any]

    def __str__(self) -> str:  # pytest ids
        return f"{self.factory_id}:{self.name}"


def body(usage: str, *, html: bool) -> tuple[str, str]:
    """A subject and body with the placeholders Logto fills for `usage`."""
    if usage == UsageType.OrganizationInvitation:
        text = "{{inviter.name}} invited you to {{organization.name}}: {{link}}"
        subject = "Join {{organization.name}}"
    else:
        text = f"Your {usage} code is {{{{code}}}}. It expires in 10 minutes."
        subject = f"{usage} code"
    return subject, (f"<p>{text}</p>" if html else text)


def template_entries(
    usage_types=ALL_USAGE_TYPES, *, content_key: str = "content", kind_key: str | None = None, html: bool = True
) -> list[dict[str, Any]]:
    entries = []
    for usage in usage_types:
        subject, content = body(usage, html=html)
        entry: dict[str, Any] = {"usageType": str(usage), "subject": subject, content_key: content}
        if kind_key:
            entry[kind_key] = "text/html" if html else "text/plain"
        entries.append(entry)
    return entries


def smtp(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "host": "smtp.example.com",
        "port": 587,
        "auth": {"user": "mailer", "pass": "smtp-password-1"},
        "fromEmail": "Acme <no-reply@example.com>",
        "templates": template_entries(kind_key="contentType"),
    }
    data.update(overrides)
    return data


def ses(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "accessKeyId": "AKID-TEST-NOT-A-KEY-1",
        "accessKeySecret": "ses-secret-access-key",
        "region": "eu-west-1",
        "emailAddress": "no-reply@example.com",
        "templates": template_entries(),
    }
    data.update(overrides)
    return data


def mailgun(**overrides: Any) -> dict[str, Any]:
    deliveries = {}
    for usage in ALL_USAGE_TYPES:
        subject, html = body(usage, html=True)
        _, text = body(usage, html=False)
        deliveries[str(usage)] = {"subject": subject, "html": html, "text": text}
    data: dict[str, Any] = {
        "domain": "mg.example.com",
        "apiKey": "mailgun-api-key-1",
        "from": "Acme <no-reply@mg.example.com>",
        "deliveries": deliveries,
    }
    data.update(overrides)
    return data


def sendgrid(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "apiKey": "SG.sendgrid-api-key",
        "fromEmail": "no-reply@example.com",
        "templates": template_entries(kind_key="type"),
    }
    data.update(overrides)
    return data


def postmark(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "serverToken": "postmark-server-token",
        "fromEmail": "no-reply@example.com",
        "templates": [{"usageType": str(u), "templateAlias": f"logto-{u.lower()}"} for u in ALL_USAGE_TYPES],
    }
    data.update(overrides)
    return data


def aliyun(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "accessKeyId": "LTAIexample",
        "accessKeySecret": "aliyun-secret",
        "accountName": "no-reply@dm.example.com",
        "templates": template_entries(),
    }
    data.update(overrides)
    return data


def valid_samples() -> list[Sample]:
    S = Sample
    out = [
        # SMTP: every auth variant, TLS modes, headers, nodemailer options.
        S("login", "simple-mail-transfer-protocol", smtp()),
        S("login-typed", "simple-mail-transfer-protocol", smtp(auth={"type": "login", "user": "u", "pass": "p-1"})),
        S("login-LOGIN", "simple-mail-transfer-protocol", smtp(auth={"type": "LOGIN", "user": "u", "pass": "p-1"})),
        S("no-auth-ip-relay", "simple-mail-transfer-protocol", smtp(auth={})),
        S("user-only", "simple-mail-transfer-protocol", smtp(auth={"user": "relay"})),
        S("oauth2-service-key-string", "simple-mail-transfer-protocol",
          smtp(auth={"type": "oauth2", "user": "svc@example.com", "privateKey": "test-private-key-not-real",
                     "serviceClient": "1234567890"})),
        S("oauth2-service-key-passphrase", "simple-mail-transfer-protocol",
          smtp(auth={"type": "OAuth2", "user": "svc@example.com",
                     "privateKey": {"key": "test-encrypted-key-not-real", "passphrase": "pp"},
                     "serviceClient": "1234567890"})),
        S("oauth2-service-untyped", "simple-mail-transfer-protocol",
          smtp(auth={"user": "svc@example.com", "privateKey": "k", "serviceClient": "c"})),
        S("oauth2-token", "simple-mail-transfer-protocol",
          smtp(auth={"type": "OAUTH2", "user": "me@example.com", "clientId": "cid", "clientSecret": "cs",
                     "refreshToken": "rt", "accessToken": "at", "expires": 1767225600000,
                     "accessUrl": "https://oauth2.googleapis.com/token"})),
        S("oauth2-token-minimal", "simple-mail-transfer-protocol",
          smtp(auth={"type": "oauth2", "user": "me@example.com", "accessToken": "at"})),
        S("secure-465", "simple-mail-transfer-protocol", smtp(port=465, secure=True)),
        S("starttls-required", "simple-mail-transfer-protocol", smtp(secure=False, requireTLS=True)),
        S("ignore-tls", "simple-mail-transfer-protocol", smtp(port=25, secure=False, ignoreTLS=True)),
        S("tls-options", "simple-mail-transfer-protocol",
          smtp(tls={"rejectUnauthorized": False, "minVersion": "TLSv1.2"}, servername="smtp.example.com")),
        S("custom-headers-string", "simple-mail-transfer-protocol", smtp(customHeaders={"X-Tenant": "acme"})),
        S("custom-headers-list", "simple-mail-transfer-protocol",
          smtp(customHeaders={"X-Tags": ["a", "b"], "X-Tenant": "acme"})),
        S("everything", "simple-mail-transfer-protocol",
          smtp(replyTo="support@example.com", logger=False, debug=False, disableFileAccess=True,
               disableUrlAccess=True, name="mailer.example.com", localAddress="0.0.0.0",
               connectionTimeout=10000, greetingTimeout=5000, socketTimeout=60000, dnsTimeout=5000)),
        S("plain-text-templates", "simple-mail-transfer-protocol",
          smtp(templates=template_entries(kind_key="contentType", html=False))),
        S("required-types-only", "simple-mail-transfer-protocol",
          smtp(templates=template_entries(REQUIRED_USAGE_TYPES, kind_key="contentType"))),
        # HTTP email.
        S("with-authorization", "http-email", {"endpoint": "https://mail.example.com/logto", "authorization": "Bearer t0k"}),
        S("without-authorization", "http-email", {"endpoint": "http://127.0.0.1:8080/send"}),
        # AWS SES.
        S("minimal", "aws-ses-mail", ses()),
        S("named-sender", "aws-ses-mail", ses(emailAddress="Acme <no-reply@example.com>")),
        S("everything", "aws-ses-mail",
          ses(emailAddressIdentityArn="arn:aws:ses:eu-west-1:123456789012:identity/example.com",
              feedbackForwardingEmailAddress="bounces@example.com",
              feedbackForwardingEmailAddressIdentityArn="arn:aws:ses:eu-west-1:123456789012:identity/example.com",
              configurationSetName="logto")),
        S("no-sender", "aws-ses-mail", {k: v for k, v in ses().items() if k != "emailAddress"}),
        # Mailgun: HTML and template deliveries, US/EU endpoints.
        S("html-default-endpoint", "mailgun-email", mailgun()),
        S("html-us", "mailgun-email", mailgun(endpoint="https://api.mailgun.net")),
        S("html-eu", "mailgun-email", mailgun(endpoint="https://api.eu.mailgun.net")),
        S("templates-eu", "mailgun-email",
          mailgun(endpoint="https://api.eu.mailgun.net",
                  deliveries={str(u): {"template": f"logto-{u.lower()}", "subject": f"{u}",
                                       "variables": {"brand": "Acme", "year": 2026}, "replyTo": "help@example.com"}
                              for u in ALL_USAGE_TYPES})),
        S("mixed-html-and-template", "mailgun-email",
          mailgun(deliveries={**mailgun()["deliveries"], "Generic": {"template": "logto-generic"}})),
        # SendGrid.
        S("html", "sendgrid-email-service", sendgrid()),
        S("text", "sendgrid-email-service", sendgrid(templates=template_entries(kind_key="type", html=False))),
        S("from-name", "sendgrid-email-service", sendgrid(fromName="Acme")),
        # Postmark.
        S("aliases", "postmark-mail", postmark()),
        S("required-only", "postmark-mail",
          postmark(templates=[{"usageType": str(u), "templateAlias": "x"} for u in REQUIRED_USAGE_TYPES])),
        # Aliyun: every region, and none (cn-hangzhou at send time).
        S("no-region", "aliyun-direct-mail", aliyun()),
        *[S(f"region-{r}", "aliyun-direct-mail", aliyun(regionId=r, fromAlias="Acme")) for r in ALIYUN_REGIONS],
        # Logto email service branding.
        S("empty", "logto-email", {}),
        S("branding", "logto-email",
          {"senderName": "Acme", "companyInformation": "Acme Inc, 1 Main St, Springfield",
           "appLogo": "https://cdn.example.com/logo.png"}),
        S("sender-only", "logto-email", {"senderName": "Acme Support"}),
    ]
    return out


# -- configs built from our rendered template set ---------------------------------------------------

TEMPLATE_FACTORIES = {
    "simple-mail-transfer-protocol": smtp,
    "aws-ses-mail": ses,
    "mailgun-email": mailgun,
    "sendgrid-email-service": sendgrid,
    "postmark-mail": postmark,
    "aliyun-direct-mail": aliyun,
}


def rendered_set():
    """The default template set, branded, in every locale it ships (rendered once per process)."""
    global _RENDERED
    if _RENDERED is None:
        from connectors.templates import Branding, available_locales, render_all

        locales = ["en", *[loc for loc in available_locales() if loc != "en"]]
        branding = Branding(
            product_name="Acme",
            company_name="Acme Inc.",
            company_address="1 Main St, Springfield",
            support_email="help@example.com",
            logo_url="https://cdn.example.com/logo.png",
        )
        _RENDERED = render_all(branding, locales)
    return _RENDERED


_RENDERED = None


def rendered_samples() -> list[Sample]:
    """Every template-carrying factory with our rendered templates, in every locale."""
    from connectors.templates import config_templates

    rendered = rendered_set()
    out = []
    for factory_id, base in TEMPLATE_FACTORIES.items():
        for locale in rendered.locales:
            extra = {"reply_to": "help@example.com"} if factory_id == "mailgun-email" else {}
            templates = config_templates(factory_id, rendered, locale=locale, **extra)
            out.append(Sample(f"rendered-{locale}", factory_id, base(**templates)))
    return out
