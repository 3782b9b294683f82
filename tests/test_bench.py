"""`lessonl bench`: metrics, --list, every strategy end to end, the report, resumability.

The end-to-end part runs the real CLI on tests/data/bench_suite (two tiny Python problems: one
where the fake model's variant is ~100x faster, one where its variant is wrong) against the
loopback fake LLM server, with the real harness, once per strategy, then once more for all
strategies together, which must be answered entirely from the stored results. The timing lock
is private to this module (LESSONL_TIMING_LOCK) so other test runs on the machine do not stall
it; the problems time in milliseconds.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import math
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeLLM, FakeRequest
from fakes.strategies import strategy_replies

from lessonl.bench import strategies
from lessonl.bench.metrics import ProblemResult, best_by_round, by_category, geomean, summarize
from lessonl.bench.runner import BenchPlan, load_stored, solo_agents, store
from lessonl.bench.suite import discover, select
from lessonl.cli import main
from lessonl.config import AgentConfig
from lessonl.errors import UsageError
from lessonl.prompts import parse_plans

SUITE = Path(__file__).parent / "data" / "bench_suite"
ROUNDS = 2
TEAM = 2  # agents in the test team: every strategy writes 2 variants a round

FAST = "```python\ndef unique_count(items):\n    return len(set(items))\n```"
WRONG = "```python\ndef prefix_max(values):\n    return sorted(values)\n```"


# ----------------------------------------------------------------------------- metrics


def _r(problem: str, outcome: str, speedup: float | None, **kw: Any) -> ProblemResult:
    return ProblemResult(
        problem=problem,
        strategy="s",
        category=kw.pop("category", "c"),
        language="cpp",
        outcome=outcome,
        speedup=speedup,
        **kw,
    )


def test_metrics_clip_at_one_and_count_incorrect_as_one() -> None:
    results = [
        _r("a", "correct", 4.0),
        _r("b", "correct", 0.5),  # slower: clipped to 1
        _r("c", "incorrect", None),  # counted as 1
        _r("d", "correct", 2.0),
    ]
    s = summarize(results)
    assert s.correctness == pytest.approx(0.75)
    assert s.geomean_speedup == pytest.approx((4.0 * 1.0 * 1.0 * 2.0) ** 0.25)
    assert s.mean_speedup == pytest.approx((4.0 + 1.0 + 1.0 + 2.0) / 4)
    assert s.share_ge_2x == pytest.approx(0.5)  # 2.0 counts (>=), 0.5 and incorrect do not


def test_verified_geomean_counts_only_measurably_faster_answers() -> None:
    results = [
        _r("a", "correct", 4.0, verified=True),
        _r("b", "correct", 1.2, verified=False),  # unchanged code, a noisy re-measurement
        _r("c", "incorrect", None),
    ]
    s = summarize(results)
    assert s.geomean_speedup == pytest.approx((4.0 * 1.2) ** (1 / 3))  # the paper's metric
    assert s.geomean_verified == pytest.approx(4.0 ** (1 / 3))
    assert s.to_json()["geomean_verified"] == pytest.approx(4.0 ** (1 / 3), abs=1e-4)


def test_metrics_errors_count_as_incorrect_and_unknown_cost_stays_unknown() -> None:
    results = [
        _r("a", "correct", 9.0, input_tokens=10, output_tokens=5, cost_usd=0.5),
        _r("b", "error", None, error="model unreachable", cost_usd=None),
    ]
    s = summarize(results)
    assert s.correctness == 0.5
    assert s.geomean_speedup == pytest.approx(3.0)
    assert s.errors == 1
    assert s.cost_usd is None  # a partial sum would look like a real total
    assert (s.input_tokens, s.output_tokens) == (10, 5)


def test_geomean_and_best_by_round() -> None:
    assert geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert geomean([]) is None
    results = [
        _r("a", "correct", 3.0, round_best=[None, 1.5, 3.0]),
        _r("b", "incorrect", None, round_best=[None, None, None]),
        _r("c", "correct", 0.8, round_best=[0.8, 0.8]),  # stopped early: keeps its last value
    ]
    curve = best_by_round(results)
    assert curve == pytest.approx([1.0, 1.5 ** (1 / 3), 3.0 ** (1 / 3)])
    assert all(b >= a for a, b in itertools.pairwise(curve))  # best so far never drops


def test_by_category_groups() -> None:
    results = [
        _r("a", "correct", 4.0, category="graphs"),
        _r("b", "correct", 1.0, category="graphs"),
        _r("c", "incorrect", None, category="sorting"),
    ]
    cats = by_category(results)
    assert list(cats) == ["graphs", "sorting"]
    assert cats["graphs"].geomean_speedup == pytest.approx(2.0)
    assert cats["sorting"].correctness == 0.0


def test_result_round_trips_through_json() -> None:
    r = _r("a", "correct", 2.5, ci95=(2.0, 3.0), verified=True, round_best=[None, 2.5])
    again = ProblemResult.from_json(json.loads(json.dumps(r.to_json())))
    assert again == r


# ----------------------------------------------------------------------------- small parts


def test_parse_plans_orders_by_confidence() -> None:
    reply = (
        "Some preamble.\n## Plan 1\nSort first.\nConfidence: 40\n"
        "## Plan 2\nUse a hash set.\nConfidence: 95\n### Plan 3\nNo score given."
    )
    plans = parse_plans(reply)
    assert [c for _, c in plans] == [95, 40, 0]
    assert plans[0][0] == "Use a hash set."
    assert parse_plans("just prose, no headings") == [("just prose, no headings", 0)]


def test_solo_agents_copy_the_first_agent_with_distinct_names_and_seeds() -> None:
    team = (
        AgentConfig(name="a", provider="openai", model="m", seed=7, emphasis="x"),
        AgentConfig(name="b", provider="openai", model="other"),
        AgentConfig(name="c", provider="openai", model="third"),
    )
    solo = solo_agents(team)
    assert [a.name for a in solo] == ["a#1", "a#2", "a#3"]
    assert {a.model for a in solo} == {"m"} and {a.emphasis for a in solo} == {"x"}
    assert len({a.seed for a in solo}) == 3
    unseeded = solo_agents((AgentConfig(name="h", provider="anthropic", model="m"),))
    assert unseeded[0].seed is None


def test_unknown_names_are_usage_errors() -> None:
    problems = discover(SUITE)
    with pytest.raises(UsageError, match="nope"):
        select(problems, ["nope"])
    assert [p.name for p in select(problems, ["unique_count"])] == ["unique_count"]
    with pytest.raises(UsageError, match="choose from"):
        strategies.choose(["lessonl", "magic"])
    assert strategies.choose(None) == list(strategies.DEFAULT)
    assert "lessonl_carry" in strategies.NAMES and "lessonl_carry" not in strategies.DEFAULT


def test_stored_results_are_reused_only_with_the_same_settings(tmp_path: Path) -> None:
    problem = discover(SUITE)[0]
    plan = BenchPlan(problems=[problem], strategies=["single"], report_dir=tmp_path, rounds=2)
    path = plan.result_path("single", problem.name)
    result = _r(problem.name, "correct", 2.0, settings=plan.settings(problem))
    store(path, result)
    assert load_stored(path, plan.settings(problem)) == result
    other = BenchPlan(problems=[problem], strategies=["single"], report_dir=tmp_path, rounds=3)
    assert load_stored(path, other.settings(problem)) is None
    path.write_text("{ half a file", encoding="utf-8")
    assert load_stored(path, plan.settings(problem)) is None


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", str(SUITE), "--list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing == [
        {"name": "prefix_max", "category": "scans", "language": "python"},
        {"name": "unique_count", "category": "reductions", "language": "python"},
    ]


def test_list_table_keeps_brackets_in_descriptions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Descriptions are plain text: '[lo, hi]' must not be eaten as rich markup."""
    monkeypatch.setenv("COLUMNS", "400")
    serial = Path(__file__).resolve().parents[1] / "benchmarks" / "serial"
    assert main(["bench", str(serial), "--list"]) == 0
    out = capsys.readouterr().out
    assert "For each query [lo, hi] (inclusive)" in out


