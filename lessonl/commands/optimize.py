"""`lessonl optimize FILE[:FUNCTION]`: run the team, show progress, print and optionally apply.

Progress goes to stderr (a live rich table on a terminal, one line per event otherwise) so that
`--json` keeps stdout to exactly one JSON object. `--apply` writes the winner only if FILE is
byte-identical to what the run started from: a user who edited the file meanwhile loses nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from lessonl import aio
from lessonl import run as runs
from lessonl.atomic import write_text
from lessonl.bank import LessonBank
from lessonl.config import parse_agents_file
from lessonl.errors import Conflict, UsageError
from lessonl.events import (
    AgentFailed,
    AgentRequesting,
    Event,
    LessonAdded,
    RoundFinished,
    RoundStarted,
    RunFinished,
    RunStarted,
    VariantEvaluated,
    Waiting,
)
from lessonl.report import RunReport
from lessonl.run import Overrides
from lessonl.state import StateDir

#: The colon that ends FILE in FILE:FUNCTION: the last one that is not half of a C++ `::`
#: (`src/shapes.hpp:geo::Polygon::area`).
_SPEC_COLON = re.compile(r"(?<!:):(?!:)")


def parse_spec(spec: str) -> tuple[Path, str | None]:
    """Split FILE[:FUNCTION]; a path that exists as given wins over a colon split."""
    colons = [m.start() for m in _SPEC_COLON.finditer(spec)]
    if Path(spec).exists() or not colons:
        path, function = Path(spec), None
    else:
        head, tail = spec[: colons[-1]], spec[colons[-1] + 1 :]
        path, function = Path(head), (tail or None)
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give a source file (FILE or FILE:FUNCTION)")
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    return path, function


class ProgressView:
    """Renders loop events: a live table on a terminal, plain lines elsewhere (CI, pipes)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live: Live | None = None
        self.agents: dict[str, str] = {}
        self.round = "starting"
        self.best: float | None = None

    def __enter__(self) -> ProgressView:
        if self.console.is_terminal:
            self.live = Live(self._render(), console=self.console, transient=True)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            # Text, not markup: the description names "[[agents]]", which markup would eat.
            # The run's header: where model-written code will run, then who writes it.
            if event.sandbox:
                self.console.print(Text.assemble(("sandbox: ", "bold"), event.sandbox))
            self.console.print(Text.assemble(("team: ", "bold"), event.team))
            self.agents = dict.fromkeys(event.agents, "waiting")
        elif isinstance(event, RoundStarted):
            self.round = f"round {event.round + 1}/{event.rounds}"
            self.agents = dict.fromkeys(self.agents, "waiting")
        elif isinstance(event, AgentRequesting):
            self.agents[event.agent] = "writing a variant"
        elif isinstance(event, VariantEvaluated):
            outcome = event.outcome.replace("_", " ")
            if event.speedup is not None:
                outcome += f" {event.speedup:.2f}x"
            self.agents[event.agent] = f"{outcome}; writing its lesson"
        elif isinstance(event, LessonAdded):
            self.agents[event.agent] = self.agents[event.agent].replace(
                "writing its lesson", f"lesson {event.lesson_id}"
            )
        elif isinstance(event, AgentFailed):
            self.agents[event.agent] = f"failed: {event.error}"
        elif isinstance(event, RoundFinished):
            self.best = event.best_speedup
        elif isinstance(event, Waiting) and self.live is not None:
            # Above the table, which has no row for it: it explains why nothing moves.
            self.console.print(event.message(), highlight=False, markup=False)
        if self.live is not None:
            self.live.update(self._render())
        elif not isinstance(event, RunStarted | RunFinished):
            self.console.print(event.message(), highlight=False, markup=False)

    def _render(self) -> Table:
        best = f"{self.best:.2f}x" if self.best is not None else "-"
        table = Table(title=f"LessonL · {self.round} · best so far {best}", title_justify="left")
        table.add_column("agent")
        table.add_column("state")
        for name, state in self.agents.items():
            table.add_row(Text(name), Text(state))
        return table


def judged_by(verification: dict[str, Any] | None) -> str:
    """One line on how correctness was judged, printed beside the speedup."""
    if not verification:
        return ""
    if verification.get("kind") == "recorded_calls":
        tests = len(verification["tests"])
        left = sum(verification["left_out"].values())
        text = (
            f"judged by {verification['recorded_calls']} recorded calls and the {tests} "
            f"tests that make them, with {verification['interpreter_source']}"
        )
        text += f" ({left} calls left out: see the report)" if left else ""
        if verification.get("summary"):  # before issue 29's fields, a report had none
            text += f"; {verification['summary']}"
        return text
    if verification.get("summary"):  # a hand-written target's, with its coverage (issue 29)
        return str(verification["summary"])
    return f"judged by the target's test: {verification.get('test', '')}"


