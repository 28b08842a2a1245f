"""The recording proxy that counts requests in real-Logto mode, checked in front of the stand-in."""

from __future__ import annotations

import pytest

from connectors.logto import LogtoClient, NotFound
from tests.fixtures.recording_proxy import RecordingProxy
from tests.integration.deploy_support import FAST, http_config

pytestmark = pytest.mark.integration


def test_the_proxy_forwards_unchanged_and_counts(fresh_logto_server, http_recorder):
    server = fresh_logto_server
    with RecordingProxy(server.url) as proxy:
        with LogtoClient(proxy.url, server.app_id, server.app_secret, resource=server.resource, settings=FAST) as client:
            made = client.create_connector("http-email", http_config(http_recorder))
            assert client.get_email_connector().id == made.id
            with pytest.raises(NotFound):
                client.delete_email_template("nope")
        assert [(r.method, r.path, r.status) for r in proxy.requests] == [
            (r.method, r.path, r.status) for r in server.requests
        ]
        assert proxy.count("POST", "/api/connectors") == 1
        assert [(r.method, r.status) for r in proxy.writes()] == [("POST", 200), ("DELETE", 404)]
        proxy.clear_requests()
        assert proxy.requests == []
