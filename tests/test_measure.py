"""measure.py's decisions on given runs: which clock, when to distrust, when to widen.

The harness tests (test_harness.py) show the same decisions on real benches; these pin down
the rules on runs whose numbers are known exactly."""

from __future__ import annotations

import pytest

from lessonl.harness.measure import IMPLAUSIBLE, Sample, assess, cpu_time_valid
from lessonl.harness.stats import (
    bootstrap_ci,
    interval95,
    measurably_faster,
    sign_interval,
    speedup_ratio,
)


def runs(figures: list[float], *, cpu: float | None = 1.0, wall: float = 1.0) -> list[Sample]:
    return [Sample(f, wall, cpu, (f,) * 5) for f in figures]


def test_a_zero_time_is_never_a_ratio() -> None:
    with pytest.raises(ValueError):
        speedup_ratio([0.03, 0.03], [0.0, 0.0])
    with pytest.raises(ValueError):
        bootstrap_ci([0.03, 0.03], [0.0, 0.001])
    # What the issue saw; the runs' own CPU time is not known (cpu=None), so nothing stands in.
    est = assess(runs([0.036] * 5, cpu=None), runs([0.0] * 5, cpu=None))
    assert est.speedup is None and est.ci95 is None
    assert "read 0 s" in est.note and est.note.startswith("timing cannot be trusted")
    assert not measurably_faster(est.ci95)


def test_coarse_figures_fall_back_to_whole_process_cpu_time() -> None:
    """The bench's figures tick, but each run's CPU time (rusage, exact) is valid: it is the
    clock, said in the detail, and nothing comes from the coarse figures."""
    base = [Sample(0.036, 0.05, 0.04 + d, (0.036,) * 5) for d in (0.0, 0.001, -0.001)]
    cand = [Sample(0.0, 0.02, 0.01 + d, (0.0,) * 5) for d in (0.0, 0.0005, -0.0005)]
    est = assess(base, cand)
    assert est.clock == "cpu" and est.speedup == pytest.approx(4.0, rel=0.02) == est.speedup_cpu
    assert est.speedup_bench is None and "whole-process CPU time" in est.note
    assert "read 0 s" in est.note
    # Not CPU-bound (the runs mostly wait): no stand-in, no speedup.
    idle = [Sample(0.0, 1.0, 0.01, (0.0,) * 5)] * 3
    assert assess(base, idle).speedup is None


def test_sub_microsecond_calls_are_not_a_grid() -> None:
    """0.6-0.9 us per call (an O(1) rewrite on a fast CPU) lies within a microsecond of 0, a
    multiple of every tick; it was once read as a ticking clock and the win was lost."""
    fast = [Sample(7e-7, 0.01, None, (6.4e-7, 7e-7, 8.1e-7)) for _ in range(3)]
    est = assess(runs([0.0036, 0.0035, 0.0037], cpu=None), fast)
    assert est.untrusted == "" and est.speedup is not None and 4000 < est.speedup < 6000


def test_a_ticking_clock_is_distrusted() -> None:
    """The symptom RLIMIT_CPU caused: every call a whole number of 4 ms ticks."""
    est = assess(
        runs([0.036, 0.040, 0.036, 0.032, 0.036], cpu=None),
        runs([0.004, 0.004, 0.008] * 2, cpu=None)[:5],
    )
    assert est.speedup is None and "multiple of 4 ms" in est.note
    # Precise times that happen to be near a tick are fine.
    est = assess(runs([0.0360013, 0.0400021, 0.0360107]), runs([0.0040031, 0.0040072, 0.00412]))
    assert est.speedup is not None and 8 < est.speedup < 10


def test_an_implausible_speedup_is_distrusted() -> None:
    est = assess(runs([10.0123] * 3), runs([10.0123 / IMPLAUSIBLE / 4] * 3))
    assert est.speedup is None and "beyond anything" in est.note


def test_multi_threaded_or_waiting_code_keeps_the_bench_figures() -> None:
    threads = runs([0.1012, 0.1013, 0.1011], cpu=1.9, wall=1.0)  # two cores busy
    sleepy = runs([0.1012, 0.1013, 0.1011], cpu=0.1, wall=1.0)  # waits 90% of the time
    assert not cpu_time_valid(threads) and not cpu_time_valid(sleepy)
    assert cpu_time_valid(runs([0.1012] * 3, cpu=0.6, wall=1.0))  # a busy machine, one thread
    est = assess(threads, threads)
    assert est.clock == "bench" and est.speedup_cpu is None and est.speedup == 1.0


