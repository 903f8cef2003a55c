"""``lambdahost serve``: a long-running host behind the Lambda API.

One event loop runs everything: uvicorn's HTTP server, the host's environments, the async
queue and the file watcher. Ctrl-C or SIGTERM stops taking requests, lets those in flight
finish, and leaves queued events in the state database for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import uvicorn
from starlette.applications import Starlette

from ..host import AsyncHost
from ..model.invocation import InvocationResult
from ..settings import HostSettings
from ..template import ProjectSource
from ..workspace import Workspace
from .lambda_api import create_app
from .sigv4 import SignatureVerifier

log = logging.getLogger("lambdahost")


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 3001
    source: ProjectSource | None = None
    settings: HostSettings = field(default_factory=HostSettings)
    credentials: dict[str, str] = field(default_factory=dict)  # access key id -> secret: verify SigV4
    watch: bool = True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(options: ServeOptions) -> None:
    """Anything wider than loopback is an explicit choice, and only signed requests are served then."""
    if not is_loopback(options.host) and not options.credentials:
        raise click.UsageError(
            f"serving on {options.host} opens your functions to the network: add --credentials KEY:SECRET so "
            "that only requests signed with that key are served"
        )


def build_app(options: ServeOptions) -> tuple[Starlette, AsyncHost]:
    host = AsyncHost(options.settings)
    verifier = SignatureVerifier(options.credentials) if options.credentials else None
    app = create_app(host, verifier)
    app.router.lifespan_context = _lifespan(host, options)
    return app, host


def _lifespan(host: AsyncHost, options: ServeOptions):
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await host.start()
        host.invoker.observers.append(_print_invocation)
        watcher = None
        try:
            if options.source is not None:
                workspace = Workspace(host, options.source)
                names = ", ".join(f.config.name for f in workspace.project.functions.values()) or "none"
                click.echo(f"lambdahost: functions from {options.source.template_path.name}: {names}", err=True)
                if options.watch:
                    watcher = asyncio.get_running_loop().create_task(workspace.watch())
            click.echo(
                f"lambdahost: Lambda API on http://{options.host}:{options.port} (state in {host.state_dir})", err=True
            )
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
            await host.close()

    return lifespan


def _print_invocation(name: str, result: InvocationResult) -> None:
    status = result.error_type or ("DryRun" if result.status_code == 204 else "OK")
    colour = "green" if status in ("OK", "DryRun") else "red"
    stamp = time.strftime("%H:%M:%S")
    line = (
        f"{stamp} {name}:{result.executed_version} {click.style(status, fg=colour)} "
        f"{result.duration_ms:.2f} ms {result.request_id}"
    )
    click.echo(line, err=True)


def serve(options: ServeOptions) -> None:
    check_exposure(options)
    app, _ = build_app(options)
    listener = socket.socket(socket.AF_INET6 if ":" in options.host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it a keep-alive client waits 40 ms for each
    # response (Nagle's algorithm against the client's delayed ACK).
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listener.bind((options.host, options.port))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {options.host}:{options.port}: {exc.strerror}") from None
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=30, lifespan="on")
    server = uvicorn.Server(config)
    asyncio.run(server.serve(sockets=[listener]))
    if not server.started:
        sys.exit(1)


def state_dir_for(source: ProjectSource | None, state_dir: Path | None) -> Path:
    if state_dir is not None:
        return Path(state_dir)
    return (source.template_path.parent if source else Path.cwd()) / ".lambdahost"
