"""SES SMTP credentials from an IAM access key (AWS's documented SigV4 derivation).

The SMTP password is not the secret key: it is an HMAC-SHA256 chain over a fixed date, the
region, "ses", "aws4_request" and "SendRawEmail", prefixed with the version byte 0x04 and
base64-encoded. It is region-bound: a password derived for eu-west-1 fails in us-east-1.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_DATE = "11111111"
_SERVICE = "ses"
_TERMINAL = "aws4_request"
_MESSAGE = "SendRawEmail"
_VERSION = b"\x04"


def _sign(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def smtp_password(secret_access_key: str, region: str) -> str:
    """The SES SMTP password for `secret_access_key` in `region` (SigV4, version 4)."""
    if not secret_access_key:
        raise ValueError("the secret access key is empty")
    if not region:
        raise ValueError("the region is empty")
    signature = _sign(("AWS4" + secret_access_key).encode("utf-8"), _DATE)
    for part in (region, _SERVICE, _TERMINAL, _MESSAGE):
        signature = _sign(signature, part)
    return base64.b64encode(_VERSION + signature).decode("ascii")


def smtp_host(region: str) -> str:
    """The SES SMTP endpoint of `region`."""
    return f"email-smtp.{region}.amazonaws.com"
