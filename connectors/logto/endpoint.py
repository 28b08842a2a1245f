"""Where a tenant's Management API lives, and which audience its tokens must carry.

Plain http is allowed only where a clear-text M2M secret cannot cross a public network:
loopback, private ranges, `localhost`, `*.local` and undotted host names (a compose service
such as `logto`). Everything else must be https, checked before any request is made.
"""

from __future__ import annotations

import re

from connectors.logto.errors import InsecureEndpoint
from connectors.validators import is_private_host, logto_endpoint

_CLOUD_HOST = re.compile(r"^(?P<tenant>[a-z0-9]+)\.logto\.app$")
OSS_RESOURCE = "https://default.logto.app/api"


def normalize_endpoint(endpoint: str) -> str:
    """`endpoint` without a trailing slash, after checking scheme and host."""
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise InsecureEndpoint("the Logto endpoint is empty; expected e.g. https://<tenant-id>.logto.app")
    import httpx  # here, not at the top: commands that never call Logto (`--help`, `validate`) load no HTTP client

    try:
        url = httpx.URL(endpoint.strip())
    except Exception as exc:  # noqa: BLE001 - httpx.InvalidURL and friends: any of them is the same answer
        raise InsecureEndpoint(f"the Logto endpoint is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InsecureEndpoint(
            "the Logto endpoint must be an absolute http(s) URL such as https://<tenant-id>.logto.app"
        )
    if url.userinfo or url.query or url.fragment:
        raise InsecureEndpoint("the Logto endpoint must not contain credentials, a query or a fragment")
    if url.scheme == "http" and not is_private_host(url.host):
        raise InsecureEndpoint(
            f"refusing plain http:// for {url.host}: the M2M secret and connector secrets would cross "
            "the network unencrypted; use https:// (http is allowed only for loopback, private "
            "addresses, localhost, *.local and undotted host names)"
        )
    try:
        logto_endpoint(endpoint.strip())  # the stack schema's rule, so `validate` refuses the same
    except ValueError as exc:
        raise InsecureEndpoint(f"the Logto endpoint {exc}".replace("endpoint the Logto endpoint", "endpoint")) from None
    return str(url).rstrip("/")


def default_resource(endpoint: str) -> str:
    """The Management API indicator: per tenant on Logto Cloud, `default` on OSS."""
    import httpx  # see normalize_endpoint

    host = httpx.URL(endpoint).host.lower()
    match = _CLOUD_HOST.match(host)
    if match:
        return f"https://{match['tenant']}.logto.app/api"
    return OSS_RESOURCE
