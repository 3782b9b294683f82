"""`lessonl sweep`: optimize the hottest functions of a project one after another, with one
team and one lesson bank, then check that the project as a whole got faster.

Why it is built this way:

* The functions come from a fresh `lessonl hotspots` profile of the workload (the project's
  tests, or `-- COMMAND`): the optimizable ones taking at least `min_share` of it, hottest
  first, at most `top`. Each function's run is a normal run through the engine's one entry
  (`_optimize_one`): its own report under `.lessonl/runs/`, its review and its lessons, in
  the project's bank. So lessons learned on the first function are offered on the next ones
  by the bank's ordinary selection, labelled with the function they came from
  (lessonl.prompts); the sweep adds no prompt of its own.
* One team for the whole sweep (built once, handed to every run): one response cache, one
  set of connections, one local model loaded once.
* Winners compound inside a file: a function's run starts from its file as the earlier
  winners left it (`source_text`), so its winner's whole-file text carries theirs, and the
  combined result per file is the last winner's text. Nothing reaches the user's files
  before `--apply` (lessonl.commands.sweep), which writes every changed file only if every
  file is byte-identical to what the sweep started from and the winners together passed the
  tests.
* The end-to-end check: two private copies of the project (the original, and every winner
  applied), the workload timed in both with the harness's interleaved pairs and interval
  (lessonl.harness.timing.time_pairs, the same stopping rule and statistics as a variant's
  timing), then the project's tests run in the copy with the winners. Per-function ratios do
  not add up to a workload's speedup (shares overlap, and rewrites can interact); this does.
  A C/C++ workload (`-- ./build/bench ...`) is the same check once each copy is built with the
  project's own build and its program mapped into the copy (lessonl.sweep_native); a program
  that cannot be mapped (outside the project, on PATH, in no build folder) skips the check,
  and the note says why. Every command of the check runs in the sandbox (`[run] sandbox`):
  the winners are model-written code, however well verified.
* Resumable: the plan, each finished function and the files' texts so far are kept in
  `.lessonl/sweep/state.json`, rewritten atomically after every function. Re-running the
  same sweep (same workload) after a Ctrl-C skips the finished functions; if a file of the
  plan changed on disk since the sweep began, the old state is set aside and a new sweep
  starts (its finished runs' reports stay under `.lessonl/runs/`). A finished sweep is kept
  as `.lessonl/sweep/<sweep_id>.json` and the state file removed.
* Budgets (`max_wall_s`, `max_tokens`, `max_cost_usd`) are for the whole sweep, across
  resumed sessions: each run gets what is left, and no function starts once one is spent.
  `max_wall_s` covers the profile (its time is the first spent) and the end-to-end check: a
  check the budget does not reach is skipped with the reason, and one it reaches has every
  command's timeout cut to what is left (the timing stops there, said in the note) rather
  than overrunning.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import hashlib
import json
import re
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lessonl import sweep_native
from lessonl.atomic import write_text
from lessonl.auto.project import Interpreter
from lessonl.auto.recording import private_env
from lessonl.bank import LessonBank
from lessonl.config import Config, TargetConfig
from lessonl.errors import LessonLError
from lessonl.events import Event
from lessonl.harness import isolation
from lessonl.harness.measure import Sample
from lessonl.harness.sandbox import CommandResult, Limits, expand, run_command
from lessonl.harness.timing import BenchFailed, TimingLock, time_pairs
from lessonl.harness.workspace import populate, project_files
from lessonl.hotspots import TESTS, Hotspot, Profile, Workload, profile, profile_native
from lessonl.llm.team import Team
from lessonl.native.build import first_error_line
from lessonl.report import RunReport
from lessonl.run import Override, Overrides, RunRequest, execute, plan
from lessonl.state import StateDir, state_problem

STATE_VERSION = 1
DEFAULT_TOP = 5
DEFAULT_MIN_SHARE = 0.05
#: Seconds the workload and the tests may take in the end-to-end check (each run).
E2E_TIMEOUT_S = 600.0
_PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?)\b")


class NothingToSweep(LessonLError):
    """The profile has no optimizable function taking enough of the workload."""

    exit_code = 1


@dataclass(frozen=True)
class Budgets:
    """The whole sweep's limits (None: none)."""

    max_wall_s: float | None = None
    max_tokens: int | None = None
    max_cost_usd: float | None = None


