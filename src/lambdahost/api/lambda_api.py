"""The Lambda HTTP API (``/2015-03-31/functions/...``), so boto3 and the AWS CLI work unchanged.

Errors are answered as AWS answers them: the status, an ``x-amzn-ErrorType`` header that botocore
reads for the error code, and a body whose message member has the model's casing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..errors import (
    AccessDeniedException,
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaError,
    ServiceException,
    ValidationException,
)
from ..host import AsyncHost
from ..invoker.invoker import new_request_id
from ..model import limits
from ..model.mappings import EventSourceMapping
from ..model.registry import LATEST
from ..store.code import archive
from . import eventstream, shapes
from .model import checked_body, json_object
from .responses import error_response
from .sigv4 import SignatureVerifier

CODE = "_lambdahost/code"  # where a Code or Content Location downloads a zip from

log = logging.getLogger("lambdahost")
PAGE_SIZE = 50  # ListFunctions pages hold at most 50, whatever MaxItems says


def create_app(
    host: AsyncHost, verifier: SignatureVerifier | None = None, url_base: str = "http://127.0.0.1:3000"
) -> Starlette:
    """``url_base``: where the API port serves function URLs."""
    api = _LambdaApi(host, url_base, verifier)
    F = "/2015-03-31/functions/{name}"
    L = "/2018-10-31/layers/{layer}"
    U = "/2021-10-31/functions/{name}"
    E = "/2015-03-31/event-source-mappings"
    P = "/2019-09-30/functions/{name}/provisioned-concurrency"
    routes = [
        Route(f"{F}/invocations", api.invoke, methods=["POST"]),
        Route(
            "/2021-11-15/functions/{name}/response-streaming-invocations",
            api.invoke_with_response_stream,
            methods=["POST"],
        ),
        Route("/2014-11-13/functions/{name}/invoke-async/", api.invoke_async, methods=["POST"]),
        Route("/2015-03-31/functions", api.create_function, methods=["POST"]),
        Route("/2015-03-31/functions/", api.list_functions, methods=["GET"]),
        Route("/2015-03-31/functions", api.list_functions, methods=["GET"]),
        Route(F, api.get_function, methods=["GET"]),
        Route(F, api.delete_function, methods=["DELETE"]),
        Route(f"{F}/configuration", api.get_configuration, methods=["GET"]),
        Route(f"{F}/configuration", api.update_configuration, methods=["PUT"]),
        Route(f"{F}/code", api.update_code, methods=["PUT"]),
        Route(f"{F}/versions", api.publish_version, methods=["POST"]),
        Route(f"{F}/versions", api.list_versions, methods=["GET"]),
        Route(f"{F}/aliases", api.create_alias, methods=["POST"]),
        Route(f"{F}/aliases", api.list_aliases, methods=["GET"]),
        Route(f"{F}/aliases/{{alias}}", api.get_alias, methods=["GET"]),
        Route(f"{F}/aliases/{{alias}}", api.update_alias, methods=["PUT"]),
        Route(f"{F}/aliases/{{alias}}", api.delete_alias, methods=["DELETE"]),
        Route("/2017-10-31/functions/{name}/concurrency", api.put_concurrency, methods=["PUT"]),
        Route("/2017-10-31/functions/{name}/concurrency", api.delete_concurrency, methods=["DELETE"]),
        Route("/2019-09-30/functions/{name}/concurrency", api.get_concurrency, methods=["GET"]),
        Route(P, api.put_provisioned_concurrency, methods=["PUT"]),
        Route(P, api.get_provisioned_concurrency, methods=["GET"]),
        Route(P, api.delete_provisioned_concurrency, methods=["DELETE"]),
        Route("/2019-09-25/functions/{name}/event-invoke-config", api.put_event_invoke_config, methods=["PUT"]),
        Route("/2019-09-25/functions/{name}/event-invoke-config", api.update_event_invoke_config, methods=["POST"]),
        Route("/2019-09-25/functions/{name}/event-invoke-config", api.get_event_invoke_config, methods=["GET"]),
        Route("/2019-09-25/functions/{name}/event-invoke-config", api.delete_event_invoke_config, methods=["DELETE"]),
        Route("/2019-09-25/functions/{name}/event-invoke-config/list", api.list_event_invoke_configs, methods=["GET"]),
        Route("/2016-08-19/account-settings", api.account_settings, methods=["GET"]),
        Route("/2016-08-19/account-settings/", api.account_settings, methods=["GET"]),
        Route("/2017-03-31/tags/{arn:path}", api.tag, methods=["POST"]),
        Route("/2017-03-31/tags/{arn:path}", api.untag, methods=["DELETE"]),
        Route("/2017-03-31/tags/{arn:path}", api.list_tags, methods=["GET"]),
        Route("/2018-10-31/layers", api.list_layers, methods=["GET"]),
        Route("/2024-08-31/functions/{name}/recursion-config", api.get_recursion, methods=["GET"]),
        Route("/2024-08-31/functions/{name}/recursion-config", api.put_recursion, methods=["PUT"]),
        Route("/2021-07-20/functions/{name}/runtime-management-config", api.get_runtime_config, methods=["GET"]),
        Route("/2021-07-20/functions/{name}/runtime-management-config", api.put_runtime_config, methods=["PUT"]),
        Route("/2020-06-30/functions/{name}/code-signing-config", api.get_code_signing, methods=["GET"]),
        Route(f"{F}/policy", api.add_permission, methods=["POST"]),
        Route(f"{F}/policy", api.get_policy, methods=["GET"]),
        Route(f"{F}/policy/{{sid}}", api.remove_permission, methods=["DELETE"]),
        Route(f"{U}/url", api.create_url_config, methods=["POST"]),
        Route(f"{U}/url", api.get_url_config, methods=["GET"]),
        Route(f"{U}/url", api.update_url_config, methods=["PUT"]),
        Route(f"{U}/url", api.delete_url_config, methods=["DELETE"]),
        Route(f"{U}/urls", api.list_url_configs, methods=["GET"]),
        Route(E, api.create_event_source_mapping, methods=["POST"]),
        Route(E, api.list_event_source_mappings, methods=["GET"]),
        Route(f"{E}/", api.list_event_source_mappings, methods=["GET"]),
        Route(f"{E}/{{uuid}}", api.get_event_source_mapping, methods=["GET"]),
        Route(f"{E}/{{uuid}}", api.update_event_source_mapping, methods=["PUT"]),
        Route(f"{E}/{{uuid}}", api.delete_event_source_mapping, methods=["DELETE"]),
        Route(f"/{CODE}/functions/{{name}}/{{version}}.zip", api.function_code, methods=["GET"]),
        Route(f"/{CODE}/layers/{{layer}}/{{number:int}}.zip", api.layer_content, methods=["GET"]),
        Route(f"{L}/versions", api.publish_layer_version, methods=["POST"]),
        Route(f"{L}/versions", api.list_layer_versions, methods=["GET"]),
        Route(f"{L}/versions/{{number:int}}", api.get_layer_version, methods=["GET"]),
        Route(f"{L}/versions/{{number:int}}", api.delete_layer_version, methods=["DELETE"]),
    ]
    handlers = {LambdaError: _error, 404: _unknown, 405: _unknown, Exception: _failure}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.account_id = host.settings.account_id
    if verifier is not None:
        app.add_middleware(verifier.middleware)
    return app


# IAM's action for each operation whose name is not the handler's in CamelCase.
_ACTIONS = {
    "invoke": "InvokeFunction",
    "get_configuration": "GetFunctionConfiguration",
    "update_configuration": "UpdateFunctionConfiguration",
    "update_code": "UpdateFunctionCode",
    "list_versions": "ListVersionsByFunction",
    "put_concurrency": "PutFunctionConcurrency",
    "get_concurrency": "GetFunctionConcurrency",
    "delete_concurrency": "DeleteFunctionConcurrency",
    "tag": "TagResource",
    "untag": "UntagResource",
}


async def _error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, AccessDeniedException):
        endpoint = getattr(request.scope.get("endpoint"), "__name__", "")
        action = _ACTIONS.get(endpoint) or endpoint.title().replace("_", "")
        exc.deny(f"arn:aws:iam::{request.app.state.account_id}:root", action)
    return error_response(exc)


async def _failure(request: Request, exc: Exception) -> Response:
    """A fault inside lambdahost: AWS's ServiceException, never a bare stack trace."""
    log.exception("%s %s failed", request.method, request.url.path)
    return error_response(ServiceException(f"lambdahost could not complete the request: {type(exc).__name__}"))


