"""`lessonl evaluate FILE --candidate PATH [--target NAME] [--json]`.

Compares PATH (a whole replacement of FILE) against FILE as it is now, with the same harness
the optimization loop uses. Exit 0 whenever it could evaluate, whatever the outcome (a slower
or broken candidate is a result, not an error); usage and configuration problems raise
`LessonLError` and become exit 2 with one line on stderr (see lessonl.cli). `--json` prints
exactly one JSON object on stdout (`Evaluation.to_json()`).
"""

from __future__ import annotations

import argparse
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path

from lessonl import aio
from lessonl.config import load_config
from lessonl.errors import UsageError
from lessonl.harness import Evaluation, Harness, Outcome, require_tools
from lessonl.harness.stats import measurably_faster, measurably_slower


def run(args: argparse.Namespace) -> int:
    file = Path(args.file)
    if not file.is_file():
        raise UsageError(f"{file}: no such file; give the source file the candidate replaces")
    candidate = Path(args.candidate)
    try:
        text = candidate.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--candidate {candidate}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--candidate {candidate}: cannot read: {exc}") from None
    config = load_config(file)
    target = config.target(args.target, file=file)
    rel = config.relative(file)
    if rel not in {Path(f).as_posix() for f in target.files}:
        raise UsageError(
            f"{rel} is not one of target {target.name!r}'s files ({', '.join(target.files)})"
        )
    require_tools(target)
    evaluation = aio.run(_evaluate(config, target, rel, text))
    if args.json:
        print(json.dumps(evaluation.to_json()))
    else:
        print(summary(evaluation, target.name))
    return 0


async def _evaluate(config: object, target: object, rel: str, text: str) -> Evaluation:
    run_id = datetime.now(UTC).strftime("eval-%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    async with Harness(config, target, run_id=run_id) as harness:  # type: ignore[arg-type]
        await harness.baseline()
        return await harness.evaluate({rel: text}, label="candidate")


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
        return (
            f"correct, {verdict}: {evaluation.speedup:.2f}x (95% CI {lo:.2f}-{hi:.2f}) "
            f"on target {target}\n"
            f"baseline {evaluation.baseline_s:.6f} s, candidate {evaluation.candidate_s:.6f} s, "
            f"{evaluation.pairs} interleaved pairs"
        )
    return f"{evaluation.outcome.replace('_', ' ')} on target {target}\n{evaluation.detail}"
