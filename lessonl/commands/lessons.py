"""`lessonl lessons list|show|search|export|import|forget`: look after the project's bank.

`--json` prints exactly one JSON value on stdout (list/search: an array of the public lesson
records of docs/contracts.md; show: the full record including code and votes; the others a small
object saying what was done). Ids may be abbreviated to a unique prefix for show and forget.
Read-only actions on a project without a bank print an empty result rather than creating
`.lessonl/` as a side effect.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from lessonl.bank import LessonBank
from lessonl.config import find_project_root
from lessonl.errors import UsageError
from lessonl.lessons import Lesson
from lessonl.state import StateDir


def _emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _speed(lesson: Lesson) -> str:
    return "" if lesson.speedup is None else f"{lesson.speedup:.2f}x"


def _table(lessons: list[Lesson], console: Console) -> None:
    """Two lines per lesson (a header and the text): readable at any terminal width."""
    if not lessons:
        console.print("no lessons")
        return
    for les in lessons:
        speed = f" {_speed(les)}" if les.speedup is not None else ""
        console.print(
            f"[bold]{les.id}[/bold]  {les.category}{speed}  factor {les.factor:.2f}"
            f" (shown {les.uses}x{_after(les)})  {les.agent}  {les.function or '(file)'}"
            f"  {les.created[:10]}",
            highlight=False,
        )
        console.print(f"    {les.text}", highlight=False, markup=False)


def _after(lesson: Lesson) -> str:
    """', best reader 3.10x': the best speedup of an agent who was shown the lesson."""
    seen = [s for h in lesson.history for s in h.get("speedups", []) if s is not None]
    return f", best reader {max(seen):.2f}x" if seen else ""


def _history(lesson: Lesson) -> list[str]:
    """One line per round that showed the lesson: where, and the speedups of its readers
    ('-' for a reader without a correct variant); each reader's vote follows from these."""
    lines = []
    for h in lesson.history:
        speeds = h.get("speedups", [])
        shown = ", ".join("-" if s is None else f"{s:.2f}x" for s in speeds) or "no readers"
        where = f"run {h.get('run_id') or '?'} round {(h.get('round') or 0) + 1}"
        lines.append(f"{where}: {shown}")
    return lines


def _round(round_: int | None) -> str:
    return "-" if round_ is None else str(round_ + 1)


def _show(lesson: Lesson, console: Console) -> None:
    ci = f" [{lesson.ci95[0]:.2f}, {lesson.ci95[1]:.2f}]" if lesson.ci95 else ""
    rows = [
        ("id", lesson.id),
        ("category", f"{lesson.category} ({lesson.outcome})"),
        ("speedup", (_speed(lesson) + ci) or "-"),
        ("factor", f"{lesson.factor:.3f} from {len(lesson.votes)} votes, shown {lesson.uses}x"),
        ("feedback", f"{lesson.accepted} accepted, {lesson.rejected} rejected"),
        ("where", f"{lesson.language} target {lesson.target} function {lesson.function or '-'}"),
        ("by", f"{lesson.agent} ({lesson.model or 'model unknown'})"),
        # Rounds read 1-based wherever a person reads them; the JSON `round` stays 0-based.
        ("run", f"{lesson.run_id} round {_round(lesson.round)}, {lesson.created}"),
    ]
    for key, value in rows:
        console.print(f"[bold]{key:>9}[/bold]  {value}", highlight=False)
    history = _history(lesson)
    if history:
        console.print(f"[bold]{'used':>9}[/bold]  " + history[0], highlight=False)
        for line in history[1:]:
            console.print(f"{'':>9}  {line}", highlight=False)
    console.print()
    console.print(lesson.text, highlight=False)
    if lesson.code:
        console.print()
        console.print(lesson.code, markup=False, highlight=False)


def run(args: argparse.Namespace) -> int:
    project = Path(args.project)
    if not project.exists():
        raise UsageError(f"project folder {project} does not exist; pass --project DIR")
    state = StateDir(find_project_root(project))
    action: str = args.lessons_command
    as_json: bool = bool(getattr(args, "json", False))
    console = Console(soft_wrap=False)

    if not state.bank.exists():
        if action == "prune":
            if as_json:
                _emit_json({"pruned": []})
            else:
                console.print("no lessons")
            return 0
        if action in ("list", "search"):
            if as_json:
                _emit_json([])
            else:
                console.print("no lessons")
            return 0
        if action in ("show", "forget"):
            raise UsageError(
                f"no lesson {args.id!r}: this project has no lesson bank yet ({state.bank})"
            )

    state.ensure()
    with LessonBank(state.bank) as bank:
        if action == "list":
            lessons = list(reversed(bank.all()))[: max(args.limit, 0)]
            if as_json:
                _emit_json([les.public_json() for les in lessons])
            else:
                _table(lessons, console)
        elif action == "search":
            lessons = bank.search(args.text, args.limit)
            if as_json:
                _emit_json([les.public_json() for les in lessons])
            else:
                _table(lessons, console)
        elif action == "show":
            lesson = bank.resolve(args.id)
            if as_json:
                _emit_json(lesson.to_json())
            else:
                _show(lesson, console)
        elif action == "export":
            n = bank.export_jsonl(args.path)
            if as_json:
                _emit_json({"exported": n, "path": str(args.path)})
            else:
                console.print(f"exported {n} lessons to {args.path}", highlight=False)
        elif action == "import":
            n = bank.import_jsonl(args.path)
            if as_json:
                _emit_json({"imported": n, "path": str(args.path)})
            else:
                console.print(f"imported {n} new lessons from {args.path}", highlight=False)
        elif action == "forget":
            lesson = bank.resolve(args.id)
            bank.forget(lesson.id)
            if as_json:
                _emit_json({"forgotten": lesson.id})
            else:
                console.print(f"forgot lesson {lesson.id}", highlight=False)
        elif action == "prune":
            dropped = bank.prune(min_uses=args.min_uses)
            if as_json:
                _emit_json({"pruned": [les.id for les in dropped]})
            else:
                console.print(
                    f"pruned {len(dropped)} lessons shown at least {args.min_uses}x that never "
                    "helped",
                    highlight=False,
                )
        else:  # argparse restricts the choices; this guards a future action without a branch
            raise UsageError(f"unknown lessons action {action!r}")
    return 0