@dataclass(frozen=True)
class SweepRequest:
    config: Config
    workload: Workload
    interpreter: Interpreter | None  # None for a native workload
    #: What the user asked for (--interpreter), passed on to each run, which chooses the same
    #: interpreter by the same rule and says where it came from.
    interpreter_setting: str | None = None
    top: int = DEFAULT_TOP
    min_share: float = DEFAULT_MIN_SHARE
    overrides: Overrides = field(default_factory=Overrides)  # per run; budgets: `budgets`
    budgets: Budgets = field(default_factory=Budgets)
    secret_names: tuple[str, ...] = ()
    timeout_s: float = E2E_TIMEOUT_S


@dataclass
class FunctionResult:
    """One function's run, as the summary and `--json` show it."""

    function: str
    file: str
    share: float
    run_id: str | None = None
    best: dict[str, Any] | None = None  # optimize's `best`, without the whole-file text
    verification: str = ""
    lessons_from_earlier: int = 0
    tokens: int = 0
    cost_usd: float | None = 0.0
    wall_s: float = 0.0
    stopped: str = ""
    error: str | None = None

    @property
    def report(self) -> str | None:
        return f".lessonl/runs/{self.run_id}/report.json" if self.run_id else None

    def to_json(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "file": self.file,
            "share": self.share,
            "best": self.best,
            "report": self.report,
            "run_id": self.run_id,
            "verification": self.verification,
            "lessons_from_earlier": self.lessons_from_earlier,
            "tokens": self.tokens,
            "cost_usd": self.cost_usd,
            "wall_s": round(self.wall_s, 3),
            "stopped": self.stopped,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FunctionResult:
        fields = {k: v for k, v in data.items() if k != "report"}
        return cls(**fields)


@dataclass
class EndToEnd:
    """The workload with every winner applied, against the original."""

    workload: str
    speedup: float | None = None
    ci95: tuple[float, float] | None = None
    pairs: int = 0
    clock: str | None = None
    tests_passed: int | None = None
    tests_failed: int | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "speedup": self.speedup,
            "ci95": list(self.ci95) if self.ci95 else None,
            "pairs": self.pairs,
            "clock": self.clock,
            "tests_passed": self.tests_passed,
            "tests_failed": self.tests_failed,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EndToEnd:
        ci = data.get("ci95")
        fields = {k: v for k, v in data.items() if k != "ci95"}
        return cls(**fields, ci95=(float(ci[0]), float(ci[1])) if ci else None)

    @property
    def line(self) -> str:
        if self.speedup is None:
            return f"end to end: {self.note}"
        interval = f" (95% CI {self.ci95[0]:.2f}-{self.ci95[1]:.2f})" if self.ci95 else ""
        tests = (
            f"all {self.tests_passed} tests pass"
            if not self.tests_failed
            else f"{self.tests_failed} of {self.tests_passed + self.tests_failed} tests FAIL"
            if self.tests_passed is not None
            else "tests not run"
        )
        return f"workload `{self.workload}` {self.speedup:.2f}x faster{interval}, {tests}"


@dataclass
class SweepState:
    """What `.lessonl/sweep/state.json` keeps between sessions (module docstring)."""

    sweep_id: str
    started: str
    workload: str
    commit: str | None
    plan: list[dict[str, Any]]  # {"function", "file", "share"} in order
    originals: dict[str, str]  # file -> its text when the sweep began
    texts: dict[str, str]  # file -> its text with the winners so far
    done: list[FunctionResult] = field(default_factory=list)
    spent_wall_s: float = 0.0
    spent_tokens: int = 0
    spent_cost_usd: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "sweep_id": self.sweep_id,
            "started": self.started,
            "workload": self.workload,
            "commit": self.commit,
            "plan": self.plan,
            "originals": self.originals,
            "texts": self.texts,
            "done": [d.to_json() for d in self.done],
            "spent_wall_s": self.spent_wall_s,
            "spent_tokens": self.spent_tokens,
            "spent_cost_usd": self.spent_cost_usd,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SweepState:
        return cls(
            sweep_id=data["sweep_id"],
            started=data["started"],
            workload=data["workload"],
            commit=data.get("commit"),
            plan=list(data["plan"]),
            originals=dict(data["originals"]),
            texts=dict(data["texts"]),
            done=[FunctionResult.from_json(d) for d in data.get("done", [])],
            spent_wall_s=float(data.get("spent_wall_s", 0.0)),
            spent_tokens=int(data.get("spent_tokens", 0)),
            spent_cost_usd=float(data.get("spent_cost_usd", 0.0)),
        )


@dataclass
class SweepReport:
    sweep_id: str
    workload: str
    functions: list[FunctionResult]
    end_to_end: EndToEnd
    diff: str
    originals: dict[str, str]  # file -> its text at the start (what --apply checks)
    texts: dict[str, str]  # file -> text with every winner (only files that changed)
    stopped: str = "done"  # or "budget:max_tokens", ...
    started: str = ""  # UTC, ISO 8601: when the sweep began (its first session)

    @property
    def kept_as(self) -> str:
        """Its file under `.lessonl/sweep/`: the state file until it is done."""
        return f"{self.sweep_id}.json" if self.stopped == "done" else "state.json"

    def to_json(self) -> dict[str, Any]:
        return {
            "sweep_id": self.sweep_id,
            "workload": self.workload,
            "functions": [f.to_json() for f in self.functions],
            "end_to_end": self.end_to_end.to_json(),
            "diff": self.diff,
            "stopped": self.stopped,
            "started": self.started,
        }


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def choose(hotspots: Sequence[Hotspot], top: int, min_share: float) -> list[Hotspot]:
    """The functions to sweep: optimizable, at least `min_share` of the workload, hottest
    first, at most `top`."""
    return [h for h in hotspots if h.optimizable and h.share >= min_share][:top]


def sweep_folder(root: Path) -> Path:
    folder = StateDir(root).ensure().path / "sweep"
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise state_problem(exc, folder, "create") from exc
    return folder


def finished_sweeps(root: Path) -> list[dict[str, Any]]:
    """The finished sweeps kept under `.lessonl/sweep/`, newest first (a sweep's id starts
    with its UTC start time). The unfinished sweep (`state.json`) and the ones set aside
    (`-abandoned`, `state-unreadable-`) are not listed: only finished sweeps have a summary.
    An unreadable file is listed with its `error`, not skipped in silence. What the editor's
    `lessonl/sweeps` answers; here, beside the names the sweep gives its files."""
    out = []
    folder = StateDir(root).path / "sweep"  # read only: nothing is created
    names = sorted(folder.glob("*.json"), key=lambda p: p.name, reverse=True)
    for path in names:
        if path.name == "state.json" or path.stem.endswith("-abandoned"):
            continue
        if path.name.startswith("state-unreadable-"):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("sweep_id") != path.stem:
                raise ValueError("not a finished sweep")
            functions = data["functions"]
            entry = {
                "sweepId": path.stem,
                "started": data.get("started"),
                "workload": data["workload"],
                "stopped": data.get("stopped", "done"),
                "functions": len(functions),
                "faster": sum(1 for f in functions if f.get("best")),
                "endToEnd": EndToEnd.from_json(data["end_to_end"]).line,
            }
        except (OSError, ValueError, KeyError, TypeError) as exc:
            entry = {"sweepId": path.stem, "error": f"{path}: cannot read the kept sweep ({exc})"}
        out.append(entry)
    return out


def _load_state(folder: Path) -> SweepState | None:
    path = folder / "state.json"
    try:
        return SweepState.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # Unreadable: set aside (never deleted), and a new sweep starts.
        with contextlib.suppress(OSError):
            path.replace(folder / f"state-unreadable-{int(time.time())}.json")
        return None


def _save_state(folder: Path, state: SweepState) -> None:
    try:
        write_text(folder / "state.json", json.dumps(state.to_json(), indent=1) + "\n")
    except OSError as exc:
        raise state_problem(exc, folder, "keep the sweep's state in") from exc


def changed_since(root: Path, originals: dict[str, str]) -> list[str]:
    """The sweep's files whose text on disk is not what the sweep began from (what resuming
    and `--apply` check)."""
    changed = []
    for rel, text in originals.items():
        try:
            now = (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            changed.append(rel)
            continue
        if digest(now) != digest(text):
            changed.append(rel)
    return changed


async def _new_state(request: SweepRequest, say: Callable[[str], None]) -> SweepState:
    """Profile the workload and plan the sweep."""
    root = request.config.root
    t0 = time.monotonic()
    if request.workload.kind == "native":
        result: Profile = await profile_native(
            request.config, request.workload, secret_names=request.secret_names
        )
    else:
        assert request.interpreter is not None
        result = await profile(
            root, request.interpreter, request.workload, secret_names=request.secret_names
        )
    chosen = choose(result.hotspots, request.top, request.min_share)
    if not chosen:
        shown = ", ".join(f"{h.function} {h.share:.0%}" for h in result.hotspots[:3])
        raise NothingToSweep(
            f"no optimizable function takes at least {request.min_share:.0%} of "
            f"`{request.workload.shown}` (hottest: {shown}); lower --min-share, or see "
            "`lessonl hotspots` for why the others cannot be optimized"
        )
    texts = {}
    for h in chosen:
        if h.file not in texts:
            texts[h.file] = (root / h.file).read_text(encoding="utf-8")
    say(
        f"sweeping {len(chosen)} function(s) of `{request.workload.shown}`: "
        + ", ".join(f"{h.function} ({h.share:.0%})" for h in chosen)
    )
    return SweepState(
        sweep_id=datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3),
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        workload=request.workload.shown,
        commit=result.commit,
        plan=[{"function": h.function, "file": h.file, "share": h.share} for h in chosen],
        originals=texts,
        texts=dict(texts),
        # The profile is the sweep's first spending: `max_wall_s` covers it.
        spent_wall_s=time.monotonic() - t0,
    )


_FLAGS = {
    "max_wall_s": "--max-wall-s",
    "max_tokens": "--max-tokens",
    "max_cost_usd": "--max-cost-usd",
}


def _left(
    budgets: Budgets, state: SweepState, elapsed: float
) -> tuple[dict[str, float | int], str | None]:
    """What a run may still spend ([run] key -> amount), or the budget already spent."""
    left: dict[str, float | int] = {}
    if budgets.max_wall_s is not None:
        left["max_wall_s"] = budgets.max_wall_s - state.spent_wall_s - elapsed
    if budgets.max_tokens is not None:
        left["max_tokens"] = budgets.max_tokens - state.spent_tokens
    if budgets.max_cost_usd is not None:
        left["max_cost_usd"] = budgets.max_cost_usd - state.spent_cost_usd
    for key, amount in left.items():
        if amount <= 0:
            return {}, f"budget:{key}"
    return left, None


def _run_overrides(request: SweepRequest, left: dict[str, float | int]) -> Overrides:
    """The flags for every run, and what the sweep's budgets leave (never more than the
    project's own per-run `[run]` budget)."""
    values = dict(request.overrides.values)
    for key, amount in left.items():
        own = getattr(request.config.run, key)
        value = amount if own is None else min(amount, own)
        values[key] = Override(value, f"{_FLAGS[key]} (what the sweep has left)", "raise it")
    return Overrides(values)


async def _optimize_one(
    config: Config,
    file: Path,
    function: str,
    *,
    source_text: str,
    overrides: Overrides,
    team: Team,
    interpreter: str | None,
    say: Callable[[str], None],
    on_event: Callable[[Event], None] | None,
) -> RunReport:
    """One function's normal run, through the engine's one door (lessonl.run), with the
    sweep's team injected (the door leaves an injected team open)."""
    decided = plan(
        RunRequest(
            file=file,
            function=function,
            overrides=overrides,
            source=source_text,
            interpreter=interpreter,
            config=config,
            team=team,
            on_event=on_event,
            say=say,
        )
    )
    return await execute(decided)


def _summary_of(report: RunReport, earlier_runs: set[str], bank: LessonBank) -> tuple[str, int]:
    """The verification's one line and how many lessons from earlier functions the run
    showed its agents."""
    verification = report.verification or {}
    line = str(
        verification.get("summary")
        or (f"the target's test: {verification['test']}" if verification.get("test") else "")
    )
    shown = {lid for r in report.rounds for lid in r.shown_lessons}
    shown |= {lid for r in report.rounds for v in r.variants for lid in v.shown_lessons}
    earlier = 0
    for lesson_id in shown:
        lesson = bank.get(lesson_id)
        if lesson is not None and lesson.run_id in earlier_runs:
            earlier += 1
    return line, earlier


def _best_json(report: RunReport) -> dict[str, Any] | None:
    if report.best is None:
        return None
    best = report.best.to_json()
    best.pop("new_text", None)  # the whole file: in the run report, and in the sweep's texts
    return best


async def _resume_or_plan(
    request: SweepRequest, folder: Path, say: Callable[[str], None]
) -> SweepState:
    """The unfinished sweep of this workload when nothing changed since it began, else a new
    plan (the old state set aside, never deleted)."""
    root = request.config.root
    state = _load_state(folder)
    if state is not None:
        changed = changed_since(root, state.originals)
        if state.workload == request.workload.shown and not changed:
            say(
                f"resuming sweep {state.sweep_id}: {len(state.done)} of {len(state.plan)} "
                "functions already done"
            )
            return state
        why = (
            f"{', '.join(changed)} changed since it began"
            if changed
            else f"it swept `{state.workload}`"
        )
        say(f"not resuming the unfinished sweep {state.sweep_id} ({why}): starting afresh")
        with contextlib.suppress(OSError):
            (folder / "state.json").replace(folder / f"{state.sweep_id}-abandoned.json")
    state = await _new_state(request, say)
    _save_state(folder, state)
    return state


async def _sweep_one(
    request: SweepRequest,
    state: SweepState,
    entry: dict[str, Any],
    left: dict[str, float | int],
    *,
    team: Team,
    say: Callable[[str], None],
    on_event: Callable[[Event], None] | None,
) -> FunctionResult:
    """One function's run; its winner becomes its file's text for the functions after it."""
    root = request.config.root
    rel, function = entry["file"], entry["function"]
    result = FunctionResult(function=function, file=rel, share=float(entry["share"]))
    say(f"[{len(state.done) + 1}/{len(state.plan)}] optimizing {function}")
    t0 = time.monotonic()
    try:
        report = await _optimize_one(
            request.config,
            root / rel,
            function.rsplit(":", 1)[1],
            source_text=state.texts[rel],
            overrides=_run_overrides(request, left),
            team=team,
            interpreter=request.interpreter_setting,
            say=say,
            on_event=on_event,
        )
    except LessonLError as exc:
        # This function cannot be run (its recording failed, it was renamed, ...): said, kept
        # in the summary, and the sweep goes on with the next one.
        result.error = str(exc)
        result.stopped = "error"
        say(f"{function}: not optimized: {exc}")
    else:
        earlier_runs = {d.run_id for d in state.done if d.run_id}
        with LessonBank(StateDir(root).bank, read_only=True) as bank:
            result.verification, result.lessons_from_earlier = _summary_of(
                report, earlier_runs, bank
            )
        result.run_id = report.run_id
        result.best = _best_json(report)
        result.tokens = report.usage.input_tokens + report.usage.output_tokens
        result.cost_usd = report.usage.cost_usd
        result.stopped = report.stopped
        if report.best is not None:
            state.texts[rel] = report.best.new_text
        say(f"{function}: {report.summary}")
    result.wall_s = time.monotonic() - t0
    return result


async def run_sweep(
    request: SweepRequest,
    *,
    team: Team,
    say: Callable[[str], None],
    on_event: Callable[[Event], None] | None = None,
    on_function: Callable[[int, int, str], None] | None = None,
    on_end_to_end: Callable[[], None] | None = None,
) -> SweepReport:
    """Plan (or resume) the sweep, run each function, then the end-to-end check.
    `on_function(n, total, function)` is called as the n-th function (1-based) starts and
    `on_end_to_end()` as the end-to-end check starts, for a front end's progress (the
    editor's); `say` keeps the CLI's wording."""
    folder = sweep_folder(request.config.root)
    state = await _resume_or_plan(request, folder, say)
    started = time.monotonic()
    stopped = "done"
    for entry in state.plan[len(state.done) :]:
        left, spent = _left(request.budgets, state, time.monotonic() - started)
        if spent is not None:
            stopped = spent
            say(f"sweep stopped before {entry['function']}: {spent} spent")
            break
        if on_function is not None:
            on_function(len(state.done) + 1, len(state.plan), entry["function"])
        result = await _sweep_one(
            request, state, entry, left, team=team, say=say, on_event=on_event
        )
        state.done.append(result)
        state.spent_tokens += result.tokens
        state.spent_cost_usd += result.cost_usd or 0.0
        state.spent_wall_s += result.wall_s
        started = time.monotonic()
        _save_state(folder, state)
    originals = state.originals
    changed_texts = {rel: text for rel, text in state.texts.items() if text != originals[rel]}
    wall_left = None
    if request.budgets.max_wall_s is not None:
        wall_left = request.budgets.max_wall_s - state.spent_wall_s - (time.monotonic() - started)
    if wall_left is not None and wall_left <= 0:
        end_to_end = EndToEnd(
            state.workload,
            note="skipped: the sweep's wall-clock budget (max_wall_s) was spent before the "
            "end-to-end check; raise --max-wall-s to have the winners checked together",
        )
        say(end_to_end.line)
    else:
        if on_end_to_end is not None:
            on_end_to_end()
        end_to_end = await end_to_end_check(request, originals, changed_texts, wall_left)
    swept = SweepReport(
        sweep_id=state.sweep_id,
        workload=state.workload,
        functions=state.done,
        end_to_end=end_to_end,
        diff=combined_diff(originals, changed_texts),
        originals=state.originals,
        texts=changed_texts,
        stopped=stopped,
        started=state.started,
    )
    if stopped == "done":
        try:
            write_text(folder / swept.kept_as, json.dumps(_kept(swept), indent=1) + "\n")
            (folder / "state.json").unlink(missing_ok=True)
        except OSError as exc:
            raise state_problem(exc, folder, "keep the finished sweep in") from exc
    return swept


def _kept(report: SweepReport) -> dict[str, Any]:
    return {**report.to_json(), "originals": report.originals, "texts": report.texts}


def combined_diff(originals: dict[str, str], texts: dict[str, str]) -> str:
    """One unified diff of every file the winners changed."""
    parts: list[str] = []
    for rel in sorted(texts):
        parts.extend(
            difflib.unified_diff(
                originals[rel].splitlines(keepends=True),
                texts[rel].splitlines(keepends=True),
                fromfile=f"a/{rel}",
                tofile=f"b/{rel}",
            )
        )
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)


