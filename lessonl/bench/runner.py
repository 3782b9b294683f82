"""Resumable execution of problem x strategy pairs.

Each finished pair is written atomically to `<report>/results/<strategy>/<problem>.json` the
moment it ends, so a benchmark interrupted after hours (Ctrl-C, a reboot, a lost SSH session)
resumes where it stopped: a rerun loads those files and skips their pairs without building a
team or asking a model anything. A stored result is reused only if it was produced with the
same settings (rounds and team), recorded as a fingerprint in the file; otherwise the pair runs
again and the file is replaced.

Every pair runs in its own fresh copy of the problem folder in the system's temporary folder,
so its `.lessonl/` (lesson bank, LLM cache, build folders) starts empty, as in the paper, and
nothing is written into the suite. The copy is deliberately outside any git checkout: the
harness lists a project's files with `git ls-files` when it can, and a copy inside an ignored
folder of the user's repository would look empty to it.

Pairs run one after another: timing holds a machine-wide lock anyway, and one pair at a time
keeps every measurement's machine load alike.

A pair that fails with a `LessonLError` that would fail every pair (bad configuration, a missing
compiler, a missing key or a rejected one) stops the benchmark, and so do
`MAX_CONSECUTIVE_ERRORS` failed pairs in a row. Other failures (one problem's baseline does not
build, every model call of one run failed) are reported, kept in the results as outcome `error`
(counted as not correct), and not stored as finished, so a rerun tries them again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lessonl.atomic import write_text
from lessonl.bench import strategies
from lessonl.bench.metrics import ERROR, ProblemResult
from lessonl.bench.suite import Problem, load_problem
from lessonl.config import AgentConfig
from lessonl.errors import ConfigError, EnvironmentProblem, LessonLError, UsageError
from lessonl.llm.errors import AuthError, LocalModelError, MissingKey, UnknownModel
from lessonl.state import STATE_DIR_NAME

#: Failures that would repeat on every pair: they stop the benchmark instead of being recorded.
FATAL: tuple[type[LessonLError], ...] = (
    ConfigError,
    UsageError,
    EnvironmentProblem,
    MissingKey,
    AuthError,
    UnknownModel,
    LocalModelError,
)
#: Failed pairs in a row after which the benchmark stops: whatever it is (a model server that
#: went away, a full disk), it is not about one problem, and retrying it for hours helps nobody.
MAX_CONSECUTIVE_ERRORS = 3


class BenchStopped(LessonLError):
    """Several pairs in a row failed; finished pairs are kept and a rerun resumes."""


class Observer(Protocol):
    """What the runner tells its front end (the CLI's progress display)."""

    def pair_started(self, strategy: str, problem: str) -> None: ...
    def message(self, text: str) -> None: ...
    def pair_finished(self, result: ProblemResult, *, skipped: bool) -> None: ...


class _Silent:
    def pair_started(self, strategy: str, problem: str) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def pair_finished(self, result: ProblemResult, *, skipped: bool) -> None:
        pass


@dataclass
class BenchPlan:
    """What to run: problems x strategies, where to keep results, and the shared settings."""

    problems: Sequence[Problem]
    strategies: Sequence[str]
    report_dir: Path
    rounds: int | None = None  # None: each problem's own [run] rounds
    team: tuple[AgentConfig, ...] | None = None  # None: each problem's own config / default

    def rounds_for(self, problem: Problem) -> int:
        return self.rounds if self.rounds is not None else problem.config.run.rounds

    def settings(self, problem: Problem) -> str:
        """Fingerprint of what a result depends on besides the problem and the strategy."""
        agents = self.team if self.team is not None else problem.config.agents
        data = {
            "rounds": self.rounds_for(problem),
            "agents": [dataclasses.asdict(a) for a in agents] or "default",
        }
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def result_path(self, strategy: str, problem: str) -> Path:
        return self.report_dir / "results" / strategy / f"{problem}.json"


def load_stored(path: Path, settings: str) -> ProblemResult | None:
    """A finished pair's stored result, or None if absent, unreadable or from other settings."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        result = ProblemResult.from_json(data)
    except (OSError, ValueError, TypeError):
        return None
    if result.settings != settings or result.outcome == ERROR:
        return None
    return result


def store(path: Path, result: ProblemResult) -> None:
    """Write `path` atomically: an interrupted write never leaves a half file to resume from."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(result.to_json(), indent=2) + "\n")


async def run_plan(
    plan: BenchPlan, observer: Observer | None = None
) -> dict[str, list[ProblemResult]]:
    """Run (or load) every pair; results per strategy, problems in suite order."""
    observer = observer or _Silent()
    results: dict[str, list[ProblemResult]] = {s: [] for s in plan.strategies}
    failed_in_a_row = 0
    for strategy in plan.strategies:
        for problem in plan.problems:
            settings = plan.settings(problem)
            path = plan.result_path(strategy, problem.name)
            stored = load_stored(path, settings)
            observer.pair_started(strategy, problem.name)
            if stored is not None:
                results[strategy].append(stored)
                observer.pair_finished(stored, skipped=True)
                continue
            result = await run_pair(plan, strategy, problem, observer)
            results[strategy].append(result)
            failed_in_a_row = finish_pair(plan, result, settings, observer, failed_in_a_row)
    return results


def finish_pair(
    plan: BenchPlan,
    result: ProblemResult,
    settings: str,
    observer: Observer,
    failed_in_a_row: int,
) -> int:
    """Store a pair that ran (an `error` is not stored, so a rerun retries it), report it, and
    return the count of pairs failed in a row, stopping the run at MAX_CONSECUTIVE_ERRORS.
    The local runner and the Ray driver (ray_cluster.py) both end every pair here."""
    result.settings = settings
    if result.outcome != ERROR:
        store(plan.result_path(result.strategy, result.problem), result)
    observer.pair_finished(result, skipped=False)
    failed_in_a_row = failed_in_a_row + 1 if result.outcome == ERROR else 0
    if failed_in_a_row >= MAX_CONSECUTIVE_ERRORS:
        raise BenchStopped(
            f"{failed_in_a_row} problem x strategy pairs failed in a row, the last with: "
            f"{result.error}; fix that and rerun the same command (finished pairs are "
            f"kept in {plan.report_dir / 'results'})"
        )
    return failed_in_a_row


async def run_pair(
    plan: BenchPlan, strategy: str, problem: Problem, observer: Observer
) -> ProblemResult:
    """One strategy on one problem, in a fresh working copy; see the module docstring."""
    from lessonl.bench.strategies.base import StrategyContext
    from lessonl.llm import build_team
    from lessonl.llm.team import choose_agents
    from lessonl.loop import new_run_id

    run = strategies.get(strategy)
    scratch = Path(tempfile.mkdtemp(prefix=f"lessonl-bench-{strategy}-"))
    work = scratch / problem.name  # the folder name is the problem's name
    started = time.monotonic()
    try:
        await asyncio.to_thread(_copy, problem.path, work)
        local = load_problem(work)
        agents = plan.team
        if strategies.is_solo(strategy):
            agents = solo_agents(choose_agents(local.config, plan.team, os.environ)[0])
        # No LLM cache: the copy's cache would start empty and be deleted, and a benchmark's
        # repeated samples of one prompt must be fresh draws anyway.
        team = await build_team(local.config, agents=agents, cache=False)
        try:
            ctx = StrategyContext(
                problem=local,
                team=team,
                rounds=plan.rounds_for(problem),
                run_id=f"bench-{strategy}-{new_run_id()}",
                progress=observer.message,
            )
            result = await run(ctx)
        finally:
            await team.aclose()
    except FATAL:
        raise
    except LessonLError as exc:
        observer.message(f"{strategy} on {problem.name} failed: {exc}")
        result = ProblemResult(
            problem=problem.name,
            strategy=strategy,
            category=problem.category,
            language=problem.language,
            outcome=ERROR,
            error=str(exc),
        )
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch, True)
    result.wall_s = time.monotonic() - started
    result.host = socket.gethostname()  # the machine that timed it (`node`: set by a Ray task)
    return result


def solo_agents(team: Sequence[AgentConfig]) -> tuple[AgentConfig, ...]:
    """n copies of the team's first agent for a one-agent strategy (n = the team's size): same
    model, emphasis and temperature; distinct names, and distinct seeds where it has one."""
    first = team[0]
    return tuple(
        dataclasses.replace(
            first,
            name=f"{first.name}#{j + 1}",
            seed=None if first.seed is None else first.seed + 1000 * j,
        )
        for j in range(len(team))
    )


def _copy(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(STATE_DIR_NAME, "__pycache__"))
