"""One real round with the embedded local model (Qwen2.5-Coder-0.5B): the default team of a
fresh machine, end to end. Skipped, with the reason, when the `local` extra is absent."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import psutil
import pytest
from fakes import FakeLLM
from loop_project import FILE, make_project

from lessonl.config import load_config
from lessonl.run import RunRequest, execute, plan

OUTCOMES = {"correct", "incorrect", "not_compilable", "timeout", "crashed"}


@pytest.mark.local_model
@pytest.mark.slow
def test_one_round_with_the_local_team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    with FakeLLM() as unused:  # only to satisfy make_project's signature; no agents point at it
        root = make_project(
            tmp_path,
            unused,
            agents=(),
            run="rounds = 1\ncode_max_tokens = 600\nlesson_max_tokens = 120",
        )
    report = asyncio.run(
        execute(plan(RunRequest(root / FILE, "histogram", config=load_config(root))))
    )

    data = json.loads((root / ".lessonl" / "runs" / report.run_id / "report.json").read_text())
    assert data["stopped"] == "completed"
    assert "local" in data["team"].lower()
    variants = data["rounds"][0]["variants"]
    assert len(variants) == 3
    assert all(v["outcome"] in OUTCOMES for v in variants), variants
    assert data["lessons_added"] == 3
    assert data["usage"]["output_tokens"] > 0
    if data["best"] is not None:
        assert data["best"]["speedup"] > 1.0 and data["best"]["diff"]
    # The shared local server is stopped with the team: no process is left behind.
    leftovers = [p for p in psutil.Process().children(recursive=True) if p.is_running()]
    assert not leftovers
