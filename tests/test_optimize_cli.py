"""`lessonl optimize` as a user runs it: a subprocess, the fake LLM server, the real C++ build."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import FakeLLM
from loop_project import FAST, FILE, SAME, by_agent, make_project
from processes import StderrLines, holding_timing_lock, waiting_line

CONTRACT_KEYS = {
    "run_id",
    "target",
    "function",
    "best",
    "rounds",
    "lessons_added",
    "usage",
    "wall_s",
}


def _lessonl(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lessonl", *args],
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_json_report_and_apply(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.script_fn(by_agent({"alpha": FAST, "beta": SAME}))
    root = make_project(tmp_path, fake_llm, run="rounds = 1")
    original = (root / FILE).read_text()

    proc = _lessonl("optimize", f"{FILE}:histogram", "--json", cwd=root)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    report = json.loads(out)  # stdout is exactly one JSON object
    assert set(report) >= CONTRACT_KEYS
    assert report["function"] == "histogram" and report["target"] == "histogram"
    assert report["best"]["agent"] == "alpha" and report["best"]["speedup"] > 2
    assert set(report["best"]) >= {"speedup", "ci95", "code", "diff", "agent", "round"}
    assert report["rounds"][0]["variants"][0].keys() >= {"agent", "outcome", "speedup", "lesson_id"}
    assert set(report["usage"]) == {"input_tokens", "output_tokens", "cost_usd"}
    assert report["usage"]["input_tokens"] > 0
    # The team line names who was chosen, verbatim (rich must not eat "[[agents]]").
    assert "team: " + report["team"] in " ".join(err.split())
    assert (root / FILE).read_text() == original  # no --apply, no change

    proc = _lessonl("optimize", f"{FILE}:histogram", "--apply", "--no-cache", cwd=root)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "faster" in out
    # In a pipe the diff is printed whole (rich crops lines at 80 columns otherwise): the same
    # answer gives the same diff as the first run's report.
    printed = out.splitlines()
    assert [line for line in report["best"]["diff"].splitlines() if line not in printed] == []
    assert max(map(len, report["best"]["diff"].splitlines())) > 80  # the case that was cropped
    new = (root / FILE).read_text()
    assert new != original and "std::map" not in new.split("histogram(")[1]


def test_apply_refuses_a_file_changed_during_the_run(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.script_fn(by_agent({"alpha": FAST, "beta": SAME}))
    fake_llm.delay_s = 1.0
    root = make_project(tmp_path, fake_llm, run="rounds = 1")
    proc = _lessonl("optimize", f"{FILE}:histogram", "--apply", cwd=root)
    deadline = time.monotonic() + 120
    while not fake_llm.requests and time.monotonic() < deadline:
        time.sleep(0.1)
    edited = (root / FILE).read_text() + "\n// the user's own edit\n"
    (root / FILE).write_text(edited)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert "changed during the run; not applied" in err
    assert len(err.strip().splitlines()[-1]) < 300
    assert (root / FILE).read_text() == edited


def test_bad_usage_is_one_line_exit_2(tmp_path: Path, fake_llm: FakeLLM) -> None:
    root = make_project(tmp_path, fake_llm)
    proc = _lessonl("optimize", f"{FILE}:no_such_function", cwd=root)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert out == ""
    assert err.count("\n") == 1 and "no_such_function" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_a_wall_budget_is_a_positive_finite_number(
    tmp_path: Path, fake_llm: FakeLLM, value: str
) -> None:
    """`--max-wall-s nan` was accepted (exit 0, "no variants")."""
    root = make_project(tmp_path, fake_llm, run="rounds = 1")
    proc = _lessonl("optimize", f"{FILE}:histogram", "--max-wall-s", value, cwd=root)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert err.count("\n") == 1 and "--max-wall-s: expected a positive finite number" in err
    assert not fake_llm.requests


def test_a_directory_is_called_a_directory(tmp_path: Path, fake_llm: FakeLLM) -> None:
    root = make_project(tmp_path, fake_llm, run="rounds = 1")
    folder = Path(FILE).parent.as_posix()
    for args in (
        ("optimize", folder),
        ("optimize", f"{folder}:histogram"),
        ("evaluate", FILE, "--candidate", folder),
    ):
        proc = _lessonl(*args, cwd=root)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2 and err.count("\n") == 1, err
        assert "is a directory" in err and "no such file" not in err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_stops_at_once_and_keeps_a_partial_report(
    tmp_path: Path, fake_llm: FakeLLM, signum: signal.Signals
) -> None:
    """SIGINT (or SIGTERM: `kill`, a CI timeout, which left no report at all) while every model
    call hangs: exit 130 within seconds, the report is on disk."""
    import psutil

    fake_llm.script_fn(by_agent({"alpha": FAST, "beta": SAME}))
    fake_llm.delay_s = 60.0
    root = make_project(tmp_path, fake_llm, run="rounds = 2")
    proc = _lessonl("optimize", f"{FILE}:histogram", cwd=root)
    deadline = time.monotonic() + 120
    while len(fake_llm.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fake_llm.requests, "the run never reached the model"
    children = psutil.Process(proc.pid).children(recursive=True)
    interrupted = time.monotonic()
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=60)
    elapsed = time.monotonic() - interrupted
    assert proc.returncode == 130, err
    assert elapsed < 15, f"took {elapsed:.1f} s to stop"
    assert "cancelled" in err and "Traceback" not in err
    reports = list((root / ".lessonl" / "runs").glob("*/report.json"))
    assert len(reports) == 1
    assert json.loads(reports[0].read_text())["stopped"] == "cancelled"
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []


def test_a_wait_for_the_timing_lock_is_said(tmp_path: Path, fake_llm: FakeLLM) -> None:
    """While another process holds the machine-wide timing lock, the run says it waits and
    for whom, instead of sitting silent (in a pipe, as here, and above the live table)."""
    fake_llm.script_fn(by_agent({"alpha": SAME, "beta": SAME}))
    root = make_project(tmp_path, fake_llm, run="rounds = 1")
    lock = tmp_path / "timing.lock"
    with holding_timing_lock(lock) as holder:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lessonl", "optimize", f"{FILE}:histogram", "--json"],
            cwd=root,
            env={**os.environ, "LESSONL_TIMING_LOCK": str(lock)},
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        stderr = StderrLines(proc)
        stderr.wait_for(lambda lines: waiting_line(holder) in lines)
    code, out, lines = stderr.finish()
    assert code == 0, lines
    assert lines.count(waiting_line(holder)) == 1, lines
    assert json.loads(out)["stopped"] == "completed"
    # The run's first line names the bwrap in use and where it comes from; into a pipe no line
    # is cut at 80 columns: the team line (longer) is one line.
    assert lines[0].startswith("sandbox: "), lines
    assert lines[0].endswith(("system)", "wheel)")) or "unsandboxed" in lines[0], lines[0]
    (team,) = [x for x in lines if x.startswith("team: ")]
    assert len(team) > 80 and team.endswith("beta (openai beta)"), lines
