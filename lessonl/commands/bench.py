"""`lessonl bench SUITE_DIR`: run problems x strategies, resumably, and write the report.

Progress goes to stderr (a rich progress bar on a terminal, one line per finished pair
otherwise) so that `--json` keeps stdout to exactly one JSON object (or, with `--list`, one
JSON array). The report folder defaults to `./bench-report/<suite name>`; rerunning the same
command skips the pairs already finished there (see lessonl/bench/runner.py).

Exit status: 0 when every pair ran, 1 when some pair failed with an error (reported on stderr
and in the report; a rerun retries it), 2 for bad usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from lessonl import aio
from lessonl.bench import report as bench_report
from lessonl.bench import strategies
from lessonl.bench.metrics import ERROR, ProblemResult
from lessonl.bench.suite import Problem, discover, select
from lessonl.errors import UsageError


def default_report_dir(suite: Path) -> Path:
    """`./bench-report/<suite name>`: outside the suite, one folder per suite."""
    return Path("bench-report") / suite.resolve().name


class BenchProgress:
    """The runner's observer: a progress bar over all pairs plus the current pair's last event
    on a terminal; plain lines elsewhere (each pair's start and result, and failures)."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self.done = 0
        self.current = ""
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> BenchProgress:
        if self.console.is_terminal:
            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[status]}", markup=False),
                console=self.console,
            )
            self.progress.__enter__()
            self.task = self.progress.add_task("bench", total=self.total, status="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)

    def pair_started(self, strategy: str, problem: str) -> None:
        self.current = f"{strategy} · {problem}"
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=self.current, status="starting")
        else:  # a log: say what a long pair is busy with
            self.console.print(
                Text(f"[{self.done + 1}/{self.total}] {self.current} ..."), soft_wrap=True
            )

    def message(self, text: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, status=text[:80])
        if "failed" in text:
            self.console.print(
                Text.assemble((f"{self.current}:", "yellow"), f" {text}"), soft_wrap=True
            )

    def pair_finished(self, result: ProblemResult, *, skipped: bool) -> None:
        self.done += 1
        if result.outcome == "correct" and result.speedup is not None:
            what = f"correct {result.speedup:.2f}x"
        else:
            what = result.outcome.replace("_", " ")
        line = f"[{self.done}/{self.total}] {self.current}: {what}"
        line += " (stored result, skipped)" if skipped else f" ({result.wall_s:.0f} s)"
        if result.error or result.detail:
            line += f": {result.error or result.detail}"
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=1, status="")
        if self.progress is None or not skipped:
            # Text, not markup: details quote code such as `a[i]`, which rich would eat.
            self.console.print(Text(line), soft_wrap=True)  # one line per pair in a log


def _print_summary(data: dict[str, object], console: Console) -> None:
    table = Table(title="lessonl bench", title_justify="left")
    columns = (
        "strategy",
        "correct",
        "geomean",
        "verified",
        ">= 2x",
        "mean",
        "tokens",
        "cost",
        "wall",
    )
    for col in columns:
        table.add_column(col, justify="left" if col == "strategy" else "right")
    strategies_data = data["strategies"]
    assert isinstance(strategies_data, dict)
    for name, s in strategies_data.items():
        cost = "unknown" if s["cost_usd"] is None else f"${s['cost_usd']:.4f}"
        table.add_row(
            Text(name),
            f"{100 * s['correctness']:.0f}%",
            f"{s['geomean_speedup']:.2f}x",
            f"{s['geomean_verified']:.2f}x",
            f"{100 * s['share_ge_2x']:.0f}%",
            f"{s['mean_speedup']:.2f}x",
            str(s["tokens"]),
            cost,
            f"{s['wall_s']:.0f} s",
        )
    console.print(table)
    comparisons = data.get("paired")
    assert isinstance(comparisons, list)
    if comparisons:
        console.print(Text("paired comparison (won = measurably faster, per problem):"))
        for c in comparisons:
            console.print(Text(f"  {bench_report.paired_line(c)}"), soft_wrap=True)


