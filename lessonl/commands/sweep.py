"""`lessonl sweep [--top N] [--min-share P] [optimize's options] [-- COMMAND ...]`.

Profiles the workload, optimizes its hottest functions one after another with one team and
one bank, and checks the whole workload with every winner applied (lessonl.sweep does the
work). Progress goes to stderr, so `--json` keeps stdout to the one object of the contract.
`--apply` writes every winner only when every file of the sweep is byte-identical to what
the sweep began from and the winners together passed the project's tests: a user who edited
a file meanwhile loses nothing, and a combination that breaks a test is never written.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path

from lessonl import aio
from lessonl.atomic import write_text
from lessonl.auto.project import choose_interpreter, python_root
from lessonl.commands import optimize
from lessonl.config import load_config, parse_agents_file
from lessonl.errors import Conflict, UsageError
from lessonl.hotspots import workload_for
from lessonl.run import Overrides
from lessonl.sweep import Budgets, SweepReport, SweepRequest, changed_since, run_sweep


def _check(args: argparse.Namespace) -> None:
    if args.top < 1:
        raise UsageError(f"--top {args.top}: give at least 1 function")
    if not (math.isfinite(args.min_share) and 0 <= args.min_share <= 1):
        raise UsageError(f"--min-share {args.min_share:g}: give a share from 0 to 1 (0.05 = 5%)")


def run(args: argparse.Namespace) -> int:
    _check(args)
    start = Path(args.project)
    if not start.is_dir():
        raise UsageError(f"--project {start}: no such folder")
    workload = workload_for(list(args.workload))
    config = load_config(start.resolve(), required=False)
    if config.path is None:
        root = (
            start.resolve() if workload.kind == "native" else python_root(start.resolve() / "x.py")
        )
        config = dataclasses.replace(config, root=root)
    interpreter = None
    if workload.kind != "native":
        setting = args.interpreter or config.run.interpreter
        interpreter = choose_interpreter(
            config.root,
            setting,
            setting_name="--interpreter" if args.interpreter else "[run] interpreter",
        )
    agents = parse_agents_file(Path(args.team)) if args.team else None
    budgets = Budgets(args.max_wall_s, args.max_tokens, args.max_cost_usd)
    # Every flag checked as optimize checks it, before anything runs; the budgets are the
    # sweep's (lessonl.sweep hands each run what is left), the rest go to every run.
    flags = optimize.overrides(args)
    flags.apply(config.run)
    per_run = Overrides(
        {
            k: v
            for k, v in flags.values.items()
            if k not in ("max_wall_s", "max_tokens", "max_cost_usd")
        }
    )
    request = SweepRequest(
        config=config,
        workload=workload,
        interpreter=interpreter,
        interpreter_setting=args.interpreter,
        top=args.top,
        min_share=args.min_share,
        overrides=per_run,
        budgets=budgets,
        secret_names=tuple(a.api_key_env for a in config.agents if a.api_key_env),
    )

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    async def go() -> SweepReport:
        from lessonl.llm.team import build_team

        team = await build_team(
            config,
            agents=agents,
            cache=not args.no_cache,
            source=f"{args.team} (--team)" if args.team else None,
        )
        try:
            return await run_sweep(request, team=team, say=say)
        finally:
            await team.aclose()

    try:
        report = aio.run(go())
    except KeyboardInterrupt:
        say(
            "cancelled; the finished functions are kept in .lessonl/sweep/state.json: run the "
            "same command again to resume"
        )
        return 130
    if args.json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
    else:
        print(summary(report))
    if args.apply:
        apply(config.root, report)
    return 0


def summary(report: SweepReport) -> str:
    """The table, the end-to-end line and the combined diff."""
    lines = [
        f"{'share':>6} {'speedup':>8} {'95% CI':>13} {'earlier':>7} {'tokens':>8}  function",
    ]
    for f in report.functions:
        best = f.best or {}
        ci = best.get("ci95")
        speed = f"{best['speedup']:.2f}x" if best else "-"
        interval = f"{ci[0]:.2f}-{ci[1]:.2f}" if ci else "-"
        lines.append(
            f"{f.share:>6.1%} {speed:>8} {interval:>13} {f.lessons_from_earlier:>7} "
            f"{f.tokens:>8}  {f.function}"
        )
        detail = f.error or f.verification
        if detail:
            lines.append(f"{'':>48}{'not optimized: ' if f.error else 'verification: '}{detail}")
    if report.stopped != "done":
        lines.append(f"sweep stopped early ({report.stopped}): run it again to go on")
    lines.append(report.end_to_end.line)
    if report.diff:
        lines += ["", report.diff.rstrip("\n")]
        lines.append("(nothing applied: run with --apply to write these changes)")
    return "\n".join(lines)


def apply(root: Path, report: SweepReport) -> None:
    """Write every winner, only if every file is unchanged and the winners passed the tests."""
    if not report.texts:
        print("nothing to apply: no function was made faster", file=sys.stderr)
        return
    e2e = report.end_to_end
    if e2e.tests_failed or e2e.tests_passed is None:
        raise Conflict(
            "the winners together "
            + (f"fail {e2e.tests_failed} test(s)" if e2e.tests_failed else "were not tested")
            + "; nothing applied (each function's proposal is in its run report)"
        )
    changed = changed_since(root, report.originals)
    if changed:
        raise Conflict(
            f"{', '.join(changed)} changed since the sweep began; nothing applied (the combined "
            f"diff is in .lessonl/sweep/{report.kept_as})"
        )
    for rel, text in sorted(report.texts.items()):
        try:
            write_text(root / rel, text)
        except OSError as exc:
            raise UsageError(
                f"cannot write {rel} ({exc.strerror}); the files before it were applied, the "
                f"rest is in .lessonl/sweep/{report.kept_as}"
            ) from exc
    print(f"applied to {', '.join(sorted(report.texts))}", file=sys.stderr)
