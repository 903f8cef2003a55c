"""The control plane: create, change, version and alias functions, with the Lambda API's rules."""

from .plane import ControlPlane

__all__ = ["ControlPlane"]
