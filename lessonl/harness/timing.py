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
machine locked. The exclusive holder writes its pid to a `.holder` file beside the lock, so a
waiter can say whom it waits for (`TimingLock.holder`); a stale pid (a crashed holder) is
recognised because that process no longer exists.

The loop. Baseline (A) and variant (B) run back to back in pairs, alternating the order
(AB, BA, AB, ...) so that any first-run or second-run effect cancels. The exclusive lock is held
per pair, not for the whole session, so other variants' builds proceed between pairs. After
`min_pairs`, it stops as soon as the 95% interval of the speedup (stats.py) is within
`ci_target` (relative half-width), or the time spent in timed runs reaches the budget, or
`max_pairs` is reached. Time spent waiting for the lock does not count against the budget: a
busy machine should delay a measurement, not make it sloppier. The interval is the one of
measure.py's `assess` (CPU time where valid, widened when clocks disagree); a measurement it
does not trust stops at `min_pairs`, since more pairs of a broken clock do not help.

Sharing the baseline (`SharedBaseline`, what the harness uses). The variants of a round reach
timing at about the same time; timed one pair each, three variants cost six runs a round of
pairs, three of them the same original. Instead every candidate waiting joins interleaved
blocks (A V1 V2 V3, then V3 V2 V1 A) under one exclusive hold, and each candidate's pair is
the block's baseline run and its own: four runs where there were six, and the same stopping
rule per candidate. A lone candidate gets exactly the pairs `time_pairs` gives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from lessonl import quiet
from lessonl.harness.measure import Estimate, Sample, assess
from lessonl.harness.stats import relative_half_width

LOCK_ENV = "LESSONL_TIMING_LOCK"
DEFAULT_LOCK_PATH = "/tmp/lessonl-timing.lock"
_POLL_S = 0.005
WAIT_NOTICE_S = 1.0  # a wait longer than this is reported (`on_wait`)

# Called once per wait that lasts longer than WAIT_NOTICE_S, with the exclusive holder's pid if
# one is known (None: builds and tests of other runs hold it shared).
OnWait = Callable[[int | None], None]


def lock_path() -> Path:
    return Path(os.environ.get(LOCK_ENV) or DEFAULT_LOCK_PATH)


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Read-only is enough for flock, and works on a lock file another user created.
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o666)  # so other users on the machine can share it
    return fd


async def _flock(fd: int, mode: int, notice: Callable[[], None] | None = None) -> None:
    delay = _POLL_S
    asked = time.perf_counter()
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if notice is not None and time.perf_counter() - asked > WAIT_NOTICE_S:
                notice()
                notice = None
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.05)


class TimingLock:
    """The machine-wide readers-writer lock described in the module docstring."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or lock_path()
        self.gate = self.path.with_name(self.path.name + ".gate")
        self.holder_file = self.path.with_name(self.path.name + ".holder")

    def holder(self) -> int | None:
        """The pid of the process timing right now, if another live process is (best effort:
        read without the lock, so it may be a moment out of date)."""
        try:
            pid = int(self.holder_file.read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            return None
        if pid <= 0 or pid == os.getpid() or not psutil.pid_exists(pid):
            return None
        return pid

    def _mark(self, pid: int | None) -> None:
        """Record (or clear) the exclusive holder; a failure only costs the waiters' message."""
        with contextlib.suppress(OSError):
            if pid is None:
                if self.holder() is None:  # ours, or stale: never clear a live other's
                    self.holder_file.write_text("", encoding="ascii")
            else:
                self.holder_file.write_text(f"{pid}\n", encoding="ascii")
                with contextlib.suppress(OSError):
                    os.chmod(self.holder_file, 0o666)

    @contextlib.asynccontextmanager
    async def _hold(self, mode: int, on_wait: OnWait | None = None) -> AsyncIterator[None]:
        gate_fd = _open(self.gate)
        main_fd = _open(self.path)
        fired = False

        def notice() -> None:  # once per acquisition, gate or main lock
            nonlocal fired
            if on_wait is not None and not fired:
                fired = True
                on_wait(self.holder())

        try:
            await _flock(gate_fd, fcntl.LOCK_EX, notice)
            try:
                await _flock(main_fd, mode, notice)
            finally:
                fcntl.flock(gate_fd, fcntl.LOCK_UN)
            yield
        finally:
            os.close(main_fd)  # closing releases the lock
            os.close(gate_fd)

    def shared(self, on_wait: OnWait | None = None) -> contextlib.AbstractAsyncContextManager[None]:
        """Held by builds and tests: they may run together, never during a timed run."""
        return self._hold(fcntl.LOCK_SH, on_wait)

    @contextlib.asynccontextmanager
    async def exclusive(self, on_wait: OnWait | None = None) -> AsyncIterator[None]:
        """Held by one timed pair: nothing else of ours runs on the machine meanwhile, and this
        process's own model servers are paused (see lessonl/quiet.py)."""
        async with self._hold(fcntl.LOCK_EX, on_wait):
            self._mark(os.getpid())
            try:
                with quiet.paused():
                    yield
            finally:
                self._mark(None)


