"""Events: sample events for every common trigger (``lambdahost generate-event``)."""

from .samples import CATALOGUE, Sample, generate

__all__ = ["CATALOGUE", "Sample", "generate"]