def test_list_in_a_pipe_is_one_whole_line_per_problem() -> None:
    """`lessonl bench --list | ...`: every name whole (pasteable into --problems), one line
    per problem, however long the description, and `| head` ends quietly."""
    serial = Path(__file__).resolve().parents[1] / "benchmarks" / "serial"
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    out = subprocess.run(
        [sys.executable, "-m", "lessonl", "bench", str(serial), "--list"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    lines = out.splitlines()
    problems = discover(serial)
    assert len(lines) == 2 + len(problems)  # the title, the header, one line per problem
    for problem, line in zip(problems, lines[2:], strict=True):
        assert line.split()[:3] == [problem.name, problem.category, problem.language]
        assert line.endswith(problem.description)
    assert "…" not in out
    head = subprocess.run(
        f"{shlex.quote(sys.executable)} -m lessonl bench {shlex.quote(str(serial))} --list"
        " | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
    )
    assert head.stdout.startswith(str(serial)) and "Traceback" not in head.stderr


def test_log_lines_keep_brackets_and_stay_on_one_line() -> None:
    """A pair's line quotes the failure, which is code ('a[i]') that rich would take for markup,
    and may be longer than the 80 columns rich assumes for a log."""
    from rich.console import Console

    from lessonl.commands.bench import BenchProgress

    out = io.StringIO()
    view = BenchProgress(Console(file=out, width=80), total=1)
    view.pair_started("lessonl", "sliding_window_max")
    detail = "main.cpp:7:48: error: 'out' was not declared in this scope; a[i] [-fpermissive] " * 2
    view.pair_finished(_r("p", "not_compilable", None, detail=detail), skipped=False)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/1] lessonl · sliding_window_max ..."
    assert lines[1].startswith("[1/1] lessonl · sliding_window_max: not compilable (0 s): main")
    assert lines[1].endswith(detail) and len(lines) == 2


def test_missing_suite_is_a_one_line_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", str(tmp_path / "nowhere"), "--list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lessonl: ") and "no such suite folder" in err and "\n" not in err


# ----------------------------------------------------------------------------- end to end


#: The scripted model: a 100x faster variant for unique_count, a wrong one for prefix_max;
#: plausible prose for lessons, reflections, recalls and plans.
_reply = strategy_replies(
    lambda prompt: f"Reasoning first.\n{FAST}" if "def unique_count" in prompt else WRONG
)


@dataclass
class BenchRun:
    fake: FakeLLM
    report: Path
    team: Path
    requests: dict[str, list[FakeRequest]]  # model calls made by each strategy's run
    logs: dict[str, str]  # what each strategy's run printed on stderr
    data: dict[str, Any]  # the --json output of the final, all-strategy run
    final_err: str
    final_requests: int
    scratch: Path  # the temporary folder the working copies were made in


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchRun]:
    tmp = tmp_path_factory.mktemp("bench")
    with pytest.MonkeyPatch.context() as mp, FakeLLM() as fake:
        mp.setenv("LESSONL_TIMING_LOCK", str(tmp / "timing.lock"))
        scratch = tmp / "scratch"
        scratch.mkdir()
        mp.setattr(tempfile, "tempdir", str(scratch))  # where the runner makes its copies
        fake.script_fn(_reply)
        team = tmp / "team.toml"
        team.write_text(
            "[[agents]]\nname = 'a'\nprovider = 'openai'\nmodel = 'fake-a'\nseed = 7\n"
            f"base_url = '{fake.base_url}'\nmax_retries = 0\n\n"
            "[[agents]]\nname = 'b'\nprovider = 'openai'\nmodel = 'fake-b'\n"
            f"base_url = '{fake.base_url}'\nmax_retries = 0\n",
            encoding="utf-8",
        )
        report = tmp / "report"
        common = ["bench", str(SUITE), "--team", str(team), "--report", str(report)]
        common += ["--rounds", str(ROUNDS), "--json"]
        per_strategy: dict[str, list[FakeRequest]] = {}
        logs: dict[str, str] = {}
        for name in strategies.NAMES:
            start = len(fake.requests)
            code, out, err = _cli([*common, "--strategy", name])
            assert code == 0, err
            json.loads(out)  # one JSON object on stdout, nothing else
            per_strategy[name] = fake.requests[start:]
            logs[name] = err
        start = len(fake.requests)
        code, out, err = _cli([*common, "--strategy", *strategies.NAMES])
        assert code == 0, err
        yield BenchRun(
            fake=fake,
            report=report,
            team=team,
            requests=per_strategy,
            logs=logs,
            data=json.loads(out),
            final_err=err,
            final_requests=len(fake.requests) - start,
            scratch=scratch,
        )


