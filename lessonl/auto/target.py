"""The automatic target: the `[[targets]]` entry a recording amounts to, and how it judges.

`test` runs the runner's `check` (every recorded call reproduced, then the tests that called
the function), `bench` its `bench` (the recorded calls, timed in one process). The harness
runs them like any hand-written target, so its copies, limits, interleaving, intervals and
noise margin apply unchanged. `to_toml` prints the entry for `lessonl target`.
"""

from __future__ import annotations

import math
import shlex
import sys
from typing import Any

from lessonl.auto.recording import DROPPED, Recording, dropped_on_replay, runner_argv
from lessonl.config import TargetConfig
from lessonl.harness import isolation

#: Below this many recorded calls, the report warns that correctness rests on few inputs.
FEW_CALLS = 6
REPS = 5


def _command(recording: Recording, command: str, rel: str, qualname: str) -> str:
    python = recording.interpreter.path
    argv = runner_argv(python, command, rel, qualname, recording.location, str(recording.folder))
    words = [shlex.quote(w) for w in argv]
    if python == sys.executable:
        words[0] = "{python}"
    return " ".join(words)


def auto_target(recording: Recording, rel: str, qualname: str) -> TargetConfig:
    bench = _command(recording, "bench", rel, qualname)
    bench += f" --loops {recording.loops} --reps {REPS}"
    return TargetConfig(
        name=f"auto-{qualname}",
        files=(rel,),
        test=_command(recording, "check", rel, qualname),
        bench=bench,
        # The check re-runs the tests that call the function: allow for a slow suite.
        timeout_s=float(max(60, math.ceil(recording.record_wall_s * 3))),
        env={"PYTHONDONTWRITEBYTECODE": "1"},
        # The sandbox hides the project folder and HOME: the commands read the recording and
        # may run the project's own interpreter, which live there.
        readable=(
            str(recording.folder),
            *(str(p) for p in isolation.interpreter_paths(recording.interpreter.path)),
        ),
    )


def verification(recording: Recording) -> dict[str, Any]:
    """The report's `verification` object for an automatic target."""
    meta = recording.meta
    left_out = {k: v for k, v in meta.get("left_out", {}).items() if v}
    examples = dict(meta.get("examples", {}))
    notes = [f"{reason}: {text}" for reason, text in examples.items() if text and ":" not in reason]
    for why, count in dropped_on_replay(meta).items():
        left_out[DROPPED[why]] = count
        if examples.get(f"dropped:{why}"):
            notes.append(f"{count} calls left out, e.g. {examples[f'dropped:{why}']}")
    if recording.fallback:
        notes.append(recording.fallback)
    if recording.generator_error:
        notes.append(f"generated inputs were wanted but not used: {recording.generator_error}")
    if meta["kept"] < FEW_CALLS:
        notes.append(
            f"only {meta['kept']} recorded calls: correctness rests on few inputs; a test "
            "calling the function on more inputs makes the verdict stronger"
        )
    return {
        "kind": "recorded_calls",
        "interpreter": recording.interpreter.path,
        "interpreter_source": recording.interpreter.source,
        "tests": list(meta["tests"]),
        "tests_collected": meta["collected"],
        "recorded_calls": meta["kept"] - meta.get("generated", 0),
        "calls_seen": meta["seen"],
        "generated_inputs": meta.get("generated", 0),
        "left_out": left_out,
        "notes": notes,
        "recording": str(recording.folder),
    }


def to_toml(target: TargetConfig, recording: Recording) -> str:
    """The entry as a user would commit it (with a note on what the recording is)."""

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    v = verification(recording)
    lines = [
        f"# Automatic target: {v['recorded_calls']} recorded calls of {target.name[5:]} "
        f"function from {len(v['tests'])} tests, run with {v['interpreter_source']}.",
        f"# The recording lives in {recording.folder} (not committed); lessonl optimize",
        "# records it anew. Edit the commands to tune the check or the timing.",
        "[[targets]]",
        f"name = {q(target.name)}",
        f"files = [{', '.join(q(f) for f in target.files)}]",
        f"test = {q(target.test)}",
        f"bench = {q(target.bench)}",
        f"timeout_s = {target.timeout_s:g}",
        "env = { " + ", ".join(f"{k} = {q(val)}" for k, val in target.env.items()) + " }",
        f"readable = [{', '.join(q(p) for p in target.readable)}]",
    ]
    return "\n".join(lines) + "\n"
