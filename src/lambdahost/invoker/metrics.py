"""The host's own metrics, per function and minute: invocations, errors, throttles, durations
and concurrent executions, for the console's Monitor page and Prometheus at /metrics."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from ..model.invocation import InvocationResult
from .invoker import Invoker

KEEP_MINUTES = 24 * 60
SAMPLES = 1000  # durations kept per function and minute; past that, a uniform sample of them


@dataclass(slots=True)
class Totals:
    """A function's counts since the host started (Prometheus counters)."""

    invocations: int = 0
    errors: int = 0
    throttles: int = 0
    duration_ms: float = 0.0


@dataclass
class Minute:
    invocations: int = 0
    errors: int = 0
    throttles: int = 0
    durations: list[float] = field(default_factory=list)
    concurrency: int = 0

    def add(self, duration_ms: float, error: bool) -> None:
        """One invocation. Its duration joins the minute's sample (reservoir sampling), so that a
        busy minute costs a thousand floats, not one per invocation, and percentiles stay fair."""
        self.invocations += 1
        self.errors += error
        if len(self.durations) < SAMPLES:
            self.durations.append(duration_ms)
        elif (slot := int(random.random() * self.invocations)) < SAMPLES:
            self.durations[slot] = duration_ms

    def percentile(self, fraction: float) -> float | None:
        if not self.durations:
            return None
        ordered = sorted(self.durations)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


class Metrics:
    def __init__(self, invoker: Invoker) -> None:
        self._invoker = invoker
        self._minutes: dict[str, dict[int, Minute]] = defaultdict(dict)
        self._totals: dict[str, Totals] = defaultdict(Totals)
        invoker.observers.append(self._invocation)
        invoker.throttle_observers.append(self._throttle)

    def _minute(self, name: str) -> Minute:
        now = int(time.time() // 60)
        minutes = self._minutes[name]
        if now not in minutes:
            minutes[now] = Minute()
            for old in [m for m in minutes if m < now - KEEP_MINUTES]:
                del minutes[old]
        return minutes[now]

    def _invocation(self, name: str, result: InvocationResult) -> None:
        if result.status_code != 200:
            return
        minute = self._minute(name)
        minute.add(result.duration_ms, result.function_error is not None)
        minute.concurrency = max(minute.concurrency, self._invoker.concurrency.in_flight(name) + 1)
        totals = self._totals[name]
        totals.invocations += 1
        totals.errors += result.function_error is not None
        totals.duration_ms += result.duration_ms

    def _throttle(self, name: str) -> None:
        self._minute(name).throttles += 1
        self._totals[name].throttles += 1

    def series(self, name: str, minutes: int = 60) -> list[dict]:
        """One point per minute, oldest first, for the last ``minutes`` minutes."""
        now = int(time.time() // 60)
        points = []
        for at in range(now - minutes + 1, now + 1):
            minute = self._minutes.get(name, {}).get(at, Minute())
            points.append(
                {
                    "time": at * 60,
                    "invocations": minute.invocations,
                    "errors": minute.errors,
                    "throttles": minute.throttles,
                    "p50": minute.percentile(0.5),
                    "p99": minute.percentile(0.99),
                    "concurrency": minute.concurrency,
                }
            )
        return points

    def recent(self, name: str, minutes: int = 60) -> tuple[int, int]:
        points = self.series(name, minutes)
        return sum(p["invocations"] for p in points), sum(p["errors"] for p in points)

    def prometheus(self) -> str:
        """The text exposition format."""
        lines = []
        metrics = (
            ("lambdahost_invocations_total", "counter", "Invocations that ran", "invocations"),
            ("lambdahost_errors_total", "counter", "Invocations that ended in a function error", "errors"),
            ("lambdahost_throttles_total", "counter", "Invocations refused by concurrency limits", "throttles"),
            ("lambdahost_duration_milliseconds_sum", "counter", "Total duration of invocations", "duration_ms"),
        )
        for metric, kind, help_text, key in metrics:
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} {kind}"]
            for name in sorted(self._totals):
                lines.append(f'{metric}{{function="{name}"}} {getattr(self._totals[name], key):g}')
        lines += [
            "# HELP lambdahost_concurrent_executions Invocations running now",
            "# TYPE lambdahost_concurrent_executions gauge",
        ]
        for record in sorted(self._invoker.registry.records, key=lambda r: r.name):
            lines.append(
                f'lambdahost_concurrent_executions{{function="{record.name}"}} '
                f"{self._invoker.concurrency.in_flight(record.name)}"
            )
        return "\n".join(lines) + "\n"