@pytest.mark.slow
def test_every_strategy_keeps_the_fast_variant_and_rejects_the_wrong_one(
    bench_run: BenchRun,
) -> None:
    data = bench_run.data
    assert list(data["strategies"]) == list(strategies.NAMES)
    for name, s in data["strategies"].items():
        fast = s["problems"]["unique_count"]
        wrong = s["problems"]["prefix_max"]
        assert fast["outcome"] == "correct", name
        assert fast["speedup"] > 3 and fast["verified"], (name, fast)
        assert wrong["outcome"] == "incorrect" and wrong["speedup"] is None, name
        # Why: every sample's outcome, and the check's own message for the reported failure.
        assert wrong["outcomes"] == {"incorrect": wrong["samples"]}, name
        assert "running maximum differs" in wrong["detail"], (name, wrong["detail"])
        assert fast["outcomes"].get("correct", 0) >= 1 and fast["detail"] is None, name
        assert re.search(
            r"prefix_max: incorrect \(\d+ s\): test failed \(exit status 1\): n=\d+: running max",
            bench_run.logs[name],
        ), bench_run.logs[name]
        assert s["correctness"] == 0.5, name
        assert s["share_ge_2x"] == 0.5, name
        assert s["geomean_speedup"] == pytest.approx(math.sqrt(fast["speedup"]), rel=1e-3), name
        assert s["mean_speedup"] == pytest.approx((fast["speedup"] + 1) / 2, rel=1e-3), name
        assert s["geomean_verified"] == s["geomean_speedup"], name  # the one win is verified
        assert len(s["best_speedup_by_round"]) == ROUNDS, name
        assert s["best_speedup_by_round"][0] > 1.5, name
        assert s["input_tokens"] > 0 and s["output_tokens"] > 0, name
        assert s["cost_usd"] is None, name  # the fake models have no known price
        assert s["categories"]["scans"]["geomean_speedup"] == 1.0, name
        assert s["errors"] == 0, name
        # Every strategy writes the team's total of variants per round (MoA one more).
        extra = 1 if name == "moa" else 0
        assert fast["samples"] == ROUNDS * TEAM + extra, name


