"""SAM and CloudFormation templates, read into functions the host can run."""

from .errors import TemplateError
from .loader import find_template
from .project import (
    EventSource,
    FunctionDefinition,
    Project,
    ProjectSource,
    load_project,
    parse_parameter_overrides,
    read_env_vars,
)

__all__ = [
    "EventSource",
    "FunctionDefinition",
    "Project",
    "ProjectSource",
    "TemplateError",
    "find_template",
    "load_project",
    "parse_parameter_overrides",
    "read_env_vars",
]
