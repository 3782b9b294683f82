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
from pathlib import Path
from typing import Any

from lessonl.auto.recording import DROPPED, Recording, dropped_on_replay, runner_argv
from lessonl.auto.runner.strength import THRESHOLD
from lessonl.config import TargetConfig
from lessonl.harness import isolation

#: Below this many recorded calls, the report warns that correctness rests on few inputs.
FEW_CALLS = 6
REPS = 5


def _portable(path: str, root: Path) -> str:
    """`path` as `{project}/...` when it lies in the project (the recording, a project .venv),
    so the printed entry holds no path of this machine and can be committed."""
    try:
        inside = Path(path).resolve().relative_to(root.resolve())
    except ValueError:
        return path
    return "{project}/" + inside.as_posix()


def _command(recording: Recording, command: str, rel: str, qualname: str, root: Path) -> str:
    python = recording.interpreter.path
    argv = runner_argv(python, command, rel, qualname, recording.location, str(recording.folder))
    argv[1] = "{lessonl_runner}"
    argv[-1] = _portable(argv[-1], root)
    argv[0] = "{python}" if python == sys.executable else _portable(python, root)
    # Quoted word by word, keeping the placeholders readable (they have no shell syntax).
    return " ".join(
        w if w.startswith(("{python}", "{project}", "{lessonl")) else shlex.quote(w) for w in argv
    )


def auto_target(recording: Recording, rel: str, qualname: str, root: Path) -> TargetConfig:
    bench = _command(recording, "bench", rel, qualname, root)
    bench += f" --loops {recording.loops} --reps {REPS}"
    # lessonl's own interpreter is always readable in the sandbox; another one (the project's
    # .venv, a pyenv install) is re-exposed, by a path relative to the project when inside it.
    python = recording.interpreter.path
    others = [] if python == sys.executable else isolation.interpreter_paths(python)
    return TargetConfig(
        name=f"auto-{qualname}",
        files=(rel,),
        test=_command(recording, "check", rel, qualname, root),
        bench=bench,
        # The check re-runs the tests that call the function: allow for a slow suite.
        timeout_s=float(max(60, math.ceil(recording.record_wall_s * 3))),
        env={"PYTHONDONTWRITEBYTECODE": "1"},
        # The sandbox hides the project folder and HOME: the commands read the recording and
        # may run the project's own interpreter, which live there.
        readable=tuple(dict.fromkeys(_relative(str(p), root) for p in (recording.folder, *others))),
    )


def _relative(path: str, root: Path) -> str:
    """`readable` entries are relative to the project root (the harness resolves them)."""
    portable = _portable(path, root)
    return portable.removeprefix("{project}/") if portable != path else path


def verification(recording: Recording) -> dict[str, Any]:
    """The report's `verification` object for an automatic target."""
    meta = recording.meta
    left_out = {k: v for k, v in meta.get("left_out", {}).items() if v}
    examples = dict(meta.get("examples", {}))
    if recording.tests_left_out:  # its note quotes the first failure in words
        examples.pop("test_failure", None)
    notes = [f"{reason}: {text}" for reason, text in examples.items() if text and ":" not in reason]
    for why, count in dropped_on_replay(meta).items():
        left_out[DROPPED[why]] = count
        if examples.get(f"dropped:{why}"):
            notes.append(f"{count} calls left out, e.g. {examples[f'dropped:{why}']}")
    if recording.fallback:
        notes.append(recording.fallback)
    if recording.tests_left_out:
        notes.append(recording.tests_left_out)
    if recording.generator_error:
        notes.append(f"generated inputs were wanted but not used: {recording.generator_error}")
    if meta["kept"] < FEW_CALLS:
        notes.append(
            f"only {meta['kept']} recorded calls: correctness rests on few inputs; a test "
            "calling the function on more inputs makes the verdict stronger"
        )
    if recording.strength_error:
        notes.append(recording.strength_error)
    elif (meta.get("strength") or {}).get("coverage_error"):
        notes.append(meta["strength"]["coverage_error"])
    unstable = (meta.get("strength") or {}).get("dropped_on_replay")
    if unstable:
        notes.append(
            f"{unstable} property-based inputs dropped: the original does not give the same "
            "result on them twice"
        )
    generated = meta.get("generated", 0)
    properties = meta.get("property_inputs", 0)
    recorded = meta["kept"] - generated - properties
    coverage = meta.get("coverage")
    before = (meta.get("strength") or {}).get("before")
    name = recording.meta.get("qualname", "the function").rsplit(".", 1)[-1]
    return {
        "kind": "recorded_calls",
        "interpreter": recording.interpreter.path,
        "interpreter_source": recording.interpreter.source,
        "tests": list(meta["tests"]),
        "tests_collected": meta["collected"],
        "recorded_calls": recorded,
        "calls_seen": meta["seen"],
        "generated_inputs": generated,
        "property_inputs": properties,
        "coverage": coverage,
        "coverage_before": before,
        "coverage_threshold": THRESHOLD,
        "summary": strength_line(name, recorded, generated, properties, coverage),
        "weak": weak_line(name, meta["kept"], coverage),
        "left_out": left_out,
        "notes": notes,
        "recording": str(recording.folder),
    }


