"""The machine-wide timing lock and the interleaved timing loop.

The lock. Timed runs must never overlap each other, and by default nothing else we start
(builds, tests) runs during a timed run either, across *all* processes on the machine (two
`lessonl` runs, the editor's server and a CLI run). It is a readers-writer lock made of two
`flock`s on files in a machine-wide place (default `/tmp/lessonl-timing.lock`, overridable with
the `LESSONL_TIMING_LOCK` environment variable, e.g. for tests):
- builds and tests take the main lock *shared* (many at once);
- a timed pair takes it *exclusive*;
- a `.gate` file makes it writer-preferring: everybody passes through the gate exclusively, and
  a timer keeps holding the gate while it waits for running builds to finish, so a stream of
  builds from several agents cannot starve timing;
- while it holds the lock exclusively, this process's own local model servers are stopped
  (lessonl/quiet.py): a model generating for other agents disturbed timing as much as a build.
Acquisition polls with LOCK_NB and `asyncio.sleep`, never a blocking `flock` in a thread: a
cancelled task must not leave behind a thread that later takes the lock and never releases it.
flock locks belong to the open file and vanish when a process dies, so a crash never leaves the
machine locked.

The loop. Baseline (A) and variant (B) run back to back in pairs, alternating the order
(AB, BA, AB, ...) so that any first-run or second-run effect cancels. The exclusive lock is held
per pair, not for the whole session, so other variants' builds proceed between pairs. After
`min_pairs`, it stops as soon as the 95% interval of the ratio of medians is within
`ci_target` (relative half-width), or the time spent in timed runs reaches the budget, or
`max_pairs` is reached. Time spent waiting for the lock does not count against the budget: a
busy machine should delay a measurement, not make it sloppier.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from lessonl import quiet
from lessonl.harness.stats import bootstrap_ci, ratio_of_medians, relative_half_width

LOCK_ENV = "LESSONL_TIMING_LOCK"
DEFAULT_LOCK_PATH = "/tmp/lessonl-timing.lock"
_POLL_S = 0.005


def lock_path() -> Path:
    return Path(os.environ.get(LOCK_ENV) or DEFAULT_LOCK_PATH)


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Read-only is enough for flock, and works on a lock file another user created.
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o666)  # so other users on the machine can share it
    return fd


async def _flock(fd: int, mode: int) -> None:
    delay = _POLL_S
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.05)


class TimingLock:
    """The machine-wide readers-writer lock described in the module docstring."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or lock_path()
        self.gate = self.path.with_name(self.path.name + ".gate")

    @contextlib.asynccontextmanager
    async def _hold(self, mode: int) -> AsyncIterator[None]:
        gate_fd = _open(self.gate)
        main_fd = _open(self.path)
        try:
            await _flock(gate_fd, fcntl.LOCK_EX)
            try:
                await _flock(main_fd, mode)
            finally:
                fcntl.flock(gate_fd, fcntl.LOCK_UN)
            yield
        finally:
            os.close(main_fd)  # closing releases the lock
            os.close(gate_fd)

    def shared(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Held by builds and tests: they may run together, never during a timed run."""
        return self._hold(fcntl.LOCK_SH)

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Held by one timed pair: nothing else of ours runs on the machine meanwhile, and this
        process's own model servers are paused (see lessonl/quiet.py)."""
        async with self._hold(fcntl.LOCK_EX):
            with quiet.paused():
                yield


class BenchFailed(Exception):
    """A timed run did not produce a time; `which` is 'baseline' or 'candidate'."""

    def __init__(self, which: str, result: object) -> None:
        super().__init__(which)
        self.which = which
        self.result = result


@dataclass(frozen=True)
class TimingResult:
    baseline: tuple[float, ...]
    candidate: tuple[float, ...]
    speedup: float
    ci95: tuple[float, float]
    waited_s: float = 0.0  # time spent waiting for the lock (other timers, running builds)

    @property
    def pairs(self) -> int:
        return len(self.baseline)


async def time_pairs(
    run_baseline: Callable[[], Awaitable[float]],
    run_candidate: Callable[[], Awaitable[float]],
    *,
    lock: TimingLock,
    min_pairs: int,
    max_pairs: int,
    budget_s: float,
    ci_target: float,
) -> TimingResult:
    """Interleave `run_baseline` and `run_candidate` until the stopping rule holds.

    Each callable returns one measured time in seconds, or raises `BenchFailed`."""
    base: list[float] = []
    cand: list[float] = []
    spent = waited = 0.0
    ci = (0.0, 0.0)
    while True:
        i = len(base)
        asked = time.perf_counter()
        async with lock.exclusive():
            started = time.perf_counter()
            waited += started - asked
            if i % 2 == 0:
                a = await run_baseline()
                b = await run_candidate()
            else:
                b = await run_candidate()
                a = await run_baseline()
            spent += time.perf_counter() - started
        base.append(a)
        cand.append(b)
        n = len(base)
        if n < min_pairs:
            continue
        speedup = ratio_of_medians(base, cand)
        ci = bootstrap_ci(base, cand)
        if relative_half_width(ci, speedup) <= ci_target or spent >= budget_s or n >= max_pairs:
            return TimingResult(tuple(base), tuple(cand), speedup, ci, waited)
