"""``lambdahost serve``: a long-running host behind the Lambda API.

One event loop runs everything: uvicorn's HTTP server, the host's environments, the async
queue and the file watcher. Ctrl-C or SIGTERM stops taking requests, lets those in flight
finish, and leaves queued events in the state database for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import uvicorn
from botocore.exceptions import BotoCoreError
from starlette.applications import Starlette
from starlette.responses import JSONResponse

from .. import eventloop
from ..host import AsyncHost
from ..localaws import LocalAws
from ..localaws.resources import TemplateResources
from ..model.invocation import InvocationResult
from ..settings import AWS, LOCAL_CREDENTIALS, HostSettings, caller_credentials
from ..template import ProjectSource
from ..triggers.runner import ScheduleRunner
from ..triggers.sqs import QueuePoller
from ..triggers.streams import StreamPoller
from ..workspace import Workspace
from .aws_proxy import AwsProxy, signed_for
from .coalescing import CoalescingHttpProtocol
from .console import Console, console_token
from .exposure import HostCheck, is_foreign_origin, is_loopback
from .gateway import GatewayApp
from .gateway.app import URL_PREFIX
from .gateway.protocol import GatewayServer
from .gateway.routes import RouteTable
from .gateway.signing_keys import SigningKeys
from .lambda_api import create_app
from .local_api import local_routes
from .responses import error_response
from .sigv4 import SignatureVerifier

_PRINT_INTERVAL = 0.05  # seconds an invocation's line on the terminal may wait for others

log = logging.getLogger("lambdahost")


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 3001
    api_port: int | None = 3000  # API Gateway routes and function URLs; None: not served
    source: ProjectSource | None = None
    settings: HostSettings = field(default_factory=HostSettings)
    credentials: dict[str, str] = field(default_factory=dict)  # access key id -> secret: verify SigV4
    watch: bool = True
    verify_jwt_signatures: bool = True  # JWT and Cognito authorizers fetch the issuer's keys
    grace_period: float = 30.0  # seconds a stop gives the invocations in flight before it kills them
    local_aws: bool = True  # run a local AWS for the functions, unless settings.aws_endpoint_url names one
    profile: str | None = None  # with aws_endpoint_url "aws": the profile whose credentials functions get
    allowed_hosts: tuple[str, ...] = ()  # names answered besides loopback's and ``host`` (see exposure.py)


def check_exposure(options: ServeOptions) -> None:
    """Anything wider than loopback is an explicit choice, and only signed requests are served then."""
    if not is_loopback(options.host) and not options.credentials:
        raise click.UsageError(
            f"serving on {options.host} opens your functions to the network: add --credentials KEY:SECRET so "
            "that only requests signed with that key are served"
        )


def build_app(options: ServeOptions, api_listener: socket.socket | None = None):
    """The ASGI app of the Lambda API and the console, and the ``GatewayServer`` (not ASGI)
    that its lifespan serves on ``api_listener`` while the host runs."""
    settings, local_aws = _with_local_aws(options)
    host = AsyncHost(settings)
    verifier = SignatureVerifier(options.credentials) if options.credentials else None
    lambda_app = create_app(host, verifier, f"http://{options.host}:{options.api_port or 3000}")
    workspaces: list[Workspace] = []
    signing_keys = SigningKeys(options.settings.boto3_endpoint_url) if options.verify_jwt_signatures else None
    gateway = GatewayApp(host, lambda: workspaces[0].project if workspaces else None, verifier, signing_keys)
    api = GatewayServer(gateway, api_listener) if api_listener is not None else None

    def current() -> Workspace | None:
        return workspaces[0] if workspaces else None

    aws = None
    if settings.boto3_endpoint_url is not None:  # an emulator: lambdahost's or the user's
        resources = TemplateResources(settings, local_aws.start if local_aws is not None else lambda: None)
        aws = AwsProxy(
            settings.boto3_endpoint_url,
            lambda: resources.ready(current() and current().project),
            current,
            verifier,  # served past loopback: the local AWS takes only signed calls, as the Lambda API does
        )
    lambda_app.router.lifespan_context = _lifespan(host, options, workspaces, api, local_aws, aws)

    lambda_app.router.routes.extend(local_routes(current))
    token = console_token(next(iter(options.credentials.values()))) if options.credentials else None
    console = Starlette(routes=Console(host, current, token).routes())  # its own token, not SigV4

    host_check = HostCheck(options.host, options.allowed_hosts)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return await lambda_app(scope, receive, send)
        headers = dict(scope["headers"])
        host_header = headers.get(b"host")
        refusal = host_check.refusal(None if host_header is None else host_header.decode("latin-1"))
        if refusal is not None:
            return await error_response(refusal)(scope, receive, send)
        if is_foreign_origin(headers):
            return await JSONResponse({"message": "cross-site request refused"}, status_code=403)(scope, receive, send)
        service = signed_for(headers, scope["query_string"])
        if service is not None and service != "lambda" and aws is not None:
            return await aws(scope, receive, send, service)
        if _is_console(scope["path"]):
            return await console(scope, receive, send)
        return await lambda_app(scope, receive, send)

    return app, api


def _with_local_aws(options: ServeOptions) -> tuple[HostSettings, LocalAws | None]:
    """The settings with the AWS endpoint functions call: the local AWS by default, the emulator
    of --aws-endpoint-url, or AWS itself (``aws``: functions get no endpoint, and the caller's
    credentials)."""
    settings, local_aws = options.settings, None
    if settings.aws_endpoint_url is None and options.local_aws:
        state_dir = Path(settings.state_dir or tempfile.mkdtemp(prefix="lambdahost-aws-"))
        try:
            local_aws = LocalAws(state_dir)
        except RuntimeError as exc:
            raise click.ClickException(f"{exc}: stop it, or give this one another --state-dir") from None
        settings = dataclasses.replace(settings, aws_endpoint_url=local_aws.url)
    if settings.boto3_endpoint_url is not None:
        address = "127.0.0.1" if options.host in ("0.0.0.0", "::", "localhost") else options.host
        credentials = dict(LOCAL_CREDENTIALS)
        if options.credentials:  # the signature must verify: the functions get the first key
            key, secret = next(iter(options.credentials.items()))
            credentials.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret})
        settings = dataclasses.replace(
            settings,
            function_endpoint_url=f"http://{f'[{address}]' if ':' in address else address}:{options.port}",
            function_credentials=credentials,
        )
    if settings.aws_endpoint_url == AWS:  # asked for: the caller's own credentials, as Lambda gives its role's
        try:
            credentials = caller_credentials(options.profile)
        except (ValueError, BotoCoreError) as exc:
            raise click.ClickException(f"--aws-endpoint-url aws: {exc}") from None
        settings = dataclasses.replace(settings, function_credentials=credentials)
    return settings, local_aws


def _is_console(path: str) -> bool:
    return path in ("/", "/metrics") or path.startswith("/console/")


def _lifespan(
    host: AsyncHost,
    options: ServeOptions,
    workspaces: list[Workspace],
    api: GatewayServer | None,
    local_aws: LocalAws | None,
    aws: AwsProxy | None,
):
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await host.start()
        printer = InvocationPrinter()
        host.invoker.observers.append(printer)
        watcher = triggers = provisioning = None
        # Event source mappings run with or without a template: the API can make them too.
        pollers = asyncio.ensure_future(
            asyncio.gather(
                QueuePoller(host, lambda: workspaces[0].project if workspaces else None).run(),
                StreamPoller(host, aws.ready if aws is not None else None).run(),
            )
        )
        try:
            if options.source is not None:
                workspace = Workspace(host, options.source)
                workspaces.append(workspace)
                names = ", ".join(f.config.name for f in workspace.project.functions.values()) or "none"
                click.echo(f"lambdahost: functions from {options.source.template_path.name}: {names}", err=True)
                if options.watch:
                    watcher = asyncio.get_running_loop().create_task(workspace.watch())
                triggers = asyncio.ensure_future(ScheduleRunner(workspace).run())
            if aws is not None and (
                (workspaces and workspaces[0].project.resources) or any(host.control.mappings.enabled())
            ):  # in the background: the endpoint takes calls at once, and answers them once it is up
                provisioning = asyncio.ensure_future(aws.ready())
            if api is not None:
                await api.start()
            click.echo(
                f"lambdahost: Lambda API on http://{options.host}:{options.port} (state in {host.state_dir})", err=True
            )
            if local_aws is not None:
                local_aws.announce(host.settings.function_endpoint_url)
            if aws is not None:
                behind = "a local AWS (moto)" if local_aws is not None else host.settings.aws_endpoint_url
                click.echo(
                    f"lambdahost: every AWS service on http://{options.host}:{options.port} ({behind}): "
                    f"AWS_ENDPOINT_URL=http://{options.host}:{options.port}",
                    err=True,
                )
            if options.api_port and workspaces:
                _print_routes(workspaces[0].project, options)
            for mapping in host.control.mappings.enabled():
                click.echo(
                    f"lambdahost: event source mapping {mapping.uuid}: {mapping.event_source_arn} -> "
                    f"{mapping.function_name}",
                    err=True,
                )
            token = f"?token={console_token(next(iter(options.credentials.values())))}" if options.credentials else ""
            click.echo(f"lambdahost: console on http://{options.host}:{options.port}/{token}", err=True)
            yield
        finally:
            if api is not None:
                await api.stop(options.grace_period)  # (under way since the stop began: see _Server)
            tasks = [task for task in (watcher, triggers, pollers, provisioning) if task is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await host.close()
            printer.flush()
            if aws is not None:
                await aws.close()
            if local_aws is not None:
                await local_aws.close()

    return lifespan


class InvocationPrinter:
    """One line per invocation on stderr. The lines of the invocations that end within 50 ms go
    out in one write, straight to stderr: at thousands of invocations a second, a write (or
    click's work) per line or per turn of the loop shows in the request rate, and no one reads
    faster than that."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._colour = sys.stderr.isatty()
        self._second, self._clock = 0, ""

    def __call__(self, name: str, result: InvocationResult) -> None:
        status = result.error_type or ("DryRun" if result.status_code == 204 else "OK")
        if self._colour:
            status = click.style(status, fg="green" if status in ("OK", "DryRun") else "red")
        now = int(time.time())
        if now != self._second:
            self._second, self._clock = now, time.strftime("%H:%M:%S", time.localtime(now))
        if not self._lines:
            asyncio.get_running_loop().call_later(_PRINT_INTERVAL, self.flush)
        self._lines.append(
            f"{self._clock} {name}:{result.executed_version} {status} {result.duration_ms:.2f} ms {result.request_id}\n"
        )

    def flush(self) -> None:
        if self._lines:
            lines, self._lines = self._lines, []
            sys.stderr.write("".join(lines))


def _print_routes(project, options: ServeOptions) -> None:
    base = f"http://{options.host}:{options.api_port}"
    for route in RouteTable(project).routes:
        click.echo(
            f"lambdahost: {route.route_key:<28} {base}{'' if route.path == '$default' else route.path} "
            f"-> {route.function_name}",
            err=True,
        )
    for function in project.functions.values():
        if function.function_url_config is not None:
            click.echo(
                f"lambdahost: function URL {base}{URL_PREFIX}{function.config.name}/ -> {function.config.name}",
                err=True,
            )


def _listen(host: str, port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it a keep-alive client waits 40 ms for each
    # response (Nagle's algorithm against the client's delayed ACK).
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return listener


class _Server(uvicorn.Server):
    """uvicorn's server, whose stop begins by stopping the API port too, so that the requests in
    flight on both ports share one grace period. After it the host closes, killing every
    environment's process group, whatever the environment is doing."""

    def __init__(self, config: uvicorn.Config, api: GatewayServer | None, grace_period: float) -> None:
        super().__init__(config)
        self._api = api
        self._grace_period = grace_period

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        stopping = asyncio.ensure_future(self._api.stop(self._grace_period)) if self._api is not None else None
        try:
            await super().shutdown(sockets)
        finally:
            if stopping is not None:
                await stopping


def serve(options: ServeOptions) -> None:
    check_exposure(options)
    sockets = [_listen(options.host, options.port)]
    if options.port == 0:  # a free port, chosen now: what serve prints and announces is the real one
        options = dataclasses.replace(options, port=sockets[0].getsockname()[1])
    api_listener = _listen(options.host, options.api_port) if options.api_port else None
    app, api = build_app(options, api_listener)
    # proxy_headers off: sourceIp is the TCP peer, as on API Gateway, not what X-Forwarded-For claims.
    # No access log: each invocation prints its own line.
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=options.grace_period,
        lifespan="on",
        server_header=False,
        proxy_headers=False,
        http=CoalescingHttpProtocol,
    )
    server = _Server(config, api, options.grace_period)
    eventloop.run(server.serve(sockets=sockets))
    if not server.started:
        sys.exit(1)
