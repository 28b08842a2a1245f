"""Endpoint scheme rule, resource default, token cache and client settings (no server)."""

from __future__ import annotations

import time

import pytest

from connectors.logto.client import LogtoClient, _retry_after
from connectors.logto.endpoint import OSS_RESOURCE, default_resource, normalize_endpoint
from connectors.logto.errors import InsecureEndpoint
from connectors.logto.settings import ClientSettings
from connectors.logto.token import TokenCache


@pytest.mark.parametrize(
    "url",
    ["https://abc123.logto.app", "https://auth.example.com/", "http://127.0.0.1:3001", "http://[::1]:3001",
     "http://10.1.2.3", "http://172.20.0.5:3001", "http://192.168.1.10", "http://localhost:3001",
     "http://logto:3001", "http://logto.local"],
)
def test_allowed_endpoints(url):
    assert normalize_endpoint(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["http://auth.example.com", "http://8.8.8.8", "http://172.32.0.1", "ftp://logto", "logto.app", "",
            "https://user:pw@auth.example.com", "http://abc123.logto.app"],
)
def test_refused_endpoints(url):
    with pytest.raises(InsecureEndpoint):
        normalize_endpoint(url)


def test_refused_before_any_call():
    with pytest.raises(InsecureEndpoint, match="refusing plain http"):
        LogtoClient("http://auth.example.com", "app", "s3cret-value")


def test_resource_default():
    assert default_resource("https://ab12cd.logto.app") == "https://ab12cd.logto.app/api"
    assert default_resource("https://auth.example.com") == OSS_RESOURCE
    assert default_resource("http://127.0.0.1:3001") == OSS_RESOURCE
    with LogtoClient("https://ab12cd.logto.app", "a", "s") as c:
        assert c.resource == "https://ab12cd.logto.app/api"
    with LogtoClient("https://ab12cd.logto.app", "a", "s", resource="https://x/api") as c:
        assert c.resource == "https://x/api"


def test_client_repr_has_no_secret():
    with LogtoClient("https://ab12cd.logto.app", "app-1", "top-secret-value") as c:
        assert "top-secret-value" not in repr(c) and "top-secret-value" not in repr(vars(c))


def test_token_cache_renews_before_expiry():
    cache = TokenCache()
    key = ("e", "a", "r")
    cache.put(key, "t1", expires_in=3600, margin=60)
    assert cache.get(key).value == "t1"
    cache.put(key, "t2", expires_in=0.2, margin=60)  # margin capped at a quarter of the life
    assert cache.get(key).value == "t2"
    time.sleep(0.16)
    assert cache.get(key) is None
    cache.put(key, "t3", expires_in=3600, margin=60)
    cache.drop(key, "other")
    assert cache.get(key).value == "t3"
    cache.drop(key, "t3")
    assert cache.get(key) is None


def test_retry_after_parsing():
    assert _retry_after("3") == 3.0
    assert _retry_after(None) is None
    assert _retry_after("garbage") is None
    assert 0 <= _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_settings_from_env(monkeypatch):
    monkeypatch.setenv("LOGTO_EMAIL_READ_TIMEOUT", "7.5")
    monkeypatch.setenv("LOGTO_EMAIL_ATTEMPTS", "2")
    s = ClientSettings.from_env()
    assert s.read_timeout == 7.5 and s.attempts == 2 and isinstance(s.attempts, int)
