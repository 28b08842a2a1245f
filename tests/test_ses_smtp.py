"""SES SMTP password derivation against published vectors."""

import base64

import pytest

from connectors.aws.ses_smtp import smtp_host, smtp_password

# terraform-provider-aws, internal/service/iam/access_key_test.go,
# TestSESSMTPPasswordFromSecretKeySigV4: passwords known to authenticate against SES.
VECTORS = [
    ("eu-central-1", "some+secret+key", "BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2"),
    ("eu-central-1", "another+secret+key", "BBbphbrQmrKMx42d1N6+C7VINYEBGI5v9VsZeTxwskfh"),
    ("us-west-1", "some+secret+key", "BH+jbMzper5WwlwUar9E1ySBqHa9whi0GPo+sJ0mVYJj"),
    ("us-west-1", "another+secret+key", "BKVmjjMDFk/qqw8EROW99bjCS65PF8WKvK5bSr4Y6EqF"),
]


@pytest.mark.parametrize(("region", "secret", "expected"), VECTORS)
def test_published_vectors(region: str, secret: str, expected: str) -> None:
    assert smtp_password(secret, region) == expected


def test_shape_version_byte_and_region_binding() -> None:
    pw = smtp_password("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "eu-west-1")
    raw = base64.b64decode(pw)
    assert raw[0] == 0x04 and len(raw) == 33
    assert pw != smtp_password("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
    assert "wJalr" not in pw


@pytest.mark.parametrize(("secret", "region"), [("", "eu-west-1"), ("k", "")])
def test_empty_inputs_refused(secret: str, region: str) -> None:
    with pytest.raises(ValueError):
        smtp_password(secret, region)


def test_host() -> None:
    assert smtp_host("eu-west-1") == "email-smtp.eu-west-1.amazonaws.com"