def _percent(coverage: dict[str, Any]) -> tuple[float, str]:
    if coverage.get("branches") is not None:
        return float(coverage["branches"]), "branches"
    return float(coverage["lines"]), "lines"


def strength_line(
    name: str, recorded: int, generated: int, properties: int, coverage: dict[str, Any] | None
) -> str:
    """'verified on 35 recorded + 40 generated calls covering 92% of f's branches; uncovered:
    lines 12-15': how much the verdict rests on, in the report, the CLI and the editor."""
    parts = [f"{recorded} recorded"]
    if generated:
        parts.append(f"{generated} generated")
    if properties:
        parts.append(f"{properties} property-based")
    text = f"verified on {' + '.join(parts)} calls"
    if coverage is None:
        return text + " (coverage not measured)"
    return f"{text} {_covering(name, coverage)}"


def _covering(name: str, coverage: dict[str, Any]) -> str:
    """'covering 92% of f's branches; uncovered: lines 12-15', the tail both kinds of target's
    summary end with."""
    percent, what = _percent(coverage)
    text = f"covering {percent:g}% of {name}'s {what}"
    missed = coverage.get("uncovered_lines")
    if missed:
        text += f"; uncovered: line{'s' if any(c in missed for c in ',-') else ''} {missed}"
    return text


def weak_line(name: str, inputs: int, coverage: dict[str, Any] | None) -> str | None:
    """One line when the evidence is thin (fewer than FEW_CALLS inputs, or coverage below the
    threshold): the speedup still shows, and the user reviews with open eyes."""
    if coverage is None:
        if inputs >= FEW_CALLS:
            return None
        return f"correctness rests on {inputs} inputs (coverage not measured): review the change"
    percent, what = _percent(coverage)
    if inputs >= FEW_CALLS and percent >= THRESHOLD:
        return None
    return (
        f"correctness rests on {inputs} inputs covering {percent:g}% of {name}'s {what}: "
        "review the change"
    )


def test_line(test: str, name: str, coverage: dict[str, Any] | None) -> str:
    """'judged by the target's test `...`, covering 92% of f's branches; uncovered: lines 4-5':
    `strength_line` for a hand-written target, whose evidence is its test command."""
    text = f"judged by the target's test `{test}`"
    if coverage is None:
        return text + " (coverage not measured)"
    return f"{text}, {_covering(name, coverage)}"


def test_weak_line(name: str, coverage: dict[str, Any] | None) -> str | None:
    """`weak_line` for a hand-written target: one line when its test runs less of the function
    than the threshold (nothing when coverage was not measured: the notes say why)."""
    if coverage is None:
        return None
    percent, what = _percent(coverage)
    if percent >= THRESHOLD:
        return None
    return f"the target's test covers {percent:g}% of {name}'s {what}: review the change"


def to_toml(target: TargetConfig, recording: Recording, root: Path) -> str:
    """The entry as a user would commit it (with a note on what the recording is)."""

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    v = verification(recording)
    lines = [
        f"# Automatic target: {v['recorded_calls']} recorded calls of {target.name[5:]} "
        f"function from {len(v['tests'])} tests, run with {v['interpreter_source']}.",
        f"# {v['summary']}.",
        f"# The recording lives in {_relative(str(recording.folder), root)} (not committed); "
        "lessonl optimize",
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