def _workload_argv(workload: Workload, interpreter: Interpreter) -> list[str]:
    if workload.kind == "module":
        return [interpreter.path, "-m", workload.target, *workload.args]
    return [interpreter.path, workload.target, *workload.args]


def pytest_counts(output: str) -> tuple[int, int]:
    """(passed, failed) from pytest's summary line; errors count as failed."""
    passed = failed = 0
    lines = [ln for ln in output.splitlines() if ln.strip()]
    for count, word in _PYTEST_COUNT.findall(lines[-1] if lines else ""):
        if word == "passed":
            passed = int(count)
        else:
            failed += int(count)
    return passed, failed


async def end_to_end_check(
    request: SweepRequest,
    originals: dict[str, str],
    texts: dict[str, str],
    wall_left: float | None = None,
) -> EndToEnd:
    """Time the workload with every winner against the original, then run the tests with
    the winners (module docstring). `wall_left`: what the sweep's `max_wall_s` leaves; every
    step's timeout is cut to it, and a step it does not reach is skipped and said."""
    shown = request.workload.shown
    if not texts:
        return EndToEnd(shown, note="no function was made faster: nothing to check")
    root = request.config.root
    work = sweep_folder(root) / "work"
    python = request.interpreter.path if request.interpreter is not None else None
    clock = _Check(request, work, wall_left, python)
    await asyncio.to_thread(shutil.rmtree, work, True)
    try:
        if request.workload.kind == "native":
            return await _native_check(request, originals, texts, work, clock)
        assert request.interpreter is not None
        base, cand = work / "original", work / "winners"
        await asyncio.to_thread(_copies, root, work, originals, texts, ())
        argv = _workload_argv(request.workload, request.interpreter)
        outcome = await _time(shown, (argv, base), (argv, cand), clock)
        result = await clock.run([request.interpreter.path, *TESTS], cand)
        if result is None:
            outcome.note = _joined(outcome.note, clock.spent_note("the tests"))
            return outcome
        outcome.tests_passed, outcome.tests_failed = pytest_counts(result.stdout)
        if result.returncode not in (0, 5) and not outcome.tests_failed:
            outcome.tests_failed = 1  # the suite failed without a summary (a crash, a timeout)
        return outcome
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)


