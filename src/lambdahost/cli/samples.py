"""``generate-event SERVICE EVENT --option value``, as ``sam local generate-event`` has it."""

from __future__ import annotations

import json

import click


def generate_event() -> click.Group:
    """A command per sample in the catalogue, with an option per value people change."""
    from ..events import CATALOGUE, generate

    group = click.Group(
        "generate-event", help="Print a sample event of an AWS service, with options for the values people change."
    )
    for service, samples in CATALOGUE.items():
        service_group = click.Group(service, help=f"Sample {service} events.")
        for name, sample in samples.items():

            def print_event(service=service, name=name, **options) -> None:
                click.echo(json.dumps(generate(service, name, **options), indent=2))

            options = [
                click.Option([f"--{option}"], default=default, show_default=True)
                for option, default in sample.options.items()
            ]
            service_group.add_command(click.Command(name, params=options, callback=print_event, help=sample.help))
        group.add_command(service_group)
    return group
