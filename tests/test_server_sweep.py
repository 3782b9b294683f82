"""The sweep in the editor: `lessonl.sweep` run through a real in-process server (see
tests/test_server_features.py's `InProcess`) on tests/data/sweep_pkg, with the project's team
one agent talking to the scripted fake LLM server; then `lessonl/sweepProposal` reopening a
swept function's proposal, and Cancel stopping a sweep with the finished work kept.

The projects, replies and workload are tests/test_sweep.py's (the CLI's tests of the same
sweep); here the question is what the editor gets: the answer's shape, the progress lines,
the review's proposal and the cancel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from fakes import FakeLLM
from lessonl_server.features.sweep import CMD_SWEEP, SWEEP_PROPOSAL, SWEEP_SUMMARY, SWEEPS
from test_server_features import InProcess
from test_sweep import _project, _reply

CAPS = {"window": {"workDoneProgress": True}}


def _with_team(root: Path, fake: FakeLLM) -> Path:
    (root / "lessonl.toml").write_text(
        "[[agents]]\n"
        'name = "alpha"\nprovider = "openai"\nmodel = "alpha"\n'
        f'base_url = "{fake.base_url}"\nmax_retries = 0\n',
        encoding="utf-8",
    )
    return root


async def _client() -> InProcess:
    client = InProcess(CAPS, {"rounds": 1})
    return await client.start()


def _sweep_args(root: Path, token: str) -> dict[str, Any]:
    argument = {
        "uri": root.as_uri(),
        "top": 2,
        "minShare": 0.05,
        "command": ["python", "bench.py"],
        "workDoneToken": token,
    }
    return {"command": CMD_SWEEP, "arguments": [argument]}


def _progress(client: InProcess, token: str) -> list[dict[str, Any]]:
    return [p["value"] for p in client.sent("$/progress") if p["token"] == token]


async def test_the_sweep_command_answers_like_sweep_json_and_each_function_reopens(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(_reply)
    root = _with_team(_project(tmp_path), fake_llm)
    before = {p: (root / p).read_text() for p in ("listkit/dedupe.py", "listkit/common.py")}
    client = await _client()
    answer = await client.request_within("workspace/executeCommand", _sweep_args(root, "sw"), 900)
    result = answer["result"]
    assert result is not None, client.shown()
    functions = result["functions"]
    names = [f["function"] for f in functions]
    assert sorted(names) == ["listkit/common.py:common", "listkit/dedupe.py:dedupe"]
    assert all(f["best"]["speedup"] > 1.5 and f["report"] for f in functions), functions
    assert functions[1]["lessons_from_earlier"] >= 1
    e2e = result["end_to_end"]
    assert e2e["speedup"] > 1.0 and e2e["ci95"] and e2e["tests_failed"] == 0, e2e
    assert result["sweepId"] == result["sweep_id"]
    # Nothing applied by the command.
    assert {p: (root / p).read_text() for p in before} == before

    lines = [v.get("message", "") for v in _progress(client, "sw")]
    assert lines[:2] == ["starting", "profiling `python bench.py` to choose the functions"]
    last = _progress(client, "sw")[-1]
    assert last["kind"] == "end" and last["message"].startswith("done: workload `python bench.py`")
    assert lines[-2] == "end to end: timing `python bench.py` with every winner, then tests"
    for n, name in enumerate(names, 1):
        step = f"function {n} of 2: {name}"
        assert step in lines, lines
        assert any(line.startswith(f"{step} · round 1/1") for line in lines), lines
    assert any("sweep done: workload `python bench.py`" in m for _t, m in client.shown())

    # The second function's review, from the kept sweep and its run's report.
    second = names[1]
    params = {"sweepId": result["sweepId"], "function": second, "uri": root.as_uri()}
    answer = await client.request(SWEEP_PROPOSAL, params)
    proposal = answer["result"]
    rel = second.split(":")[0]
    assert proposal["uri"] == (root / rel).as_uri()
    assert proposal["proposalId"] == functions[1]["run_id"]
    fast = "seen = set(b)" if second.endswith("common") else "dict.fromkeys(words)"
    assert fast in proposal["newText"] and proposal["edits"]
    assert proposal["report"]["best"]["speedup"] == functions[1]["best"]["speedup"]
    assert proposal["proposalId"] in client.server.jobs.proposals  # feedback is counted
    assert all(f["stale"] is None for f in functions)

    # The past sweep reopens: listed, and its summary is the command's answer.
    listed = (await client.request(SWEEPS, {"uri": root.as_uri()}))["result"]
    assert [e["sweepId"] for e in listed] == [result["sweepId"]]
    assert listed[0]["functions"] == 2 and listed[0]["faster"] == 2
    assert listed[0]["endToEnd"].startswith("workload `python bench.py`")
    again = {"sweepId": result["sweepId"], "uri": root.as_uri()}
    summary = (await client.request(SWEEP_SUMMARY, again))["result"]
    assert summary == result

    # Once the file moved on, the stored proposal no longer fits it: refused, in one line,
    # and the summary says so for that function only.
    client.open(root / rel, before[rel] + "\n# edited\n", version=3)
    answer = await client.request(SWEEP_PROPOSAL, params)
    assert "changed since the sweep began" in answer["error"]["message"]
    summary = (await client.request(SWEEP_SUMMARY, again))["result"]
    stale = {f["function"]: f["stale"] for f in summary["functions"]}
    assert stale[second] == answer["error"]["message"].removeprefix("LessonL: "), stale
    assert stale[names[0]] is None
    unknown = {**params, "function": "listkit/nope.py:nope"}
    answer = await client.request(SWEEP_PROPOSAL, unknown)
    assert answer["error"]["message"].endswith("did not optimize listkit/nope.py:nope")
    await client.server.jobs.shutdown()


async def test_cancel_stops_the_sweep_and_keeps_the_finished_functions(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(_reply)
    root = _with_team(_project(tmp_path), fake_llm)
    client = await _client()
    msg_id = 99
    client.receive(
        {"id": msg_id, "method": "workspace/executeCommand", "params": _sweep_args(root, "c")}
    )

    def answers() -> list[dict[str, Any]]:
        return [m for m in client.out.messages if m.get("id") == msg_id and "method" not in m]

    for _ in range(9000):  # the first function's run, then Cancel as the second one starts
        lines = [v.get("message", "") for v in _progress(client, "c")]
        if answers() or any(line.startswith("function 2 of 2") for line in lines):
            break
        await asyncio.sleep(0.1)
    assert not answers(), answers()
    client.notify("window/workDoneProgress/cancel", {"token": "c"})
    for _ in range(300):
        if answers():
            break
        await asyncio.sleep(0.1)
    assert answers() and answers()[0]["result"] is None, answers()
    assert _progress(client, "c")[-1] == {"kind": "end", "message": "cancelled"}
    assert any("sweep cancelled" in m and "resume" in m for _t, m in client.shown())
    state = json.loads((root / ".lessonl/sweep/state.json").read_text())
    assert len(state["done"]) == 1 and state["done"][0]["best"] is not None
    assert not client.server.jobs.running
    await client.server.jobs.shutdown()


async def test_bad_arguments_are_one_line_and_nothing_runs(tmp_path: Path) -> None:
    client = await _client()
    for argument, line in (
        ({"uri": tmp_path.as_uri(), "top": 0}, "top 0: give at least 1 function"),
        ({"uri": tmp_path.as_uri(), "minShare": 2}, "minShare 2: give a share from 0 to 1"),
    ):
        answer = await client.request(
            "workspace/executeCommand", {"command": CMD_SWEEP, "arguments": [argument]}
        )
        assert answer["result"] is None
        assert client.shown()[-1] == (1, f"LessonL: {CMD_SWEEP}: {line}")
    assert not (tmp_path / ".lessonl").exists() and not client.server.jobs.running


async def test_a_later_function_of_the_same_file_says_it_carries_the_earlier_winner(
    tmp_path: Path,
) -> None:
    """The files a finished sweep keeps (`lessonl sweep --json`'s object with `originals`, and
    each run's report.json), written as the sweep writes them; the unfinished sweep's
    state.json is read the same way."""
    (tmp_path / ".git").mkdir()
    original = "def f():\n    return 1\n\n\ndef g():\n    return 2\n"
    first = original.replace("return 1", "return 10")
    both = first.replace("return 2", "return 20")
    (tmp_path / "m.py").write_text(original, encoding="utf-8")
    runs = tmp_path / ".lessonl" / "runs"
    for run_id, text in (("r1", first), ("r2", both)):
        (runs / run_id).mkdir(parents=True)
        best = {"speedup": 2.0, "ci95": [1.8, 2.2], "new_text": text, "lessons": ["L1"]}
        report = {"run_id": run_id, "summary": f"{run_id}: 2.00x faster", "best": best}
        (runs / run_id / "report.json").write_text(json.dumps(report), encoding="utf-8")
    entries = [
        {"function": f"m.py:{name}", "file": "m.py", "best": {"speedup": 2.0}, "run_id": run_id}
        for name, run_id in (("f", "r1"), ("g", "r2"))
    ]
    kept = {"sweep_id": "s1", "done": entries, "originals": {"m.py": original}}
    (tmp_path / ".lessonl" / "sweep").mkdir()
    (tmp_path / ".lessonl" / "sweep" / "state.json").write_text(json.dumps(kept), "utf-8")
    client = await _client()
    params = {"sweepId": "s1", "function": "m.py:g", "uri": tmp_path.as_uri()}
    answer = await client.request(SWEEP_PROPOSAL, params)
    proposal = answer["result"]
    assert proposal["newText"] == both and proposal["baseVersion"] is None
    assert proposal["summary"] == "r2: 2.00x faster (includes the earlier winners in m.py: m.py:f)"
    assert len(proposal["edits"]) == 2
    first_only = await client.request(SWEEP_PROPOSAL, {**params, "function": "m.py:f"})
    assert first_only["result"]["summary"] == "r1: 2.00x faster"
    gone = await client.request(SWEEP_PROPOSAL, {**params, "sweepId": "s0"})
    assert "sweep s0 is not kept" in gone["error"]["message"]


async def test_past_sweeps_are_listed_newest_first_and_a_changed_file_is_stale(
    tmp_path: Path,
) -> None:
    """Kept sweeps written as a finished sweep writes them: listed newest first (the unfinished
    and the set-aside ones are not past sweeps; an unreadable one is listed with its error);
    the summary marks a function stale once its file changed on disk."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "m.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    folder = tmp_path / ".lessonl" / "sweep"
    folder.mkdir(parents=True)
    e2e = {"workload": "python b.py", "speedup": 1.5, "ci95": [1.4, 1.6], "pairs": 6}
    e2e |= {"clock": "wall", "tests_passed": 3, "tests_failed": 0, "note": ""}
    entry = {"function": "m.py:f", "file": "m.py", "share": 0.5, "best": {"speedup": 2.0}}
    for sweep_id in ("20261201T000000-aaaaaa", "20261203T000000-bbbbbb"):
        kept = {
            "sweep_id": sweep_id,
            "workload": "python b.py",
            "functions": [{**entry, "run_id": sweep_id}],
            "end_to_end": e2e,
            "diff": "",
            "stopped": "done",
            "originals": {"m.py": "def f():\n    return 1\n"},
            "texts": {"m.py": "def f():\n    return 2\n"},
        }
        (folder / f"{sweep_id}.json").write_text(json.dumps(kept), encoding="utf-8")
    (folder / "20261204T000000-cccccc-abandoned.json").write_text("{}", encoding="utf-8")
    (folder / "state.json").write_text(json.dumps({"sweep_id": "x", "done": []}), "utf-8")
    (folder / "20261202T000000-dddddd.json").write_text("{not json", encoding="utf-8")
    client = await _client()
    listed = (await client.request(SWEEPS, {"uri": tmp_path.as_uri()}))["result"]
    assert [e["sweepId"] for e in listed] == [
        "20261203T000000-bbbbbb",
        "20261202T000000-dddddd",
        "20261201T000000-aaaaaa",
    ]
    assert "cannot read the kept sweep" in listed[1]["error"]
    assert listed[0]["endToEnd"] == (
        "workload `python b.py` 1.50x faster (95% CI 1.40-1.60), all 3 tests pass"
    )
    params = {"sweepId": "20261203T000000-bbbbbb", "uri": tmp_path.as_uri()}
    summary = (await client.request(SWEEP_SUMMARY, params))["result"]
    assert "originals" not in summary and "texts" not in summary
    assert summary["sweepId"] == params["sweepId"] and summary["functions"][0]["stale"] is None
    (tmp_path / "m.py").write_text("def f():\n    return 3\n", encoding="utf-8")
    summary = (await client.request(SWEEP_SUMMARY, params))["result"]
    assert summary["functions"][0]["stale"].startswith("m.py changed since the sweep began")
    unfinished = await client.request(SWEEP_SUMMARY, {**params, "sweepId": "x"})
    assert "sweep x is unfinished" in unfinished["error"]["message"]
