"""Routes from the template's ``Api`` and ``HttpApi`` events, and API Gateway's choice among them."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ...template import Project
from ...template.project import IMPLICIT_HTTP_API, IMPLICIT_REST_API, ApiDefinition

REST_TIMEOUT = 29.0  # seconds API Gateway waits for a Lambda integration
HTTP_TIMEOUT = 30.0
DEFAULT = "$default"


@dataclass(frozen=True)
class Route:
    api: ApiDefinition
    method: str  # GET, POST, ..., or ANY
    path: str  # /pets/{id}, /{proxy+}, or $default
    function_name: str
    payload_version: str  # "1.0" or "2.0"
    authorizer: str | None = None  # a name in api.auth["Authorizers"]
    timeout_ms: int | None = None  # the event's TimeoutInMillis (50 to 29,000 / 30,000)
    scopes: tuple[str, ...] = ()  # AuthorizationScopes a JWT or Cognito token must hold one of

    @property
    def route_key(self) -> str:
        return DEFAULT if self.path == DEFAULT else f"{self.method} {self.path}"

    @property
    def timeout(self) -> float:
        if self.timeout_ms is not None:
            return self.timeout_ms / 1000
        return REST_TIMEOUT if self.api.kind == "rest" else HTTP_TIMEOUT

    @property
    def priority(self) -> tuple:
        """Lower first: exact paths, then fewer parameters, greedy last, longer literal prefix
        first among greedy ones, a named method before ANY, and $default at the very end."""
        if self.path == DEFAULT:
            return (1,)
        segments = [s for s in self.path.split("/") if s]
        params = sum(s.startswith("{") for s in segments)
        greedy = any(s.endswith("+}") for s in segments)
        literals = len(segments) - params
        return (0, greedy, params, -literals, self.method == "ANY")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters (raw, still percent-encoded) if this route takes the request."""
        if self.method not in ("ANY", method):
            return None
        if self.path == DEFAULT:
            return {}
        pattern, names = _compile(self.path)
        match = pattern.fullmatch(path.rstrip("/") or "/")
        return None if match is None else dict(zip(names, match.groups(), strict=True))


@functools.lru_cache(maxsize=1024)
def _compile(template: str) -> tuple[re.Pattern, tuple[str, ...]]:
    """A path template as a regular expression and its parameter names, in order."""
    parts, names = [], []
    for segment in template.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("+}"):
            parts.append("(.+)")
            names.append(segment[1:-2])
        elif segment.startswith("{") and segment.endswith("}"):
            parts.append("([^/]+)")
            names.append(segment[1:-1])
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts)), tuple(names)


class RouteTable:
    def __init__(self, project: Project) -> None:
        self.routes: list[Route] = []
        for function in project.functions.values():
            for event in function.events:
                if event.type not in ("Api", "HttpApi"):
                    continue
                props = event.properties
                rest = event.type == "Api"
                api_id = props.get("RestApiId" if rest else "ApiId") or (
                    IMPLICIT_REST_API if rest else IMPLICIT_HTTP_API
                )
                api = project.apis.get(str(api_id))
                if api is None:
                    continue
                method = str(props.get("Method", "ANY" if not rest else "")).upper()
                path = str(props.get("Path", DEFAULT if not rest else ""))
                if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
                    method = "ANY"
                version = "1.0" if rest else str(props.get("PayloadFormatVersion", "2.0"))
                auth = props.get("Auth") or {}
                authorizer = auth.get("Authorizer", api.auth.get("DefaultAuthorizer"))
                scopes = auth.get("AuthorizationScopes") or (
                    (api.auth.get("Authorizers") or {}).get(str(authorizer)) or {}
                ).get("AuthorizationScopes")
                self.routes.append(
                    Route(
                        api,
                        method,
                        path,
                        function.config.name,
                        version,
                        None if authorizer in (None, "NONE") else str(authorizer),
                        int(props["TimeoutInMillis"]) if "TimeoutInMillis" in props else None,
                        tuple(str(s) for s in scopes or ()),
                    )
                )
        self.routes.sort(key=lambda r: r.priority)
        self.kinds = {route.api.kind for route in self.routes}

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None

    def paths(self, path: str) -> list[Route]:
        """Every route on a path, whatever its method (for CORS preflight answers)."""
        return [r for r in self.routes if r.path != DEFAULT and r.match(r.method, path) is not None]
