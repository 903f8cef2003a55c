"""API Gateway (REST payload 1.0, HTTP API payload 2.0 or 1.0) and function URLs, served locally:
routes from the template's events, AWS's event shapes, its response rules and error answers."""

from .app import GatewayApp

__all__ = ["GatewayApp"]
