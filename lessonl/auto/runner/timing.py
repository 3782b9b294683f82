"""Timing the function over the recorded calls, in one process.

Every repetition gets fresh copies of every input (unpickled before the clock starts), runs
with the garbage collector off, and starts from cleared caches: `functools` caches found in the
module (and its classes) are emptied and module-level dicts, lists and sets, mutable default
arguments and function attributes are put back as they were, so a variant that memoizes
across calls cannot fake a win by remembering the previous repetition. Process CPU time is
measured, as the examples do, and printed beside the pass's wall time (`LESSONL_CPU_S`, the
bench protocol): on a shared machine it moves far less than wall time, and it
counts every thread, so a threaded rewrite is not mistaken for less work. Under a CPU-time
limit the runner cannot lift (a hard `ulimit -t` lessonl inherited) that clock ticks in
scheduler steps on Linux, so there the main thread's CPU time, which stays exact, is read
instead (`clock`).
"""

from __future__ import annotations

import copy
import gc
import inspect
import pickle
import resource
import time
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from .store import Call

_MUTABLE = (dict, list, set, bytearray)


def clock() -> Callable[[], float]:
    """The CPU clock to time with (module docstring). The harness lifts a soft limit before
    starting us, so a finite one here is a hard limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_CPU)
    return time.process_time if soft == resource.RLIM_INFINITY else time.thread_time


class Memo:
    """Mutable module state saved at start and restored before each repetition."""

    def __init__(self, module: ModuleType, fn: Callable[..., Any]) -> None:
        self.saved: list[tuple[Any, Any]] = []
        self.cached: list[Any] = []
        spaces: list[Mapping[str, Any]] = [vars(module)]
        spaces += [vars(v) for v in vars(module).values() if inspect.isclass(v)]
        for space in spaces:
            for key, value in list(space.items()):
                if key.startswith("__"):
                    continue
                inner = getattr(value, "__func__", value)
                if callable(getattr(inner, "cache_clear", None)):
                    self.cached.append(inner)
                if isinstance(value, _MUTABLE) and not isinstance(value, type):
                    self._save(value)
                for holder in (inner,):
                    for default in getattr(holder, "__defaults__", None) or ():
                        if isinstance(default, _MUTABLE):
                            self._save(default)
                    for default in (getattr(holder, "__kwdefaults__", None) or {}).values():
                        if isinstance(default, _MUTABLE):
                            self._save(default)
                    attrs = getattr(holder, "__dict__", None)
                    if inspect.isfunction(holder) and isinstance(attrs, dict):
                        for attr in attrs.values():
                            if isinstance(attr, _MUTABLE):
                                self._save(attr)

    def _save(self, value: Any) -> None:
        try:
            snapshot = copy.copy(value)
        except Exception:
            return  # an exotic subclass that cannot be copied is left alone
        self.saved.append((value, snapshot))

    def reset(self) -> None:
        for fn in self.cached:
            fn.cache_clear()
        for live, saved in self.saved:
            if isinstance(live, dict | set):
                live.clear()
                live.update(saved)
            else:
                live[:] = saved


def one_pass(fn: Callable[..., Any], inputs: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> None:
    for args, kwargs in inputs:
        try:  # noqa: SIM105 (contextlib.suppress costs more inside the timed loop)
            fn(*args, **kwargs)
        except Exception:
            pass  # recorded calls that raise are part of the workload


def fresh(calls: list[Call], loops: int) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    return [pickle.loads(c.args) for _ in range(loops) for c in calls]


def bench(
    fn: Callable[..., Any], module: ModuleType, calls: list[Call], *, loops: int, reps: int
) -> list[float]:
    """Seconds per pass over `calls`, one number per repetition (also printed)."""
    memo = Memo(module, fn)
    one_pass(fn, fresh(calls, 1))  # warm-up: lazy imports, first-call costs
    times = []
    now = clock()
    for _ in range(reps):
        inputs = fresh(calls, loops)
        memo.reset()
        gc.collect()
        gc.disable()
        try:
            wall = time.perf_counter()
            start = now()
            one_pass(fn, inputs)
            elapsed = now() - start
            wall = time.perf_counter() - wall
        finally:
            gc.enable()
        del inputs
        times.append(elapsed / loops)
        print(f"LESSONL_TIME_S={wall / loops:.9f} LESSONL_CPU_S={elapsed / loops:.9f}", flush=True)
    return times
