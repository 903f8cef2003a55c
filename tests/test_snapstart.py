"""SnapStart: a published version's environments are restored from a snapshot of one initialized
process, with the hooks of ``snapshot_restore_py``; driven by boto3 against ``lambdahost serve``."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from lambdahost.testing import eventually
from server import ROLE, WHO, Server, running, zipped

CODE = (
    WHO
    + """
import time
from snapshot_restore_py import register_after_restore, register_before_snapshot

INIT_PID = who()
with open("/tmp/model.bin", "w") as model:  # what init downloads, kept in the snapshot
    model.write(str(INIT_PID))
snapshotted = False
restored_in = []

@register_before_snapshot
def before():
    global snapshotted
    snapshotted = True
    print("before snapshot")
    if os.environ.get("FAIL") == "before":
        raise ValueError("cannot snapshot the connection pool")

@register_after_restore
def after():
    restored_in.append(who())
    print("after restore")
    if os.environ.get("FAIL") == "after":
        raise ConnectionError("database unreachable after restore")

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    with open("/tmp/model.bin") as model:
        kept = model.read()
    with open("/tmp/model.bin", "w") as model:  # this environment's own copy
        model.write(who())
    return {
        "model": kept,
        "init_pid": INIT_PID,
        "pid": who(),
        "snapshotted": snapshotted,
        "restored_in": restored_in,
        "initialization_type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
        "log_stream": os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME"),
        "wrapped": os.environ.get("WRAPPED"),
    }
