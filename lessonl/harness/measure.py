"""What a set of timed bench runs says: which clock to believe, and whether to believe it at all.

Every timed run gives three numbers (`Sample`): the bench's own figure (the median of its
`LESSONL_TIME_S` lines, or the process's wall time when it prints none), the process's wall
time, and its CPU time (user + system of the whole process tree, from `getrusage`); and, when
the bench prints `LESSONL_CPU_S` beside each time (the bench protocol), the timed region's own
CPU time.

Two estimates of the speedup come out of them (`assess`), each a ratio of lower quartiles with a
95% interval (stats.py: the pair bootstrap's, widened to the sign test's):

- *bench*: the bench's own figures, as the user wrote them (wall or CPU clock, their choice).
- *cpu*: the same runs in CPU time, valid only for single-threaded, CPU-bound code (below).
  Which CPU time, and so the reported `clock` with its one-line `reason`, is decided from
  evidence, never assumed:
  - `cpu`: the timed region's `LESSONL_CPU_S` figures, when every line of every run has one and
    the region is single-threaded (its CPU time not above its wall time on most lines) and
    CPU-bound. On a loaded machine these are what holds: the region's wall time counts a
    neighbour's turns.
  - `cpu`: the process's CPU time, when the bench prints no time lines at all.
  - `scaled`: time lines that are shown to be wall time are scaled by each run's CPU share
    (CPU time / wall time: the share of the run the process had a core, assumed to spread
    evenly over its calls). Shown by a run whose calls add up to more than its process's CPU
    time (only a wall clock counts waiting), or by scaling making every side's figures vary
    less (the share explains their variation only if the clock counts the waiting).
  - `bench`: anything else. Time lines without `LESSONL_CPU_S` that neither test shows to be
    wall time may be either clock: a wall-clocked bench whose untimed set-up (a `reset()`
    between repetitions) dominates its process's CPU time passes both tests, and calling its
    unscaled wall figures "cpu" once hid that 3 of 18 identical copies under load had
    intervals excluding 1.0. So they are reported as the bench's figures, and the reason says
    how to measure better: print the region's CPU time beside them.

How CPU time is decided valid, per side, from the runs themselves:
- single-threaded: no process of a run was seen with more than one thread (the sandbox's
  CPU watcher looks at 10, 30, 70 ms, ... into every run), and no run used more CPU than wall
  time (beyond 5% and 5 ms of slack; this also catches parallel processes). A multi-threaded
  run's CPU time counts every core, so a parallel rewrite would look slower; its wall time is
  what the user waits for, so the bench's figures are kept;
- CPU-bound: at its best run the process had a core at least 30% of its wall time. Code that
  mostly sleeps or waits for I/O is not measured by its CPU time. The bar is low because wall
  time here includes spawning and reaping the process: a 0.08 s Python bench reads 0.6 on a
  quiet machine, and a busy one (two cores, load 3) takes another third. Code that waits less
  than that but whose waiting the rewrite changes shows up as the two clocks disagreeing.

The speedup reported is the cpu estimate when valid, else the bench's. When both exist and
their intervals do not overlap, the machine's load (or waiting the code does) moved one of
them: the reported interval is widened to cover both and the evaluation says so, so a noise
"win" on one clock cannot pass the win threshold alone.

Some measurements are not trusted at all (`Estimate.untrusted`, one line saying why): a zero
figure or a call timed at 0 s (the clock is coarser than the call: the symptom of tick-based
CPU accounting, which once reported a 75x win as 36,000,000,000x), figures that all sit on a
1, 4 or 10 ms grid (a ticking clock) while being shorter than 50 of its steps, and a speedup
above `IMPLAUSIBLE` (no rewrite of one function makes a bench that finishes within its timeout
that much faster; such a figure comes from a broken clock). When only the bench's own figures
are too coarse, each run's whole-process CPU time (exact, from rusage) stands in for them if it
is valid on both sides, with a warning (it includes start-up, so it understates the gain).
Otherwise such a variant stays `correct` (its test passed) but gets no speedup and no
interval, so it never wins.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from lessonl.harness.stats import interval95, median, speedup_ratio, typical

IMPLAUSIBLE = 1e6  # a speedup above this is a broken measurement, never a win
_TICKS_S = (0.010, 0.004, 0.001)  # 100, 250 and 1000 Hz scheduler ticks, coarsest first
_GRID_TOLERANCE_S = 1e-6
_THREAD_SLACK = (1.05, 0.005)  # cpu <= 1.05 * wall + 5 ms still counts as one thread
_MIN_CPU_SHARE = 0.3
_REGION_SLACK_S = 1e-4  # a region's CPU clock is exact; only the two reads' cost is slack


@dataclass(frozen=True)
class Sample:
    """One timed bench run; `times` are its LESSONL_TIME_S values (empty: wall-timed), and
    `cpu_times` the LESSONL_CPU_S values beside them (the timed region's CPU time; empty
    unless every time line of the run carries one)."""

    figure_s: float
    wall_s: float
    cpu_s: float | None
    times: tuple[float, ...] = ()
    threads: int = 0  # the most threads seen in one process of the run (0: not seen)
    cpu_times: tuple[float, ...] = ()


@dataclass(frozen=True)
class Estimate:
    """What `assess` concluded. `speedup`/`ci95` are None when `untrusted` says why not."""

    speedup: float | None
    ci95: tuple[float, float] | None
    clock: str  # "cpu", "scaled" or "bench": which estimate `speedup` is (module docstring)
    speedup_bench: float | None
    ci95_bench: tuple[float, float] | None
    speedup_cpu: float | None
    ci95_cpu: tuple[float, float] | None
    baseline_cpu_s: float | None  # typical (lower-quartile) CPU-time figures behind speedup_cpu
    candidate_cpu_s: float | None
    untrusted: str = ""
    warning: str = ""
    reason: str = ""  # the evidence for `clock`, one line

    @property
    def note(self) -> str:
        """The one line an evaluation's detail carries about its timing ('' if all is well)."""
        if self.untrusted:
            return f"timing cannot be trusted: {self.untrusted}"
        return self.warning