def test_wall_clocked_figures_are_scaled_by_the_cpu_share() -> None:
    """Identical code, a neighbour taking half the core in some runs: the wall-clock figures
    (and their ratio) move with the share; scaled by it they do not."""
    shares_a = [0.99, 0.51, 0.98, 0.52, 0.97]
    shares_b = [0.53, 0.96, 0.99, 0.95, 0.5]
    base = [Sample(0.0101 / s, 1.0, s, (0.0101 / s,)) for s in shares_a]
    cand = [Sample(0.0101 / s, 1.0, s, (0.0101 / s,)) for s in shares_b]
    est = assess(base, cand)
    assert est.speedup_bench is not None and est.speedup_bench != pytest.approx(1.0)
    assert est.clock == "scaled" and est.speedup == pytest.approx(1.0)
    assert "wall time" in est.reason and "CPU share" in est.reason
    assert est.baseline_cpu_s == pytest.approx(0.0101)


def test_figures_of_unknown_clock_are_the_bench_s_and_not_called_cpu() -> None:
    """A bench that may read CPU time: its figures do not follow the share, so they are not
    scaled (that would only add noise), and nothing shows they are CPU time, so the label says
    they are the bench's own (issue 26: such figures were reported as "cpu")."""
    shares = [1.0, 0.5, 0.8, 0.6, 0.9]
    base = [Sample(0.0202, 1.0, s, (0.0202,)) for s in shares]
    cand = [Sample(0.0101, 1.0, s, (0.0101,)) for s in reversed(shares)]
    est = assess(base, cand)
    assert est.clock == "bench" and est.speedup == pytest.approx(2.0) == est.speedup_bench
    assert est.speedup_cpu is None and "LESSONL_CPU_S" in est.reason


def test_wall_figures_beside_a_heavy_untimed_set_up_are_not_called_cpu() -> None:
    """The issue's `reset()` case: wall-clocked calls of 10 ms, 50 ms of untimed set-up per
    run, a neighbour taking a varying share of the core. The calls never add up to the
    process's CPU time, and the shares do not explain the figures (the set-up's CPU dominates),
    so the old rules called these unscaled wall figures "cpu"."""
    shares_a = [0.9, 0.6, 0.8, 0.7, 0.95]
    shares_b = [0.7, 0.9, 0.6, 0.95, 0.8]
    base = [Sample(0.010 / s, 0.06 / s, 0.06, (0.010 / s,) * 5) for s in shares_a]
    cand = [Sample(0.010 / s, 0.06 / s, 0.06, (0.010 / s,) * 5) for s in shares_b]
    est = assess(base, cand)
    assert est.clock != "cpu"
    if est.clock == "bench":
        assert est.speedup == est.speedup_bench and est.speedup_cpu is None


def test_the_timed_region_s_cpu_figures_are_the_cpu_estimate() -> None:
    """LESSONL_TIME_S=<wall> LESSONL_CPU_S=<cpu>: the same identical code under a varying load.
    The wall figures move with the neighbour; the region's CPU time does not, and is used."""
    shares_a = [0.9, 0.6, 0.8, 0.7, 0.95]
    shares_b = [0.7, 0.9, 0.6, 0.95, 0.8]

    def run(share: float) -> Sample:
        cpu = (0.0100031, 0.0100017, 0.0100052)  # a CPU clock is exact: no tick grid
        return Sample(0.010 / share, 0.06 / share, 0.06, (0.010 / share,) * 3, 1, cpu)

    est = assess([run(s) for s in shares_a], [run(s) for s in shares_b])
    assert est.clock == "cpu" and est.speedup == pytest.approx(1.0) == est.speedup_cpu
    assert est.reason == "the timed region's CPU time, printed by the bench (LESSONL_CPU_S)"
    assert est.baseline_cpu_s == pytest.approx(0.010, rel=1e-3)
    # A region that used more CPU than wall time ran threads: its wall time is the measure.
    wall = (0.0100031, 0.0100017, 0.0100052)
    threaded = [Sample(0.01, 0.06, 0.1, wall, 1, (0.019, 0.0191, 0.0189)) for _ in range(3)]
    est = assess(threaded, threaded)
    assert est.clock == "bench" and est.speedup_cpu is None and "several threads" in est.reason
    # One odd line among many is the clocks' noise, not threads.
    odd = [Sample(0.01, 0.06, 0.05, wall, 1, (0.0100031, 0.0100017, 0.0100052)) for _ in range(5)]
    odd[2] = Sample(0.01, 0.06, 0.05, wall, 1, (0.0100031, 0.019, 0.0100052))
    assert assess(odd, odd).clock == "cpu"
    # A region that mostly waits is not measured by its CPU time.
    sleepy = [Sample(0.01, 0.06, 0.05, wall, 1, (0.0011, 0.0012, 0.0013)) for _ in range(3)]
    est = assess(sleepy, sleepy)
    assert est.clock == "bench" and "waits" in est.reason