"""
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("snapstart")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server):
    return server.client()


def create(client, name: str, apply_on: str = "PublishedVersions", **options) -> None:
    client.create_function(
        FunctionName=name,
        Runtime=options.pop("Runtime", "python3.12"),
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": options.pop("ZipFile", zipped({"app.py": CODE}))},
        SnapStart={"ApplyOn": apply_on},
        **options,
    )


def invoke(client, name: str, qualifier: str, event: dict | None = None) -> tuple[dict, str]:
    response = client.invoke(FunctionName=name, Qualifier=qualifier, Payload=json.dumps(event or {}), LogType="Tail")
    return json.loads(response["Payload"].read()), base64.b64decode(response["LogResult"]).decode()


def test_published_versions_restore_from_one_snapshot(client) -> None:
    create(client, "snappy")
    version = client.publish_version(FunctionName="snappy")["Version"]
    assert client.get_function_configuration(FunctionName="snappy", Qualifier=version)["SnapStart"] == {
        "ApplyOn": "PublishedVersions",
        "OptimizationStatus": "On",
    }
    assert client.get_function_configuration(FunctionName="snappy")["SnapStart"]["OptimizationStatus"] == "Off"

    with ThreadPoolExecutor(2) as pool:  # two at once: two environments
        (first, first_log), (second, _) = pool.map(
            lambda _: invoke(client, "snappy", version, {"sleep": 0.5}), range(2)
        )
    assert first["pid"] != second["pid"]
    assert first["init_pid"] == second["init_pid"] not in (first["pid"], second["pid"]), "init ran once, elsewhere"
    for answer in (first, second):
        assert answer["snapshotted"] is True, "memory as the before-snapshot hook left it"
        assert answer["restored_in"] == [answer["pid"]], "the after-restore hook ran in each environment"
        assert answer["initialization_type"] == "snap-start"
        assert answer["model"] == str(answer["init_pid"]), "/tmp as init left it, in each environment"
        assert answer["log_stream"] is None
    lines = first_log.splitlines()
    assert lines[0].startswith("RESTORE_START Runtime Version: python:")
    assert lines[1] == "after restore"
    assert lines[2].startswith("RESTORE_REPORT Restore Duration: ") and lines[2].endswith(" ms")
    report = lines[-1]
    assert "\tRestore Duration: " in report and "\tBilled Restore Duration: " in report
    assert "Init Duration" not in first_log and "INIT_START" not in first_log

    warm, warm_log = invoke(client, "snappy", version)
    assert warm["pid"] in (first["pid"], second["pid"]) and "RESTORE" not in warm_log

    latest, latest_log = invoke(client, "snappy", "$LATEST")  # SnapStart applies to published versions only
    assert latest["init_pid"] == latest["pid"] and latest["initialization_type"] == "on-demand"
    assert latest["snapshotted"] is False and "\tInit Duration: " in latest_log

    client.delete_function(FunctionName="snappy")  # the snapshot and its environments go with it
    eventually(
        lambda: not any(running(who) for who in (first["init_pid"], first["pid"], second["pid"])),
        "the snapshot and the environments restored from it ended with their function",
        timeout=10,
    )


def test_a_failed_after_restore_hook_is_a_snapstart_exception(client) -> None:
    create(client, "unrestorable", Environment={"Variables": {"FAIL": "after"}})
    version = client.publish_version(FunctionName="unrestorable")["Version"]
    for _ in range(2):  # every invocation tries a new restore
        with pytest.raises(ClientError) as raised:
            client.invoke(FunctionName="unrestorable", Qualifier=version)
        error = raised.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error["Error"]["Code"] == "SnapStartException"
        assert "afterRestore()" in error["Error"]["Message"]


def test_a_failed_before_snapshot_hook_answers_with_its_error(client, server) -> None:
    create(client, "unsnappable", Environment={"Variables": {"FAIL": "before"}})
    version = client.publish_version(FunctionName="unsnappable")["Version"]
    response = client.invoke(FunctionName="unsnappable", Qualifier=version)
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "Runtime.BeforeSnapshotError"
    assert error["errorMessage"] == "cannot snapshot the connection pool"
    assert f"the SnapStart snapshot of unsnappable:{version} failed: Runtime.BeforeSnapshotError" in server.log()


def test_snapstart_refuses_what_it_cannot_go_with(client) -> None:
    for options, code in (
        ({"Runtime": "python3.11"}, "InvalidParameterValueException"),
        ({"EphemeralStorage": {"Size": 1024}}, "InvalidParameterValueException"),
    ):
        with pytest.raises(ClientError) as raised:
            create(client, "refused", **options)
        assert raised.value.response["Error"]["Code"] == code
    with pytest.raises(ClientError) as raised:
        create(client, "refused", apply_on="Always")
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "snapStart.applyOn" in raised.value.response["Error"]["Message"]


def test_json_log_format_has_restore_records(client) -> None:
    create(client, "snappyjson", LoggingConfig={"LogFormat": "JSON"})
    version = client.publish_version(FunctionName="snappyjson")["Version"]
    _, log = invoke(client, "snappyjson", version)
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    kinds = [record["type"] for record in records]
    assert kinds[0] == "platform.restoreStart" and "platform.restoreReport" in kinds
    report = next(record for record in records if record["type"] == "platform.report")["record"]
    assert report["metrics"]["restoreDurationMs"] > 0 and "initDurationMs" not in report["metrics"]


def test_an_exec_wrapper_starts_the_snapshot(client) -> None:
    """The wrapper starts the interpreter that initializes; the environments restored from it
    keep what the wrapper set."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", CODE)
        wrapper = zipfile.ZipInfo("wrapper.sh")
        wrapper.external_attr = 0o755 << 16
        archive.writestr(wrapper, '#!/bin/sh\nexport WRAPPED=yes\nexec "$@"\n')
    create(
        client,
        "wrapped",
        ZipFile=buffer.getvalue(),
        Environment={"Variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/wrapper.sh"}},
    )
    version = client.publish_version(FunctionName="wrapped")["Version"]
    answer, log = invoke(client, "wrapped", version)
    assert answer["wrapped"] == "yes" and answer["snapshotted"] is True
    assert answer["restored_in"] == [answer["pid"]] != [answer["init_pid"]]
    assert "RESTORE_REPORT" in log
