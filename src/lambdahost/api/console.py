"""The console: a local Lambda console in the browser, at / on the Lambda API port.

The page (``console_static/``, plain HTML, CSS and JavaScript, no build step) talks to the JSON
calls below, which use the host's control plane directly. Changing calls must come from the
console itself: the same origin, and a header that a cross-site form cannot send.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaError,
    ResourceNotFoundException,
)
from ..host import AsyncHost
from ..localaws import contents
from ..model import limits
from ..model.function import default_runtime
from ..model.mappings import EventSourceMapping
from ..model.registry import LATEST
from ..quickstarts import first_function
from ..samples import CATALOGUE, generate
from . import shapes
from .model import checked_input, json_object

STATIC = Path(__file__).parent / "console_static"
CONSOLE_HEADER = "x-lambdahost-console"
MAX_TEST_EVENTS = 10
_SKIP = ("__pycache__", ".lambdahost", ".git", ".aws-sam")


class Console:
    def __init__(self, host: AsyncHost, workspace, token: str | None = None) -> None:
        self.host = host
        self.control = host.control
        self.invoker = host.invoker
        self.registry = host.registry
        self._workspace = workspace  # a callable: the served template's Workspace, or None
        self.token = token

    # -- guards -------------------------------------------------------------------------------

    def allowed(self, request: Request) -> Response | None:
        """None when the request may go on; the refusal otherwise."""
        presented = (request.cookies.get("lambdahost_console"), request.query_params.get("token"))
        if self.token and self.token not in presented:
            return PlainTextResponse(
                "This console needs its access token: open the URL lambdahost printed.", status_code=401
            )
        if request.method in ("POST", "PUT", "DELETE"):
            origin = request.headers.get("origin")
            if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host')}":
                return JSONResponse({"message": "cross-site request refused"}, status_code=403)
            if request.headers.get(CONSOLE_HEADER) != "1":
                return JSONResponse(
                    {"message": f"state-changing calls need the {CONSOLE_HEADER} header"}, status_code=403
                )
        return None

    def routes(self) -> list[Route]:
        def guarded(handler):
            async def endpoint(request: Request) -> Response:
                refused = self.allowed(request)
                if refused is not None:
                    return refused
                try:
                    response = await handler(request)
                except LambdaError as exc:
                    return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status)
                if self.token and request.query_params.get("token") == self.token:
                    response.set_cookie("lambdahost_console", self.token, httponly=True, samesite="strict")
                return response

            return endpoint

        api = "/console/api"
        f = f"{api}/functions/{{name}}"
        return [
            Route("/", guarded(self.page)),
            Route("/console/static/{file}", guarded(self.static)),
            Route("/metrics", guarded(self.prometheus)),
            Route(f"{api}/functions", guarded(self.list_functions), methods=["GET"]),
            Route(f"{api}/functions", guarded(self.create_function), methods=["POST"]),
            Route(f, guarded(self.get_function), methods=["GET"]),
            Route(f"{f}/configuration", guarded(self.configure), methods=["PUT"]),
            Route(f"{f}/concurrency", guarded(self.concurrency), methods=["PUT"]),
            Route(f"{f}/event-invoke-config", guarded(self.async_settings), methods=["PUT"]),
            Route(f"{f}/files", guarded(self.files), methods=["GET"]),
            Route(f"{f}/files", guarded(self.deploy), methods=["PUT"]),
            Route(f"{f}/code.zip", guarded(self.download), methods=["GET"]),
            Route(f"{f}/code.zip", guarded(self.upload), methods=["PUT"]),
            Route(f"{f}/test-events", guarded(self.test_events), methods=["GET"]),
            Route(f"{f}/test-events/{{event}}", guarded(self.save_test_event), methods=["PUT"]),
            Route(f"{f}/test-events/{{event}}", guarded(self.delete_test_event), methods=["DELETE"]),
            Route(f"{f}/test", guarded(self.test), methods=["POST"]),
            Route(f"{f}/metrics", guarded(self.function_metrics), methods=["GET"]),
            Route(f"{f}/logs", guarded(self.logs), methods=["GET"]),
            Route(f"{f}/versions", guarded(self.publish), methods=["POST"]),
            Route(f"{f}/aliases", guarded(self.put_alias), methods=["POST"]),
            Route(f"{api}/resources", guarded(self.resources), methods=["GET"]),
            Route(f"{api}/resources/{{logical_id}}", guarded(self.resource), methods=["GET"]),
            Route(f"{api}/event-templates", guarded(self.event_templates), methods=["GET"]),
            Route(f"{api}/event-templates/{{service}}/{{event}}", guarded(self.event_template), methods=["GET"]),
        ]

    # -- pages --------------------------------------------------------------------------------

    # -- the local AWS -------------------------------------------------------------------------

    async def resources(self, request: Request) -> Response:
        """The template's resources in the local AWS (none without one, or without a template)."""
        workspace = self._workspace()
        local = self.host.settings.function_endpoint_url is not None
        found = contents.summary(workspace.project) if workspace is not None and local else []
        return JSONResponse({"resources": found, "endpoint": self.host.settings.function_endpoint_url})

    async def resource(self, request: Request) -> Response:
        workspace = self._workspace()
        logical_id = request.path_params["logical_id"]
        if workspace is None or self.host.settings.function_endpoint_url is None:
            raise ResourceNotFoundException("No local AWS holds the template's resources")
        found = next((r for r in workspace.project.resources if r.logical_id == logical_id), None)
        if found is None:
            raise ResourceNotFoundException(f"The template has no resource {logical_id}")
        try:
            shown = await asyncio.to_thread(
                contents.look, found, workspace.project, self.host.settings, self.host.queues
            )
        except (BotoCoreError, ClientError) as exc:  # the local AWS's own words
            return JSONResponse({"code": "LocalAwsError", "message": str(exc)}, status_code=502)
        return JSONResponse({**contents.summary_of(found), **shown})

    async def page(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def static(self, request: Request) -> Response:
        name = request.path_params["file"]
        path = (STATIC / name).resolve()
        if path.parent != STATIC.resolve() or not path.is_file():
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(path)

    async def prometheus(self, request: Request) -> Response:
        return PlainTextResponse(self.host.metrics.prometheus(), media_type="text/plain; version=0.0.4")

    # -- functions ----------------------------------------------------------------------------

    async def list_functions(self, request: Request) -> Response:
        rows = []
        for record in sorted(self.registry.records, key=lambda r: r.name):
            config = record.config
            invocations, errors = self.host.metrics.recent(record.name)
            rows.append(
                {
                    "name": record.name,
                    "runtime": config.runtime,
                    "handler": config.handler,
                    "memory": config.memory_size,
                    "timeout": config.timeout,
                    "lastModified": record.last_modified,
                    "origin": record.origin,
                    "invocations": invocations,
                    "errors": errors,
                }
            )
        return JSONResponse(
            {
                "functions": rows,
                "runtimes": [*limits.PYTHON_RUNTIMES, *limits.NODE_RUNTIMES],
                "defaultRuntime": default_runtime(),
            }
        )

    async def create_function(self, request: Request) -> Response:
        body = await _body(request)
        runtime = _string(body, "runtime") or default_runtime()
        filename, code, handler = first_function(runtime)
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr(filename, code)
        record = self.control.create_function(
            {
                "FunctionName": _string(body, "name"),
                "Runtime": runtime,
                "Handler": handler,
                "Role": f"arn:aws:iam::{self.host.settings.account_id}:role/lambdahost-console",
            },
            archive.getvalue(),
        )
        return JSONResponse({"name": record.name}, status_code=201)

    async def get_function(self, request: Request) -> Response:
        record = self.control.record(request.path_params["name"])
        arn = self.registry.arn(record.name)
        layers = self.control.layers.describe
        workspace = self._workspace()
        definition = workspace.project.find(record.name) if workspace else None
        return JSONResponse(
            {
                "configuration": shapes.function_configuration(
                    record, arn, self.control.code_of(record), layers=layers
                ),
                "origin": record.origin,
                "reservedConcurrency": record.config.reserved_concurrency,
                "eventInvokeConfig": record.event_invoke_configs.get(LATEST),
                "triggers": [
                    *(
                        {"name": e.name, "type": e.type, "properties": e.properties}
                        for e in (definition.events if definition else ())
                    ),
                    *(
                        {"name": m.uuid, "type": m.kind, "properties": _mapping_summary(m)}
                        for m in self.control.mappings.list(None, None)
                        if m.origin == "api" and m.target[0] == record.name
                    ),
                ],
                "versions": [
                    shapes.function_configuration(record, arn, v.code, v, layers=layers)
                    for v in record.versions.values()
                ],
                "aliases": [shapes.alias_configuration(a, arn) for a in record.aliases.values()],
            }
        )

    async def configure(self, request: Request) -> Response:
        self.control.update_configuration(
            request.path_params["name"], checked_input("UpdateFunctionConfiguration", await _body(request))
        )
        return await self.get_function(request)

    async def concurrency(self, request: Request) -> Response:
        value = checked_input("PutFunctionConcurrency", await _body(request)).get("ReservedConcurrentExecutions")
        self.control.put_concurrency(request.path_params["name"], value)
        return await self.get_function(request)

    async def async_settings(self, request: Request) -> Response:
        body = checked_input("PutFunctionEventInvokeConfig", await _body(request))
        self.control.put_event_invoke_config(request.path_params["name"], None, body, merge=False)
        return await self.get_function(request)

    # -- code ---------------------------------------------------------------------------------

    def _files(self, root: Path) -> list[str]:
        return sorted(
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and not any(part in _SKIP for part in p.relative_to(root).parts)
        )

    async def files(self, request: Request) -> Response:
        record = self.control.record(request.path_params["name"])
        root = record.config.code_dir
        contents = {}
        for name in self._files(root):
            data = (root / name).read_bytes()
            contents[name] = data.decode() if len(data) < 1_000_000 and _text(data) else None
        return JSONResponse({"handler": record.config.handler, "files": contents})

    async def deploy(self, request: Request) -> Response:
        """Save edited files (``files``: name -> text; ``deleted``: names): a template function's
        folder is written in place; an API function gets new code (a new zip, a new CodeSha256).
        Either way its environments are recycled. The answer names each syntax error in them
        (deployed all the same, as the Lambda console deploys them, but not without a word)."""
        record = self.control.record(request.path_params["name"])
        body = await _body(request)
        changed, deleted = body.get("files") or {}, body.get("deleted") or []
        if not isinstance(changed, dict) or not all(isinstance(text, str) for text in changed.values()):
            raise InvalidRequestContentException("files must map file names to their text")
        if not isinstance(deleted, list) or not all(isinstance(name, str) for name in deleted):
            raise InvalidRequestContentException("deleted must list file names")
        root = record.config.code_dir
        for name in [*changed, *deleted]:
            if not name or not (root / name).resolve().is_relative_to(root.resolve()):
                raise InvalidParameterValueException(f"{name!r} is not a file name inside the function's code")
        files = {name: (root / name).read_bytes() for name in self._files(root) if name not in deleted}
        files |= {name: text.encode() for name, text in changed.items()}
        self._replace_code(record, files)
        listing = json.loads((await self.files(request)).body)
        problems = await asyncio.to_thread(syntax_problems, changed)
        return JSONResponse({**listing, "problems": problems})

    async def upload(self, request: Request) -> Response:
        """Upload a .zip: the function's code becomes what it holds, as the Lambda console's
        "Upload from .zip file" makes it."""
        record = self.control.record(request.path_params["name"])
        try:
            with zipfile.ZipFile(io.BytesIO(await request.body())) as zipped:
                files = {info.filename: zipped.read(info) for info in zipped.infolist() if not info.is_dir()}
        except zipfile.BadZipFile:
            raise InvalidParameterValueException("the upload is not a .zip file") from None
        root = record.config.code_dir
        if not all(name and (root / name).resolve().is_relative_to(root.resolve()) for name in files):
            raise InvalidParameterValueException("the .zip holds a file outside its own folder")
        self._replace_code(record, files)
        return await self.files(request)

    async def download(self, request: Request) -> Response:
        """The function's code as a .zip, as the Lambda console's Download gives it."""
        record = self.control.record(request.path_params["name"])
        root, archive = record.config.code_dir, io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for name in self._files(root):
                zipped.write(root / name, name)
        disposition = f'attachment; filename="{record.name}.zip"'
        return Response(archive.getvalue(), media_type="application/zip", headers={"Content-Disposition": disposition})

    def _replace_code(self, record, files: dict[str, bytes]) -> None:
        """The function's code becomes ``files``: a template function's folder is rewritten in
        place (its own code, what the template points at); an API function's is a new zip."""
        root = record.config.code_dir
        if record.origin == "template":
            for name in self._files(root):
                if name not in files:
                    (root / name).unlink()
            for name, data in files.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(data)
            self.invoker.add_function(record.config)
        else:
            archive = io.BytesIO()
            with zipfile.ZipFile(archive, "w") as zipped:
                for name, data in files.items():
                    zipped.writestr(name, data)
            self.control.update_code(record.name, archive.getvalue(), {})

    # -- test events ---------------------------------------------------------------------------

    def _events_file(self, name: str) -> Path:
        self.control.record(name)
        return self.host.state_dir / "test-events" / f"{name}.json"

    def _saved(self, name: str) -> dict[str, Any]:
        path = self._events_file(name)
        return json.loads(path.read_text()) if path.is_file() else {}

    async def test_events(self, request: Request) -> Response:
        return JSONResponse({"events": self._saved(request.path_params["name"])})

    async def save_test_event(self, request: Request) -> Response:
        name, event = request.path_params["name"], request.path_params["event"]
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,25}", event):
            raise InvalidParameterValueException(
                "An event name has 1 to 25 letters, digits, dots, dashes or underscores"
            )
        body = _string(await _body(request), "event")
        try:
            json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise InvalidParameterValueException(f"The event is not valid JSON: {exc}") from None
        saved = self._saved(name)
        if event not in saved and len(saved) >= MAX_TEST_EVENTS:
            raise InvalidParameterValueException(
                f"A function keeps up to {MAX_TEST_EVENTS} test events; delete one first"
            )
        saved[event] = body
        path = self._events_file(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(saved, indent=2))
        return JSONResponse({"events": saved})

    async def delete_test_event(self, request: Request) -> Response:
        name, event = request.path_params["name"], request.path_params["event"]
        saved = self._saved(name)
        if saved.pop(event, None) is None:
            raise ResourceNotFoundException(f"No test event {event}")
        self._events_file(name).write_text(json.dumps(saved, indent=2))
        return JSONResponse({"events": saved})

    async def test(self, request: Request) -> Response:
        """The Test button: a synchronous invocation, with what the console shows about it."""
        name = request.path_params["name"]
        record = self.control.record(name)
        result = await self.host.invoke(name, (_string(await _body(request), "event") or "{}").encode())
        return JSONResponse(
            {
                "requestId": result.request_id,
                "functionError": result.function_error,
                "errorType": result.error_type,
                "payload": result.payload.decode(errors="replace"),
                "log": result.log,
                "initDurationMs": result.init_duration_ms,
                "durationMs": round(result.duration_ms, 2),
                "billedDurationMs": result.billed_duration_ms,
                "memorySizeMb": result.memory_size_mb,
                "maxMemoryUsedMb": result.max_memory_used_mb,
                "codeSha256": self.control.code_of(record).sha256,
            }
        )

    # -- monitor, logs, versions ----------------------------------------------------------------

    async def function_metrics(self, request: Request) -> Response:
        minutes = min(_number(request, "minutes", 60), 24 * 60)
        name = self.control.record(request.path_params["name"]).name
        return JSONResponse({"points": self.host.metrics.series(name, minutes)})

    async def logs(self, request: Request) -> Response:
        name = self.control.record(request.path_params["name"]).name
        query = request.query_params
        since = _number(request, "since", 0)
        # In a thread: a read waits for queued lines to be committed, and the loop serves on.
        events = await asyncio.to_thread(
            self.host.logs.query,
            name,
            log_stream_name=query.get("stream") or None,
            contains=query.get("filter") or None,
            start_ms=int((time.time() - since) * 1000) if since else None,
            after_id=_number(request, "after", 0),
        )
        return JSONResponse(
            {
                "streams": await asyncio.to_thread(self.host.logs.streams, name),
                "events": [
                    {
                        "id": e.id,
                        "time": e.timestamp_ms,
                        "stream": e.log_stream_name,
                        "requestId": e.request_id,
                        "message": e.message,
                    }
                    for e in events[-2000:]
                ],
            }
        )

    async def publish(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.control.publish_version(name, {"Description": _string(await _body(request), "description")})
        return await self.get_function(request)

    async def put_alias(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await _body(request)
        record = self.control.record(name)
        alias = {"Name": _string(body, "name"), "FunctionVersion": str(body.get("version", ""))}
        if alias["Name"] in record.aliases:
            self.control.update_alias(name, body["name"], alias)
        else:
            self.control.create_alias(name, alias)
        return await self.get_function(request)

    async def event_templates(self, request: Request) -> Response:
        return JSONResponse(
            {
                "templates": [
                    {"service": s, "event": e, "help": sample.help}
                    for s, events in CATALOGUE.items()
                    for e, sample in events.items()
                ]
            }
        )

    async def event_template(self, request: Request) -> Response:
        service, event = request.path_params["service"], request.path_params["event"]
        if event not in CATALOGUE.get(service, {}):
            raise ResourceNotFoundException(f"No event template {service} {event}")
        return JSONResponse({"event": json.dumps(generate(service, event), indent=2)})


def _text(data: bytes) -> bool:
    try:
        data.decode()
        return b"\0" not in data
    except UnicodeDecodeError:
        return False


def console_token(secret: str) -> str:
    """The console's access token when serving off loopback, derived from the configured secret."""
    return base64.urlsafe_b64encode(hashlib.sha256(b"lambdahost-console:" + secret.encode()).digest())[:24].decode()


def _mapping_summary(mapping: EventSourceMapping) -> dict[str, Any]:
    """An event source mapping made through the API, as the Triggers panel lists it."""
    return {
        "EventSourceArn": mapping.event_source_arn,
        "FunctionName": mapping.function_name,
        "BatchSize": mapping.batch_size,
        "Enabled": mapping.enabled,
    }


async def _body(request: Request) -> dict:
    return json_object(await request.body())


def _string(body: dict, key: str) -> str:
    value = body.get(key) or ""
    if not isinstance(value, str):
        raise InvalidRequestContentException(f"{key} must be a string")
    return value


def _number(request: Request, name: str, default: int) -> int:
    """A whole, non-negative number from the query string."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or len(text) > 15:
        raise InvalidParameterValueException(f"{name} must be a whole number of at most 15 digits, not {text!r}")
    return int(text)


def syntax_problems(files: dict[str, str]) -> list[dict[str, Any]]:
    """The syntax errors in Python and JavaScript files: file, line (from 1) and message, as
    Python's compiler and ``node --check`` find them."""
    problems = []
    for name, text in files.items():
        if name.endswith(".py"):
            try:
                compile(text, name, "exec")
            except SyntaxError as error:
                problems.append({"file": name, "line": error.lineno or 1, "message": f"SyntaxError: {error.msg}"})
        elif name.endswith((".js", ".mjs", ".cjs")) and shutil.which("node"):
            with tempfile.TemporaryDirectory() as folder:
                copy = Path(folder) / Path(name).name
                copy.write_text(text)
                checked = subprocess.run(["node", "--check", str(copy)], capture_output=True, text=True, timeout=30)
            if checked.returncode:
                lines = checked.stderr.splitlines()
                line = re.search(r":(\d+)$", lines[0]) if lines else None
                message = next((text for text in lines if re.match(r"\w*Error: ", text)), "a syntax error")
                problems.append({"file": name, "line": int(line[1]) if line else 1, "message": message})
    return problems
