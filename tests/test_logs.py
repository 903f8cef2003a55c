"""Logs: platform lines byte for byte, the JSON format, and the stored log streams."""

from __future__ import annotations

import asyncio
import json
import re
import time

from lambdahost import AsyncHost, Host, LoggingConfig
from lambdahost.store import LogStore

CHATTY = """
import logging, sys

print("init line")

def handler(event, context):
    print("one")
    sys.stderr.write("two on stderr\\n")
    context.log("three via context.log\\n")
    logging.getLogger().warning("four %s", "formatted")
    print("multi\\nline")
    return "ok"
"""

REPORT = re.compile(
    r"REPORT RequestId: (?P<id>[0-9a-f-]{36})\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\t"
    r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\t(Init Duration: \d+\.\d{2} ms\t)?"
)


def test_text_log_lines_in_order_and_format(host: Host, make_function) -> None:
    function = make_function(CHATTY)
    cold = host.invoke(function.name)
    rid = cold.request_id
    lines = cold.log.splitlines()
    assert re.fullmatch(
        r"INIT_START Runtime Version: python:3\.\d+\.local\tRuntime Version ARN: "
        r"arn:aws:lambda:us-east-1::runtime:\S+",
        lines[0],
    )
    assert lines[1] == "init line"
    assert lines[2] == f"START RequestId: {rid} Version: $LATEST"
    assert lines[3:7] == ["one", "two on stderr", "three via context.log"] + [lines[6]]
    assert re.fullmatch(rf"\[WARNING\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{rid}\tfour formatted", lines[6])
    assert lines[7:9] == ["multi", "line"]
    assert lines[9] == f"END RequestId: {rid}"
    match = REPORT.fullmatch(lines[10])
    assert match and match["id"] == rid and match.group(2)
    assert len(lines) == 11
    warm = host.invoke(function.name).log.splitlines()
    assert warm[0].startswith("START RequestId: ")
    assert REPORT.fullmatch(warm[-1]) and "Init Duration" not in warm[-1]


def test_log_tail_is_the_last_4_kb(host: Host, make_function) -> None:
    function = make_function("def handler(event, context):\n    print('x' * 10000)\n")
    result = host.invoke(function.name)
    assert len(result.log.encode()) > 10000
    assert len(result.log_tail.encode()) == 4096
    assert result.log.endswith(result.log_tail)


def test_log_level_setting_filters_application_logs(host: Host, make_function) -> None:
    function = make_function(
        """
        import logging

        def handler(event, context):
            logging.getLogger().debug("debug line")
            logging.getLogger().info("info line")
            logging.getLogger("app").error("boom", extra={"orderId": 7})
            try:
                1 / 0
            except ZeroDivisionError:
                logging.getLogger().exception("failed")
            print("plain print")
            return 1
    """,
        logging=LoggingConfig(log_format="JSON", application_log_level="INFO"),
    )
    result = host.invoke(function.name)
    records = [json.loads(line) for line in result.log.splitlines() if line.startswith("{")]
    app = [r for r in records if "level" in r]
    assert [r["message"] for r in app] == ["info line", "boom", "failed"]
    info, boom, failed = app
    assert list(info) == ["timestamp", "level", "message", "logger", "requestId"]
    assert info["level"] == "INFO" and info["logger"] == "root" and info["requestId"] == result.request_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", info["timestamp"])
    assert boom["orderId"] == 7 and boom["logger"] == "app"
    assert failed["errorType"] == "ZeroDivisionError" and failed["errorMessage"] == "division by zero"
    assert failed["location"].endswith(":handler:11") and failed["stackTrace"]
    assert "plain print" in result.log.splitlines()
    platform = [r for r in records if "type" in r]
    assert [r["type"] for r in platform] == ["platform.initStart", "platform.start", "platform.report"]
    report = platform[-1]["record"]
    assert report["requestId"] == result.request_id and report["status"] == "success"
    assert set(report["metrics"]) == {
        "durationMs",
        "billedDurationMs",
        "memorySizeMB",
        "maxMemoryUsedMB",
        "initDurationMs",
    }


