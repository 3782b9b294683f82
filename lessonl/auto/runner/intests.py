"""Timing the function inside the tests that call it, when no recorded call can be replayed.

The usual bench replays recorded calls in one process. When their arguments pickle but cannot
be loaded back (a type whose `__getattr__` answers pickle's `__setstate__` lookup, say), there
is nothing to replay, yet the tests still call the function with real arguments. So the
function is wrapped like the recorder wraps it, those tests run once, and the CPU time spent in
its outermost calls is the measurement: one `LESSONL_TIME_S=<wall> LESSONL_CPU_S=<cpu>` line
per bench invocation, like the replaying bench's (the
harness pairs and repeats invocations, and its interval says how noisy that is). Test set-up
and assertions are outside the clock, so a faster function shows as faster.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from . import target
from .timing import clock


class Timer:
    """CPU and wall time spent in the outermost calls of the wrapped function."""

    def __init__(self) -> None:
        self.total = 0.0
        self.wall = 0.0
        self.calls = 0
        self.now = clock()
        self._depth = threading.local()

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        timer = self

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if getattr(timer._depth, "n", 0):
                return fn(*args, **kwargs)
            timer._depth.n = 1
            wall = time.perf_counter()
            start = timer.now()
            try:
                return fn(*args, **kwargs)
            finally:
                timer.total += timer.now() - start
                timer.wall += time.perf_counter() - wall
                timer.calls += 1
                timer._depth.n = 0

        return timed


class _Rebind:
    def __init__(self, rebind: Callable[[], None]) -> None:
        self.rebind = rebind

    def pytest_collection_finish(self, session: Any) -> None:
        self.rebind()  # test modules imported during collection may hold their own reference


def bench_in_tests(spec: target.Spec, tests: list[str], pytest_args: list[str]) -> str | None:
    """Run `tests` once with the function timed; print the time. Returns an error or None."""
    import pytest

    timer = Timer()
    wrapped = target.Wrapped(spec, timer.wrap)
    spec.add_to_path()
    wrapped.install()
    code = pytest.main([*pytest_args, "-x", *tests], plugins=[_Rebind(wrapped.install)])
    if code != 0:
        return f"the tests that call {spec.qualname} fail (pytest exit status {code})"
    if not timer.calls:
        return f"the tests that call {spec.qualname} did not call it"
    print(f"LESSONL_TIME_S={timer.wall:.9f} LESSONL_CPU_S={timer.total:.9f}", flush=True)
    return None
