"""Sample events, shaped as each AWS service sends them, for ``lambdahost generate-event SERVICE
EVENT [--option value ...]`` and the console's test events. The catalogue has every service and
event of ``sam local generate-event``, under SAM's names, and a few more.

Each sample is a function of its options, whose defaults are what users would otherwise edit by
hand. The samples live in one module per area; this module puts them together.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    cloudwatch,
    conversation,
    devops,
    edge,
    graphql,
    http,
    identity,
    messaging,
    ml,
    orchestration,
    storage,
    streaming,
)
from .common import ACCOUNT, Catalogue, Sample

__all__ = ["ACCOUNT", "CATALOGUE", "Sample", "generate"]


def _assemble(*modules: ModuleType) -> Catalogue:
    """The modules' samples in one catalogue; a service belongs to one module."""
    catalogue: Catalogue = {}
    for module in modules:
        for service, events in module.SAMPLES.items():
            if service in catalogue:
                raise RuntimeError(f"{module.__name__} and another module both have {service} samples")
            catalogue[service] = events
    return catalogue


# In the order the console lists them: the common triggers first.
CATALOGUE: Catalogue = _assemble(
    http,
    storage,
    messaging,
    streaming,
    cloudwatch,
    identity,
    devops,
    orchestration,
    graphql,
    edge,
    conversation,
    ml,
)


def generate(service: str, event: str, **options: str) -> dict:
    """A sample event; ``options`` override its defaults (names with - or _)."""
    sample = CATALOGUE[service][event]
    values = {**sample.options, **{k.replace("_", "-"): v for k, v in options.items() if v is not None}}
    unknown = set(values) - set(sample.options)
    if unknown:
        raise ValueError(f"{service} {event} has no option {', '.join(sorted(unknown))}")
    return sample.build(**{k.replace("-", "_"): v for k, v in values.items()})
