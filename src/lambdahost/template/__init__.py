"""SAM and CloudFormation templates, read into functions the host can run."""

from .errors import TemplateError
from .loader import find_template
from .project import EventSource, FunctionDefinition, Project, load_project, parse_parameter_overrides

__all__ = [
    "EventSource",
    "FunctionDefinition",
    "Project",
    "TemplateError",
    "find_template",
    "load_project",
    "parse_parameter_overrides",
]
