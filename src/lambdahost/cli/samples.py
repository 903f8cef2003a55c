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
        from ..samples import CATALOGUE

        return sorted(CATALOGUE)

    def get_command(self, ctx: click.Context, service: str) -> click.Command | None:
        from ..samples import CATALOGUE, generate

        samples = CATALOGUE.get(service)
        if samples is None:
            raise click.UsageError(f"no sample events of '{service}': there are {', '.join(sorted(CATALOGUE))}")
        group = _Service(service, help=f"Sample {service} events.")
        for name, sample in samples.items():

            def print_event(name=name, **options) -> None:
                try:
                    event = generate(service, name, **options)
                except ValueError as exc:  # an option's value that is not what it must be (JSON, say)
                    raise click.UsageError(str(exc)) from None
                click.echo(json.dumps(event, indent=2))

            options = [
                click.Option([f"--{option}"], default=default, show_default=True)
                for option, default in sample.options.items()
            ]
            group.add_command(click.Command(name, params=options, callback=print_event, help=sample.help))
        return group


class _Service(click.Group):
    """A service's samples; one that does not exist is named in one line with those that do."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            raise click.UsageError(f"no {self.name} sample '{name}': there are {', '.join(self.list_commands(ctx))}")
        return command
