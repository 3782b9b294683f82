"""The LessonL run: rounds of agents proposing variants, grading, lessons, selection.

This follows docs/method.md section 1 and avoids the mistakes of section 7:

- Agents run concurrently, one asyncio task each (`sequential` runs them one after another for
  comparison with the authors' implementation). Their builds run concurrently in the harness;
  timing is serialized there by a machine-wide lock, so concurrency never pollutes measurements.
- Every agent optimizes the *original* source every round; agents see only lessons (text and
  category), never each other's code. Beyond the paper, `carry_forward` (off by default until
  a benchmark shows it helps) makes every round after the first rewrite the fastest
  measurably faster variant so far instead (the paper's Figure 1 story of successive
  improvements): the prompt shows that code and says how fast it is, speedups stay measured
  against the original, and the lesson prompt compares Code B with the code it started from.
- A failed model call makes that agent sit out the round with its error in the report; it is
  never silently replaced by another agent's result. All agents failing ends the run.
- The final answer is chosen by re-measuring the top three correct variants against the
  baseline, and a variant is proposed only if its re-measured 95% interval lies above 1.0: one
  lucky timing never decides. Incorrect code never wins, however fast it measured.
- Grading (extract, splice, build, check, time), the model call that counts usage and the
  re-measurement of the final answer are `lessonl.grading`'s, shared with every benchmark
  strategy, so `lessonl bench` scores the loop exactly as it scores the others.

Budgets (`max_wall_s`, `max_tokens`, `max_cost_usd`) stop the run cleanly with the best so far.
Cancellation (Ctrl-C or a cancelled task in the server) propagates as `CancelledError` after a
partial report has been written: the harness kills its process groups as the cancellation
unwinds through it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import hashlib
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lessonl import grading, prompts, regions
from lessonl.auto.runner.strength import THRESHOLD
from lessonl.auto.target import test_line, test_weak_line
from lessonl.bank import LessonBank
from lessonl.config import Config, RunConfig, TargetConfig, language_for_path
from lessonl.errors import LessonLError, UsageError
from lessonl.events import (
    AgentFailed,
    AgentRequesting,
    Event,
    EventCallback,
    LessonAdded,
    RoundFinished,
    RoundStarted,
    RunFinished,
    RunStarted,
    VariantEvaluated,
    Waiting,
)
from lessonl.grading import REMEASURE_TOP, Graded, HarnessFactory, HarnessLike, NotBuilt, Subject
from lessonl.harness import Project, isolation, require_tools
from lessonl.harness.stats import measurably_faster
from lessonl.lessons import Lesson, category, is_refusal, prose
from lessonl.llm import Agent, SampleId, Team
from lessonl.llm.types import Usage
from lessonl.report import BestVariant, RoundRecord, RunReport, VariantRecord
from lessonl.state import StateDir, state_problem

if TYPE_CHECKING:
    from lessonl.auto.skeptic import Verdict

log = logging.getLogger(__name__)

__all__ = ["REMEASURE_TOP", "new_run_id", "optimize"]


class _Budget:
    """Tracks the run's budgets; `exceeded()` names the first one hit, e.g. 'budget:max_tokens'."""

    def __init__(self, run: RunConfig, usage: Usage, started: float) -> None:
        self.run, self.usage, self.started = run, usage, started

    def remaining_wall(self) -> float | None:
        if self.run.max_wall_s is None:
            return None
        return self.run.max_wall_s - (time.monotonic() - self.started)

    def exceeded(self) -> str | None:
        remaining = self.remaining_wall()
        if remaining is not None and remaining <= 0:
            return "budget:max_wall_s"
        if self.run.max_tokens is not None and self.usage.tokens >= self.run.max_tokens:
            return "budget:max_tokens"
        cost = self.usage.cost_usd
        if self.run.max_cost_usd is not None and cost is not None and cost >= self.run.max_cost_usd:
            return "budget:max_cost_usd"
        return None


