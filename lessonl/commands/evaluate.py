"""`lessonl evaluate FILE[:FUNCTION] --candidate PATH [--target NAME] [--json]`.

Compares PATH against FILE as it is now, with the same harness the optimization loop uses.
PATH is a whole replacement of FILE, or, with `:FUNCTION`, that function alone (plus any new
helpers, types and includes), spliced into FILE as `optimize` splices a model's answer
(`regions.splice`). Exit 0 whenever it could evaluate, whatever the outcome (a slower or broken
candidate is a result, not an error); usage and configuration problems raise `LessonLError` and
become exit 2 with one line on stderr (see lessonl.cli). `--json` prints exactly one JSON
object on stdout (`Evaluation.to_json()`); progress (waiting for the machine-wide timing lock,
building, each timed pair) goes to stderr either way, so a silent minute never looks hung.

State: an evaluation keeps nothing. Its copies live under `<project>/.lessonl/build/` while it
runs (beside the project, so relative paths and the project's tools work as in a run) and are
removed at the end; a `.lessonl/` folder that the evaluation itself had to create is removed
too, so evaluating in a folder leaves it as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.text import Text

from lessonl import aio
from lessonl import run as runs
from lessonl.commands.optimize import parse_spec
from lessonl.config import language_for_path
from lessonl.errors import UsageError
from lessonl.harness import Evaluation, Harness, Outcome, Project, require_tools
from lessonl.harness.measure import clock_words
from lessonl.harness.stats import measurably_faster, measurably_slower
from lessonl.state import StateDir


def run(args: argparse.Namespace) -> int:
    file, function = parse_spec(args.file)
    candidate = Path(args.candidate)
    if candidate.is_dir():
        raise UsageError(f"--candidate {candidate} is a directory; give the candidate's file")
    try:
        text = candidate.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--candidate {candidate}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--candidate {candidate}: cannot read: {exc}") from None
    console = Console(stderr=True)

    def progress(line: str) -> None:
        console.print(Text(line), soft_wrap=True)

    # The run's door decides what judges the candidate, by the rule `optimize` uses: a
    # hand-written target, else the automatic one (recorded while the project's tests run).
    plan = runs.plan(
        runs.RunRequest(file=file, function=function, target=args.target, say=progress)
    )
    if function is not None:
        text, unused = _spliced(file, function, text)
        for line in unused:
            console.print(Text(f"warning: {line}"), soft_wrap=True)
    if plan.target is not None:
        require_tools(plan.target)
    config = plan.config
    state = StateDir(config.root)
    existed = state.path.exists()
    try:
        evaluation, target = aio.run(_evaluate(plan, text, progress))
    finally:
        if not existed:
            _remove_if_empty(state)
    if args.json:
        print(json.dumps(evaluation.to_json()))
    else:
        print(summary(evaluation, target))
    return 0


def _spliced(file: Path, function: str, candidate: str) -> tuple[str, list[str]]:
    """FILE with FUNCTION replaced by the candidate's version, by the rule `optimize` splices
    a model's answer by, and one line per part of the candidate that was not used, saying why
    (a helper another function of FILE also uses is kept as it is: evaluating the candidate
    without saying so would measure less than the user wrote). SpliceError is a one-line
    LessonLError: the candidate lacks the function, or FILE does not have it."""
    from lessonl import regions

    language = language_for_path(file)
    if language is None:
        raise UsageError(
            f"{file}: FILE:FUNCTION needs a C, C++ or Python file; give the whole file instead"
        )
    parts = regions.splice_parts(file.read_text(encoding="utf-8"), language, function, candidate)
    unused = [f"part of the candidate not used: {p.name} ({p.reason})" for p in parts.ignored]
    return parts.text, unused


def _remove_if_empty(state: StateDir) -> None:
    """Remove a `.lessonl/` holding nothing but its .gitignore and empty folders (what an
    evaluation leaves); anything else in it (another run's state) keeps it."""
    with contextlib.suppress(OSError):
        for sub in (state.build, state.runs, state.cache, state.bank):
            if sub.is_dir():
                sub.rmdir()  # fails, and keeps everything, unless empty
        if {p.name for p in state.path.iterdir()} <= {".gitignore"}:
            (state.path / ".gitignore").unlink(missing_ok=True)
            state.path.rmdir()


async def _evaluate(
    plan: runs.Plan, text: str, progress: Callable[[str], None]
) -> tuple[Evaluation, str]:
    """The candidate's evaluation and the name of the target that judged it (an automatic
    target is prepared first: no agent, so no input generator and no skeptic)."""
    prepared = await runs.prepare(plan)
    if plan.target is None:
        require_tools(prepared.target)
    rel = plan.config.relative(plan.file)
    run_id = datetime.now(UTC).strftime("eval-%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    harness = Harness(
        Project.of(prepared.config), prepared.target, run_id=run_id, on_progress=progress
    )
    async with harness:
        return await harness.evaluate({rel: text}, label="candidate"), prepared.target.name


def summary(evaluation: Evaluation, target: str) -> str:
    """A few human lines: the verdict first, then the numbers or what went wrong."""
    if evaluation.outcome == Outcome.CORRECT and evaluation.speedup is not None:
        lo, hi = evaluation.ci95 or (evaluation.speedup, evaluation.speedup)
        if measurably_faster(evaluation.ci95):
            verdict = "faster"
        elif measurably_slower(evaluation.ci95):
            verdict = "slower"
        else:
            verdict = "no measurable difference"
        clock = clock_words(evaluation.clock)
        lines = [
            f"correct, {verdict}: {evaluation.speedup:.2f}x (95% CI {lo:.2f}-{hi:.2f}) "
            f"on target {target}, by {clock}",
            f"baseline {evaluation.baseline_s:.6f} s, candidate {evaluation.candidate_s:.6f} s, "
            f"{evaluation.pairs} interleaved pairs",
        ]
        if evaluation.clock_reason:
            lines.append(f"clock: {evaluation.clock_reason}")
        if evaluation.lock_wait_s >= 0.5:
            lines.append(f"waited {evaluation.lock_wait_s:.1f} s for the machine-wide timing lock")
        if evaluation.detail:
            lines.append(evaluation.detail)
        return "\n".join(lines)
    if evaluation.outcome == Outcome.CORRECT:
        return f"correct, but not timed on target {target}\n{evaluation.detail}"
    return f"{evaluation.outcome.replace('_', ' ')} on target {target}\n{evaluation.detail}"
