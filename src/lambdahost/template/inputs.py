"""What the command line adds to a template, as ``sam local`` takes it: parameter overrides and
an ``--env-vars`` file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import TemplateError


def read_env_vars(path: Path | None) -> dict:
    """SAM's --env-vars file: ``{"FunctionName": {...}, "Parameters": {...}}``."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise TemplateError(f"cannot read the --env-vars file: {exc.strerror}", path=str(path)) from None
    except json.JSONDecodeError as exc:
        raise TemplateError(f"the --env-vars file is not valid JSON: {exc}", path=str(path)) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise TemplateError(
            'the --env-vars file must map function names (or "Parameters") to variables', path=str(path)
        )
    return data


def parse_parameter_overrides(values: list[str]) -> dict[str, str]:
    """SAM's forms: ``Key=Value`` and ``ParameterKey=Key,ParameterValue=Value``."""
    overrides = {}
    for value in values:
        for item in value.split() if "ParameterKey=" not in value else [value]:
            if item.startswith("ParameterKey="):
                match = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", item)
                if match is None:
                    raise TemplateError(f"parameter override '{item}' needs ParameterKey=...,ParameterValue=...")
                overrides[match[1]] = match[2]
            elif "=" in item:
                key, _, text = item.partition("=")
                overrides[key] = text
            else:
                raise TemplateError(f"parameter override '{item}' is not of the form Key=Value")
    return overrides