def test_json_format_error_record(host: Host, make_function) -> None:
    function = make_function(
        "def handler(event, context):\n    raise ValueError('nope')\n", logging=LoggingConfig(log_format="JSON")
    )
    result = host.invoke(function.name)
    error = next(json.loads(line) for line in result.log.splitlines() if '"errorType"' in line)
    assert list(error) == ["timestamp", "level", "errorMessage", "errorType", "requestId", "stackTrace"]
    assert (error["level"], error["errorType"], error["requestId"]) == ("ERROR", "ValueError", result.request_id)


def test_logs_are_stored_per_stream_and_request(host: Host, make_function) -> None:
    function = make_function(CHATTY)
    first = host.invoke(function.name)
    second = host.invoke(function.name)
    events = host.logs.query(function.name, request_id=second.request_id)
    assert [e.message for e in events] == second.log.splitlines()
    assert all(e.log_stream_name == second.log_stream_name for e in events)
    everything = host.logs.query(function.name)
    assert [e.message for e in everything] == (first.log + second.log).splitlines()
    init_lines = [e for e in everything if e.request_id == ""]
    assert [e.message for e in init_lines][:2] == [first.log.splitlines()[0], "init line"]
    assert host.logs.streams(function.name) == [first.log_stream_name]
    assert [e.message for e in host.logs.query(function.name, contains="formatted")][0].endswith("four formatted")
    after = everything[-1].timestamp_ms + 1
    assert host.logs.query(function.name, start_ms=after) == []
    assert len(host.logs.query(function.name, end_ms=everything[0].timestamp_ms)) >= 1


def test_logs_survive_the_host(tmp_path, make_function) -> None:
    state = tmp_path / "persisted"
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("def handler(event, context):\n    print('remember me')\n")
    from lambdahost import FunctionConfig

    with Host(state_dir=state) as host:
        host.add_function(FunctionConfig(name="f", handler="app.handler", code_dir=code))
        rid = host.invoke("f").request_id
    with Host(state_dir=state) as host:
        assert "remember me" in [e.message for e in host.logs.query("f", request_id=rid)]


def test_system_log_level_warn_drops_platform_records(host: Host, make_function) -> None:
    function = make_function(
        "import logging\ndef handler(event, context):\n    logging.getLogger().warning('kept')\n",
        logging=LoggingConfig(log_format="JSON", system_log_level="WARN"),
    )
    result = host.invoke(function.name)
    records = [json.loads(line) for line in result.log.splitlines()]
    assert [r.get("message") for r in records] == ["kept"]
    assert not any("type" in r for r in records)


def test_a_log_database_that_refuses_writes_loses_no_lines_and_blocks_no_one(tmp_path, caplog) -> None:
    """Another process holds logs.db locked (as a full disk would refuse it): invocations go on,
    a reader is not left waiting, and the lines are written once the database takes them."""
    import sqlite3

    from lambdahost import FunctionConfig

    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("def handler(event, context):\n    print('kept for later')\n")
    with Host(state_dir=tmp_path / "state") as host:
        host.add_function(FunctionConfig(name="f", handler="app.handler", code_dir=code))
        blocker = sqlite3.connect(tmp_path / "state" / "logs.db")
        blocker.execute("BEGIN EXCLUSIVE")
        rid = host.invoke("f").request_id
        assert host.invoke("f").function_error is None
        assert host.logs.query("f", request_id=rid) == []  # returns, though nothing could be written
        assert "cannot write logs" in caplog.text
        blocker.rollback()
        blocker.close()
        assert "kept for later" in [e.message for e in host.logs.query("f", request_id=rid)]
        assert "logs written to" in caplog.text


