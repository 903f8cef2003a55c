"""Concurrency accounting: reserved concurrency per function and the host-wide limit."""

from __future__ import annotations

import math
import os
import time
from collections import Counter

from ..errors import InvalidParameterValueException, TooManyRequestsException
from ..model import limits

# How long the host must have run one invocation at a time before an invocation counts as alone.
QUIET = 0.1  # seconds
# How often the host looks whether other processes want the machine's CPUs.
LOOK_EVERY = 0.1  # seconds


class ConcurrencyLimits:
    """Functions with reserved concurrency get exactly that many environments at once; all others
    share what remains of the host-wide limit, as in an AWS account."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._reserved: dict[str, int] = {}
        self._in_flight: Counter[str] = Counter()
        self._unreserved_in_flight = 0
        self.total_in_flight = 0  # all functions'
        self._crowded_at = -QUIET  # when two or more were last in flight together
        self.cpus = Cpus()

    @property
    def min_unreserved(self) -> int:
        # AWS keeps 100 of an account's 1,000 unreserved; a smaller local limit keeps a tenth.
        return min(limits.MIN_UNRESERVED_CONCURRENCY, self.limit // 10)

    @property
    def unreserved(self) -> int:
        return self.limit - sum(self._reserved.values())

    def reserve(self, function_name: str, reserved: int | None) -> None:
        others = sum(v for k, v in self._reserved.items() if k != function_name)
        if reserved is not None and self.limit - others - reserved < self.min_unreserved:
            raise InvalidParameterValueException(
                f"Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{self.min_unreserved}]."
            )
        if reserved is None:
            self._reserved.pop(function_name, None)
        else:
            self._reserved[function_name] = reserved

    def acquire(self, function_name: str) -> bool:
        """Take a slot or raise the throttle; returns whether it came from the unreserved share."""
        reserved = self._reserved.get(function_name)
        if reserved is not None:
            if self._in_flight[function_name] >= reserved:
                raise TooManyRequestsException("ReservedFunctionConcurrentInvocationLimitExceeded")
        elif self._unreserved_in_flight >= self.unreserved:
            raise TooManyRequestsException("ConcurrentInvocationLimitExceeded")
        self._in_flight[function_name] += 1
        self.total_in_flight += 1
        self._unreserved_in_flight += reserved is None
        return reserved is None

    def release(self, function_name: str, unreserved: bool) -> None:
        if self.total_in_flight > 1:  # a crowded spell ends only here, so only here is it stamped
            self._crowded_at = time.monotonic()
        self._in_flight[function_name] -= 1
        self.total_in_flight -= 1
        self._unreserved_in_flight -= unreserved

    def alone(self) -> bool:
        """Whether the invocation just admitted is the host's only one, and has been preceded only
        by lone ones for a while: a caller that sends one request at a time. Only then is it worth
        a CPU to wait awake for its answer and the next request (``Invocation.alone``); under a
        load of several, a lone invocation is a passing gap, and the CPU is wanted elsewhere.
        Nor is it when the machine has no CPU to spare (``Cpus``)."""
        return self.total_in_flight == 1 and time.monotonic() - self._crowded_at > QUIET and self.cpus.spare()

    def in_flight(self, function_name: str) -> int:
        return self._in_flight[function_name]


class Cpus:
    """Whether the machine has a CPU to spare, looked at most every ``LOOK_EVERY``. When other
    processes are runnable on every CPU, a process that polls for its answer takes the CPU that
    the runtime needs to give it, and spends the scheduler's credit that lets a sleeper run at
    once when woken: on a busy machine, both sides sleep instead (measured by bench/busy.py)."""

    def __init__(self) -> None:
        self.count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        self._looked = -math.inf
        self._spare = True

    def spare(self) -> bool:
        now = time.monotonic()
        if now - self._looked >= LOOK_EVERY:
            self._looked = now
            self._spare = runnable() <= self.count
        return self._spare


def runnable() -> int:
    """How many processes are runnable on the machine now, this one included (the fourth field
    of Linux's /proc/loadavg); 0 where that is unknown."""
    try:
        with open("/proc/loadavg", "rb") as loadavg:
            return int(loadavg.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return 0
