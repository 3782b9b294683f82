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
folder of the user's repository would look empty to it. A pair removes its copy when it ends,
even on Ctrl-C; a process killed mid-pair (SIGKILL, the OOM killer, a Ray worker killed or
force-cancelled) cannot, so each copy (`lessonl-bench-*`) is claimed by the process that made
it, as the harness claims its build folders (`harness.workspace.claim`), and every pair starts
by removing the copies whose owner is dead (`prune_stale_copies`).

Pairs run one after another: timing holds a machine-wide lock anyway, and one pair at a time
keeps every measurement's machine load alike.

Transfer (`lessonl_transfer`, beyond the paper): each `lessonl` pair keeps the lessons its
bank held at the end (`ProblemResult.lessons`, read before its copy is removed, so they come
back from a Ray node too) in its stored pair JSON. A plan with `lessonl_transfer` also runs
`lessonl` (`strategies.with_sources` adds it), runs the `lessonl_transfer` pairs last, and
seeds each one's fresh bank with the union of the stored `lessonl` lessons of the plan's *other*
problems, of the problem's language (`warm_lessons`); the bank's own selection does the rest.
Its settings fingerprint includes a digest of those lessons, so a rerun redoes a transfer pair
only when they changed. A stored `lessonl` result from before lessons were kept (`lessons` is
None) is rerun when the plan has `lessonl_transfer`: its lessons are gone with its copy, and a
transfer arm seeded without them would not measure transfer. A `lessonl` pair that failed
(an `error`) contributes nothing; its lessons arrive, and change the digest, when a rerun
finishes it.

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
from typing import Any, Protocol

from lessonl.atomic import write_text
from lessonl.bench import strategies
from lessonl.bench.metrics import ERROR, ProblemResult
from lessonl.bench.suite import Problem, load_problem
from lessonl.config import AgentConfig
from lessonl.errors import (
    ConfigError,
    EnvironmentProblem,
    LessonLError,
    StateProblem,
    UsageError,
)
from lessonl.harness.workspace import claim, prune_orphans
from lessonl.llm.errors import AuthError, LocalModelError, MissingKey, UnknownModel
from lessonl.state import STATE_DIR_NAME, StateDir

#: Failures that would repeat on every pair: they stop the benchmark instead of being recorded.
FATAL: tuple[type[LessonLError], ...] = (
    ConfigError,
    UsageError,
    EnvironmentProblem,
    StateProblem,
    MissingKey,
    AuthError,
    UnknownModel,
    LocalModelError,
)
#: Failed pairs in a row after which the benchmark stops: whatever it is (a model server that
#: went away, a full disk), it is not about one problem, and retrying it for hours helps nobody.
MAX_CONSECUTIVE_ERRORS = 3
#: How the working copies of pairs are named in the system's temporary folder.
COPY_PREFIX = "lessonl-bench-"


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

    def settings(self, problem: Problem, warm: Sequence[dict[str, Any]] | None = None) -> str:
        """Fingerprint of what a result depends on besides the problem and the strategy (and,
        for a `lessonl_transfer` pair, the `warm` lessons its bank starts with)."""
        agents = self.team if self.team is not None else problem.config.agents
        data: dict[str, Any] = {
            "rounds": self.rounds_for(problem),
            "agents": [dataclasses.asdict(a) for a in agents] or "default",
        }
        if warm is not None:
            data["warm"] = lessons_digest(warm)
        return _digest(data)

    def result_path(self, strategy: str, problem: str) -> Path:
        return self.report_dir / "results" / strategy / f"{problem}.json"

    @property
    def transfer(self) -> bool:
        return strategies.TRANSFER in self.strategies

    def run_order(self) -> list[str]:
        """The strategies in the order their pairs run: `lessonl_transfer` last, after the
        `lessonl` pairs whose lessons it starts from (reports keep `strategies`' order)."""
        return [s for s in self.strategies if s != strategies.TRANSFER] + (
            [strategies.TRANSFER] if self.transfer else []
        )

    def with_sources(self) -> tuple[BenchPlan, str | None]:
        """This plan with `lessonl` added when `lessonl_transfer` needs it, and the line that
        says so (None when nothing was added). The CLI adds it itself and says so; a direct
        caller of a runner hears it from the runner."""
        names, note = strategies.with_sources(self.strategies)
        return (self if note is None else dataclasses.replace(self, strategies=names)), note

    def needs_lessons(self, strategy: str) -> bool:
        """Whether a stored result of `strategy` must hold its lessons to count as finished."""
        return self.transfer and strategy == strategies.SOURCE


def lessons_digest(lessons: Sequence[dict[str, Any]]) -> str:
    """A short digest of lesson records (order does not matter)."""
    return _digest(sorted(lessons, key=lambda x: str(x.get("id"))))


