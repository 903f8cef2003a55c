"""API Gateway routes and function URLs (under ``/lambda-url/<name>/``): one request in, one response out.

Function URLs are whole hosts on AWS; locally they share the API port under a prefix of their
own, which the function does not see (its ``rawPath`` starts after the prefix).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ... import fastjson
from ...errors import LambdaError, RequestEntityTooLargeException
from ...invoker.invoker import new_request_id
from ...template import Project
from .. import sigv4
from . import responses
from .authorizers import Authorizers
from .cors import CorsPolicy
from .payloads import Caller, HttpRequest, api_id, v1_event, v2_event
from .responses import HttpResponse, HttpStream, Malformed
from .routes import Route, RouteTable
from .signing_keys import SigningKeys

URL_PREFIX = "/lambda-url/"


class GatewayApp:
    def __init__(
        self,
        host,
        project: Callable[[], Project | None],
        verifier: sigv4.SignatureVerifier | None = None,
        signing_keys: SigningKeys | None = None,
    ) -> None:
        self.host = host
        self._project = project
        self._table: tuple[Project | None, RouteTable] | None = None
        self.authorizers = Authorizers(host, verifier, signing_keys)
        self._background: set[asyncio.Task] = set()

    def table(self) -> RouteTable:
        project = self._project()
        if self._table is None or self._table[0] is not project:
            self._table = (project, RouteTable(project) if project else RouteTable(Project(None)))
        return self._table[1]

    def _caller(self) -> Caller:
        settings = self.host.settings
        return Caller(new_request_id(), settings.account_id, settings.region, int(time.time() * 1000))

    async def handle(self, request: HttpRequest) -> HttpResponse:
        if request.raw_path.startswith(URL_PREFIX):
            return await self._function_url(request)
        table = self.table()
        match = table.match(request.method, request.raw_path)
        if request.method == "OPTIONS" and (match is None or match[0].method != "OPTIONS"):
            preflight = self._preflight(table, request)
            if preflight is not None:
                return preflight
        if match is None:
            return responses.REST_NO_ROUTE if table.kinds == {"rest"} else responses.HTTP_NO_ROUTE
        route, params = match
        response = await self._route(route, params, request)
        cors = self._cors(route)
        if cors is not None:  # it adds headers: never to a shared response
            response = HttpResponse(response.status, list(response.headers), response.body)
            cors.decorate(request, response)
        return response

    def _cors(self, route: Route) -> CorsPolicy | None:
        rest = route.api.kind == "rest"
        return CorsPolicy.for_rest(route.api.cors) if rest else CorsPolicy.for_http(route.api.cors)

    def _preflight(self, table: RouteTable, request: HttpRequest) -> HttpResponse | None:
        routes = table.paths(request.raw_path)
        for route in routes:
            cors = self._cors(route)
            if cors is not None:
                return cors.preflight(request, [r.method for r in routes if r.api is route.api])
        return None

    async def _route(self, route: Route, params: dict[str, str], request: HttpRequest) -> HttpResponse:
        rest = route.api.kind == "rest"
        caller = self._caller()
        authorizer = iam = None
        if route.authorizer:
            decision = await self.authorizers.decide(route, request, params, caller)
            if not decision.allowed:
                return decision.status_response
            authorizer, iam = decision.context, decision.iam
        if route.payload_version == "1.0":
            event = v1_event(request, route, params, caller, authorizer, iam)
        else:
            identifier = api_id(route.api.logical_id)
            event = v2_event(
                request,
                route.route_key,
                params,
                caller,
                api_key=identifier,
                stage=route.api.stage,
                domain=f"{identifier}.execute-api.{caller.region}.amazonaws.com",
                authorizer={"iam": iam} if iam else authorizer,
            )
        failed = responses.REST_FAILED if rest else responses.HTTP_FAILED
        try:
            result = await self._invoke(route.function_name, event, route.timeout, request)
        except TimeoutError:
            return responses.REST_TIMEOUT if rest else responses.HTTP_TIMEOUT
        except RequestEntityTooLargeException:
            return responses.TOO_LARGE
        except LambdaError:
            return responses.REST_INVOKE_FAILED if rest else responses.HTTP_FAILED
        if result.function_error:
            return failed
        try:
            if route.payload_version == "1.0":
                response = responses.v1_response(
                    result.payload,
                    rest=rest,
                    accept=request.header("accept"),
                    binary_media_types=route.api.binary_media_types,
                )
            else:
                response = responses.v2_response(result.payload)
        except Malformed:
            return failed
        response.headers.append(
            ("x-amzn-RequestId", caller.request_id) if rest else ("apigw-requestid", caller.request_id)
        )
        return response

    async def _invoke(
        self,
        function_name: str,
        event: dict,
        timeout: float,
        request: HttpRequest,
        qualifier: str | None = None,
        **options,
    ):
        """Invoke, waiting no longer than the integration timeout; as on AWS, a function still
        running then goes on to its own end. The request's trace header becomes the invocation's."""
        invoker = self.host.invoker  # a RequestResponse of JSON bytes: nothing for the host to add
        races = self.host.registry.record(function_name).config.timeout + 1 >= timeout
        invocation = invoker.invoke(
            function_name,
            fastjson.dumps(event),
            qualifier=qualifier,
            trusted_json=True,
            trace_header=request.header("x-amzn-trace-id"),
            **options,
        )
        if not races:
            return await invocation  # the function's own timeout ends it first: no race to arrange
        task = asyncio.ensure_future(invocation)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        try:
            return await asyncio.wait_for(asyncio.shield(task), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError from None

    async def _stream(self, function_name: str, event: dict, timeout: float, request: HttpRequest, qualifier):
        """A RESPONSE_STREAM URL's invocation: once the function begins to stream, the status and
        headers of its prelude, then its body as it is written (an HttpStream); a function that
        answered in one piece, its finished invocation; a prelude that is not one, a 502."""
        parts: asyncio.Queue[tuple[bytes, str] | None] = asyncio.Queue()
        task = asyncio.ensure_future(
            self._invoke(
                function_name, event, timeout, request, qualifier, on_chunk=lambda *part: parts.put_nowait(part)
            )
        )
        task.add_done_callback(lambda _: parts.put_nowait(None))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        first = await parts.get()
        if first is None:
            return task
        data, content_type = first
        status, headers, head = 200, [("content-type", content_type)], data
        if content_type == responses.PRELUDE_CONTENT_TYPE:
            while responses.PRELUDE_END not in head and (part := await parts.get()) is not None:
                head += part[0]
            prelude, _, head = head.partition(responses.PRELUDE_END)
            try:
                status, headers = responses.prelude_response(prelude)
            except Malformed:
                return HttpResponse(502, list(responses.URL_FAILED.headers), responses.URL_FAILED.body)

        async def body():
            if head:
                yield head
            while (part := await parts.get()) is not None:
                yield part[0]

        return HttpStream(status, headers, body())

    async def _function_url(self, request: HttpRequest) -> HttpResponse:
        """``/lambda-url/<name>/...``, or ``/lambda-url/<name>:<alias>/...`` for an alias's URL."""
        target, _, rest = request.raw_path[len(URL_PREFIX) :].partition("/")
        name, _, alias = target.partition(":")
        try:
            record = self.host.registry.record(name)
        except LambdaError:
            return responses.URL_NOT_FOUND
        config = record.url_configs.get(alias)
        if config is None:
            return responses.URL_NOT_FOUND
        timeout = record.resolve(alias or None)[1].timeout
        cors = CorsPolicy.for_http(config.get("Cors"))
        inner = HttpRequest(
            request.method,
            "/" + rest,
            request.raw_query,
            request.headers,
            request.body,
            request.source_ip,
            request.protocol,
        )
        if request.method == "OPTIONS" and cors is not None and request.header("access-control-request-method"):
            return cors.preflight(inner, ["ANY"])  # browsers cannot sign a preflight
        caller = self._caller()
        authorizer = None
        if config.get("AuthType") == "AWS_IAM":
            authorizer = self.authorizers.url_caller(request, caller)
            if authorizer is None:
                return responses.URL_FORBIDDEN
        url_id = api_id(f"url:{target}")
        event = v2_event(
            inner,
            "$default",
            {},
            caller,
            api_key=url_id,
            stage="$default",
            domain=f"{url_id}.lambda-url.{caller.region}.on.aws",
            account_id="anonymous" if config.get("AuthType") == "NONE" else None,
            authorizer=authorizer,
        )
        streamed = config.get("InvokeMode") == "RESPONSE_STREAM"
        if streamed:
            answer = await self._stream(name, event, float(timeout) + 1, request, alias or None)
            if isinstance(answer, HttpStream):
                answer.headers.append(("x-amzn-RequestId", event["requestContext"]["requestId"]))
                if cors is not None:
                    cors.decorate(inner, answer)
                return answer
            if isinstance(answer, HttpResponse):
                return answer
            invocation = answer
        else:
            invocation = self._invoke(name, event, float(timeout) + 1, request, alias or None)
        try:
            result = await invocation
        except RequestEntityTooLargeException:
            return responses.TOO_LARGE
        except (TimeoutError, LambdaError):
            return responses.URL_FAILED
        return self._url_response(result, inner, cors, streamed)

    def _url_response(self, result, request: HttpRequest, cors: CorsPolicy | None, streamed: bool) -> HttpResponse:
        """A function URL's answer to a result: payload 2.0, or a RESPONSE_STREAM URL's bytes as
        they were streamed."""
        if result.function_error:
            response = HttpResponse(
                responses.URL_FAILED.status, list(responses.URL_FAILED.headers), responses.URL_FAILED.body
            )
        else:
            try:
                if streamed:
                    response = responses.streamed_response(result.payload, result.content_type)
                else:
                    response = responses.v2_response(result.payload)
            except Malformed:
                response = HttpResponse(502, list(responses.URL_FAILED.headers), responses.URL_FAILED.body)
        response.headers.append(("x-amzn-RequestId", result.request_id))
        if cors is not None:
            cors.decorate(request, response)
        return response