def test_disagreeing_clocks_widen_the_interval_and_say_so() -> None:
    """Process-timed runs (no LESSONL lines): the wall figures say 1.3x, CPU time 1.0x."""
    base = [Sample(1.3 + d, 1.3 + d, 1.0 + d / 10, ()) for d in (0.0, 0.01, -0.01, 0.02, 0.0)]
    cand = [Sample(1.0 + d, 1.0 + d, 1.0 + d / 10, ()) for d in (0.0, -0.01, 0.01, 0.0, 0.02)]
    est = assess(base, cand)
    assert est.clock == "cpu" and est.speedup == pytest.approx(1.0, abs=0.01)
    assert est.ci95 is not None and est.ci95_bench is not None and est.ci95_cpu is not None
    assert est.ci95[0] <= est.ci95_cpu[0] and est.ci95[1] >= est.ci95_bench[1]
    assert "disagree" in est.note and not measurably_faster(est.ci95)


def test_slow_runs_of_identical_code_do_not_move_the_speedup() -> None:
    # Identical code on a shared VM: a neighbour slows some runs 30-70% (their CPU time too;
    # benchmarks/clock_resolution.py), five of twelve runs on one side and four on the other.
    # The ratio of medians called that 1.25x; each side's lower quartile is its unslowed time.
    baseline = [1.0, 1.5, 1.0, 1.0, 1.6, 1.0, 1.0, 1.3, 1.0, 1.7, 1.0, 1.4]
    candidate = [1.0, 1.0, 1.5, 1.0, 1.0, 1.0, 1.6, 1.0, 1.0, 1.0, 1.3, 1.4]
    assert speedup_ratio(baseline, candidate) == pytest.approx(1.0)
    lo, hi = interval95(baseline, candidate)
    assert lo <= 1.0 <= hi


def test_the_interval_covers_the_sign_tests_when_the_bootstrap_is_too_narrow() -> None:
    # Seven pairs, six of them a few percent one way and one the other: the pair bootstrap of a
    # median calls that a win, the sign test (which assumes nothing about the noise's shape)
    # cannot rule out no difference, and the reported interval must say so.
    baseline = [1.03, 1.035, 1.04, 1.03, 1.04, 1.035, 1.035]
    candidate = [1.0] * 6 + [1.07]
    assert bootstrap_ci(baseline, candidate)[0] > 1.0
    assert sign_interval(baseline, candidate) == (1.035 / 1.07, 1.04)
    lo, hi = interval95(baseline, candidate)
    assert lo <= 1.0 <= hi and lo == 1.035 / 1.07


def test_the_sign_interval_drops_order_statistics_as_pairs_accumulate() -> None:
    ratios = [1.0 + i / 100 for i in range(40)]
    # 9 pairs: the 2nd smallest and 2nd largest; 40 pairs: the 14th from each end.
    assert sign_interval(ratios[:9], [1.0] * 9) == (ratios[1], ratios[7])
    assert sign_interval(ratios, [1.0] * 40) == (ratios[13], ratios[26])
    assert sign_interval(ratios[:5], [1.0] * 5) == (ratios[0], ratios[4])  # below 95%: all