def _digest(data: Any) -> str:
    """16 hex digits of the sha256 of `data` as canonical JSON. Stored results are matched on
    these digests, so changing the encoding re-runs every stored pair."""
    blob = json.dumps(data, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def warm_lessons(problem: Problem, sources: Sequence[ProblemResult | None]) -> list[dict[str, Any]]:
    """The lessons `problem`'s `lessonl_transfer` pair starts with: those the `lessonl` pairs in
    `sources` banked on the *other* problems, of `problem`'s language (the bank shows no other
    language's lessons anyway), each lesson once, in `sources`' order."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for r in sources:
        if r is None or r.problem == problem.name:
            continue
        for lesson in r.lessons or ():
            key = str(lesson.get("id"))
            if lesson.get("language") == problem.language and key not in seen:
                seen.add(key)
                out.append(lesson)
    return out


def look_up(
    plan: BenchPlan,
    strategy: str,
    problem: Problem,
    sources: Sequence[ProblemResult | None] = (),
) -> tuple[str, list[dict[str, Any]] | None, ProblemResult | None]:
    """What running `strategy` on `problem` depends on, for the local and the Ray runner alike:
    its settings fingerprint, its warm lessons (`lessonl_transfer` only: from the `lessonl`
    results in `sources`), and its stored result if it is finished with those settings."""
    warm = warm_lessons(problem, sources) if strategy == strategies.TRANSFER else None
    settings = plan.settings(problem, warm)
    path = plan.result_path(strategy, problem.name)
    return settings, warm, load_stored(path, settings, lessons=plan.needs_lessons(strategy))


def load_stored(path: Path, settings: str, *, lessons: bool = False) -> ProblemResult | None:
    """A finished pair's stored result, or None if absent, unreadable or from other settings
    (or, with `lessons`, from before a pair's lessons were kept: see the module docstring)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        result = ProblemResult.from_json(data)
    except (OSError, ValueError, TypeError):
        return None
    if result.settings != settings or result.outcome == ERROR:
        return None
    if lessons and result.lessons is None:
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
    plan, note = plan.with_sources()
    if note is not None:
        observer.message(note)
    results: dict[str, list[ProblemResult]] = {s: [] for s in plan.strategies}
    failed_in_a_row = 0
    for strategy in plan.run_order():
        for problem in plan.problems:
            sources = results.get(strategies.SOURCE, [])
            settings, warm, stored = look_up(plan, strategy, problem, sources)
            observer.pair_started(strategy, problem.name)
            if stored is not None:
                results[strategy].append(stored)
                observer.pair_finished(stored, skipped=True)
                continue
            result = await run_pair(plan, strategy, problem, observer, warm=warm)
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
    plan: BenchPlan,
    strategy: str,
    problem: Problem,
    observer: Observer,
    *,
    warm: Sequence[dict[str, Any]] | None = None,
) -> ProblemResult:
    """One strategy on one problem, in a fresh working copy; see the module docstring. `warm`:
    lesson records to put in the copy's bank first (`lessonl_transfer`); the `lessonl` arm's
    result takes its bank's lessons with it."""
    from lessonl.bench.strategies.base import StrategyContext
    from lessonl.llm import build_team
    from lessonl.llm.team import choose_agents
    from lessonl.loop import new_run_id

    run = strategies.get(strategy)
    await asyncio.to_thread(prune_stale_copies)
    scratch = new_copy_folder(strategy)
    work = scratch / problem.name  # the folder name is the problem's name
    started = time.monotonic()
    seeded = 0
    try:
        await asyncio.to_thread(_copy, problem.path, work)
        local = load_problem(work)
        if warm is not None:
            seeded = await asyncio.to_thread(_seed_bank, local, warm)
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
        if warm is not None:
            result.warm_lessons = seeded
        if strategy == strategies.SOURCE:
            result.lessons = await asyncio.to_thread(_bank_lessons, local)
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


def new_copy_folder(label: str) -> Path:
    """A fresh `lessonl-bench-<label>-*` folder in the system's temporary folder, claimed by
    this process at once, so that a kill leaves a copy `prune_stale_copies` can tell is dead."""
    folder = Path(tempfile.mkdtemp(prefix=f"{COPY_PREFIX}{label}-"))
    try:
        claim(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def prune_stale_copies() -> list[Path]:
    """Remove the working copies in the system's temporary folder whose owner process is dead
    (what a killed pair left); a copy without an owner file is never touched, as it may be one
    being made this instant or one of an older lessonl's run still going."""
    return prune_orphans(Path(tempfile.gettempdir()), prefix=COPY_PREFIX, keep_unclaimed=True)


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


def _seed_bank(problem: Problem, lessons: Sequence[dict[str, Any]]) -> int:
    """Import `lessons` into `problem`'s (fresh, empty) bank; returns how many it holds."""
    from lessonl.bank import LessonBank
    from lessonl.lessons import Lesson

    with LessonBank(StateDir(problem.config.root).ensure().bank) as bank:
        return bank.import_lessons(Lesson.from_json(dict(x)) for x in lessons)


def _bank_lessons(problem: Problem) -> list[dict[str, Any]]:
    """Every lesson in `problem`'s bank, oldest first, as `Lesson.to_json` records."""
    from lessonl.bank import LessonBank

    with LessonBank(StateDir(problem.config.root).bank) as bank:
        return [lesson.to_json() for lesson in bank.all()]


def _copy(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(STATE_DIR_NAME, "__pycache__"))
