"""Who may reach the Lambda API and the console: the guards a local server needs against the
web pages its user visits, and against the network.

- Loopback only (``is_loopback``), unless the user chooses wider, and then only signed requests
  (``server.check_exposure``).
- DNS rebinding (``HostCheck``): a page on ``evil.example`` whose name the attacker's DNS later
  points at 127.0.0.1 is, to the browser, the same origin as before, so its scripts may send the
  Lambda API anything; only the ``Host`` header gives it away. Requests must name this server.
- Cross-site requests (``is_foreign_origin``): a page on another site sending a form or a fetch.

The API Gateway port is left open to any name, as API Gateway and function URLs are: it serves
the user's own routes, which answer any caller on AWS too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from ..errors import LambdaError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ForbiddenHost(LambdaError):
    """botocore shows the code and the message; a browser shows the JSON."""

    status = 403

    @property
    def code(self) -> str:
        return "AccessDeniedException"


class HostCheck:
    """The names this server answers to: loopback names (``localhost`` and ``*.localhost``, which
    browsers keep on loopback), any address (a browser's ``Host`` is the address it connected
    to, so an address is never a rebound name), the address served on, and the names the user
    allows (``--allow-host``)."""

    def __init__(self, served_on: str, allowed: Iterable[str] = ()) -> None:
        self._names = {_normal(name) for name in (served_on, *allowed)}

    def refusal(self, host: str | None) -> ForbiddenHost | None:
        """Why a request with this ``Host`` header is refused; None if it is not. A request
        without one (HTTP/1.0) is no browser's."""
        if host is None:
            return None
        name = _normal(_without_port(host))
        if name == "localhost" or name.endswith(".localhost") or name in self._names or _is_address(name):
            return None
        return ForbiddenHost(
            f"Host '{host}' is not a name this server answers to: requests must name it by a loopback name or an "
            f"address, so that a web page cannot reach it through DNS rebinding. To serve '{name}', start "
            f"lambdahost serve with --allow-host {name}"
        )


def is_foreign_origin(headers: Mapping[bytes, bytes]) -> bool:
    """A browser on another site asking the Lambda API or the console to act: refused (CSRF).
    SDKs and the CLI send no Origin header."""
    origin = headers.get(b"origin")
    return origin is not None and origin != b"http://" + headers.get(b"host", b"")


def _without_port(host: str) -> str:
    if host.startswith("["):  # [::1]:3001
        return host[1 : host.find("]")] if "]" in host else host
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host


def _normal(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