class _OutOfTime(Exception):
    """The sweep's `max_wall_s` ran out during the end-to-end check's timing."""


class _Check:
    """How the end-to-end check runs a command: in the sandbox as `[run] sandbox` says (only
    the check's folder writable, HOME and the project hidden, no network: the winners are
    model-written code), in the private environment, with each command's timeout cut to what
    the sweep's `max_wall_s` leaves."""

    def __init__(
        self, request: SweepRequest, work: Path, wall_left: float | None, python: str | None
    ) -> None:
        self.timeout_s = request.timeout_s
        self.end = None if wall_left is None else time.monotonic() + wall_left
        self.root, self.work = request.config.root, work
        self.env = private_env(work, request.secret_names)
        self.boxed = isolation.enabled(request.config.run.sandbox, where="[run]")
        self.readable = isolation.interpreter_paths(python) if python else []

    async def run(self, argv: list[str], cwd: Path) -> CommandResult | None:
        """The command's result; None when the budget is spent before it starts."""
        limits = self.limits()
        if limits is None:
            return None
        if self.boxed:
            argv = isolation.wrap(
                argv,
                cwd=cwd,
                writable=self.work,
                hidden=[*isolation.real_homes(), self.root],
                readable=self.readable,
            )
        return await run_command(argv, cwd=cwd, env=self.env, limits=limits)

    def left(self) -> float:
        return self.timeout_s if self.end is None else self.end - time.monotonic()

    def limits(self) -> Limits | None:
        """The sandbox's limits for the next command; None when the budget is spent."""
        wall = min(self.timeout_s, self.left())
        if wall <= 0:
            return None
        return Limits(wall_s=wall, cpu_s=wall, memory_mb=4096, file_size_mb=512)

    def spent_note(self, what: str) -> str:
        return (
            f"{what} skipped: the sweep's wall-clock budget (max_wall_s) is spent; raise "
            "--max-wall-s to have the winners checked together"
        )