def _print_listing(suite: Path, problems: list[Problem]) -> None:
    """The problems, one per line in a pipe or a log (aligned columns, nothing cut or wrapped,
    so a name can be pasted into --problems and `grep`/`cut` work); a table on a terminal,
    where only descriptions wrap and a name is never cut."""
    rows = [(p.name, p.category, p.language, p.description) for p in problems]
    out = Console()
    if not out.is_terminal:
        header = ("name", "category", "language", "description")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
        sys.stdout.write(f"{suite}: {len(problems)} problems\n")
        for row in [header, *rows]:
            cells = [row[i].ljust(widths[i]) for i in range(3)]
            sys.stdout.write("  ".join([*cells, row[3]]).rstrip() + "\n")
        return
    table = Table(title=f"{suite}: {len(problems)} problems", title_justify="left")
    for col in ("name", "category", "language"):
        table.add_column(col, no_wrap=True)
    table.add_column("description", ratio=1)
    for row in rows:
        # Text cells: descriptions hold brackets ('[lo, hi)') that rich would otherwise take
        # for markup and drop.
        table.add_row(*(Text(v) for v in row))
    out.print(table)


def run(args: argparse.Namespace) -> int:
    from lessonl.bench.runner import BenchPlan, run_plan
    from lessonl.config import parse_agents_file

    suite = Path(args.suite)
    problems = discover(suite)
    if args.list:
        if args.json:
            sys.stdout.write(json.dumps([p.listing() for p in problems]) + "\n")
        else:
            _print_listing(suite, problems)
        return 0
    ray_address = getattr(args, "ray", None)
    if ray_address is not None:
        from lessonl.bench.ray_cluster import import_ray

        import_ray()  # without the extra: one line naming it, before any work
    chosen = select(problems, args.problems)
    names, note = strategies.with_sources(strategies.choose(args.strategy))
    if args.rounds is not None and args.rounds < 1:
        raise UsageError("--rounds must be >= 1")
    team = parse_agents_file(Path(args.team)) if args.team else None
    report_dir = Path(args.report) if args.report else default_report_dir(suite)
    plan = BenchPlan(
        problems=chosen, strategies=names, report_dir=report_dir, rounds=args.rounds, team=team
    )
    console = Console(stderr=True)
    if note is not None:
        console.print(Text(note), soft_wrap=True)
    try:
        with BenchProgress(console, len(chosen) * len(names)) as view:
            if ray_address is None:
                results = aio.run(run_plan(plan, view))
            else:
                from lessonl.bench.ray_cluster import run_plan_ray

                say = lambda line: console.print(Text(line), soft_wrap=True)  # noqa: E731
                results = run_plan_ray(plan, view, ray_address or None, say)
    except KeyboardInterrupt:
        console.print(
            Text(
                f"cancelled; finished pairs are kept in {report_dir}/results and skipped on rerun"
            ),
            soft_wrap=True,  # one line, however long the path: what a log or a grep reads
        )
        return 130
    data = bench_report.build(suite, report_dir, chosen, results)
    paths = bench_report.write(report_dir, data)
    if args.json:
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        out = Console()
        if not out.is_terminal:  # a log or a pipe: rich would assume 80 columns and cut cells
            out = Console(width=132)
        _print_summary(data, out)
        for path in paths:
            console.print(f"wrote {path}", highlight=False)
    if not bench_report.plots_available():
        console.print(Text(bench_report.PLOTS_MISSING), soft_wrap=True)  # [bench] is no markup
    failed = [r for rs in results.values() for r in rs if r.outcome == ERROR]
    if failed:
        console.print(
            f"lessonl: {len(failed)} problem x strategy pairs failed (see above); "
            "rerun the same command to retry them",
            highlight=False,
        )
        return 1
    return 0