def skeptic_line(report: RunReport) -> str:
    """What the skeptic made of the winner, in one line ('' when it had no say: a hand-written
    target, or `[run] skeptic` off). A winner the skeptic could not attack is proposed on the
    tests' evidence alone, and the user must see that beside it, not only in the report's
    notes: on toolz the local model's input generator failed for every would-be winner."""
    best = report.best
    if best is None:
        return ""
    for record in report.rounds:
        for variant in record.variants:
            if variant.round != best.round or variant.agent != best.agent:
                continue
            verdict = variant.skeptic or {}
            if verdict.get("status") == "passed":
                return (
                    f"skeptic: it matched the original on all {verdict.get('inputs', 0)} "
                    "inputs the skeptic chose to tell them apart"
                )
            if verdict.get("status") == "dropped":
                why = str(verdict.get("detail", "")).removeprefix("skeptic dropped: ")
                return (
                    "skeptic: it could not attack this variant, which rests on the tests' "
                    f"evidence above alone ({why})"
                )
    return ""


def _print_result(report: RunReport, console: Console, lesson_texts: dict[str, str]) -> None:
    """The winner, its diff and its lessons. On a terminal the diff is highlighted and long
    lines wrap; in a pipe or a file every line is printed whole and unwrapped (rich would crop
    the diff at 80 columns), so the output can be read back or applied as a patch."""
    plain = not console.is_terminal
    console.print(Text(report.summary, style="bold"), soft_wrap=plain)
    if report.verification:
        console.print(Text(judged_by(report.verification)), soft_wrap=plain)
    if report.best is not None and report.best.chosen_because:
        console.print(Text(f"chosen: {report.best.chosen_because}"), soft_wrap=plain)
    if skeptic := skeptic_line(report):
        console.print(Text(skeptic), soft_wrap=plain)
    if report.best is not None:
        if plain:
            console.print(Text(report.best.diff.rstrip("\n")), soft_wrap=True)
        else:
            console.print(
                Syntax(
                    report.best.diff,
                    "diff",
                    theme="ansi_dark",
                    background_color="default",
                    word_wrap=True,
                )
            )
        if report.best.lessons:
            lines = [Text("Lessons shown to the winning agent:", style="bold")]
            lines += [
                Text(f"  [{i}] {lesson_texts.get(i, '(forgotten)')}") for i in report.best.lessons
            ]
            console.print(Group(*lines), soft_wrap=plain)
    for err in report.errors:
        console.print(Text.assemble(("warning: ", "yellow"), err), soft_wrap=plain)
    console.print(f"report: .lessonl/runs/{report.run_id}/report.json", highlight=False)


def write_if_unchanged(path: Path, expected: str, new_text: str) -> None:
    """Replace `path` atomically with `new_text`, only if it still holds `expected`."""
    current = path.read_text(encoding="utf-8")
    if current != expected:
        raise Conflict(
            f"{path} changed during the run; not applied (the proposal is in the run report)"
        )
    write_text(path, new_text)  # keeps the file's mode


def overrides(args: argparse.Namespace) -> Overrides:
    """The flags that override `[run]`, each named as the user typed it for its error."""
    return Overrides.of(
        {
            "rounds": (args.rounds, "--rounds"),
            "lessons_per_prompt": (args.lessons, "--lessons"),
            "sequential": (True if args.sequential else None, "--sequential"),
            "carry_forward": (True if args.carry_forward else None, "--carry-forward"),
            "cache": (False if args.no_cache else None, "--no-cache"),
            "max_wall_s": (args.max_wall_s, "--max-wall-s"),
            "max_tokens": (args.max_tokens, "--max-tokens"),
            "max_cost_usd": (args.max_cost_usd, "--max-cost-usd"),
        },
        fix="fix the flag",
    )


def run(args: argparse.Namespace) -> int:
    path, function = parse_spec(args.spec)
    original = path.read_text(encoding="utf-8")
    console = Console(stderr=True)
    # Into a file or a pipe rich assumes 80 columns and would cut every longer line in two (a
    # grep then finds half of it): there, one line stays one line.
    console.soft_wrap = not console.is_terminal

    def say(line: str) -> None:
        console.print(Text(line), highlight=False)

    view = ProgressView(console)
    plan = runs.plan(
        runs.RunRequest(
            file=path,
            function=function,
            target=args.target,
            overrides=overrides(args),
            source=original,
            interpreter=args.interpreter,
            on_event=view,
            say=say,
            agents=parse_agents_file(Path(args.team)) if args.team else None,
            agents_source=f"{args.team} (--team)" if args.team else None,
        )
    )
    config = plan.config
    try:
        with view:
            report = aio.run(runs.execute(plan))
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (lessonl.aio): the run wrote what it had
        console.print("cancelled; the partial report is under .lessonl/runs/", highlight=False)
        return 130
    if args.json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
    else:
        texts = {}
        with LessonBank(StateDir(config.root).bank, read_only=True) as bank:
            for lesson_id in report.best.lessons if report.best else ():
                lesson = bank.get(lesson_id)
                if lesson is not None:
                    texts[lesson_id] = lesson.text
        _print_result(report, Console(), texts)
    if args.apply:
        if report.best is None:
            console.print("nothing to apply: no variant was measurably faster", highlight=False)
        else:
            try:
                write_if_unchanged(path, original, report.best.new_text)
            except OSError as exc:
                raise UsageError(
                    f"cannot write {path} ({exc.strerror}); not applied (the proposal is in "
                    f".lessonl/runs/{report.run_id}/report.json)"
                ) from exc
            console.print(f"applied to {path}", highlight=False)
    return 0
