"""Timing statistics: the speedup as a ratio of lower quartiles, and its confidence interval.

Why these choices:
- Each side's *lower quartile* (its 25th percentile, `typical`), not its mean or median: on a
  shared 2-core machine the noise is one-sided (a neighbour only ever slows a run down; the
  kernel still charges the run the CPU time), and here it is not rare. The CPU time of one
  unchanging C++ loop, run as 60 processes at load 2, had a quarter of its runs 30-70% slow
  (benchmarks/clock_resolution.py), so the median itself jumped between the fast and the slow
  state: identical copies timed as 40 interleaved pairs came within 1% of 1.00x 36% of the
  time by the ratio of medians, 96% by the ratio of lower quartiles (issue 26's bar is 95%).
  The lower quartile still describes a typical run (each run's figure is the median of its own
  time lines, so every input the bench times counts), unlike the minimum, which one run in a
  lucky state decides. With noise that multiplies every run's time by a factor drawn from the
  same distribution on both sides, it estimates the same ratio as the median did.
- The bootstrap resamples *pairs* (the baseline and variant runs timed back to back), which keeps
  the correlation between the two runs of a pair: a slow phase of the machine hits both.
- A fixed seed: the same measurements always give the same interval, which keeps runs and tests
  reproducible. 4000 resamples of <= 40 pairs take about a millisecond with numpy.
- The reported interval (`interval95`) also covers the sign test's distribution-free interval
  for the median per-pair ratio. With few pairs the percentile bootstrap of a quantile is too
  narrow: identical copies stopped at 5 pairs with 1.039x [1.004, 1.039] (all five pairs on one
  side of 1.0, which happens 1 time in 16 by chance). The sign test's interval assumes only that
  the pairs are independent, and needs 6 pairs to reach 95% (hence `min_pairs` = 6).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

# The bench protocol (docs/contracts.md): `LESSONL_TIME_S=<s>`, optionally followed on the same
# line by `LESSONL_CPU_S=<s>`, the timed region's CPU time beside its (wall) time.
TIME_LINE = re.compile(
    r"^LESSONL_TIME_S=\s*([0-9.eE+-]+)(?:[ \t]+LESSONL_CPU_S=\s*([0-9.eE+-]+))?\s*$",
    re.MULTILINE,
)


def _value(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and np.isfinite(value) and value >= 0 else None


def parse_time_lines(stdout: str) -> list[tuple[float, float | None]]:
    """(time, CPU time or None) of each well-formed time line; a line whose time is not a
    finite non-negative number is ignored, an unreadable CPU figure becomes None."""
    out = []
    for match in TIME_LINE.finditer(stdout):
        value = _value(match.group(1))
        if value is not None:
            out.append((value, _value(match.group(2))))
    return out


def parse_times(stdout: str) -> list[float]:
    """The values of `LESSONL_TIME_S=<float>` lines (non-finite or negative values ignored)."""
    return [t for t, _ in parse_time_lines(stdout)]


def median(values: Sequence[float]) -> float:
    return float(np.median(np.asarray(values, dtype=float)))


#: The quantile of a side's run times that stands for the side (module docstring).
TYPICAL_QUANTILE = 0.25


def typical(values: Sequence[float]) -> float:
    """A side's time: the lower quartile of its runs' figures (module docstring)."""
    return float(np.quantile(np.asarray(values, dtype=float), TYPICAL_QUANTILE))


def speedup_ratio(baseline: Sequence[float], candidate: Sequence[float]) -> float:
    """The speedup: the baseline's typical time over the candidate's (> 1 means faster).

    Raises ValueError for a non-positive time: a zero time is a clock too coarse for what it
    timed, and dividing by a stand-in (it once was 1e-12) reported 36,000,000,000x. Callers
    check the times first (lessonl/harness/measure.py)."""
    den = typical(candidate)
    if not den > 0:
        raise ValueError("the candidate's typical time is not positive; nothing to divide by")
    return typical(baseline) / den


def bootstrap_ci(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 4000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `speedup_ratio`, resampling pairs together."""
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(candidate, dtype=float)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("baseline and candidate need the same, non-zero number of runs")
    if not (b > 0).all():
        raise ValueError("candidate times must be positive (see speedup_ratio)")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, a.size, size=(resamples, a.size))
    ratios = np.quantile(a[idx], TYPICAL_QUANTILE, axis=1) / np.quantile(
        b[idx], TYPICAL_QUANTILE, axis=1
    )
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(ratios, [tail, 100 - tail])
    return float(lo), float(hi)


def sign_interval(
    baseline: Sequence[float], candidate: Sequence[float], *, confidence: float = 0.95
) -> tuple[float, float]:
    """Distribution-free interval for the median of the per-pair ratios (the sign test's):
    drop the `d` smallest and largest ratios, where `d` is the most that keeps the binomial
    tail within (1 - confidence) / 2. Below 6 pairs (at 95%) nothing can be dropped and the
    interval is the ratios' whole range, with less confidence than asked."""
    ratios = sorted(a / b for a, b in zip(baseline, candidate, strict=True))
    if not ratios:
        raise ValueError("no pairs")
    n, tail = len(ratios), (1 - confidence) / 2
    d = cumulative = 0
    while d < n // 2 and cumulative + math.comb(n, d) / 2**n <= tail:
        cumulative += math.comb(n, d) / 2**n
        d += 1
    k = max(d, 1)  # the k-th smallest and k-th largest ratios bound the interval
    return ratios[k - 1], ratios[n - k]


def interval95(baseline: Sequence[float], candidate: Sequence[float]) -> tuple[float, float]:
    """The speedup's 95% interval: the pair bootstrap's, widened to cover the sign test's
    (module docstring: the bootstrap alone is too narrow with few pairs)."""
    lo, hi = bootstrap_ci(baseline, candidate)
    s_lo, s_hi = sign_interval(baseline, candidate)
    return min(lo, s_lo), max(hi, s_hi)


def relative_half_width(ci: tuple[float, float], estimate: float) -> float:
    """Half the interval's width relative to the estimate (0.02 means +/-2%)."""
    return (ci[1] - ci[0]) / 2 / estimate if estimate > 0 else float("inf")


# A win must clear the harness's own resolution, not just 1.0: timing stops once the interval
# is within +/-2%, and under heavy load an *unchanged* variant was seen at 1.06x with its
# interval starting at 1.0004 (docs/method.md section 7: noise must not pick the answer).
NOISE_MARGIN = 0.02


def measurably_faster(ci95: Sequence[float] | None) -> bool:
    """True when the whole 95% interval of the speedup lies above 1 + NOISE_MARGIN."""
    return ci95 is not None and len(ci95) == 2 and ci95[0] > 1.0 + NOISE_MARGIN


def measurably_slower(ci95: Sequence[float] | None) -> bool:
    """True when the whole 95% interval lies below 1 - NOISE_MARGIN."""
    return ci95 is not None and len(ci95) == 2 and ci95[1] < 1.0 - NOISE_MARGIN