def clock_words(clock: str | None) -> str:
    """How the CLI and progress lines name a clock ("by ...")."""
    return {
        "cpu": "CPU time",
        "scaled": "wall time scaled by the CPU share",
    }.get(clock or "", "the bench's figures")


def _single_threaded(samples: Sequence[Sample]) -> bool:
    factor, slack = _THREAD_SLACK
    return all(
        s.cpu_s is not None and s.cpu_s <= factor * s.wall_s + slack and s.threads <= 1
        for s in samples
    )


def _cpu_bound(samples: Sequence[Sample]) -> bool:
    shares = [s.cpu_s / s.wall_s for s in samples if s.cpu_s and s.wall_s > 0]
    return bool(shares) and max(shares) >= _MIN_CPU_SHARE


def cpu_time_valid(samples: Sequence[Sample]) -> bool:
    """True when these runs' CPU time measures what their wall time would on an idle machine
    (single-threaded and CPU-bound; see the module docstring)."""
    return bool(samples) and _single_threaded(samples) and _cpu_bound(samples)


def wall_clocked(samples: Sequence[Sample]) -> bool:
    """True when a run's reported calls add up to more than the CPU time its process used:
    only a wall clock counts time spent waiting, so the bench times with one."""
    return any(
        s.times and s.cpu_s is not None and sum(s.times) > 1.02 * s.cpu_s + 0.001 for s in samples
    )


def _spread(values: Sequence[float]) -> float:
    """Median absolute deviation of the logs: run-to-run variation, robust to a few outliers."""
    logs = [math.log(v) for v in values]
    mid = median(logs)
    return median([abs(v - mid) for v in logs])


def share_explains(*sides: Sequence[Sample]) -> bool:
    """True when scaling by the CPU share makes every side's figures vary less: their noise is
    the waiting a wall clock counts (module docstring)."""
    for side in sides:
        raw = [s.figure_s for s in side]
        scaled = [cpu_figure(s, scale=True) for s in side]
        if len(side) < 3 or min(raw) <= 0 or min(scaled) <= 0:
            return False
        if not _spread(scaled) < _spread(raw):
            return False
    return True


def cpu_figure(sample: Sample, *, scale: bool) -> float:
    """One run's figure in CPU time (see the module docstring)."""
    assert sample.cpu_s is not None
    if not sample.times:
        return sample.cpu_s
    if not scale or sample.wall_s <= 0:
        return sample.figure_s
    return sample.figure_s * min(1.0, sample.cpu_s / sample.wall_s)


