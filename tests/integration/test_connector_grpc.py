"""The provider as the Pulumi engine runs it: `python -m pulumi.dynamic` in this venv, over gRPC.

No Pulumi CLI is installed here, so this test plays the engine's part: it starts the SDK's
dynamic-provider server, sends Configure/Check/Create/Read/Diff/Update/Delete with the
dill-serialized provider in `__provider`, and checks what comes back on the wire, including
that `app_secret` and `config` carry Pulumi's secret signature and that errors (full
tracebacks) hold no secret.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from infra.connector import LogtoEmailConnectorProvider
from tests.integration.deploy_support import HTTP_AUTH_SECRET, http_config

pytestmark = pytest.mark.integration
URN = "urn:pulumi:dev::logto-email::pulumi-python:dynamic/logto:EmailConnector::email"


def struct(props: dict) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


@pytest.fixture(scope="module")
def stub():
    env = {**os.environ, "LOGTO_EMAIL_WAIT_INITIAL": "0.01", "LOGTO_EMAIL_WAIT_MAX": "0.05",
           "LOGTO_EMAIL_WAIT_JITTER": "0.01", "LOGTO_EMAIL_ATTEMPTS": "3"}
    proc = subprocess.Popen([sys.executable, "-m", "pulumi.dynamic"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd="/")
    try:
        port = int(proc.stdout.readline())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        s = provider_pb2_grpc.ResourceProviderStub(channel)
        s.Configure(provider_pb2.ConfigureRequest(args=struct_pb2.Struct(), acceptSecrets=False))
        yield s
        channel.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_lifecycle_over_grpc(stub, logto_target, http_recorder):
    server = logto_target.require_server("checks the test server's state")
    provider = serialize_provider(LogtoEmailConnectorProvider())
    news = {
        "__provider": provider,
        "endpoint": logto_target.endpoint + "/",
        "resource": logto_target.resource,
        "app_id": logto_target.app_id,
        "app_secret": logto_target.app_secret,
        "factory_id": "http-email",
        "config": http_config(http_recorder),
        "connector_id": None,
        "config_hash": None,
    }
    checked = stub.Check(provider_pb2.CheckRequest(urn=URN, olds=struct({}), news=struct(news)))
    assert list(checked.failures) == []
    inputs = rpc.deserialize_properties(checked.inputs)
    assert inputs["endpoint"] == logto_target.endpoint

    created = stub.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs))
    outs = rpc.deserialize_properties(created.properties)
    assert created.id.startswith("logto-email-connector-")
    assert rpc.is_rpc_secret(outs["app_secret"]) and rpc.is_rpc_secret(outs["config"])
    for key, value in outs.items():
        if key not in ("app_secret", "config", "__provider"):
            assert logto_target.app_secret not in str(value) and HTTP_AUTH_SECRET not in str(value), key
    live = [r for r in server.state.connectors.values()]
    assert len(live) == 1 and live[0].id == outs["connector_id"]

    read = stub.Read(provider_pb2.ReadRequest(id=created.id, urn=URN, properties=created.properties))
    assert read.id == created.id

    news2 = {**news, "config": http_config(http_recorder, path="/v2")}
    checked2 = stub.Check(provider_pb2.CheckRequest(urn=URN, olds=created.properties, news=struct(news2)))
    diff = stub.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, olds=created.properties, news=checked2.inputs))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    updated = stub.Update(provider_pb2.UpdateRequest(id=created.id, urn=URN, olds=created.properties, news=checked2.inputs))
    uouts = rpc.deserialize_properties(updated.properties)
    assert uouts["connector_id"] == outs["connector_id"]
    assert server.state.connectors[outs["connector_id"]].config["endpoint"].endswith("/v2")

    # A refused delete surfaces as an error whose text (a full traceback) holds no secret.
    with server.lock:
        server.state.patch_sign_in_exp(
            signUp={"identifiers": ["email"], "password": False, "verify": True},
            signIn={"methods": [{"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False}]},
        )
    with pytest.raises(grpc.RpcError) as info:
        stub.Delete(provider_pb2.DeleteRequest(id=created.id, urn=URN, properties=updated.properties))
    details = info.value.details()
    assert "SignInNeedsEmail" in details and "signUp.identifiers" in details
    assert logto_target.app_secret not in details and HTTP_AUTH_SECRET not in details
    assert len(server.state.connectors) == 1