@pytest.mark.slow
def test_report_folder_has_json_markdown_and_plots(bench_run: BenchRun) -> None:
    stored = json.loads((bench_run.report / "results.json").read_text(encoding="utf-8"))
    assert stored["strategies"] == bench_run.data["strategies"]
    md = (bench_run.report / "report.md").read_text(encoding="utf-8")
    assert (bench_run.report / "report.md").stat().st_mode & 0o777 == 0o644  # not private
    assert (
        "| strategy | problems | correct | geomean | verified | >= 2x | mean | round 1 | round 2 |"
        in md
    )
    for name in strategies.NAMES:
        assert f"\n| {name} | 2 | 50% |" in md
    assert "| prefix_max | scans | incorrect |" in md
    failures = md.split("## Without a correct answer\n", 1)[1].split("\n## ", 1)[0]
    for name in strategies.NAMES:
        samples = bench_run.data["strategies"][name]["problems"]["prefix_max"]["samples"]
        assert (
            f"- prefix_max · {name}: incorrect ({samples} incorrect): "
            "`test failed (exit status 1): n=" in failures
        ), name
    assert "unique_count" not in failures
    assert "| reductions |" in md and "| scans |" in md
    for png in ("speedup_by_round.png", "speedup_by_category.png"):
        head = (bench_run.report / png).read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n", png
        width, height = struct.unpack(">II", head[16:24])
        assert width >= 300 and height >= 200, png
    for name in strategies.NAMES:  # one stored result per finished pair
        for problem in ("unique_count", "prefix_max"):
            stored_pair = json.loads(
                (bench_run.report / "results" / name / f"{problem}.json").read_text("utf-8")
            )
            assert stored_pair["strategy"] == name and stored_pair["problem"] == problem
    assert list(bench_run.scratch.iterdir()) == []  # the working copies are cleaned up