def _grid(values: Sequence[float]) -> float | None:
    """The tick (in seconds) every value sits on, if there is one."""
    positive = [v for v in values if v > 0]
    if len(positive) < 3:
        return None
    for tick in _TICKS_S:
        # A ticking clock reads 0 or at least one tick: a nonzero figure under half a tick
        # (a 0.7 us call) proves a fine clock, however close to 0 it is.
        if all(
            round(v / tick) >= 1 and abs(v / tick - round(v / tick)) * tick <= _GRID_TOLERANCE_S
            for v in positive
        ):
            return tick
    return None


def _zeros(which: str, samples: Sequence[Sample]) -> str:
    calls = [t for s in samples for t in s.times] or [s.figure_s for s in samples]
    zeros = sum(1 for t in calls if t <= 0)
    if not zeros:
        return ""
    return (
        f"{zeros} of {len(calls)} {which} timings read 0 s: the bench's clock is coarser than "
        "what it times (time several calls per LESSONL_TIME_S line, or use a finer clock)"
    )


def distrust(which: str, samples: Sequence[Sample]) -> str:
    """Why one side's figures cannot be trusted, or ''."""
    zeros = _zeros(which, samples)
    if zeros:
        return zeros
    figures = [s.figure_s for s in samples]
    calls = [t for s in samples for t in s.times] or figures
    tick = _grid(calls)
    if tick is not None and median(figures) < 50 * tick:
        return (
            f"every {which} timing is a multiple of {tick * 1e3:g} ms (a ticking clock) and "
            f"the median is only {median(figures) / tick:.0f} steps: too coarse to compare"
        )
    return ""


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _whole_process(baseline: Sequence[Sample], candidate: Sequence[Sample], why: str) -> Estimate:
    """The estimate when the bench's own figures are too coarse (`why`): each run's
    whole-process CPU time (rusage: exact whatever the bench's clock does), if it is valid on
    both sides, else no estimate. Start-up counts on both sides, so this understates the
    function's own gain; it never inflates it."""
    a = [s.cpu_s or 0.0 for s in baseline]
    b = [s.cpu_s or 0.0 for s in candidate]
    if not (cpu_time_valid(baseline) and cpu_time_valid(candidate)) or min(a + b) <= 0:
        return Estimate(None, None, "bench", None, None, None, None, None, None, why)
    speedup, ci = speedup_ratio(a, b), interval95(a, b)
    warning = (
        f"the bench's own timings are unusable ({why}); the speedup is of each run's "
        "whole-process CPU time instead, start-up included, so it understates the gain"
    )
    reason = "each run's whole-process CPU time: the bench's own figures are too coarse"
    return _plausible(
        Estimate(
            speedup, ci, "cpu", None, None, speedup, ci, typical(a), typical(b), "", warning, reason
        )
    )


def _plausible(estimate: Estimate) -> Estimate:
    """`estimate`, or no speedup when it is beyond `IMPLAUSIBLE` (a broken clock)."""
    speedup = estimate.speedup
    if speedup is None or 1 / IMPLAUSIBLE <= speedup <= IMPLAUSIBLE:
        return estimate
    return dataclasses.replace(
        estimate,
        speedup=None,
        ci95=None,
        warning="",
        untrusted=(
            f"a speedup of {speedup:.3g}x is beyond anything a rewrite of one function gives "
            "on a bench that finishes in time: the clock the bench reads is broken"
        ),
    )


def _region_problem(samples: Sequence[Sample]) -> str:
    """Why the timed region's own CPU figures (LESSONL_CPU_S) do not measure these runs, or ''.
    The same two tests as for the process (single-threaded, CPU-bound), on the region."""
    factor, _ = _THREAD_SLACK
    pairs = [(t, c) for s in samples for t, c in zip(s.times, s.cpu_times, strict=False)]
    # Most lines, not any: threads put every call above its wall time, while one odd line in
    # a thousand (seen at load 7 on a 0.5 ms call) is the clocks' own noise.
    over = sum(1 for t, c in pairs if c > factor * t + _REGION_SLACK_S)
    if 2 * over > len(pairs) or any(s.threads > 1 for s in samples):
        return (
            "the timed region used more CPU time than wall time (several threads), so its "
            "wall time, what a user waits for, is the measure"
        )
    shares = [c / t for t, c in pairs if t > 0]
    if not shares or max(shares) < _MIN_CPU_SHARE:
        return (
            f"the timed region had a core less than {_MIN_CPU_SHARE:.0%} of its time (it "
            "waits), so its CPU time does not measure it"
        )
    return ""


