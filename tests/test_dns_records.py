"""The SES DNS records: names, values, and never a TXT on the sending domain itself."""

from types import SimpleNamespace

import pytest

from connectors.dns_records import Record, dmarc_value, route53_txt, ses_records


def test_ses_records_exact() -> None:
    dmarc = SimpleNamespace(enabled=True, policy="quarantine", report_email="d@example.com", alignment="strict")
    recs = ses_records("mail.example.com", "eu-west-1", ["t1", "t2", "t3"], "bounce", dmarc)
    assert [str(r) for r in recs] == [
        "t1._domainkey.mail.example.com CNAME t1.dkim.amazonses.com",
        "t2._domainkey.mail.example.com CNAME t2.dkim.amazonses.com",
        "t3._domainkey.mail.example.com CNAME t3.dkim.amazonses.com",
        "bounce.mail.example.com MX 10 feedback-smtp.eu-west-1.amazonses.com",
        "bounce.mail.example.com TXT v=spf1 include:amazonses.com ~all",
        "_dmarc.mail.example.com TXT v=DMARC1; p=quarantine; rua=mailto:d@example.com; adkim=s; aspf=s",
    ]
    assert not [r for r in recs if r.type == "TXT" and r.name == "mail.example.com"]


def test_dmarc_can_be_disabled_and_defaults() -> None:
    off = SimpleNamespace(enabled=False, policy="none", report_email=None, alignment="relaxed")
    assert all("_dmarc" not in r.name for r in ses_records("a.example.com", "us-east-1", [], "mf", off))
    assert dmarc_value("none") == "v=DMARC1; p=none; adkim=r; aspf=r"
    with pytest.raises(ValueError):
        dmarc_value("monitor")


def test_long_txt_is_split_for_route53() -> None:
    value = "k=rsa; p=" + "A" * 400
    split = route53_txt(value)
    assert split.replace('""', "") == value
    assert all(len(part) <= 255 for part in split.split('""'))
    assert route53_txt("short") == "short"


def test_to_dict_omits_empty() -> None:
    assert Record("CNAME", "a", "b").to_dict() == {"type": "CNAME", "name": "a", "value": "b"}