class BenchFailed(Exception):
    """A timed run did not produce a time; `which` is 'baseline' or 'candidate'."""

    def __init__(self, which: str, result: object) -> None:
        super().__init__(which)
        self.which = which
        self.result = result


@dataclass(frozen=True)
class TimingResult:
    """The pairs and what measure.py's `assess` made of them (`estimate`)."""

    baseline_samples: tuple[Sample, ...]
    candidate_samples: tuple[Sample, ...]
    estimate: Estimate
    waited_s: float = 0.0  # time spent waiting for the lock (other timers, running builds)

    @property
    def baseline(self) -> tuple[float, ...]:
        """The bench's own figures of the baseline runs."""
        return tuple(s.figure_s for s in self.baseline_samples)

    @property
    def candidate(self) -> tuple[float, ...]:
        return tuple(s.figure_s for s in self.candidate_samples)

    @property
    def speedup(self) -> float | None:
        return self.estimate.speedup

    @property
    def ci95(self) -> tuple[float, float] | None:
        return self.estimate.ci95

    @property
    def pairs(self) -> int:
        return len(self.baseline_samples)


@dataclass
class PairProgress:
    """Reported after each timed pair (`on_pair`): pair `pair` of at most `max_pairs`, and the
    estimate so far (None before `min_pairs`)."""

    pair: int
    max_pairs: int
    estimate: Estimate | None = field(default=None)


def _sample(value: float | Sample) -> Sample:
    """Plain seconds (a caller without CPU accounting) count as a wall-clock figure."""
    return value if isinstance(value, Sample) else Sample(value, value, None)


async def time_pairs(
    run_baseline: Callable[[], Awaitable[float | Sample]],
    run_candidate: Callable[[], Awaitable[float | Sample]],
    *,
    lock: TimingLock,
    min_pairs: int,
    max_pairs: int,
    budget_s: float,
    ci_target: float,
    on_pair: Callable[[PairProgress], None] | None = None,
    on_wait: OnWait | None = None,
) -> TimingResult:
    """Interleave `run_baseline` and `run_candidate` until the stopping rule holds.

    Each callable returns one run's `Sample` (or plain seconds), or raises `BenchFailed`."""
    base: list[Sample] = []
    cand: list[Sample] = []
    spent = waited = 0.0
    while True:
        i = len(base)
        asked = time.perf_counter()
        async with lock.exclusive(on_wait):
            started = time.perf_counter()
            waited += started - asked
            if i % 2 == 0:
                a = _sample(await run_baseline())
                b = _sample(await run_candidate())
            else:
                b = _sample(await run_candidate())
                a = _sample(await run_baseline())
            spent += time.perf_counter() - started
        base.append(a)
        cand.append(b)
        n = len(base)
        if n < min_pairs:
            if on_pair is not None:
                on_pair(PairProgress(n, max_pairs))
            continue
        estimate = assess(base, cand)
        if on_pair is not None:
            on_pair(PairProgress(n, max_pairs, estimate))
        done = estimate.speedup is None or estimate.ci95 is None
        if not done:
            assert estimate.speedup is not None and estimate.ci95 is not None
            done = relative_half_width(estimate.ci95, estimate.speedup) <= ci_target
        if done or spent >= budget_s or n >= max_pairs:
            return TimingResult(tuple(base), tuple(cand), estimate, waited)


@dataclass(eq=False)
class _Member:
    """One candidate timed by a `SharedBaseline`, with its own stopping rule."""

    run: Callable[[], Awaitable[float | Sample]]
    min_pairs: int
    max_pairs: int
    budget_s: float
    ci_target: float
    on_pair: Callable[[PairProgress], None] | None
    done: asyncio.Future[TimingResult]
    base: list[Sample] = field(default_factory=list)
    cand: list[Sample] = field(default_factory=list)
    spent: float = 0.0
    waited: float = 0.0