@pytest.mark.slow
def test_rerun_is_answered_from_stored_results(bench_run: BenchRun) -> None:
    assert bench_run.final_requests == 0
    pairs = len(strategies.NAMES) * 2
    assert bench_run.final_err.count("(stored result, skipped)") == pairs


@pytest.mark.slow
def test_without_matplotlib_the_report_is_whole_but_the_plots(
    bench_run: BenchRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """matplotlib is the optional `bench` extra: without it a rerun (answered from the stored
    results) still writes results.json and report.md, skips the plots and says so in one line."""
    report = tmp_path / "report"
    shutil.copytree(bench_run.report / "results", report / "results")
    for name in [m for m in sys.modules if m.split(".")[0] == "matplotlib"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    argv = ["bench", str(SUITE), "--team", str(bench_run.team), "--report", str(report)]
    argv += ["--rounds", str(ROUNDS), "--strategy", *strategies.NAMES, "--json"]
    code, out, err = _cli(argv)
    assert code == 0, err
    assert json.loads(out)["strategies"] == bench_run.data["strategies"]
    assert sorted(p.name for p in report.iterdir()) == ["report.md", "results", "results.json"]
    said = [line for line in err.splitlines() if "matplotlib" in line]
    assert said == ["plots skipped: matplotlib is not installed (pip install 'lessonl[bench]')"]
    md = (report / "report.md").read_text(encoding="utf-8")
    assert "pip install 'lessonl[bench]'" in md and ".png" not in md
    assert "| prefix_max | scans | incorrect |" in md


@pytest.mark.slow
def test_summary_table_is_whole_when_printed_to_a_log(bench_run: BenchRun) -> None:
    """Without --json the summary goes to stdout; in a pipe or a log rich would assume 80
    columns and cut the cells short ('strat…')."""
    argv = ["bench", str(SUITE), "--team", str(bench_run.team), "--report", str(bench_run.report)]
    code, out, _ = _cli([*argv, "--rounds", str(ROUNDS), "--strategy", *strategies.NAMES])
    assert code == 0
    assert "…" not in out
    header = next(line for line in out.splitlines() if "strategy" in line)
    for col in ("correct", "geomean", "verified", ">= 2x", "mean", "tokens", "cost", "wall"):
        assert col in header, (col, header)
    for name in strategies.NAMES:
        assert f" {name} " in out, name


def _code_prompts(reqs: list[FakeRequest]) -> list[FakeRequest]:
    return [r for r in reqs if "fenced code block" in r.prompt]


@pytest.mark.slow
def test_strategies_follow_their_methods(bench_run: BenchRun) -> None:
    reqs = bench_run.requests
    per_problem_round = TEAM  # code prompts per problem per round
    total = 2 * ROUNDS * per_problem_round

    # lessonl: both agents, a lesson per variant, lessons shown in round 2.
    code = _code_prompts(reqs["lessonl"])
    assert len(code) == total and {r.model for r in code} == {"fake-a", "fake-b"}
    taught = "membership tests on a list are linear"  # the fake's lesson (its label stripped)
    assert sum(taught in r.prompt for r in code) == total // 2  # round 2 prompts only
    assert sum("one or two sentences" in r.prompt for r in reqs["lessonl"]) == total

    # single: only the first agent's model, n distinct seeds, no lessons, no step-by-step.
    code = _code_prompts(reqs["single"])
    assert len(code) == total and {r.model for r in code} == {"fake-a"}
    assert {r.body.get("seed") for r in code} == {7, 1007}
    assert not any(taught in r.prompt or "step by step" in r.prompt for r in code)
    assert len(reqs["single"]) == total  # nothing but code prompts

    # cot: like single, with the step-by-step instruction in every prompt.
    code = _code_prompts(reqs["cot"])
    assert len(code) == total and all("step by step" in r.prompt for r in code)
    assert {r.model for r in code} == {"fake-a"}

    # reflexion: one reflection per chain between rounds, shown at the next trial.
    reflections = [r for r in reqs["reflexion"] if "Reflect on this attempt" in r.prompt]
    assert len(reflections) == 2 * TEAM * (ROUNDS - 1)
    code = _code_prompts(reqs["reflexion"])
    second = [r for r in code if "Your reflections" in r.prompt]
    assert len(second) == 2 * TEAM * (ROUNDS - 1)
    assert all("REFLECTION:" in r.prompt and "Your previous attempt" in r.prompt for r in second)
    assert any("different results" in r.prompt for r in second)  # prefix_max's feedback

    # moa: layer 2 sees every layer-1 proposal; one aggregator call per problem at the end.
    code = _code_prompts(reqs["moa"])
    assert len(code) == total + 2 and {r.model for r in code} == {"fake-a", "fake-b"}
    synth = [r for r in code if "Proposal 2" in r.prompt]
    assert len(synth) == 2 * (TEAM * (ROUNDS - 1) + 1)
    assert not any("different results" in r.prompt for r in synth)  # proposals go ungraded

    # mapcoder: recall and plan once per problem, then code, then debug with the harness.
    recall = [r for r in reqs["mapcoder"] if "Recall " in r.prompt]
    plan = [r for r in reqs["mapcoder"] if "## Plan N" in r.prompt]
    assert len(recall) == 2 and len(plan) == 2
    code = _code_prompts(reqs["mapcoder"])
    assert len(code) == total and {r.model for r in code} == {"fake-a"}
    assert sum("Implement this plan" in r.prompt for r in code) == 2 * TEAM
    debug = [r for r in code if "Your implementation of it" in r.prompt]
    assert len(debug) == 2 * TEAM * (ROUNDS - 1)
    assert any("different results" in r.prompt for r in debug)
    assert any("faster than the original" in r.prompt for r in debug)  # pushed to go faster
    assert any("Use a set." in r.prompt for r in debug)


def _broken_suite(suite: Path, names: list[str]) -> Path:
    """Copies of unique_count whose test fails for the original code itself."""
    for name in names:
        shutil.copytree(SUITE / "unique_count", suite / name)
        toml = suite / name / "lessonl.toml"
        toml.write_text(
            toml.read_text(encoding="utf-8").replace(
                'test = "{python} bench/main.py check"',
                'test = "{python} -c \\"raise SystemExit(3)\\""',
            ),
            encoding="utf-8",
        )
    return suite


def test_a_failing_pair_is_reported_and_retried_not_stored(
    tmp_path: Path, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LESSONL_TIMING_LOCK", str(tmp_path / "timing.lock"))
    suite = _broken_suite(tmp_path / "suite", ["broken"])
    team = tmp_path / "team.toml"
    team.write_text(
        "[[agents]]\nname = 'a'\nprovider = 'openai'\nmodel = 'm'\n"
        f"base_url = '{fake_llm.base_url}'\n",
        encoding="utf-8",
    )
    argv = ["bench", str(suite), "--team", str(team), "--report", str(tmp_path / "r")]
    argv += ["--strategy", "single", "--rounds", "1", "--json"]
    code, out, err = _cli(argv)
    assert code == 1
    data = json.loads(out)
    entry = data["strategies"]["single"]["problems"]["broken"]
    assert entry["outcome"] == "error" and "fails the target's test" in entry["error"]
    assert "rerun the same command" in err
    assert not (tmp_path / "r" / "results" / "single" / "broken.json").exists()
    assert fake_llm.requests == []  # the baseline is checked before any model is asked


def test_failures_in_a_row_stop_the_benchmark(
    tmp_path: Path, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LESSONL_TIMING_LOCK", str(tmp_path / "timing.lock"))
    suite = _broken_suite(tmp_path / "suite", ["b1", "b2", "b3", "b4"])
    team = tmp_path / "team.toml"
    team.write_text(
        "[[agents]]\nname = 'a'\nprovider = 'openai'\nmodel = 'm'\n"
        f"base_url = '{fake_llm.base_url}'\n",
        encoding="utf-8",
    )
    argv = ["bench", str(suite), "--team", str(team), "--report", str(tmp_path / "r")]
    code, out, err = _cli([*argv, "--strategy", "single", "--rounds", "1"])
    assert code == 2 and out == ""
    assert "3 problem x strategy pairs failed in a row" in err
    assert "[4/4]" not in err  # b4 was never started


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))
