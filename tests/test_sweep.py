"""`lessonl sweep` through the real CLI on tests/data/sweep_pkg (copied to a temporary folder):
two deliberately quadratic functions, `dedupe` and `common`, and a workload (`python bench.py`)
that runs both. The team is a `--team` file whose one agent talks to the fake LLM server; its
replies are real Python that the harness builds, checks against the recorded calls and times;
the end-to-end check times the real workload in two real copies and runs the real tests."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from fakes import FakeLLM, FakeRequest
from fakes.strategies import NO_DOUBT, is_skeptic_request
from loop_project import is_lesson_request

from lessonl.sweep import choose, pytest_counts

DATA = Path(__file__).resolve().parent / "data"

FAST_DEDUPE = '''```python
def dedupe(words):
    """The words without repeats, each kept at its first occurrence, in order."""
    return list(dict.fromkeys(words))
```'''

FAST_COMMON = '''```python
def common(a, b):
    """The items of `a` that are also in `b`, in `a`'s order (repeats kept)."""
    seen = set(b)
    return [x for x in a if x in seen]
```'''

LESSON = "Membership tests on a list are linear: look items up in a set or a dict instead."


def _is_code_for(req: FakeRequest, name: str) -> bool:
    return (
        not is_lesson_request(req)
        and not is_skeptic_request(req)
        and f"The function to optimize, `{name}`" in req.prompt
    )


def _reply(req: FakeRequest) -> str:
    if is_lesson_request(req):
        return LESSON
    if is_skeptic_request(req):
        return NO_DOUBT
    return FAST_COMMON if _is_code_for(req, "common") else FAST_DEDUPE


def _project(tmp: Path) -> Path:
    root = tmp / "sweep_pkg"
    shutil.copytree(
        DATA / "sweep_pkg", root, ignore=shutil.ignore_patterns(".lessonl", "__pycache__")
    )
    return root


def team_file(tmp: Path, fake: FakeLLM) -> Path:
    """A team of one agent on the scripted fake (also used by tests/test_sweep_native.py)."""
    path = tmp / "team.toml"
    path.write_text(
        "[[agents]]\n"
        'name = "alpha"\nprovider = "openai"\nmodel = "alpha"\n'
        f'base_url = "{fake.base_url}"\nmax_retries = 0\n',
        encoding="utf-8",
    )
    return path


def _sweep(root: Path, team: Path, *extra: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lessonl",
            "sweep",
            "--top",
            "2",
            "--min-share",
            "0.05",
            "--rounds",
            "1",
            "--team",
            str(team),
            *extra,
            "--",
            "python",
            "bench.py",
        ],
        cwd=root,
        text=True,
        capture_output=True,
        timeout=900,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_a_sweep_optimizes_both_functions_and_the_lesson_carries_over(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(_reply)
    root = _project(tmp_path)
    before = {p: (root / p).read_text() for p in ("listkit/dedupe.py", "listkit/common.py")}
    code, out, err = _sweep(root, team_file(tmp_path, fake_llm), "--json")
    assert code == 0, err
    result = json.loads(out)
    functions = result["functions"]
    names = [f["function"] for f in functions]
    assert sorted(names) == ["listkit/common.py:common", "listkit/dedupe.py:dedupe"]
    for f in functions:
        assert f["best"] is not None and f["best"]["speedup"] > 1.5, f
        assert (root / f["report"]).is_file()
        assert 0.05 <= f["share"] <= 1
        assert f["tokens"] > 0
    # The second function's first prompt carries the first one's lesson, labelled with it.
    first, second = (n.split(":")[1] for n in names)
    first_file = names[0].split(":")[0]
    prompt = next(r.prompt for r in fake_llm.requests if _is_code_for(r, second))
    assert LESSON in prompt
    assert f"(about `{first}` in {first_file}, not the code below)" in prompt
    assert functions[1]["lessons_from_earlier"] >= 1 and functions[0]["lessons_from_earlier"] == 0
    e2e = result["end_to_end"]
    assert e2e["workload"] == "python bench.py"
    assert e2e["speedup"] > 1.5 and e2e["ci95"][0] > 1.0, e2e
    assert (e2e["tests_passed"], e2e["tests_failed"]) == (12, 0)
    assert "+    return list(dict.fromkeys(words))" in result["diff"]
    assert "+    seen = set(b)" in result["diff"]
    # Nothing applied without --apply; the finished sweep is kept, its state file gone.
    assert {p: (root / p).read_text() for p in before} == before
    assert (root / ".lessonl" / "sweep" / f"{result['sweep_id']}.json").is_file()
    assert not (root / ".lessonl" / "sweep" / "state.json").exists()


def test_apply_refuses_when_a_file_changed_during_the_sweep(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = _project(tmp_path)
    edited = "# the user's edit\n"

    def reply(req: FakeRequest) -> str:
        if _is_code_for(req, "common") or _is_code_for(req, "dedupe"):
            # The user edits a file while the sweep runs (after its start).
            path = root / "listkit" / "dedupe.py"
            if not path.read_text().startswith(edited):
                path.write_text(edited + path.read_text())
        return _reply(req)

    fake_llm.script_fn(reply)
    code, _out, err = _sweep(root, team_file(tmp_path, fake_llm), "--apply")
    assert code == 1, err
    assert err.splitlines()[-1] == (
        "lessonl: listkit/dedupe.py changed since the sweep began; nothing applied (the "
        "combined diff is in .lessonl/sweep/" + _sweep_id(root) + ".json)"
    )
    assert (root / "listkit/dedupe.py").read_text().startswith(edited)
    assert (root / "listkit/common.py").read_text() == (
        DATA / "sweep_pkg/listkit/common.py"
    ).read_text()


def test_apply_writes_every_winner_and_a_budget_stop_resumes(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(_reply)
    root = _project(tmp_path)
    team = team_file(tmp_path, fake_llm)
    # A token budget the first function's run spends: the sweep stops before the second,
    # keeps its state, and says so.
    code, out, err = _sweep(root, team, "--max-tokens", "50")
    assert code == 0, err
    assert "sweep stopped before" in err and "budget:max_tokens" in err
    state = json.loads((root / ".lessonl/sweep/state.json").read_text())
    assert len(state["done"]) == 1
    done = state["done"][0]["function"]
    asked = len(fake_llm.requests)
    # Re-run: resumes with the finished function kept (never asked about again), then applies.
    code, out, err = _sweep(root, team, "--apply")
    assert code == 0, err
    assert "resuming sweep" in err and "1 of 2 functions already done" in err
    done_name = done.split(":")[1]
    assert not any(_is_code_for(r, done_name) for r in fake_llm.requests[asked:])
    assert "all 12 tests pass" in out
    assert "return list(dict.fromkeys(words))" in (root / "listkit/dedupe.py").read_text()
    assert "seen = set(b)" in (root / "listkit/common.py").read_text()
    assert "applied to listkit/common.py, listkit/dedupe.py" in err


def test_ctrl_c_keeps_the_finished_function_and_running_again_resumes(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(_reply)
    root = _project(tmp_path)
    team = team_file(tmp_path, fake_llm)
    argv = [sys.executable, "-m", "lessonl", "sweep", "--top", "2", "--rounds", "1"]
    argv += ["--team", str(team), "--", "python", "bench.py"]
    proc = subprocess.Popen(
        argv, cwd=root, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "[2/2] optimizing" in line:
            proc.send_signal(signal.SIGINT)  # Ctrl-C during the second function's run
            break
    _out, rest = proc.communicate(timeout=300)
    err = "".join(seen) + rest
    assert proc.returncode == 130, err
    assert err.splitlines()[-1] == (
        "cancelled; the finished functions are kept in .lessonl/sweep/state.json: run the "
        "same command again to resume"
    )
    state = json.loads((root / ".lessonl/sweep/state.json").read_text())
    assert len(state["done"]) == 1 and state["done"][0]["best"] is not None
    code, out, err = _sweep(root, team, "--json")
    assert code == 0, err
    assert "1 of 2 functions already done" in err
    result = json.loads(out)
    assert [f["function"] for f in result["functions"]] == [p["function"] for p in state["plan"]]
    assert all(f["best"] is not None for f in result["functions"])
    assert result["end_to_end"]["tests_failed"] == 0


def _sweep_id(root: Path) -> str:
    (kept,) = [p for p in (root / ".lessonl/sweep").glob("*.json") if p.name != "state.json"]
    return kept.stem


def test_pytest_summary_counts() -> None:
    assert pytest_counts("....\n12 passed in 1.2s\n") == (12, 0)
    assert pytest_counts("F.\n1 failed, 3 passed, 2 errors in 0.5s\n") == (3, 3)


def test_only_optimizable_functions_with_enough_share_are_chosen() -> None:
    from lessonl.hotspots import Hotspot

    def h(name: str, share: float, ok: bool = True) -> Hotspot:
        return Hotspot(name, "m.py", 1, 0.1, 0.1, 1, share, ok, None if ok else "a generator")

    spots = [h("a", 0.9, False), h("b", 0.5), h("c", 0.2), h("d", 0.01)]
    assert [x.function for x in choose(spots, 5, 0.05)] == ["b", "c"]
    assert [x.function for x in choose(spots, 1, 0.05)] == ["b"]


def test_the_wall_clock_budget_covers_the_profile_and_the_end_to_end_check(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """`--max-wall-s` is the whole sweep's: a budget the profile alone spends leaves no
    function a run, and the end-to-end check is skipped with the reason, not overrun."""
    fake_llm.script_fn(_reply)
    root = _project(tmp_path)
    code, out, err = _sweep(root, team_file(tmp_path, fake_llm), "--max-wall-s", "0.1", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["functions"] == [] and result["stopped"] == "budget:max_wall_s", result
    assert "sweep stopped before" in err and "budget:max_wall_s" in err
    assert not fake_llm.requests
    e2e = result["end_to_end"]
    assert e2e["speedup"] is None and "budget (max_wall_s)" in e2e["note"], e2e
    state = json.loads((root / ".lessonl/sweep/state.json").read_text())
    assert state["spent_wall_s"] > 0.1  # the profile's time, kept for a resumed sweep


async def test_the_end_to_end_check_stops_where_the_budget_ends(tmp_path: Path) -> None:
    """With winners to check but no time left, neither the timing nor the tests run (the
    combination is then untested, so `--apply` refuses it)."""
    from lessonl.auto.project import choose_interpreter
    from lessonl.config import load_config
    from lessonl.hotspots import workload_for
    from lessonl.sweep import SweepRequest, end_to_end_check

    root = _project(tmp_path)
    config = load_config(root, required=False)
    request = SweepRequest(
        config=config,
        workload=workload_for(["python", "bench.py"]),
        interpreter=choose_interpreter(root, None, setting_name="--interpreter"),
    )
    rel = "listkit/dedupe.py"
    original = (root / rel).read_text()
    fast = original.replace("def dedupe", "def dedupe_unused")  # any change: a winner to check
    e2e = await end_to_end_check(request, {rel: original}, {rel: fast}, wall_left=0.0)
    assert e2e.speedup is None and e2e.tests_passed is None
    assert e2e.note.startswith("the timing skipped: the sweep's wall-clock budget"), e2e.note
    assert "the tests skipped" in e2e.note
