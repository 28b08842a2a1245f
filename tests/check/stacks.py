"""Fixture stacks for `check`: a clean production tenant per provider, changed one setting at a time."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

from ruamel.yaml import YAML


def sec(name: str) -> dict[str, str]:
    return {"secure": f"v1:{name}CIPHERTEXT"}


def ses_tenant() -> dict[str, Any]:
    return {
        "logto": {"endpoint": "https://shopprod2.logto.app", "appId": "shopapp", "appSecret": sec("SHOPAPP")},
        "provider": {
            "type": "aws-ses", "region": "eu-west-1", "domain": "mail.shop.example.com",
            "dmarc": {"policy": "reject", "reportEmail": "dmarc@shop.example.com"},
            "alerts": {"emails": ["oncall@shop.example.com"]},
        },
        "sender": {"email": "no-reply@mail.shop.example.com", "name": "Shop"},
        "locales": ["en", "de"],
        "branding": {"productName": "Shop"},
        "testRecipient": "canary@example.com",
    }


def sendgrid_tenant() -> dict[str, Any]:
    return {
        "logto": {"endpoint": "https://supportprod5.logto.app", "appId": "supportapp", "appSecret": sec("SUPPORTAPP")},
        "provider": {
            "type": "sendgrid", "apiKey": sec("SENDGRID"),
            "dnsRecords": [
                {"type": "CNAME", "name": "em5678.support.example.com", "value": "u5678.wl.sendgrid.net"},
                {"type": "CNAME", "name": "s1._domainkey.support.example.com", "value": "s1.domainkey.u5678.wl.sendgrid.net"},
            ],
            "dmarc": {"policy": "reject", "reportEmail": "dmarc@support.example.com"},
        },
        "sender": {"email": "help@support.example.com", "name": "Support"},
        "branding": {"productName": "Support"},
        "testRecipient": "canary@example.com",
    }


def http_tenant() -> dict[str, Any]:
    return {
        "logto": {"endpoint": "https://labsprod1.logto.app", "appId": "labsapp", "appSecret": sec("LABSAPP")},
        "provider": {"type": "http", "endpoint": "https://mailer.labs.example.com/send"},
        "sender": {"email": "no-reply@labs.example.com"},
        "testRecipient": "canary@example.com",
    }


def smtp_tenant() -> dict[str, Any]:
    return {
        "logto": {"endpoint": "https://intranet.example.com", "appId": "itapp", "appSecret": sec("ITAPP")},
        "provider": {"type": "smtp", "host": "smtp-relay.corp.example.com", "port": 587, "username": "logto", "password": sec("SMTP")},
        "sender": {"email": "it@corp.example.com", "name": "IT"},
        "branding": {"productName": "Intranet"},
        "testRecipient": "canary@example.com",
    }


def stack(tenants: dict[str, dict[str, Any]], production: bool = True) -> dict[str, Any]:
    return {"config": {"aws:region": "eu-west-1", "logto-email:production": production, "logto-email:tenants": tenants}}


def write(project_dir: Path, name: str, doc: dict[str, Any]) -> Path:
    yaml = YAML()
    path = project_dir / f"Pulumi.{name}.yaml"
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(doc, fh)
    return path


def variant(base: Callable[[], dict[str, Any]], change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    tenant = copy.deepcopy(base())
    change(tenant)
    return tenant
