"""CORS as API Gateway and function URLs answer it, from the template's configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .payloads import HttpRequest
from .responses import HttpResponse

METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _unquote(value: Any) -> str:
    """SAM's REST Cors values are quoted strings: "'*'"."""
    text = str(value).strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


@dataclass(frozen=True)
class CorsPolicy:
    origins: tuple[str, ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...] = ()
    expose: tuple[str, ...] = ()
    max_age: int | None = None
    credentials: bool = False
    decorates: bool = True  # HTTP APIs and URLs add CORS headers to responses; REST leaves it to the function

    @classmethod
    def for_rest(cls, value: Any) -> CorsPolicy | None:
        if not value:
            return None
        if not isinstance(value, dict):
            return cls((_unquote(value),), (), decorates=False)
        age = value.get("MaxAge")
        return cls(
            origins=(_unquote(value.get("AllowOrigin", "'*'")),),
            methods=tuple(_list(_unquote(value["AllowMethods"]))) if "AllowMethods" in value else (),
            headers=tuple(_list(_unquote(value.get("AllowHeaders", "")))),
            max_age=int(_unquote(age)) if age is not None else None,
            credentials=bool(value.get("AllowCredentials")),
            decorates=False,
        )

    @classmethod
    def for_http(cls, value: Any) -> CorsPolicy | None:
        """An HTTP API's CorsConfiguration, or a function URL's Cors."""
        if not value:
            return None
        if value is True:
            return cls(("*",), ("*",), ("*",))
        age = value.get("MaxAge")
        return cls(
            origins=tuple(_list(value.get("AllowOrigins"))),
            methods=tuple(m.upper() for m in _list(value.get("AllowMethods"))),
            headers=tuple(_list(value.get("AllowHeaders"))),
            expose=tuple(_list(value.get("ExposeHeaders"))),
            max_age=int(age) if age is not None else None,
            credentials=bool(value.get("AllowCredentials")),
        )

    def _origin(self, origin: str | None) -> str | None:
        if "*" in self.origins:
            return origin if self.credentials and origin else "*"
        return origin if origin in self.origins else None

    def preflight(self, request: HttpRequest, route_methods: list[str]) -> HttpResponse:
        origin = self._origin(request.header("origin")) if self.decorates else self.origins[0]
        if origin is None:
            return HttpResponse(204 if self.decorates else 200)
        methods = self.methods or tuple(sorted({*route_methods, "OPTIONS"}))
        if "ANY" in methods:
            methods = METHODS
        headers = [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Methods", ",".join(methods))]
        if self.headers:
            asked = request.header("access-control-request-headers")
            allowed = asked if "*" in self.headers and asked else ",".join(self.headers)
            headers.append(("Access-Control-Allow-Headers", allowed))
        if self.max_age is not None:
            headers.append(("Access-Control-Max-Age", str(self.max_age)))
        if self.credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return HttpResponse(204 if self.decorates else 200, headers)

    def decorate(self, request: HttpRequest, response: HttpResponse) -> None:
        origin = self._origin(request.header("origin")) if self.decorates and request.header("origin") else None
        if origin is None:
            return
        response.headers.append(("Access-Control-Allow-Origin", origin))
        if self.expose:
            response.headers.append(("Access-Control-Expose-Headers", ",".join(self.expose)))
        if self.credentials:
            response.headers.append(("Access-Control-Allow-Credentials", "true"))
