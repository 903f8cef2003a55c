"""The ``lambdahost`` command line; names and flags follow ``sam local`` where SAM has one."""

from __future__ import annotations

import click

from . import functions, samples, triggers


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lambdahost")
def main() -> None:
    """Run AWS Lambda functions locally, with the real runtime's semantics and no Docker."""


for command in (
    functions.init,
    functions.build,
    functions.invoke,
    functions.list_functions,
    functions.logs,
    functions.serve,
    triggers.events_group,
    triggers.sns_group,
    triggers.sqs_group,
    triggers.schedule_group,
    samples.SampleEvents(),
):
    main.add_command(command)
