"""The ``lambdahost`` command line; names and flags follow ``sam local`` where SAM has one.

A command's module is imported when the command runs, so that one command does not pay for
another's imports (``generate-event`` needs no template reader, ``init`` no host)."""

from __future__ import annotations

import importlib

import click

# command -> (its module here, the name of the command in it)
_COMMANDS = {
    "init": ("functions", "init"),
    "build": ("functions", "build"),
    "invoke": ("functions", "invoke"),
    "list": ("functions", "list_functions"),
    "logs": ("functions", "logs"),
    "serve": ("functions", "serve"),
    "events": ("triggers", "events_group"),
    "sns": ("triggers", "sns_group"),
    "sqs": ("triggers", "sqs_group"),
    "schedule": ("triggers", "schedule_group"),
    "generate-event": ("samples", "SampleEvents"),
}


class _Commands(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _COMMANDS:
            return None
        module, attribute = _COMMANDS[name]
        command = getattr(importlib.import_module(f".{module}", __name__), attribute)
        return command() if isinstance(command, type) else command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lambdahost")
def main() -> None:
    """Run AWS Lambda functions locally, with the real runtime's semantics and no Docker."""
