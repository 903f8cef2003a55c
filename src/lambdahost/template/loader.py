"""Read a template file (YAML or JSON) into plain data, keeping line numbers for messages.

CloudFormation's short forms (``!Ref X``, ``!GetAtt A.B``, ``!Sub ...``) become their long forms
(``{"Ref": "X"}``, ``{"Fn::GetAtt": ["A", "B"]}``), so the rest of the reader sees one shape.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

import yaml

from .errors import TemplateError


class Located(dict):
    """A mapping that remembers the line of itself and of each of its keys."""

    line: int | None = None
    key_lines: dict

    def line_of(self, key: str) -> int | None:
        return getattr(self, "key_lines", {}).get(key, self.line)


class _Loader(yaml.SafeLoader):
    pass


# CloudFormation reads unquoted dates such as 2010-09-09 as strings, not timestamps.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)
    mapping = Located()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise TemplateError(f"duplicate key '{key}'", line=key_node.start_mark.line + 1)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)

_SHORT_FORMS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Not": "Fn::Not",
    "ImportValue": "Fn::ImportValue",
    "FindInMap": "Fn::FindInMap",
    "Base64": "Fn::Base64",
    "GetAZs": "Fn::GetAZs",
    "Cidr": "Fn::Cidr",
    "Transform": "Fn::Transform",
    "Length": "Fn::Length",
    "ToJsonString": "Fn::ToJsonString",
}


def _short_form(name: str):
    def construct(loader: _Loader, node: yaml.Node) -> Located:
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = _mapping(loader, node)
        located = Located({name: value})
        located.line = node.start_mark.line + 1
        return located

    return construct


for _tag, _name in _SHORT_FORMS.items():
    _Loader.add_constructor(f"!{_tag}", _short_form(_name))


_reads: ContextVar[list[Path] | None] = ContextVar("reads", default=None)


@contextlib.contextmanager
def recording() -> Iterator[list[Path]]:
    """The files read (``read_text``) within: what a project read from is current as long as
    they are unchanged (``template/index.py``)."""
    paths: list[Path] = []
    token = _reads.set(paths)
    try:
        yield paths
    finally:
        _reads.reset(token)


def read_text(path: Path) -> str:
    text = path.read_text()
    reads = _reads.get()
    if reads is not None:
        reads.append(path)
    return text


def load(path: Path) -> dict:
    try:
        text = read_text(path)
    except OSError as exc:
        raise TemplateError(f"cannot read the template: {exc.strerror}", path=str(path)) from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_Loader)
    except TemplateError as exc:
        raise exc.locate(path=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise TemplateError(
            f"not valid YAML: {problem}", line=mark.line + 1 if mark else None, path=str(path)
        ) from None
    except json.JSONDecodeError as exc:
        raise TemplateError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", path=str(path)
        ) from None
    if not isinstance(data, dict):
        raise TemplateError("the template must be a mapping with a Resources section", path=str(path))
    return data