def _cpu_estimate(
    baseline: Sequence[Sample], candidate: Sequence[Sample]
) -> tuple[list[float], list[float], str, str] | str:
    """The CPU-time figures of both sides, their clock ("cpu" or "scaled") and the evidence
    for it; or, as a plain string, why there is no CPU-time estimate (module docstring)."""
    both = [*baseline, *candidate]
    if all(s.cpu_times and len(s.cpu_times) == len(s.times) for s in both):
        problem = _region_problem(both) or distrust(
            "CPU-time", [Sample(median(s.cpu_times), 0.0, None, s.cpu_times) for s in both]
        )
        if problem:
            return f"the bench's own figures: {problem}"
        a = [median(s.cpu_times) for s in baseline]
        b = [median(s.cpu_times) for s in candidate]
        return a, b, "cpu", "the timed region's CPU time, printed by the bench (LESSONL_CPU_S)"
    timed = any(s.times for s in both)
    if not (cpu_time_valid(baseline) and cpu_time_valid(candidate)):
        what = "the bench's own figures" if timed else "each run's wall time"
        return (
            f"{what}: the process's CPU time does not measure this code (it ran several "
            "threads, or waited most of the time)"
        )
    if not timed:
        a = [cpu_figure(s, scale=False) for s in baseline]
        b = [cpu_figure(s, scale=False) for s in candidate]
        return a, b, "cpu", "each run's process CPU time (the bench prints no time lines)"
    if wall_clocked(baseline) or wall_clocked(candidate):
        why = "its calls add up to more than its process's CPU time"
    elif share_explains(baseline, candidate):
        why = "scaling by the CPU share makes every side's figures vary less"
    else:
        return (
            "the bench's own figures: it prints no LESSONL_CPU_S, and nothing shows whether "
            "they are CPU or wall time (print the timed region's CPU time beside them)"
        )
    a = [cpu_figure(s, scale=True) for s in baseline]
    b = [cpu_figure(s, scale=True) for s in candidate]
    return (
        a,
        b,
        "scaled",
        f"the bench's figures are wall time ({why}), scaled by each run's CPU share",
    )


def assess(baseline: Sequence[Sample], candidate: Sequence[Sample]) -> Estimate:
    """Both estimates, the one to report, and whether to trust it (module docstring)."""
    base_fig = [s.figure_s for s in baseline]
    cand_fig = [s.figure_s for s in candidate]
    untrusted = (
        _zeros("candidate", candidate)
        or _zeros("baseline", baseline)
        or distrust("candidate", candidate)
        or distrust("baseline", baseline)
    )
    if untrusted:
        return _whole_process(baseline, candidate, untrusted)
    s_bench = speedup_ratio(base_fig, cand_fig)
    ci_bench = interval95(base_fig, cand_fig)
    s_cpu = ci_cpu = base_cpu = cand_cpu = None
    speedup, ci, clock, warning = s_bench, ci_bench, "bench", ""
    found = _cpu_estimate(baseline, candidate)
    if isinstance(found, str):
        reason = found
    else:
        a, b, cpu_clock, reason = found
        if min(a) > 0 and min(b) > 0:
            s_cpu, ci_cpu = speedup_ratio(a, b), interval95(a, b)
            base_cpu, cand_cpu = typical(a), typical(b)
        else:
            reason = "the bench's own figures: a CPU-time figure read 0 s"
    if s_cpu is not None and ci_cpu is not None:
        speedup, ci, clock = s_cpu, ci_cpu, cpu_clock
        if not _overlap(ci_bench, ci_cpu):
            ci = (min(ci_bench[0], ci_cpu[0]), max(ci_bench[1], ci_cpu[1]))
            warning = (
                f"the bench's figures ({s_bench:.3f}x, 95% CI {ci_bench[0]:.3f}-"
                f"{ci_bench[1]:.3f}) and CPU time ({s_cpu:.3f}x, {ci_cpu[0]:.3f}-"
                f"{ci_cpu[1]:.3f}) disagree (a busy machine, or code that waits): "
                "the interval covers both"
            )
    return _plausible(
        Estimate(
            speedup,
            ci,
            clock,
            s_bench,
            ci_bench,
            s_cpu,
            ci_cpu,
            base_cpu,
            cand_cpu,
            "",
            warning,
            reason,
        )
    )
