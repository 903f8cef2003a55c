"""Tenant isolation (TenancyConfig PER_TENANT): each tenant's invocations run in environments of
its own, the handler sees its tenant id, and a tenant id is required for such a function only.
Driven through the Python API and through boto3 against a real ``lambdahost serve``."""

from __future__ import annotations

import json

import pytest

from lambdahost import FunctionConfig, Host, InvalidParameterValueException
from lambdahost.testing import eventually
from server import ROLE, Server, zipped

HANDLER = """
import os, uuid

ENVIRONMENT = uuid.uuid4().hex  # one per environment

def handler(event, context):
    print("tenant", context.tenant_id)
    return {"tenant": context.tenant_id, "environment": ENVIRONMENT}
"""


def test_each_tenant_has_environments_of_its_own(tmp_path) -> None:
    (tmp_path / "app.py").write_text(HANDLER)
    with Host(state_dir=tmp_path / "state") as host:
        host.add_function(
            FunctionConfig(name="isolated", handler="app.handler", code_dir=tmp_path, tenant_isolation=True)
        )
        host.add_function(FunctionConfig(name="shared", handler="app.handler", code_dir=tmp_path))

        def call(tenant: str) -> dict:
            return json.loads(host.invoke("isolated", {}, tenant_id=tenant).payload)

        first, again, other = call("acme"), call("acme"), call("globex")
        assert (first["tenant"], other["tenant"]) == ("acme", "globex")
        assert first["environment"] == again["environment"] != other["environment"]
        assert json.loads(host.invoke("shared", {}).payload)["tenant"] is None

        with pytest.raises(InvalidParameterValueException, match="a tenant id is required"):
            host.invoke("isolated", {})
        with pytest.raises(InvalidParameterValueException, match="does not use tenant isolation"):
            host.invoke("shared", {}, tenant_id="acme")
        with pytest.raises(InvalidParameterValueException, match="a tenant id is required"):
            host.invoke("isolated", {}, invocation_type="Event")
        queued = host.invoke("isolated", {}, invocation_type="Event", tenant_id="initech")
        host.call(lambda h: None)

        def ran() -> list:
            host.call(lambda h: None)  # a turn of the loop, where the queue runs
            return host.logs.query("isolated", request_id=queued.request_id, contains="tenant")

        lines = eventually(ran, "the queued invocation ran")
        assert lines[0].message == "tenant initech"


def test_tenancy_through_the_lambda_api(tmp_path) -> None:
    server = Server(tmp_path, "--api-port", "0")  # no template: API-created functions only
    server.start()
    try:
        client = server.client()
        created = client.create_function(
            FunctionName="tenanted",
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": zipped({"app.py": HANDLER})},
            TenancyConfig={"TenantIsolationMode": "PER_TENANT"},
        )
        assert created["TenancyConfig"] == {"TenantIsolationMode": "PER_TENANT"}
        body = json.loads(client.invoke(FunctionName="tenanted", TenantId="acme")["Payload"].read())
        assert body["tenant"] == "acme"
        with pytest.raises(client.exceptions.InvalidParameterValueException):
            client.invoke(FunctionName="tenanted")
        queued = client.invoke(FunctionName="tenanted", InvocationType="Event", TenantId="acme")
        assert queued["StatusCode"] == 202
    finally:
        server.stop()