class SharedBaseline:
    """Times every candidate waiting at the same moment against ONE baseline run per block.

    `time_pairs` costs each candidate its own baseline runs. When several candidates of a round
    are ready together, a block under the exclusive lock runs the baseline once and then each
    candidate (A V1 V2 V3), and every candidate's pair is (A, its run) of that block: the
    baseline's timed runs are shared, so n candidates cost n + 1 runs a block instead of 2n.
    The order alternates (A first, candidates in order; then candidates reversed, A last) so
    that each pair is AB and BA in turn, as in `time_pairs`. A candidate that arrives while a
    block runs joins the next one; each leaves by its own stopping rule (that of `time_pairs`),
    and the blocks stop when nobody is left. The lock is held per block, so builds and other
    timers still get in between blocks."""

    def __init__(
        self,
        run_baseline: Callable[[], Awaitable[float | Sample]],
        *,
        lock: TimingLock,
        on_wait: OnWait | None = None,
    ) -> None:
        self._run_baseline = run_baseline
        self._lock = lock
        self._on_wait = on_wait
        self._members: list[_Member] = []
        self._driver: asyncio.Task[None] | None = None

    async def time(
        self,
        run_candidate: Callable[[], Awaitable[float | Sample]],
        *,
        min_pairs: int,
        max_pairs: int,
        budget_s: float,
        ci_target: float,
        on_pair: Callable[[PairProgress], None] | None = None,
    ) -> TimingResult:
        """As `time_pairs` for this candidate; raises `BenchFailed` for its run or the
        baseline's."""
        member = _Member(
            run_candidate,
            min_pairs,
            max_pairs,
            budget_s,
            ci_target,
            on_pair,
            asyncio.get_running_loop().create_future(),
        )
        self._members.append(member)
        if self._driver is None or self._driver.done():
            self._driver = asyncio.create_task(self._drive())
        try:
            return await asyncio.shield(member.done)
        finally:
            if member in self._members:  # cancelled: leave the blocks
                self._members.remove(member)
            if not member.done.done():
                member.done.cancel()

    async def close(self) -> None:
        """Stop the blocks (the harness's exit)."""
        if self._driver is not None and not self._driver.done():
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver

    async def _drive(self) -> None:
        try:
            await self._blocks()
        except BaseException as exc:  # nobody may wait forever for a driver that is gone
            for m in list(self._members):
                self._members.remove(m)
                if not m.done.done():
                    if isinstance(exc, asyncio.CancelledError):
                        m.done.cancel()
                    else:
                        m.done.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise

    async def _blocks(self) -> None:
        block = 0
        while self._members:
            members = list(self._members)
            order: list[_Member | None] = [None, *members]
            if block % 2:
                order.reverse()
            asked = time.perf_counter()
            runs: dict[int, Sample] = {}
            failed: dict[int, BenchFailed] = {}
            async with self._lock.exclusive(self._on_wait):
                started = time.perf_counter()
                for who in order:
                    if who is not None and (who.done.done() or who not in self._members):
                        continue
                    try:
                        run = self._run_baseline if who is None else who.run
                        runs[id(who)] = _sample(await run())
                    except BenchFailed as exc:
                        failed[id(who)] = exc
                        if who is None:
                            break
                spent = time.perf_counter() - started
            block += 1
            if id(None) in failed:  # the original's bench failed: nobody can be timed
                for m in members:
                    self._finish(m, error=failed[id(None)])
                continue
            a = runs[id(None)]
            for m in members:
                if m.done.done() or m not in self._members:
                    continue
                if id(m) in failed:
                    self._finish(m, error=failed[id(m)])
                    continue
                if id(m) not in runs:
                    continue
                m.waited += started - asked
                m.spent += spent / len(members)  # its share of the block's timed runs
                m.base.append(a)
                m.cand.append(runs[id(m)])
                self._step(m)

    def _step(self, m: _Member) -> None:
        """The stopping rule of `time_pairs`, for one member after a block."""
        n = len(m.base)
        if n < m.min_pairs:
            if m.on_pair is not None:
                m.on_pair(PairProgress(n, m.max_pairs))
            return
        estimate = assess(m.base, m.cand)
        if m.on_pair is not None:
            m.on_pair(PairProgress(n, m.max_pairs, estimate))
        done = estimate.speedup is None or estimate.ci95 is None
        if not done:
            assert estimate.speedup is not None and estimate.ci95 is not None
            done = relative_half_width(estimate.ci95, estimate.speedup) <= m.ci_target
        if done or m.spent >= m.budget_s or n >= m.max_pairs:
            self._finish(m, result=TimingResult(tuple(m.base), tuple(m.cand), estimate, m.waited))

    def _finish(
        self, m: _Member, *, result: TimingResult | None = None, error: BaseException | None = None
    ) -> None:
        if m in self._members:
            self._members.remove(m)
        if m.done.done():
            return
        if error is not None:
            m.done.set_exception(error)
        else:
            m.done.set_result(result)  # type: ignore[arg-type]
