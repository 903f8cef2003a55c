"""Read a template file (YAML or JSON) into plain data, keeping line numbers for messages.

CloudFormation's short forms (``!Ref X``, ``!GetAtt A.B``, ``!Sub ...``) become their long forms
(``{"Ref": "X"}``, ``{"Fn::GetAtt": ["A", "B"]}``), so the rest of the reader sees one shape.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .errors import TemplateError

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
BUILD_FOLDER = Path(".aws-sam") / "build"
CDK_OUT = "cdk.out"  # a CDK app's cloud assembly
SERVERLESS_NAMES = ("serverless.yml", "serverless.yaml")  # a Serverless Framework service (serverless.py)


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


def find_template(folder: Path) -> Path:
    """The folder's template; ``sam build``'s output when there is one, as ``sam local`` takes it
    (its functions' folders hold their dependencies); else a CDK cloud assembly's stack."""
    built = folder / BUILD_FOLDER / "template.yaml"
    if built.is_file():
        return built
    for name in (*TEMPLATE_NAMES, *SERVERLESS_NAMES):
        if (folder / name).is_file():
            return folder / name
    if (folder / CDK_OUT / "manifest.json").is_file():
        return _cdk_stack(folder / CDK_OUT)
    raise TemplateError(
        f"no template here: looked for {', '.join(TEMPLATE_NAMES)}, {BUILD_FOLDER}/template.yaml, "
        f"{', '.join(SERVERLESS_NAMES)} and {CDK_OUT}/ (run cdk synth, or give one with -t)",
        path=str(folder),
    )


def _cdk_stack(assembly: Path) -> Path:
    """The template of a cloud assembly's one stack (``cdk synth``'s output)."""
    try:
        artifacts = json.loads((assembly / "manifest.json").read_text()).get("artifacts") or {}
    except (OSError, ValueError) as exc:
        raise TemplateError(f"cannot read the CDK cloud assembly's manifest: {exc}", path=str(assembly)) from None
    stacks = [
        assembly / artifact["properties"]["templateFile"]
        for artifact in artifacts.values()
        if artifact.get("type") == "aws:cloudformation:stack"
    ]
    if len(stacks) != 1:
        names = ", ".join(str(stack.relative_to(assembly.parent)) for stack in stacks) or "none"
        raise TemplateError(
            f"the CDK cloud assembly has {len(stacks)} stacks ({names}): name one with -t", path=str(assembly)
        )
    return stacks[0]


def load(path: Path) -> dict:
    try:
        text = path.read_text()
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
