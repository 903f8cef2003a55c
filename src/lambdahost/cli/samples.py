"""``generate-event SERVICE EVENT --option value``, as ``sam local generate-event`` has it."""

from __future__ import annotations

import json

import click


class SampleEvents(click.Group):
    """A command per sample in the catalogue, with an option per value people change. Built
    when asked for, so that other commands do not pay for importing the catalogue."""

    def __init__(self) -> None:
        super().__init__(
            "generate-event", help="Print a sample event of an AWS service, with options for the values people change."
        )

    def list_commands(self, ctx: click.Context) -> list[str]:
        from ..events.samples import CATALOGUE

        return sorted(CATALOGUE)

    def get_command(self, ctx: click.Context, service: str) -> click.Command | None:
        from ..events.samples import CATALOGUE, generate

        samples = CATALOGUE.get(service)
        if samples is None:
            return None
        group = click.Group(service, help=f"Sample {service} events.")
        for name, sample in samples.items():

            def print_event(name=name, **options) -> None:
                click.echo(json.dumps(generate(service, name, **options), indent=2))

            options = [
                click.Option([f"--{option}"], default=default, show_default=True)
                for option, default in sample.options.items()
            ]
            group.add_command(click.Command(name, params=options, callback=print_event, help=sample.help))
        return group
