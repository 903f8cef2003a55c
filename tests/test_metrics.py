"""The per-minute metrics behind the console's Monitor page and /metrics, fed by real invocations."""

from __future__ import annotations

from lambdahost import FunctionConfig, Host
from lambdahost.invoker.metrics import SAMPLES


def test_a_busy_minute_keeps_a_bounded_sample_of_durations(tmp_path) -> None:
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return event\n")
    invocations = 2 * SAMPLES + 500  # however the minutes fall, one of them holds more than SAMPLES
    with Host(state_dir=tmp_path / "state") as host:
        host.add_function(FunctionConfig(name="busy", handler="app.handler", code_dir=tmp_path))
        for n in range(invocations):
            host.invoke("busy", {"n": n})
        minutes = host.call(lambda h: list(h.metrics._minutes["busy"].values()))
        series = host.call(lambda h: h.metrics.series("busy", 2))
    assert sum(minute.invocations for minute in minutes) == invocations
    assert max(len(minute.durations) for minute in minutes) == SAMPLES
    assert all(point["p50"] is not None for point in series if point["invocations"])