def _joined(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _copies(
    root: Path, work: Path, originals: dict[str, str], texts: dict[str, str], exclude: Sequence[str]
) -> None:
    """The two private copies: `original` (the files as the sweep began) and `winners`."""
    files = project_files(root, exclude)
    populate(root, work / "original", files, overrides=originals)
    populate(root, work / "winners", files, overrides=texts)
    (work / "home" / "tmp").mkdir(parents=True, exist_ok=True)


async def _time(
    shown: str,
    baseline: tuple[list[str], Path],
    candidate: tuple[list[str], Path],
    clock: _Check,
) -> EndToEnd:
    """The workload timed in both copies with the harness's interleaved pairs and interval
    (argv and working folder of each)."""
    outcome = EndToEnd(shown)
    if clock.left() <= 0:
        outcome.note = clock.spent_note("the timing")
        return outcome

    def runner(argv: list[str], tree: Path, which: str) -> Callable[[], Any]:
        async def once() -> Sample:
            result = await clock.run(argv, tree)
            if result is None:
                raise _OutOfTime
            if result.returncode != 0:
                if clock.left() <= 0:
                    raise _OutOfTime  # cut short by the budget, not a failure of the workload
                raise BenchFailed(which, result)
            return Sample(result.wall_s, result.wall_s, result.cpu_s)

        return once

    # The timing stops by half of what is left, so that the tests still get their turn.
    budget = min(TargetConfig.timing_budget_s, clock.left() / 2)
    try:
        timed = await time_pairs(
            runner(*baseline, "baseline"),
            runner(*candidate, "candidate"),
            lock=TimingLock(),
            min_pairs=TargetConfig.min_pairs,
            max_pairs=TargetConfig.max_pairs,
            budget_s=budget,
            ci_target=TargetConfig.ci_target,
        )
    except BenchFailed as exc:
        where = "with the winners" if exc.which == "candidate" else "on the original"
        outcome.note = f"the workload fails {where}: no speedup to report"
    except _OutOfTime:
        outcome.note = clock.spent_note("the timing")
    else:
        outcome.speedup, outcome.ci95 = timed.speedup, timed.ci95
        outcome.pairs, outcome.clock = timed.pairs, timed.estimate.clock
        if timed.speedup is None:
            outcome.note = timed.estimate.note
    return outcome


async def _native_check(
    request: SweepRequest,
    originals: dict[str, str],
    texts: dict[str, str],
    work: Path,
    clock: _Check,
) -> EndToEnd:
    """A C/C++ workload's check (lessonl.sweep_native): both copies built with the project's
    build, its program mapped into each, timed as a Python workload, then the project's tests
    in the copy with the winners."""
    shown = request.workload.shown
    root = request.config.root
    try:
        how = await asyncio.to_thread(
            sweep_native.plan,
            root,
            request.workload.target,
            sorted(texts)[0],
            lambda _l: None,
            request.config.run.configure_args,
        )
    except sweep_native.Unmappable as exc:
        return EndToEnd(shown, note=f"skipped: {exc}")
    await asyncio.to_thread(_copies, root, work, originals, texts, how.exclude)
    trees = {"original": work / "original", "winners": work / "winners"}
    argv: dict[str, list[str]] = {}
    for name, tree in trees.items():
        out = work / f"{name}-build"
        out.mkdir()
        where = {"root": str(tree), "build": str(out)}
        built = await clock.run(expand(how.build, where), tree)
        if built is None:
            return EndToEnd(shown, note=clock.spent_note(f"building the {name} copy"))
        if built.returncode != 0:
            what = "the winners together do not" if name == "winners" else "the project does not"
            said = (built.stderr + "\n" + built.stdout).strip()
            why = first_error_line(said) if said else f"exit status {built.returncode}"
            outcome = EndToEnd(shown, note=f"{what} build in a copy: {why}")
            if name == "winners":
                outcome.tests_passed, outcome.tests_failed = 0, 1
            return outcome
        program = how.program.replace("{root}", str(tree)).replace("{build}", str(out))
        if not Path(program).is_file():
            return EndToEnd(
                shown,
                note="skipped: the copy's build made no "
                f"`{request.workload.target}` (looked for {Path(program).relative_to(work)})",
            )
        argv[name] = [program, *request.workload.args]
    outcome = await _time(
        shown,
        (argv["original"], trees["original"]),
        (argv["winners"], trees["winners"]),
        clock,
    )
    if how.test is None:
        outcome.note = _joined(outcome.note, f"tests not run: {how.tests_note}")
        return outcome
    where = {"root": str(trees["winners"]), "build": str(work / "winners-build")}
    result = await clock.run(expand(how.test, where), trees["winners"])
    if result is None:
        outcome.note = _joined(outcome.note, clock.spent_note("the tests"))
        return outcome
    passed, failed, note = sweep_native.test_counts(
        how.kind, result.stdout + "\n" + result.stderr, result.returncode
    )
    outcome.tests_passed, outcome.tests_failed = passed, failed
    outcome.note = _joined(outcome.note, note)
    return outcome