def test_concurrent_streams_keep_each_invocations_lines_together(tmp_path, make_function) -> None:
    """Many invocations in parallel environments, committed together: each one's lines come back
    whole and in order, by request id and within its stream, and following by id skips nothing."""
    function = make_function(CHATTY)

    async def run() -> list:
        async with AsyncHost(state_dir=tmp_path / "concurrent") as host:
            host.add_function(function)
            results = await asyncio.gather(*(host.invoke(function.name) for _ in range(40)))
            return results, host.logs.query(function.name), host.logs

    results, everything, store = asyncio.run(run())
    streams = {r.log_stream_name for r in results}
    assert len(streams) > 1
    reopened = LogStore(store.path)
    try:
        assert set(reopened.streams(function.name)) == streams
        for result in results:
            lines = result.log.splitlines()
            mine = reopened.query(function.name, request_id=result.request_id)
            start = lines.index(f"START RequestId: {result.request_id} Version: $LATEST")
            assert [e.message for e in mine] == lines[start:]  # the init phase's lines have no request id
            in_stream = [e.message for e in everything if e.log_stream_name == result.log_stream_name]
            start = in_stream.index(lines[0])
            assert in_stream[start : start + len(lines)] == lines
        cut = everything[len(everything) // 2].id
        assert reopened.query(function.name, after_id=cut) == [e for e in everything if e.id > cut]
    finally:
        reopened.close()


PRINTER = """
import sys

def handler(event, context):
    for n in range(50):
        print(f"{context.aws_request_id} line {n}")
    sys.stdout.write(context.aws_request_id + " " + "x" * 100_000 + "\\n")  # more than a pipe holds
    return "done"
"""


def test_parallel_invocations_each_keep_all_they_printed(tmp_path, make_function) -> None:
    """Several warm environments answering at once, on the event loop: every line an invocation
    printed, a long one included, lands between its own START and END."""
    function = make_function(PRINTER)

    async def run() -> list:
        async with AsyncHost(state_dir=tmp_path / "parallel") as host:
            host.add_function(function)
            results = []
            for _ in range(10):
                results += await asyncio.gather(*(host.invoke(function.name) for _ in range(4)))
            return results

    results = asyncio.run(run())
    assert len({r.log_stream_name for r in results}) > 1
    for result in results:
        lines = result.log.splitlines()
        start = lines.index(f"START RequestId: {result.request_id} Version: $LATEST")
        end = lines.index(f"END RequestId: {result.request_id}")
        expected = [f"{result.request_id} line {n}" for n in range(50)] + [f"{result.request_id} {'x' * 100_000}"]
        assert lines[start + 1 : end] == expected


BACKGROUND = """
import threading, time

def tick():
    time.sleep(0.1)  # after the invocation has ended
    for n in range(60):
        print(f"tick {n}", flush=True)
        time.sleep(0.01)

def handler(event, context):
    threading.Thread(target=tick, daemon=True).start()
    return "started"
"""


def test_what_an_idle_environment_prints_is_stored_not_held(tmp_path, make_function) -> None:
    """A background thread prints after its invocation ended: the idle reaper stores those lines
    (with no request id) and the environment keeps none of them in memory."""
    function = make_function(BACKGROUND)

    async def run() -> tuple:
        async with AsyncHost(state_dir=tmp_path / "idle", idle_timeout=4) as host:  # the reaper turns each second
            host.add_function(function)
            await host.invoke(function.name)
            deadline = time.monotonic() + 30
            while len(ticks := host.logs.query(function.name, contains="tick")) < 60:
                assert time.monotonic() < deadline, f"{len(ticks)} of 60 idle lines stored"
                await asyncio.sleep(0.2)
            [environment] = host.invoker.environments(function.name)
            return ticks, environment._lines

    ticks, held = asyncio.run(run())
    assert [(e.message, e.request_id) for e in ticks] == [(f"tick {n}", "") for n in range(60)]
    assert held == []
