"""`lessonl bench`: the `lessonl_transfer` arm and the paired comparison of arms.

The transfer part runs the real CLI on tests/data/bench_suite (two tiny Python problems) against
the loopback fake LLM server with the real harness, one agent and one round, so each pair makes
one code prompt and one lesson: the fake's lesson names the problem it came from ("marker
unique_count"), which lets the test read in a transfer pair's round-0 prompt whose lessons its
bank started with. The paired comparison is checked on hand-built results.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from fakes import FakeLLM, FakeRequest
from test_bench import FAST, SUITE, WRONG, _cli

from lessonl.bench import strategies
from lessonl.bench.metrics import LOST, TIED, WON, ProblemResult, compare, paired
from lessonl.bench.report import markdown, paired_line

PROBLEMS = ("unique_count", "prefix_max")


def _marker(problem: str) -> str:
    return f"marker {problem}"


def _reply(req: FakeRequest) -> str:
    """Code: the fast variant for unique_count, a wrong one for prefix_max. A lesson: one
    sentence naming the problem whose code the lesson prompt shows."""
    p = req.prompt
    if "fenced code block" in p:
        return FAST if "def unique_count" in p else WRONG
    problem = "unique_count" if "def unique_count" in p else "prefix_max"
    return f"LESSON: a set helps, {_marker(problem)}."


def _code_prompts(reqs: list[FakeRequest]) -> list[str]:
    return [r.prompt for r in reqs if "fenced code block" in r.prompt]


def _skipped(err: str) -> set[str]:
    """The 'strategy · problem' pairs a run answered from stored results."""
    return {
        line.split("] ", 1)[1].split(":", 1)[0]
        for line in err.splitlines()
        if "(stored result, skipped)" in line
    }


def test_transfer_starts_from_the_other_problems_lessons_and_resumes(
    tmp_path: Path, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LESSONL_TIMING_LOCK", str(tmp_path / "timing.lock"))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    fake_llm.script_fn(_reply)
    team = tmp_path / "team.toml"
    team.write_text(
        "[[agents]]\nname = 'a'\nprovider = 'openai'\nmodel = 'fake-a'\n"
        f"base_url = '{fake_llm.base_url}'\nmax_retries = 0\n",
        encoding="utf-8",
    )
    report = tmp_path / "report"
    argv = ["bench", str(SUITE), "--team", str(team), "--report", str(report), "--rounds", "1"]
    argv += ["--strategy", "lessonl_transfer", "--json"]

    code, out, err = _cli(argv)
    assert code == 0, err
    assert "added lessonl" in err.splitlines()[0]  # said once, before any pair
    data = json.loads(out)
    assert list(data["strategies"]) == ["lessonl", "lessonl_transfer"]

    # lessonl ran first, on a fresh bank (no lesson in its prompts); then the transfer pairs,
    # each seeded with the other problem's lesson and never its own problem's.
    prompts = _code_prompts(fake_llm.requests)
    assert len(prompts) == 4
    assert not any("marker" in p for p in prompts[:2])
    transfer = {
        ("unique_count" if "def unique_count" in p else "prefix_max"): p for p in prompts[2:]
    }
    assert set(transfer) == set(PROBLEMS)
    assert _marker("prefix_max") in transfer["unique_count"]
    assert _marker("unique_count") not in transfer["unique_count"]
    assert _marker("unique_count") in transfer["prefix_max"]
    assert _marker("prefix_max") not in transfer["prefix_max"]
    # ... labelled as learned on the other function, so the model does not take it for this one
    assert "(about `prefix_max` in " in transfer["unique_count"]
    assert "(about `unique_count` in " in transfer["prefix_max"]

    for problem in PROBLEMS:
        entry = data["strategies"]["lessonl_transfer"]["problems"][problem]
        assert (entry["warm_lessons"], entry["round0_lessons"]) == (1, 1), entry
        source = data["strategies"]["lessonl"]["problems"][problem]
        assert (source["warm_lessons"], source["round0_lessons"]) == (None, 0), source
        assert "lessons" not in source  # the lessons stay in the stored pair JSON
        stored = json.loads((report / "results" / "lessonl" / f"{problem}.json").read_text())
        assert [les["text"] for les in stored["lessons"]] == [f"a set helps, {_marker(problem)}."]
        stored_transfer = (report / "results" / "lessonl_transfer" / f"{problem}.json").read_text()
        assert json.loads(stored_transfer)["warm_lessons"] == 1
    assert '"lessons"' not in (report / "results.json").read_text()
    md = (report / "report.md").read_text(encoding="utf-8")
    assert "## Warm banks" in md
    assert "- unique_count · lessonl_transfer: started with 1 lessons" in md

    # A rerun is answered from the stored results; its summary ends with the paired comparison.
    before = len(fake_llm.requests)
    code, out, err = _cli(argv[:-1])
    assert code == 0, err
    assert len(fake_llm.requests) == before
    assert len(_skipped(err)) == 4
    comparison = data["paired"][0]
    assert (comparison["a"], comparison["b"], comparison["n_problems"]) == (
        "lessonl",
        "lessonl_transfer",
        2,
    )
    assert f"  {paired_line(comparison)}" in out.splitlines()

    # A lessonl result from before lessons were kept is rerun; that changes prefix_max's warm
    # lessons (a new lesson of unique_count), so its transfer pair reruns, and unique_count's
    # (prefix_max's lessons, unchanged) does not.
    old = report / "results" / "lessonl" / "unique_count.json"
    record = json.loads(old.read_text(encoding="utf-8"))
    del record["lessons"]
    old.write_text(json.dumps(record), encoding="utf-8")
    code, out, err = _cli(argv)
    assert code == 0, err
    assert _skipped(err) == {"lessonl · prefix_max", "lessonl_transfer · unique_count"}
    prompts = _code_prompts(fake_llm.requests[before:])
    assert len(prompts) == 2
    assert "def unique_count" in prompts[0] and "marker" not in prompts[0]
    assert "def prefix_max" in prompts[1] and _marker("unique_count") in prompts[1]
    assert "lessons" in json.loads(old.read_text(encoding="utf-8"))


def test_transfer_is_an_extra_arm() -> None:
    assert "lessonl_transfer" in strategies.NAMES
    assert "lessonl_transfer" not in strategies.DEFAULT
    assert strategies.with_sources(["single", "lessonl_transfer"])[0] == [
        "lessonl",
        "single",
        "lessonl_transfer",
    ]
    assert strategies.with_sources(["lessonl_transfer", "lessonl"]) == (
        ["lessonl_transfer", "lessonl"],
        None,
    )


# ----------------------------------------------------------------------------- paired


def _r(
    problem: str, strategy: str, speedup: float | None, ci: tuple[float, float] | None
) -> ProblemResult:
    r = ProblemResult(
        problem=problem, strategy=strategy, category="c", language="python", outcome="incorrect"
    )
    if speedup is not None:
        r.set_answer(speedup, ci, agent="a", round=0, code="")
    return r


def test_paired_comparison_counts_only_measurable_differences() -> None:
    a = [
        _r("p1", "a", 3.0, (2.8, 3.2)),  # vs 1.5 [1.4, 1.6]: won
        _r("p2", "a", 1.5, (1.3, 1.7)),  # vs 1.6 [1.5, 1.7]: the intervals overlap, tied
        _r("p3", "a", None, None),  # incorrect, [1, 1] vs 2.0 [1.9, 2.1]: lost
        _r("p4", "a", 0.7, (0.6, 0.8)),  # slower than the original: [1, 1], as incorrect: tied
        _r("p5", "a", 1.3, (1.2, 1.4)),  # vs an error, [1, 1]: won
        _r("only_a", "a", 9.0, (8.0, 10.0)),  # b did not run it: left out
    ]
    b = [
        _r("p1", "b", 1.5, (1.4, 1.6)),
        _r("p2", "b", 1.6, (1.5, 1.7)),
        _r("p3", "b", 2.0, (1.9, 2.1)),
        _r("p4", "b", None, None),
        ProblemResult(problem="p5", strategy="b", category="c", language="python", outcome="error"),
    ]
    assert [compare(x, y) for x, y in zip(a, b, strict=False)] == [WON, TIED, LOST, TIED, WON]
    (c,) = paired({"a": a, "b": b, "c": []})  # no common problem with c: no comparison
    assert c.to_json() == {
        "a": "a",
        "b": "b",
        "n_problems": 5,
        "won": 2,
        "lost": 1,
        "tied": 2,
        "problems": {"p1": WON, "p2": TIED, "p3": LOST, "p4": TIED, "p5": WON},
    }
    assert c.line() == "a vs b: won 2, lost 1, tied 2 of 5"
    assert compare(b[0], a[0]) == LOST  # the mirror


def test_paired_comparison_is_in_results_json_and_report_md(tmp_path: Path) -> None:
    from lessonl.bench import report
    from lessonl.bench.suite import discover

    problems = discover(SUITE)
    results = {
        "lessonl": [
            _r("unique_count", "lessonl", 3.0, (2.8, 3.2)),
            _r("prefix_max", "lessonl", None, None),
        ],
        "single": [
            _r("unique_count", "single", 1.0, (0.95, 1.05)),
            _r("prefix_max", "single", None, None),
        ],
    }
    data = report.build(SUITE, tmp_path, problems, results)
    assert data["paired"] == [
        {
            "a": "lessonl",
            "b": "single",
            "n_problems": 2,
            "won": 1,
            "lost": 0,
            "tied": 1,
            "problems": {"unique_count": WON, "prefix_max": TIED},
        }
    ]
    md = markdown(data, plots=False)
    assert "## Paired comparison" in md
    assert "| lessonl vs single | 1 | 0 | 1 | 2 |" in md
    assert "- lessonl vs single: won 1, lost 0, tied 1 of 2" in md
