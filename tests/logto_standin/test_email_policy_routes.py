"""The stand-in's email policy answers: Cloud-only disposable blocking, list formats, allowlist
entries the blocklist covers, and the account center row (reproducing Logto 1.42 core)."""

from __future__ import annotations

import httpx
import pytest

from logto_standin import LogtoTestServer

pytestmark = pytest.mark.integration


def api(server: LogtoTestServer) -> httpx.Client:
    token = httpx.post(f"{server.url}/oidc/token", data={
        "grant_type": "client_credentials", "resource": server.resource, "scope": "all"},
        auth=(server.app_id, server.app_secret)).json()["access_token"]
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("cloud", [False, True])
def test_disposable_blocking_is_cloud_only(cloud):
    with LogtoTestServer(cloud=cloud) as server, api(server) as client:
        answer = client.patch("/api/sign-in-exp", json={"emailBlocklistPolicy": {"blockDisposableAddresses": True}})
        if cloud:
            assert answer.status_code == 200 and answer.json()["emailBlocklistPolicy"] == {"blockDisposableAddresses": True}
        else:
            assert answer.status_code == 400 and answer.json()["code"] == "request.invalid_input"
            assert "not supported in this environment" in answer.json()["message"]
            assert client.get("/api/sign-in-exp").json()["emailBlocklistPolicy"] == {}


def test_lists_are_deduplicated_and_checked():
    with LogtoTestServer() as server, api(server) as client:
        ok = client.patch("/api/sign-in-exp", json={"emailBlocklistPolicy": {"customBlocklist": ["@a.test", "@a.test", "x*@b.test"]}})
        assert ok.status_code == 200 and ok.json()["emailBlocklistPolicy"]["customBlocklist"] == ["@a.test", "x*@b.test"]
        bad = client.patch("/api/sign-in-exp", json={"emailBlocklistPolicy": {"customAllowlist": ["@ok.test", "nope"]}})
        assert bad.status_code == 400 and bad.json()["code"] == "sign_in_experiences.invalid_custom_email_allowlist_format"
        covered = client.patch("/api/sign-in-exp", json={"emailBlocklistPolicy": {
            "customBlocklist": ["@a.test"], "customAllowlist": ["boss@a.test"]}})
        assert covered.status_code == 422 and covered.json()["code"] == "sign_in_experiences.email_allowlist_entries_blocked"
        typed = client.patch("/api/sign-in-exp", json={"emailBlocklistPolicy": {"blockSubaddressing": "yes"}})
        assert typed.status_code == 400 and typed.json()["data"]["issues"][0]["path"] == ["emailBlocklistPolicy", "blockSubaddressing"]


def test_account_center_row_and_reset():
    with LogtoTestServer() as server, api(server) as client:
        fresh = client.get("/api/account-center").json()
        assert fresh["enabled"] is False and fresh["fields"] == {}
        changed = client.patch("/api/account-center", json={"enabled": True, "fields": {"email": "Edit"}, "unknown": 1})
        assert changed.status_code == 200 and "unknown" not in changed.json()
        assert client.get("/api/account-center").json()["fields"] == {"email": "Edit"}
        server.reset()
        with api(server) as again:
            assert again.get("/api/account-center").json()["fields"] == {}
