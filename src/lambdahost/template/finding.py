"""Which template a folder holds, found without reading it: commands that need only names
(``list``, ``invoke`` through a ``serve``) do not import a YAML parser for this."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import TemplateError

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
BUILD_FOLDER = Path(".aws-sam") / "build"
CDK_OUT = "cdk.out"  # a CDK app's cloud assembly
SERVERLESS_NAMES = ("serverless.yml", "serverless.yaml")  # a Serverless Framework service (serverless.py)


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
