"""Stack-file pairs for promotion tests: real YAML text with comments, `secure:` values on both sides."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

DEV = """\
# dev: where settings are proven
config:
  aws:region: eu-west-1
  logto-email:production: false
  logto-email:tenants:
    # the storefront
    shop:
      logto:
        endpoint: https://shopdev.logto.app
        appId: shopdevapp
        appSecret:
          secure: v1:DEVSHOPAPPSECRETCIPHERTEXT
      provider:
        type: aws-ses
        region: eu-west-1
        domain: mail.dev.shop.example.com
        dmarc:
          policy: reject          # tightened in dev
          alignment: strict
        events:
          types: [BOUNCE, COMPLAINT]
      sender:
        email: no-reply@mail.dev.shop.example.com
        name: Shop Team
      locales: [en, de]
      branding:
        productName: Shop
        primaryColor: "#0F766E"
      testRecipient: qa@example.com

    # help desk
    support:
      logto:
        endpoint: https://supportdev.logto.app
        appId: supportdevapp
        appSecret:
          secure: v1:DEVSUPPORTAPPSECRET
      provider:
        type: sendgrid
        apiKey:
          secure: v1:DEVSENDGRIDAPIKEYCIPHERTEXT
      sender:
        email: help@dev.support.example.com
        name: Support
      locales: [en, ja]
      branding:
        productName: Support

    labs:
      logto:
        endpoint: https://labsdev.logto.app
        appId: labsdevapp
        appSecret:
          secure: v1:DEVLABSAPPSECRET
      provider:
        type: http
        endpoint: https://mailer.dev.labs.example.com/send
      sender:
        email: no-reply@dev.labs.example.com
"""

PROD = """\
# prod: settings arrive by promotion
config:
  aws:region: eu-west-1
  logto-email:production: true
  logto-email:tenants:
    # the storefront
    shop:
      logto:
        endpoint: https://shopprod.logto.app   # the prod tenant
        appId: shopprodapp
        appSecret:
          secure: v1:PRODSHOPAPPSECRETCIPHERTEXT
      provider:
        type: aws-ses
        region: eu-west-1
        domain: mail.shop.example.com
        readiness:
          timeoutSeconds: 1800    # prod DNS is slow
      sender:
        email: no-reply@mail.shop.example.com
        name: Shop
      locales: [en]
      branding:
        productName: Shop
        primaryColor: "#0F766E"
        logoUrl: https://assets.shop.example.com/logo.png   # to be dropped
        companyName: Example Shop GmbH
      testRecipient: canary@example.com

    # help desk, still on the corporate relay in prod
    support:
      logto:
        endpoint: https://supportprod.logto.app
        appId: supportprodapp
        appSecret:
          secure: v1:PRODSUPPORTAPPSECRET
      provider:
        type: smtp
        host: smtp.corp.example.com
        port: 587
        username: support
        password:
          secure: v1:PRODSMTPPASSWORD
      sender:
        email: help@support.example.com
        name: Support
      locales: [en, ja]
      branding:
        productName: Support
      testRecipient: canary@example.com

    # only in prod
    legacy:
      logto:
        endpoint: https://legacyprod.logto.app
        appId: legacyapp
        appSecret:
          secure: v1:PRODLEGACYAPPSECRET
      provider:
        type: logto-email
      locales: [en]
"""


def project(tmp_path: Path, dev: str = DEV, prod: str = PROD) -> Path:
    (tmp_path / "Pulumi.dev.yaml").write_text(dev, encoding="utf-8")
    (tmp_path / "Pulumi.prod.yaml").write_text(prod, encoding="utf-8")
    return tmp_path


def repo_project(tmp_path: Path) -> Path:
    """A copy of the repository's own example stacks."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path