class SkepticLike(Protocol):
    """Attacks a would-be winner with inputs chosen to show a difference from the original
    (lessonl/auto/skeptic.py is the one there is; the loop only needs this)."""

    async def attack(self, candidate: str, usage: Usage, *, run_id: str, round: int) -> Verdict: ...


class _BudgetHit(Exception):
    """Raised inside an agent's turn when a budget forbids starting another model call."""


def new_run_id() -> str:
    """Sortable and unique across processes: UTC timestamp plus random suffix."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def fingerprint(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


async def _test_coverage(
    harness: grading.HarnessLike, verification: dict[str, Any], rel: str, function: str | None
) -> None:
    """Add to a hand-written target's `verification` how much of the function its test runs
    (docs/contracts.md): `coverage`, `summary`, `weak` and, when not measured, a note why."""
    measure = getattr(harness, "baseline_coverage", None)
    if measure is None:  # a fake harness of the loop's tests
        return
    coverage, why = await measure(rel, function)
    name = function.rsplit(".", 1)[-1] if function else Path(rel).name
    verification["coverage"] = coverage
    verification["coverage_threshold"] = THRESHOLD
    verification["summary"] = test_line(verification["test"], name, coverage)
    verification["weak"] = test_weak_line(name, coverage)
    verification["notes"] = [why] if why else []
    if why:
        log.info("%s", why)


async def optimize(
    config: Config,
    target: TargetConfig,
    file: Path,
    *,
    team: Team,
    function: str | None = None,
    source_text: str | None = None,
    on_event: EventCallback | None = None,
    verification: dict[str, Any] | None = None,
    harness_factory: HarnessFactory | None = None,
    skeptic: SkepticLike | None = None,
    usage: Usage | None = None,
) -> RunReport:
    """Run LessonL on `function` of `file` (whole file when None) and return the report.

    Everything is decided by `lessonl.run.plan`: `config.run` holds the run's overrides,
    `target` lists `file`, `team` is open (its owner closes it). `source_text`: an editor's
    unsaved buffer (the baseline is built from it too). `verification`: how an automatic
    target judges, as is; without it the report names the target's test command and its
    coverage. `harness_factory`: default the real `Harness` (a fake one skips the check for
    the target's programs). `skeptic` attacks every would-be winner before it can be carried
    forward or proposed (docs/method.md, "The skeptic"). `usage`: what the run spent before
    the loop (the automatic target's input generator)."""
    file = Path(file).resolve()
    subject, ctx = _subject(config, file, function, source_text)
    if harness_factory is None:
        require_tools(target)
        harness_factory = grading.DEFAULT_HARNESS
    state = StateDir(config.root).ensure()
    usage = usage if usage is not None else Usage()
    started = time.monotonic()
    report = _new_report(subject, target, team, usage, verification)

    def emit(event: Event) -> None:
        if on_event is not None:
            on_event(event)

    bank = LessonBank(state.bank)
    try:
        emit(_run_started(report, config, target, team))
        async with harness_factory(
            Project.of(config),
            target,
            run_id=report.run_id,
            baseline_overrides={subject.file: subject.source} if source_text is not None else None,
            on_wait=lambda line: emit(Waiting(message_text=line)),
        ) as harness:
            await harness.baseline()
            if verification is None and report.verification is not None:  # the target's own
                await _test_coverage(harness, report.verification, subject.file, subject.function)
            await _Runner(
                run=config.run,
                team=team,
                harness=harness,
                bank=bank,
                usage=usage,
                budget=_Budget(config.run, usage, started),
                emit=emit,
                report=report,
                subject=subject,
                ctx=ctx,
                target=target.name,
                fingerprint=fingerprint(subject.source),
                skeptic=skeptic,
            ).play()
    except asyncio.CancelledError:
        report.stopped = "cancelled"
        raise
    except LessonLError as exc:
        if report.stopped in ("running", "completed"):
            report.stopped = "failed"
        report.errors.append(str(exc))
        raise
    finally:
        bank.close()
        _finish(report, state.runs, started, emit)
    return report


def _subject(
    config: Config, file: Path, function: str | None, source_text: str | None
) -> tuple[Subject, regions.PromptContext]:
    """What the run optimizes (the text: the editor's buffer, else the file) and the prompt's
    view of it; `function` becomes its qualified name."""
    language = language_for_path(file)
    if language is None:
        raise UsageError(f"{file}: unsupported file type; LessonL handles C, C++ and Python files")
    if source_text is None:
        try:
            source = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{file}: cannot read: {exc.strerror}") from exc
    else:
        source = source_text
    ctx = regions.prompt_context(source, language, function)
    name = ctx.name if function is not None else None
    rel = config.relative(file)
    return Subject(source=source, language=language, function=name, file=rel), ctx


def _new_report(
    subject: Subject,
    target: TargetConfig,
    team: Team,
    usage: Usage,
    verification: dict[str, Any] | None,
) -> RunReport:
    report = RunReport(
        run_id=new_run_id(),
        target=target.name,
        function=subject.function,
        file=subject.file,
        usage=usage,
        team=team.description,
    )
    report.verification = verification or {
        "kind": "target",
        "target": target.name,
        "test": target.test,
    }
    return report


def _run_started(report: RunReport, config: Config, target: TargetConfig, team: Team) -> RunStarted:
    return RunStarted(
        run_id=report.run_id,
        target=target.name,
        function=report.function,
        team=team.description,
        agents=tuple(a.name for a in team.agents),
        rounds=config.run.rounds,
        sandbox=isolation.summary(target.sandbox or config.run.sandbox),
    )


def _finish(report: RunReport, runs: Path, started: float, emit: EventCallback) -> None:
    """Whatever ended the run: its wall time and summary, the report written (a failure to
    write is said, not raised over the error propagating), and `RunFinished`."""
    report.wall_s = time.monotonic() - started
    report.summary = _summary(report)
    try:
        report.write(runs)
    except OSError as exc:
        log.warning("%s", state_problem(exc, runs, "write the run report under"))
    best = report.best.speedup if report.best else None
    emit(
        RunFinished(
            run_id=report.run_id, stopped=report.stopped, best_speedup=best, wall_s=report.wall_s
        )
    )


@dataclass
class _Runner:
    """The state of one run between rounds (kept out of `optimize` to keep it readable)."""

    run: RunConfig
    team: Team
    harness: HarnessLike
    bank: LessonBank
    usage: Usage
    budget: _Budget
    emit: EventCallback
    report: RunReport
    subject: Subject
    ctx: regions.PromptContext
    target: str
    fingerprint: str
    # With carry_forward: the variant the agents now rewrite (None: the original), and the
    # subject and prompt context it gives; `subject`/`ctx` above stay the original's.
    base: VariantRecord | None = None
    base_subject: Subject | None = None
    base_ctx: regions.PromptContext | None = None
    skeptic: SkepticLike | None = None
    # The skeptic's verdicts by whole new file, so the same code is attacked once.
    verdicts: dict[str, Verdict] = dataclasses.field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.subject.source

    @property
    def rel(self) -> str:
        return self.subject.file

    @property
    def language(self) -> str:
        return self.subject.language

    @property
    def function(self) -> str | None:
        return self.subject.function

    async def play(self) -> None:
        """The rounds, then the final answer; a cancelled run keeps its best unverified one."""
        try:
            await self.rounds()
            self.report.best = await self.final_answer(thorough=self.report.stopped == "completed")
        except asyncio.CancelledError:
            self.report.stopped = "cancelled"
            self.report.best = self.best_unverified()
            raise

    async def rounds(self) -> None:
        k = self.run.lessons_per_prompt
        for t in range(self.run.rounds):
            stop = self.budget.exceeded()
            if stop:
                self.report.stopped = stop
                return
            # Ours, beyond the paper: round 0 too draws on the project's earlier lessons, by the
            # same rule as later rounds (verified speedups and relevance; see LessonBank.select).
            if self.run.carry_forward:
                await self._carry_forward()
            shown = self.bank.select(
                k, self._ctx.code, language=self.language, function=self.function, file=self.rel
            )
            record = RoundRecord(round=t, shown_lessons=tuple(lesson.id for lesson in shown))
            if self.base is not None and self.base.speedup is not None:
                record.carried_from = {
                    "agent": self.base.agent,
                    "round": self.base.round + 1,
                    "speedup": self.base.speedup,
                }
            self.report.rounds.append(record)
            self.emit(
                RoundStarted(round=t, rounds=self.run.rounds, lesson_ids=record.shown_lessons)
            )
            stopped = await self._play_round(record, shown, seeded=(t == 0 and bool(shown)))
            self._finish_round(record, shown)
            if stopped:
                self.report.stopped = stopped
                return
            stop = self.budget.exceeded()
            if stop:
                self.report.stopped = stop
                return
            if not any(v.outcome is not None for v in record.variants):
                first = next((v.error for v in record.variants if v.error), "no answer")
                raise LessonLError(
                    f"all {len(self.team.agents)} agents failed in round {t + 1}: {first}"
                )
        self.report.stopped = "completed"

    @property
    def _ctx(self) -> regions.PromptContext:
        return self.base_ctx or self.ctx

    @property
    def _base_speedup(self) -> float | None:
        return self.base.speedup if self.base is not None else None

    async def _carry_forward(self) -> None:
        """Make the fastest measurably faster variant so far the code to rewrite (loop
        docstring). Its first measurement ranks it, as it ranks the final candidates; a base
        whose prompt context cannot be built (never seen: it was spliced) stays the last one.
        With a skeptic, a variant is carried forward only once it survived its attack."""
        while True:
            faster = [
                v
                for v in grading.correct_candidates(self._variants())
                if v.new_text is not None and measurably_faster(v.ci95)
            ]
            if not faster or faster[0] is self.base:
                return
            if self.skeptic is None or faster[0].skeptic is not None:
                break
            await self._attack(faster[0])
        best = faster[0]
        assert best.new_text is not None
        try:
            ctx = regions.prompt_context(best.new_text, self.language, self.function)
        except LessonLError as exc:  # the function is always there after a splice; say if not
            log.warning(
                "cannot carry %s's round-%d variant forward: %s", best.agent, best.round + 1, exc
            )
            return
        self.base, self.base_ctx = best, ctx
        self.base_subject = dataclasses.replace(self.subject, source=best.new_text)

    async def _play_round(
        self, record: RoundRecord, shown: list[Lesson], *, seeded: bool
    ) -> str | None:
        """Run every agent's turn; returns a budget name if the wall budget cut the round."""
        remaining = self.budget.remaining_wall()

        async def all_turns() -> None:
            if self.run.sequential:
                for agent in self.team.agents:
                    await self._turn(agent, record, shown, seeded)
            else:
                async with asyncio.TaskGroup() as group:
                    for agent in self.team.agents:
                        group.create_task(self._turn(agent, record, shown, seeded))

        try:
            async with asyncio.timeout(remaining):
                try:
                    await all_turns()
                except* LessonLError as group:
                    # A turn re-raised an error that ends the run (see `_turn`); the task group
                    # has cancelled the other turns. Report it as itself, not as a group.
                    raise group.exceptions[0] from None
        except TimeoutError:
            return "budget:max_wall_s"
        return None

    async def _turn(
        self, agent: Agent, record: RoundRecord, shown: list[Lesson], seeded: bool
    ) -> None:
        t = record.round
        variant = VariantRecord(agent=agent.name, round=t, shown_lessons=record.shown_lessons)
        record.variants.append(variant)
        try:
            self.emit(AgentRequesting(round=t, agent=agent.name))
            prompt = prompts.optimize_prompt(
                self._ctx,
                self.language,
                shown,
                emphasis=agent.emphasis,
                seeded=seeded,
                base_speedup=self._base_speedup,
                function=self.function,
                file=self.rel,
            )
            reply = await self._ask(
                agent,
                prompt,
                t,
                "code",
                self.run.code_max_tokens,
                agent.temperature if agent.temperature is not None else self.run.temperature,
            )
            graded = await grading.grade(
                self.harness,
                self.base_subject or self.subject,
                reply,
                label=f"r{t}-{agent.name}",
                who=f"round {t + 1}, {agent.name}",
            )
            variant.grade = graded
            if self._would_win(variant):
                await self._attack(variant)
                assert variant.grade is not None  # a refuted one's grade says why
                graded = variant.grade
            self.emit(
                VariantEvaluated(
                    round=t,
                    agent=agent.name,
                    outcome=graded.outcome,
                    speedup=variant.speedup,
                    ci95=variant.ci95,
                    detail=variant.detail,
                )
            )
            code = graded.code
            if code is None:
                # No code at all (a refusal, an explanation): a failed sample, and nothing to
                # learn from; "I cannot help with that." was banked and shown to the next run.
                return
            await self._learn(
                agent,
                variant,
                self._ctx,
                code,
                graded,
                base_speedup=self._base_speedup,
            )
        except _BudgetHit as hit:
            variant.error = f"not asked: {hit}"
        except LessonLError as exc:
            variant.error = str(exc)
            if exc.ends_run:  # e.g. the model server every agent uses has died: stop now
                raise
            self.report.errors.append(f"round {t + 1}, {agent.name}: {exc}")
            self.emit(AgentFailed(round=t, agent=agent.name, error=str(exc)))

    async def _learn(
        self,
        agent: Agent,
        variant: VariantRecord,
        ctx: regions.PromptContext,
        shown_code: str,
        graded: Graded,
        *,
        base_speedup: float | None,
    ) -> None:
        """The agent explains its variant's outcome; the lesson goes to the bank."""
        t = variant.round
        outcome = graded.outcome
        lesson_prompt = prompts.lesson_prompt(
            ctx,
            self.language,
            shown_code,
            graded.evaluation,
            parts=graded.parts,
            base_speedup=base_speedup,
        )
        lesson_text = await self._ask(
            agent,
            lesson_prompt,
            t,
            "lesson",
            self.run.lesson_max_tokens,
            self.run.lesson_temperature,
        )
        text = prose(lesson_text)
        if not text or is_refusal(text):  # the outcome is still worth a lesson; this is not
            text = f"The variant {category(outcome, variant.speedup, variant.ci95)}."
        lesson = self.bank.add(
            Lesson(
                id="",
                text=text,
                outcome=outcome,
                speedup=variant.speedup,
                ci95=variant.ci95,
                language=self.language,
                target=self.target,
                function=self.function,
                agent=agent.name,
                model=getattr(agent.config, "model", "") or "",
                run_id=self.report.run_id,
                round=t,
                code=graded.code or "",
                source_fingerprint=self.fingerprint,
                file=self.rel,
            )
        )
        variant.lesson_id = lesson.id
        self.report.lessons_added += 1
        self.emit(LessonAdded(round=t, agent=agent.name, lesson_id=lesson.id, text=lesson.text))

    def _would_win(self, variant: VariantRecord) -> bool:
        """A correct, measurably faster variant that no variant which survived the skeptic
        beats: the skeptic's one call goes to it (docs/method.md, "The skeptic")."""
        if self.skeptic is None or variant.skeptic is not None:
            return False
        if variant.grade is None or variant.speedup is None or not measurably_faster(variant.ci95):
            return False
        return not any(
            v.skeptic is not None
            and v.skeptic["status"] == "passed"
            and v.outcome == "correct"
            and (v.speedup or 0.0) >= variant.speedup
            for v in self._variants()
        )

    async def _attack(self, variant: VariantRecord) -> Verdict:
        """Let the skeptic attack `variant`; a refuted one becomes `incorrect` with the input
        that shows it. A skeptic that cannot be asked (a budget) or gives nothing usable is
        dropped with a note and the variant keeps its verdict."""
        from lessonl.auto.skeptic import DROPPED, REFUTED, Verdict

        assert self.skeptic is not None and variant.new_text is not None
        stop = self.budget.exceeded()
        known = self.verdicts.get(variant.new_text)
        if known is not None:  # the same code again (agents often repeat an answer)
            verdict = known
        elif stop:
            verdict = Verdict(DROPPED, 0, f"skeptic dropped: not asked ({stop})")
        else:
            verdict = await self.skeptic.attack(
                variant.new_text, self.usage, run_id=self.report.run_id, round=variant.round
            )
            if verdict.status != DROPPED:
                self.verdicts[variant.new_text] = verdict
        variant.skeptic = verdict.to_json()
        who = f"round {variant.round + 1}, {variant.agent}"
        if verdict.status == DROPPED:
            log.warning("%s: %s", who, verdict.detail)
            if self.report.verification is not None:
                notes = self.report.verification.setdefault("notes", [])
                if isinstance(notes, list):
                    notes.append(f"{who}: {verdict.detail}")
        elif verdict.status == REFUTED:
            log.info("%s: refuted by the skeptic: %s", who, verdict.detail)
            old = variant.grade
            assert old is not None
            variant.grade = Graded(
                code=old.code,
                parts=old.parts,
                evaluation=NotBuilt(verdict.detail, outcome="incorrect"),
            )
        return verdict

    async def _ask(
        self, agent: Agent, prompt: str, t: int, purpose: str, max_tokens: int, temperature: float
    ) -> str:
        stop = self.budget.exceeded()
        if stop:
            raise _BudgetHit(stop)
        return await grading.ask(
            agent,
            prompt,
            self.usage,
            temperature=temperature,
            max_tokens=max_tokens,
            sample=SampleId(run_id=self.report.run_id, round=t, agent=agent.name, purpose=purpose),
        )

    def _finish_round(self, record: RoundRecord, shown: Sequence[Lesson]) -> None:
        # Agents that attempted a variant vote on every lesson they were shown (docs/method.md 3).
        attempted = [v for v in record.variants if v.outcome is not None]
        if shown and attempted:
            self.bank.record_votes(
                [s.id for s in shown],
                [v.speedup for v in attempted],
                run_id=self.report.run_id,
                round=record.round,
            )
        speeds = [v.speedup for v in record.variants if v.speedup is not None]
        record_best = max(speeds) if speeds else None
        previous = [r.best_speedup for r in self.report.rounds[:-1] if r.best_speedup is not None]
        overall = max(
            [*previous, *([record_best] if record_best is not None else [])], default=None
        )
        record.best_speedup = overall
        self.emit(
            RoundFinished(
                round=record.round,
                rounds=self.run.rounds,
                round_best_speedup=record_best,
                best_speedup=overall,
            )
        )

    def _variants(self) -> list[VariantRecord]:
        return [v for r in self.report.rounds for v in r.variants]

    async def final_answer(self, *, thorough: bool) -> BestVariant | None:
        """Re-time the fastest correct variants and keep the one measurably faster than the
        original. After a budget stop only the top candidate is re-timed, to honour the stop."""
        top = REMEASURE_TOP if thorough else 1
        await self._attack_finalists(top)
        final = await grading.final_answer(
            self.harness,
            self._variants(),
            top=top,
            on_remeasured=self.report.remeasured.append,
        )
        best, why = grading.on_evidence(final.remeasured, self._change_size)
        if best is None or best.speedup is None:
            return None
        chosen = self._best_variant(best.candidate, best.speedup, best.ci95)
        return dataclasses.replace(
            chosen,
            clock=best.again.clock,
            clock_reason=best.again.clock_reason or None,
            chosen_because=why,
        )

    async def _attack_finalists(self, top: int) -> None:
        """Every variant the final re-measurement may pick must have faced the skeptic; one
        refuted now makes room for the next, and its agent learns why (its earlier lesson,
        written when it looked correct, is replaced)."""
        if self.skeptic is None:
            return
        while True:
            pending = [
                v
                for v in grading.correct_candidates(self._variants())[:top]
                if v.skeptic is None and v.new_text is not None
            ]
            if not pending:
                return
            for v in pending:
                verdict = await self._attack(v)
                if verdict.status == "refuted":
                    await self._relearn(v)

    async def _relearn(self, variant: VariantRecord) -> None:
        agent = next((a for a in self.team.agents if a.name == variant.agent), None)
        if agent is None or variant.grade is None:
            return
        if variant.lesson_id is not None and self.bank.forget(variant.lesson_id):
            self.report.lessons_added -= 1
        try:
            await self._learn(
                agent,
                variant,
                self.ctx,
                variant.code or "",
                variant.grade,
                base_speedup=None,
            )
        except (_BudgetHit, LessonLError) as exc:  # the verdict stands; the lesson is missing
            variant.lesson_id = None
            self.report.errors.append(
                f"round {variant.round + 1}, {variant.agent}: no lesson on the skeptic's "
                f"refutation ({exc})"
            )

    def _change_size(self, v: VariantRecord) -> int:
        """Lines added or removed against the original: how much a reviewer must read."""
        if v.new_text is None:
            return 0
        diff = unified_diff(self.source, v.new_text, self.rel).splitlines()
        return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++ ", "--- ")))

    def best_unverified(self) -> BestVariant | None:
        """For a cancelled run's partial report: the best variant as first measured."""
        correct = [
            v for v in grading.correct_candidates(self._variants()) if measurably_faster(v.ci95)
        ]
        if not correct:
            return None
        v = correct[0]
        return self._best_variant(v, v.speedup or 0.0, v.ci95)

    def _best_variant(
        self, v: VariantRecord, speedup: float, ci95: tuple[float, float] | None
    ) -> BestVariant:
        assert v.new_text is not None and v.code is not None
        return BestVariant(
            speedup=speedup,
            ci95=ci95,
            code=v.code,
            diff=unified_diff(self.source, v.new_text, self.rel),
            agent=v.agent,
            round=v.round,
            lessons=v.shown_lessons,
            new_text=v.new_text,
            answer_parts=v.answer_parts,
        )


def unified_diff(old: str, new: str, rel: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{rel}",
            tofile=f"b/{rel}",
        )
    )


def _summary(report: RunReport) -> str:
    """One or two sentences for status bars and the editor: what was found and why not more."""
    variants = [v for r in report.rounds for v in r.variants]
    tried = len([v for v in variants if v.outcome is not None])
    if report.best is not None:
        lo, hi = report.best.ci95 or (report.best.speedup, report.best.speedup)
        text = (
            f"{report.best.speedup:.2f}x faster (95% CI {lo:.2f}-{hi:.2f}) by {report.best.agent} "
            f"in round {report.best.round + 1}, from {tried} variants"
        )
    elif report.stopped == "cancelled":
        text = f"cancelled after {tried} variants; nothing verified faster yet"
    else:
        counts: dict[str, int] = {}
        for v in variants:
            if v.outcome:
                counts[v.outcome] = counts.get(v.outcome, 0) + 1
        what = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items()))
        text = f"no variant was measurably faster than the original ({what or 'no variants'})"
    weak = (report.verification or {}).get("weak")
    if report.best is not None and weak:  # the speedup stands; the evidence is said plainly
        text += f"; {weak}"
    if report.stopped.startswith("budget:"):
        text += f"; stopped by {report.stopped.removeprefix('budget:')}"
    if report.errors:
        text += f"; {len(report.errors)} errors (see report)"
    return text
