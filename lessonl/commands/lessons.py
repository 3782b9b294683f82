"""`lessonl lessons list|show|search|export|import|forget|prune|recover`: look after the
project's bank.

`--json` prints exactly one JSON value on stdout (list/search: an array of the public lesson
records of docs/contracts.md; show: the full record including code and votes; the others a small
object saying what was done). Ids may be abbreviated to a unique prefix for show and forget.
Reading actions (list, search, show, export) open the bank read-only: they never create
`.lessonl/`, work on a read-only one, and on a damaged bank show what still reads.

`prune` removes lessons, so it shows what would go (`--dry-run`), asks on a terminal and wants
`--yes` elsewhere (a script must say it means it), and first writes what it removes to
`.lessonl/pruned/pruned-<time>.jsonl`, which `lessons import` brings back.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from lessonl.bank import LessonBank, health, recover
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


READING = ("list", "search", "show", "export")


def _confirm(question: str) -> bool:
    """Ask on the terminal; anything but y/yes is a no."""
    print(question + " [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        return input().strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _prune(args: argparse.Namespace, state: StateDir, as_json: bool, console: Console) -> int:
    err = Console(stderr=True, soft_wrap=False)
    with LessonBank(state.bank, read_only=True) as bank:
        doomed = bank.prunable(min_uses=args.min_uses)
    what = f"shown at least {args.min_uses}x that never helped"
    if args.dry_run or not doomed:
        if as_json:
            _emit_json({"pruned": [], "would_prune": [les.id for les in doomed]})
        elif doomed:
            console.print(f"would prune {len(doomed)} lessons {what}:", highlight=False)
            _table(doomed, console)
        else:
            console.print(f"nothing to prune: no lesson {what}", highlight=False)
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(
                f"prune would remove {len(doomed)} lessons {what}; pass --yes to remove them "
                "(--dry-run lists them)"
            )
        _table(doomed, err)
        if not _confirm(f"prune these {len(doomed)} lessons?"):
            err.print("nothing pruned", highlight=False)
            return 1
    state.ensure()
    with LessonBank(state.bank) as bank:
        dropped, kept = bank.prune(min_uses=args.min_uses, keep_in=state.pruned)
    if as_json:
        _emit_json({"pruned": [les.id for les in dropped], "kept_in": str(kept) if kept else None})
    else:
        console.print(
            f"pruned {len(dropped)} lessons {what}; they are kept in {kept} "
            f"(`lessonl lessons import {kept}` brings them back)",
            highlight=False,
            soft_wrap=True,
        )
    return 0


def _recover(state: StateDir, as_json: bool, console: Console) -> int:
    problem = health(state.bank) if state.bank.exists() else None
    if problem is None:
        if as_json:
            _emit_json({"damaged": False})
        else:
            console.print("the lesson bank reads completely; nothing to recover", highlight=False)
        return 0
    aside, kept, lost = recover(state.bank)
    if as_json:
        _emit_json({"damaged": True, "moved_to": str(aside), "recovered": kept, "unreadable": lost})
    else:
        console.print(
            f"the lesson bank was damaged ({problem}); moved it to {aside} (kept, not deleted) "
            f"and put the {kept} lessons that still read into a fresh bank",
            highlight=False,
            soft_wrap=True,
        )
    return 0


def run(args: argparse.Namespace) -> int:
    project = Path(args.project)
    if not project.exists():
        raise UsageError(f"project folder {project} does not exist; pass --project DIR")
    if not project.is_dir():
        raise UsageError(f"--project {project} is a file, not a folder")
    state = StateDir(find_project_root(project))
    action: str = args.lessons_command
    as_json: bool = bool(getattr(args, "json", False))
    console = Console(soft_wrap=False)
    limit = getattr(args, "limit", 1)
    if limit < 1:
        raise UsageError(f"--limit must be at least 1 (got {limit})")
    if action == "prune" and args.min_uses < 1:
        raise UsageError(
            f"--min-uses must be at least 1 (got {args.min_uses}); a lesson never shown has "
            "not had a chance to help"
        )

    if not state.bank.exists():
        if action == "prune":
            if as_json:
                _emit_json({"pruned": [], "would_prune": []})
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
    if action == "prune":
        return _prune(args, state, as_json, console)
    if action == "recover":
        return _recover(state, as_json, console)
    if action in READING:
        return _read(args, state, as_json, console)

    state.ensure()
    with LessonBank(state.bank) as bank:
        if action == "import":
            n, refused = bank.import_jsonl(args.path)
            if as_json:
                _emit_json({"imported": n, "path": str(args.path), "refused": refused})
            else:
                for line in refused:
                    print(f"lessonl: refused {line}", file=sys.stderr)
                lines = "line" if len(refused) == 1 else "lines"
                more = f"; {len(refused)} {lines} refused (see above)" if refused else ""
                console.print(
                    f"imported {n} new lessons from {args.path}{more}",
                    highlight=False,
                    soft_wrap=True,
                )
            return 1 if refused else 0
        if action == "forget":
            lesson_id = bank.resolve_id(args.id)
            bank.forget(lesson_id)
            if as_json:
                _emit_json({"forgotten": lesson_id})
            else:
                console.print(f"forgot lesson {lesson_id}", highlight=False)
            return 0
    # argparse restricts the choices; this guards a future action without a branch
    raise UsageError(f"unknown lessons action {action!r}")


def _read(args: argparse.Namespace, state: StateDir, as_json: bool, console: Console) -> int:
    action: str = args.lessons_command
    with LessonBank(state.bank, read_only=True) as bank:
        if action == "list":
            lessons = list(reversed(bank.all()))[: args.limit]
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
        else:
            n = bank.export_jsonl(args.path)
            if as_json:
                _emit_json({"exported": n, "path": str(args.path)})
            else:
                console.print(f"exported {n} lessons to {args.path}", highlight=False)
    return 0
