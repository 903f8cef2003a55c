"""SAM and CloudFormation templates, read into functions the host can run.

The names below load on first use, so that a command that needs only a template's function names
(``lambdahost list``, read from ``index.py``) does not import a YAML parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy

_EXPORTS = {
    "TemplateError": "errors",
    "find_template": "finding",
    "EventSource": "project",
    "FunctionDefinition": "project",
    "Project": "project",
    "ProjectSource": "project",
    "load_project": "project",
    "parse_parameter_overrides": "inputs",
    "read_env_vars": "inputs",
}
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

__getattr__ = lazy.exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from .errors import TemplateError
    from .finding import find_template
    from .inputs import parse_parameter_overrides, read_env_vars
    from .project import EventSource, FunctionDefinition, Project, ProjectSource, load_project