async def _unknown(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"Type": "User", "message": f"No Lambda operation for {request.method} {request.url.path}"},
        status_code=404,
        headers={"x-amzn-ErrorType": "UnknownOperationException"},
    )


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={"x-amzn-RequestId": str(uuid.uuid4())})


def _no_content() -> Response:
    return Response(status_code=204, headers={"x-amzn-RequestId": str(uuid.uuid4())})


async def _body(request: Request) -> dict[str, Any]:
    return checked_body(request.method, request.url.path, json_object(await request.body()))


def _zip(data: Any) -> bytes | None:
    if data is None:
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, TypeError):
        raise InvalidParameterValueException("ZipFile must be base64-encoded zip file content") from None


class _LambdaApi:
    def __init__(self, host: AsyncHost, url_base: str, verifier: SignatureVerifier | None) -> None:
        self.host = host
        self.url_base = url_base
        self.verifier = verifier
        self.control = host.control
        self.registry = host.registry
        self.invoker = host.invoker

    # -- invoke ---------------------------------------------------------------------------------

    async def invoke(self, request: Request) -> Response:
        invocation_type = _invocation_type(request, ("Event", "RequestResponse", "DryRun"))
        self.control.check_invocable(request.path_params["name"])
        result = await self._invoke(request, invocation_type)
        headers = {"x-amzn-RequestId": result.request_id}
        if result.status_code in (202, 204):  # queued (Event), or a DryRun's answer
            return Response(status_code=result.status_code, headers=headers)
        headers["X-Amz-Executed-Version"] = result.executed_version
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if request.headers.get("x-amz-log-type") == "Tail":
            headers["X-Amz-Log-Result"] = base64.b64encode(result.log_tail.encode()).decode()
        return Response(result.payload, status_code=200, headers=headers, media_type=result.content_type)

    async def invoke_with_response_stream(self, request: Request) -> Response:
        """InvokeWithResponseStream: what a function streams (``awslambda.streamifyResponse``, a
        custom runtime's streamed response) goes out in PayloadChunks as it is written; a function
        that answers in one piece (Python) has one. A function error ends the stream with
        InvokeComplete's ErrorCode (the function error) and ErrorDetails (its body) (UNCONFIRMED: AWS's
        exact values there)."""
        parts: asyncio.Queue[bytes | None] = asyncio.Queue()
        invocation_type = _invocation_type(request, ("RequestResponse", "DryRun"))
        request_id = new_request_id()  # (its header goes out before the invocation ends)
        invocation = asyncio.ensure_future(
            self._invoke(
                request, invocation_type, on_chunk=lambda part, _: parts.put_nowait(part), request_id=request_id
            )
        )
        invocation.add_done_callback(lambda _: parts.put_nowait(None))
        first = await parts.get()
        if first is None:  # answered in one piece, or refused: as any invoke
            result = invocation.result()
            if result.status_code == 204:
                return Response(status_code=204, headers={"x-amzn-RequestId": result.request_id})
            chunks = [result.payload] if result.payload and not result.function_error else []
            return Response(
                b"".join([*map(_payload_chunk, chunks), _complete(result, request)]),
                status_code=200,
                headers={"x-amzn-RequestId": result.request_id, "X-Amz-Executed-Version": result.executed_version},
                media_type=eventstream.CONTENT_TYPE,
            )

        async def events():
            part = first
            while part is not None:
                yield _payload_chunk(part)
                part = await parts.get()
            yield _complete(await invocation, request)

        record, qualifier = self.host.invoker.resolve(
            request.path_params["name"], request.query_params.get("Qualifier")
        )
        version = record.resolve(qualifier)[0]
        headers = {"x-amzn-RequestId": request_id, "X-Amz-Executed-Version": version}
        return StreamingResponse(events(), headers=headers, media_type=eventstream.CONTENT_TYPE)

    async def _invoke(self, request: Request, invocation_type: str, **options: Any):
        return await self.host.invoke(
            request.path_params["name"],
            await request.body(),
            qualifier=request.query_params.get("Qualifier"),
            invocation_type=invocation_type,
            client_context=_client_context(request.headers.get("x-amz-client-context")),
            tenant_id=request.headers.get("x-amz-tenant-id"),
            trace_header=request.headers.get("x-amzn-trace-id"),  # a handler's SDK sends its chain (recursion.py)
            **options,
        )

    async def invoke_async(self, request: Request) -> Response:
        request_id = await self.host.events.put(
            request.path_params["name"], await request.body(), trace_header=request.headers.get("x-amzn-trace-id")
        )
        return JSONResponse({"Status": 202}, status_code=202, headers={"x-amzn-RequestId": request_id})

    # -- functions ------------------------------------------------------------------------------

    def _configuration(
        self, record, version=None, listed: bool = False, qualified: bool = False, changing: str | None = None
    ) -> dict[str, Any]:
        return shapes.function_configuration(
            record,
            self.registry.arn(record.name),
            self.control.code_of(record),
            version,
            layers=self.control.layers.describe,
            listed=listed,
            qualified=qualified,
            changing=changing,
        )

    async def create_function(self, request: Request) -> Response:
        body = await _body(request)
        record = self.control.create_function(body, _zip((body.get("Code") or {}).get("ZipFile")))
        return _json(self._published_or_latest(record, body, "create"), 201)

    def _published_or_latest(self, record, body: dict, change: str) -> dict[str, Any]:
        """The answer to a change: with ``Publish``, the version just published (its number and
        its qualified ARN, as AWS answers), else $LATEST as the change left it."""
        if body.get("Publish") and record.versions:
            return self._configuration(record, record.versions[max(record.versions, key=int)])
        return self._configuration(record, changing=change)

    async def list_functions(self, request: Request) -> Response:
        version_filter = request.query_params.get("FunctionVersion")
        if version_filter not in (None, "ALL"):
            raise ValidationException(
                [
                    f"Value '{version_filter}' at 'functionVersion' failed to satisfy constraint: "
                    "Member must satisfy enum value set: [ALL]"
                ]
            )
        configurations = []
        every = version_filter == "ALL"
        for record in sorted(self.registry.records, key=lambda r: r.name):
            configurations.append(self._configuration(record, listed=True, qualified=every))
            if every:
                configurations += [self._configuration(record, v, listed=True) for v in record.versions.values()]
        return _json(_page(request, configurations, "Functions"))

    async def get_function(self, request: Request) -> Response:
        record, qualifier = self.control.qualified(request.path_params["name"], request.query_params.get("Qualifier"))
        configuration = self._qualified_configuration(record, qualifier)
        shape: dict[str, Any] = {
            "Configuration": configuration,
            "Code": {
                "RepositoryType": "S3",
                "Location": self._download(request, f"/{CODE}/functions/{record.name}/{configuration['Version']}.zip"),
            },
        }
        if record.tags:
            shape["Tags"] = record.tags
        if record.config.reserved_concurrency is not None:
            shape["Concurrency"] = {"ReservedConcurrentExecutions": record.config.reserved_concurrency}
        return _json(shape)

    def _download(self, request: Request, path: str) -> str:
        """A URL to download a zip from, as AWS's presigned S3 URLs are: valid without a signature."""
        return f"{str(request.base_url).rstrip('/')}{path}" + (
            f"?{self.verifier.presign(path)}" if self.verifier else ""
        )

    async def function_code(self, request: Request) -> Response:
        record, qualifier = self.control.qualified(request.path_params["name"], request.path_params["version"])
        version = record.versions.get(qualifier)
        return Response(archive((version.config if version else record.config).code_dir), media_type="application/zip")

    async def layer_content(self, request: Request) -> Response:
        layer = self.control.layers.get(request.path_params["layer"], request.path_params["number"])
        return Response(archive(layer.folder), media_type="application/zip")

    def _qualified_configuration(self, record, qualifier: str | None) -> dict[str, Any]:
        if qualifier in (None, LATEST):
            return self._configuration(record)
        if qualifier in record.versions:
            return self._configuration(record, record.versions[qualifier])
        # Through an alias: its version's configuration, under the alias's ARN (issue 28, from AWS's answers)
        number = record.aliases[qualifier].function_version
        shape = self._configuration(record, record.versions.get(number))
        shape["FunctionArn"] = self.registry.arn(record.name, qualifier)
        return shape

    async def get_configuration(self, request: Request) -> Response:
        record, qualifier = self.control.qualified(request.path_params["name"], request.query_params.get("Qualifier"))
        return _json(self._qualified_configuration(record, qualifier))

    async def update_configuration(self, request: Request) -> Response:
        record = self.control.update_configuration(request.path_params["name"], await _body(request))
        return _json(self._configuration(record, changing="update"))

    async def update_code(self, request: Request) -> Response:
        body = await _body(request)
        record = self.control.update_code(request.path_params["name"], _zip(body.get("ZipFile")), body)
        return _json(self._published_or_latest(record, body, "update"))

    async def delete_function(self, request: Request) -> Response:
        self.control.delete_function(request.path_params["name"], request.query_params.get("Qualifier"))
        return _no_content()

    # -- versions and aliases -------------------------------------------------------------------

    async def publish_version(self, request: Request) -> Response:
        version = self.control.publish_version(request.path_params["name"], await _body(request))
        return _json(self._configuration(self.control.record(request.path_params["name"]), version), 201)

    async def list_versions(self, request: Request) -> Response:
        record = self.control.record(request.path_params["name"])
        items = [self._configuration(record, listed=True, qualified=True)]
        items += [self._configuration(record, v, listed=True) for v in record.versions.values()]
        return _json(_page(request, items, "Versions"))

    def _alias(self, record, alias) -> dict[str, Any]:
        return shapes.alias_configuration(alias, self.registry.arn(record.name))

    async def create_alias(self, request: Request) -> Response:
        alias = self.control.create_alias(request.path_params["name"], await _body(request))
        return _json(self._alias(self.control.record(request.path_params["name"]), alias), 201)

    async def list_aliases(self, request: Request) -> Response:
        record = self.control.record(request.path_params["name"])
        version = request.query_params.get("FunctionVersion")
        aliases = [self._alias(record, a) for a in record.aliases.values() if version in (None, a.function_version)]
        return _json(_page(request, aliases, "Aliases"))

    async def get_alias(self, request: Request) -> Response:
        record = self.control.record(request.path_params["name"])
        return _json(self._alias(record, self.control.alias(record.name, request.path_params["alias"])))

    async def update_alias(self, request: Request) -> Response:
        name = request.path_params["name"]
        alias = self.control.update_alias(name, request.path_params["alias"], await _body(request))
        return _json(self._alias(self.control.record(name), alias))

    async def delete_alias(self, request: Request) -> Response:
        self.control.delete_alias(request.path_params["name"], request.path_params["alias"])
        return _no_content()

    # -- concurrency, asynchronous settings, account, tags --------------------------------------

    async def put_concurrency(self, request: Request) -> Response:
        reserved = (await _body(request)).get("ReservedConcurrentExecutions")
        if reserved is None:
            raise ValidationException(
                ["Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null"]
            )
        self.control.put_concurrency(request.path_params["name"], reserved)
        return _json({"ReservedConcurrentExecutions": reserved})

    async def get_concurrency(self, request: Request) -> Response:
        reserved = self.control.record(request.path_params["name"]).config.reserved_concurrency
        return _json({} if reserved is None else {"ReservedConcurrentExecutions": reserved})

    async def delete_concurrency(self, request: Request) -> Response:
        self.control.put_concurrency(request.path_params["name"], None)
        return _no_content()

    async def put_provisioned_concurrency(self, request: Request) -> Response:
        name, qualifier = request.path_params["name"], request.query_params.get("Qualifier")
        return _json(self.control.provisioned.put(name, qualifier, await _body(request)), 202)

    async def get_provisioned_concurrency(self, request: Request) -> Response:
        """GetProvisionedConcurrencyConfig, or ListProvisionedConcurrencyConfigs (``?List=ALL``)."""
        name = request.path_params["name"]
        if request.query_params.get("List") == "ALL":
            configs = self.control.provisioned.list(name)
            return _json(_page(request, configs, "ProvisionedConcurrencyConfigs"))
        return _json(self.control.provisioned.get(name, request.query_params.get("Qualifier")))

    async def delete_provisioned_concurrency(self, request: Request) -> Response:
        self.control.provisioned.delete(request.path_params["name"], request.query_params.get("Qualifier"))
        return _no_content()

    def _event_config(self, request: Request, config: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self.control.qualified(request.path_params["name"], request.query_params.get("Qualifier"))
        return shapes.event_invoke_config(config, self.registry.arn(record.name, qualifier or LATEST), time.time())

    async def put_event_invoke_config(self, request: Request) -> Response:
        config = self.control.put_event_invoke_config(
            request.path_params["name"], request.query_params.get("Qualifier"), await _body(request), merge=False
        )
        return _json(self._event_config(request, config))

    async def update_event_invoke_config(self, request: Request) -> Response:
        config = self.control.put_event_invoke_config(
            request.path_params["name"], request.query_params.get("Qualifier"), await _body(request), merge=True
        )
        return _json(self._event_config(request, config))

    async def get_event_invoke_config(self, request: Request) -> Response:
        config = self.control.event_invoke_config(request.path_params["name"], request.query_params.get("Qualifier"))
        return _json(self._event_config(request, config))

    async def delete_event_invoke_config(self, request: Request) -> Response:
        self.control.delete_event_invoke_config(request.path_params["name"], request.query_params.get("Qualifier"))
        return _no_content()

    async def list_event_invoke_configs(self, request: Request) -> Response:
        record = self.control.record(request.path_params["name"])
        configs = [
            shapes.event_invoke_config(config, self.registry.arn(record.name, qualifier), time.time())
            for qualifier, config in record.event_invoke_configs.items()
        ]
        return _json(_page(request, configs, "FunctionEventInvokeConfigs"))

    async def account_settings(self, request: Request) -> Response:
        concurrency = self.invoker.concurrency
        return _json(
            {
                "AccountLimit": {
                    "TotalCodeSize": 80_530_636_800,
                    "CodeSizeUnzipped": 262_144_000,
                    "CodeSizeZipped": 52_428_800,
                    "ConcurrentExecutions": concurrency.limit,
                    "UnreservedConcurrentExecutions": concurrency.unreserved,
                },
                "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(self.registry.records)},
            }
        )

    async def tag(self, request: Request) -> Response:
        self.control.tag(request.path_params["arn"], (await _body(request)).get("Tags") or {})
        return _no_content()

    async def untag(self, request: Request) -> Response:
        self.control.untag(request.path_params["arn"], request.query_params.getlist("tagKeys"))
        return _no_content()

    async def list_tags(self, request: Request) -> Response:
        return _json({"Tags": self.control.tagged(request.path_params["arn"]).tags})

    # -- settings kept for the API ---------------------------------------------------------------

    async def get_recursion(self, request: Request) -> Response:
        return _json(self.control.kept_settings.recursion(request.path_params["name"]))

    async def put_recursion(self, request: Request) -> Response:
        return _json(self.control.kept_settings.put_recursion(request.path_params["name"], await _body(request)))

    async def get_runtime_config(self, request: Request) -> Response:
        kept = self.control.kept_settings
        return _json(kept.runtime_management(request.path_params["name"], request.query_params.get("Qualifier")))

    async def put_runtime_config(self, request: Request) -> Response:
        kept, qualifier = self.control.kept_settings, request.query_params.get("Qualifier")
        return _json(kept.put_runtime_management(request.path_params["name"], qualifier, await _body(request)))

    async def get_code_signing(self, request: Request) -> Response:
        return _json(self.control.kept_settings.code_signing(request.path_params["name"]))

    # -- resource-based policies ----------------------------------------------------------------

    async def add_permission(self, request: Request) -> Response:
        statement = self.control.permissions.add(
            request.path_params["name"], request.query_params.get("Qualifier"), await _body(request)
        )
        return _json({"Statement": json.dumps(statement)}, 201)

    async def get_policy(self, request: Request) -> Response:
        policy, revision = self.control.permissions.policy(
            request.path_params["name"], request.query_params.get("Qualifier")
        )
        return _json({"Policy": json.dumps(policy), "RevisionId": revision})

    async def remove_permission(self, request: Request) -> Response:
        query = request.query_params
        self.control.permissions.remove(
            request.path_params["name"], query.get("Qualifier"), request.path_params["sid"], query.get("RevisionId")
        )
        return _no_content()

    # -- function URLs --------------------------------------------------------------------------

    def _url_config(self, record, alias: str) -> dict[str, Any]:
        arn = self.registry.arn(record.name, alias or None)
        return shapes.function_url_config(record.name, alias, record.url_configs[alias], arn, self.url_base)

    async def create_url_config(self, request: Request) -> Response:
        urls, qualifier = self.control.urls, request.query_params.get("Qualifier")
        return _json(self._url_config(*urls.create(request.path_params["name"], qualifier, await _body(request))), 201)

    async def get_url_config(self, request: Request) -> Response:
        urls, qualifier = self.control.urls, request.query_params.get("Qualifier")
        return _json(self._url_config(*urls.get(request.path_params["name"], qualifier)))

    async def update_url_config(self, request: Request) -> Response:
        urls, qualifier = self.control.urls, request.query_params.get("Qualifier")
        return _json(self._url_config(*urls.update(request.path_params["name"], qualifier, await _body(request))))

    async def delete_url_config(self, request: Request) -> Response:
        self.control.urls.delete(request.path_params["name"], request.query_params.get("Qualifier"))
        return _no_content()

    async def list_url_configs(self, request: Request) -> Response:
        record = self.control.record(request.path_params["name"])
        configs = [self._url_config(record, alias) for alias in sorted(record.url_configs)]
        return _json(_page(request, configs, "FunctionUrlConfigs"))

    # -- event source mappings ------------------------------------------------------------------

    def _mapping(self, mapping: EventSourceMapping, state: str | None = None, status: int = 200) -> Response:
        return _json(shapes.event_source_mapping(mapping, self.control.mappings, state), status)

    async def create_event_source_mapping(self, request: Request) -> Response:
        return self._mapping(self.control.mappings.create(await _body(request)), "Creating", 202)

    async def get_event_source_mapping(self, request: Request) -> Response:
        return self._mapping(self.control.mappings.get(request.path_params["uuid"]))

    async def update_event_source_mapping(self, request: Request) -> Response:
        mapping = self.control.mappings.update(request.path_params["uuid"], await _body(request))
        return self._mapping(mapping, "Updating", 202)

    async def delete_event_source_mapping(self, request: Request) -> Response:
        return self._mapping(self.control.mappings.delete(request.path_params["uuid"]), "Deleting", 202)

    async def list_event_source_mappings(self, request: Request) -> Response:
        query = request.query_params
        mappings = self.control.mappings
        found = mappings.list(query.get("EventSourceArn"), query.get("FunctionName"))
        items = [shapes.event_source_mapping(m, mappings) for m in found]
        return _json(_page(request, items, "EventSourceMappings"))

    # -- layers ---------------------------------------------------------------------------------

    def _layer_version(self, layer, request: Request) -> dict[str, Any]:
        location = self._download(request, f"/{CODE}/layers/{layer.name}/{layer.number}.zip")
        return shapes.layer_version(layer, self.control.layers.layer_arn(layer.name), location)

    async def publish_layer_version(self, request: Request) -> Response:
        body = await _body(request)
        layer = self.control.layers.publish(
            request.path_params["layer"], body, _zip((body.get("Content") or {}).get("ZipFile"))
        )
        return _json(self._layer_version(layer, request), 201)

    async def get_layer_version(self, request: Request) -> Response:
        layer = self.control.layers.get(request.path_params["layer"], request.path_params["number"])
        return _json(self._layer_version(layer, request))

    async def list_layers(self, request: Request) -> Response:
        """ListLayers, or GetLayerVersionByArn, which shares its path (``?find=LayerVersion``)."""
        layers = self.control.layers
        if request.query_params.get("find") == "LayerVersion":
            return _json(self._layer_version(layers.get_by_arn(request.query_params.get("Arn", "")), request))
        items = [
            {
                "LayerName": layer.name,
                "LayerArn": layers.layer_arn(layer.name),
                "LatestMatchingVersion": shapes.layer_versions_item(layer, layers.layer_arn(layer.name)),
            }
            for layer in layers.latest(*_layer_filters(request))
        ]
        return _json(_page(request, items, "Layers"))

    async def list_layer_versions(self, request: Request) -> Response:
        layers = self.control.layers
        versions = layers.versions(request.path_params["layer"], *_layer_filters(request))
        items = [shapes.layer_versions_item(v, layers.layer_arn(v.name)) for v in versions]
        return _json(_page(request, items, "LayerVersions"))

    async def delete_layer_version(self, request: Request) -> Response:
        self.control.layers.delete(request.path_params["layer"], request.path_params["number"])
        return _no_content()


def _layer_filters(request: Request) -> tuple[str | None, str | None]:
    return request.query_params.get("CompatibleRuntime"), request.query_params.get("CompatibleArchitecture")


def _invocation_type(request: Request, allowed: tuple[str, ...]) -> str:
    invocation_type = request.headers.get("x-amz-invocation-type", "RequestResponse")
    if invocation_type not in allowed:
        raise ValidationException(
            [
                f"Value '{invocation_type}' at 'invocationType' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(allowed)}]"
            ]
        )
    return invocation_type


def _client_context(header: str | None) -> str | None:
    if not header:
        return None
    if len(header) > limits.CLIENT_CONTEXT_BYTES:
        raise InvalidParameterValueException(f"Client context must be at most {limits.CLIENT_CONTEXT_BYTES} bytes")
    try:
        return base64.b64decode(header, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.") from None


def _page(request: Request, items: list, key: str) -> dict[str, Any]:
    """Marker/MaxItems paging: the marker is the index of the next item."""
    try:
        start = int(request.query_params.get("Marker") or 0)
        size = min(int(request.query_params.get("MaxItems") or PAGE_SIZE), PAGE_SIZE)
    except ValueError:
        raise InvalidParameterValueException("Marker and MaxItems must be numbers") from None
    page: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        page["NextMarker"] = str(start + size)
    return page


def _payload_chunk(part: bytes) -> bytes:
    return eventstream.event("PayloadChunk", part, "application/octet-stream")


def _complete(result, request: Request) -> bytes:
    """InvokeComplete: the function's error, if any, and the log's tail when asked for."""
    complete = {}
    if result.function_error:
        complete = {
            "ErrorCode": result.function_error,
            "ErrorDetails": result.payload.decode(errors="replace"),
        }
    if request.headers.get("x-amz-log-type") == "Tail":
        complete["LogResult"] = base64.b64encode(result.log_tail.encode()).decode()
    return eventstream.event("InvokeComplete", json.dumps(complete).encode(), "application/json")
