"""`Harness`: build, check and time variants of a target's files (docs/method.md section 5).

One `Harness` serves one run and one target. The baseline (the original code, or the editor's
unsaved buffer via `baseline_overrides`) is copied and built once, then every variant gets its
own copy under `<root>/.lessonl/build/<run_id>/<variant-id>/`:

    tree/   the project copy; commands run here (cwd)
    out/    the private `{build}` folder
    home/   HOME, and home/tmp as TMPDIR

Command placeholders: `{build}` (that folder), `{python}` (this interpreter, `sys.executable`,
so a Python target runs under the same venv as lessonl), `{root}` (the copy's root),
`{project}` (the real project root, where `.lessonl/` lives) and `{lessonl_runner}` (the
automatic target's runner shipped with lessonl). The last two let `lessonl target` print an
entry without this machine's absolute paths, so it can be committed and still run.

Every command runs through `sandbox.run_command` (limits, scrubbed environment, whole-tree
kills) and, unless the target's or `[run]`'s `sandbox = "off"`, inside bubblewrap with only
that variant's folder writable (see isolation.py).

Steps for a variant: write its files, a Python syntax check of `.py` files (so a Python target
without a build step still gets `not_compilable`), build, test, compare output if asked, time.
Builds and tests of several variants run concurrently (bounded by the number of cores) and
hold the machine-wide timing lock shared; each timed pair holds it exclusive (see timing.py).
Variants that are not correct are pruned at once; correct ones are kept for `retime` until
`__aexit__`, which kills any leftover process and removes the run's build folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import os
import re
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import lessonl
from lessonl.config import Config, TargetConfig
from lessonl.errors import EnvironmentProblem, LessonLError, UsageError
from lessonl.harness import isolation, support
from lessonl.harness.measure import Sample, clock_words
from lessonl.harness.outcomes import Evaluation, Outcome, first_line
from lessonl.harness.sandbox import (
    CommandResult,
    Limits,
    expand,
    kill_tree,
    run_command,
    scrub_env,
    signal_name,
    warn_inherited_cpu_limit,
)
from lessonl.harness.stats import TIME_LINE, median, parse_time_lines, typical
from lessonl.harness.timing import BenchFailed, PairProgress, SharedBaseline, TimingLock
from lessonl.harness.workspace import (
    check_relative,
    claim,
    populate,
    project_files,
    prune_orphans,
)
from lessonl.state import StateDir, state_problem

log = logging.getLogger(__name__)

ERROR_LINES = 12  # compiler error lines kept for the lesson prompt
DETAIL_CHARS = 1500  # bound on any detail text
WAIT_REPEAT_S = 120.0  # after the first, a line about waiting for the lock at most this often

_INSTALL_HINTS = {
    "g++": "apt-get install g++",
    "c++": "apt-get install g++",
    "gcc": "apt-get install gcc",
    "cc": "apt-get install gcc",
    "clang": "apt-get install clang",
    "clang++": "apt-get install clang",
    "make": "apt-get install make",
    "cmake": "apt-get install cmake",
    "python3": "apt-get install python3",
}
_SHELL_BUILTINS = frozenset(
    {"cd", "export", "set", "true", "false", "test", "[", "echo", "exec", ".", "source", "ulimit"}
)
_MEMORY_ERROR = re.compile(r"bad_alloc|MemoryError|Cannot allocate memory|out of memory", re.I)


class BaselineError(LessonLError):
    """The original code does not build, pass its test or run its bench: nothing to compare to."""


#: The automatic target's runner (a folder run as a script: `python RUNNER check ...`), found
#: by path because importing `lessonl.auto` from here would be circular.
RUNNER = Path(__file__).resolve().parent.parent / "auto" / "runner"


def placeholders(*, build: str, root: str, project: str) -> dict[str, str]:
    """What each command placeholder stands for (see the module docstring)."""
    return {
        "build": build,
        "python": sys.executable,
        "root": root,
        "project": project,
        "lessonl_runner": str(RUNNER),
    }


def require_tools(target: TargetConfig) -> None:
    """Raise `EnvironmentProblem` if a program the target's commands start is not installed.

    Checked before a run so that a missing compiler is one clear line, not twelve variants
    'not compilable'. Programs given as paths (`{build}/bench`, `./run.sh`) are not checked:
    they are made by the build or live in the project.
    """
    for kind, command in (("build", target.build), ("test", target.test), ("bench", target.bench)):
        if not command:
            continue
        argv = expand(command, placeholders(build="{build}", root=".", project="."))
        if argv[:2] == ["/bin/sh", "-c"]:
            try:
                words = [w for w in shlex.split(argv[2]) if not re.match(r"^\w+=", w)]
            except ValueError:
                continue
            if not words:
                continue
            program = words[0]
        else:
            program = argv[0]
        if "/" in program or "{" in program or program in _SHELL_BUILTINS:
            continue
        if shutil.which(program) is None:
            hint = _INSTALL_HINTS.get(program, "or put it on PATH")
            how = f"install it ({hint})" if program in _INSTALL_HINTS else f"install it {hint}"
            raise EnvironmentProblem(
                f"{program} not found: {how} or change the target's {kind} command"
            )


@dataclass(frozen=True)
class _Copy:
    """One build directory (see the module docstring)."""

    vid: str
    path: Path
    #: Where the sandboxed commands see `path` when the target reuses the original's build
    #: (`reuse_build`): one fixed path for every variant, each in its own mount namespace.
    seen: Path | None = None

    @property
    def inside(self) -> _Copy:
        """This copy as its commands see it (placeholders, cwd, HOME)."""
        return _Copy(self.vid, self.seen) if self.seen is not None else self

    @property
    def tree(self) -> Path:
        return self.path / "tree"

    @property
    def out(self) -> Path:
        return self.path / "out"

    @property
    def home(self) -> Path:
        return self.path / "home"


@dataclass
class Costs:
    """Where one evaluation's wall time went, in seconds (`Harness.costs[evaluation.id]`).

    For benchmarks and diagnostics: the harness's overhead is `wall_s` minus the work a bare
    script would also do (`build_s + test_s + timed_s`) and the waiting (`lock_wait_s`). The
    evaluation that first needs the original pays for building and testing it; `timed_s`
    counts the original's timed runs in full, also where candidates share them."""

    build_s: float = 0.0
    test_s: float = 0.0
    timed_s: float = 0.0  # the timed bench runs, baseline and variant
    lock_wait_s: float = 0.0  # waiting for the timing lock (other runs' timing, builds)
    wall_s: float = 0.0  # the whole evaluate() or retime() call


@dataclass
class _Baseline:
    """The original, built and tested; `evaluation` once it was timed once (`baseline()`)."""

    copy: _Copy
    test_stdout: str
    evaluation: Evaluation | None = None


@dataclass(frozen=True)
class Project:
    """What the harness needs of a project's configuration, and nothing more: where the project
    is, `[run] sandbox` (a target's own `sandbox` wins), and the names of the environment
    variables holding the agents' API keys (scrubbed from every command's environment)."""

    root: Path
    sandbox: str = "auto"
    secret_names: tuple[str, ...] = ()

    @classmethod
    def of(cls, config: Config) -> Project:
        secrets = tuple(a.api_key_env for a in config.agents if a.api_key_env)
        return cls(Path(config.root), config.run.sandbox, secrets)


class Harness:
    """Build, check and time variants of `target`'s files; see the module docstring."""

    def __init__(
        self,
        project: Project,
        target: TargetConfig,
        *,
        run_id: str,
        baseline_overrides: Mapping[str, str] | None = None,
        on_progress: Callable[[str], None] | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        """`on_progress`, if given, gets one line per step worth telling a user who waits:
        waiting for the timing lock (and for whom), building, testing, each timed pair.
        `on_wait` gets only the waiting lines: a run of many concurrent evaluations (optimize)
        shows those, which explain a silent pause, and not every step of every variant."""
        self.project = project
        self.on_progress = on_progress
        self.on_wait = on_wait
        self._waits = 0  # times this harness waited for the timing lock
        self._last_wait_said = 0.0
        self.target = target
        self.run_id = run_id
        self.root = project.root
        self.run_dir = StateDir(self.root).build / run_id
        self._overrides = {check_relative(k): v for k, v in (baseline_overrides or {}).items()}
        self._allowed = {check_relative(f) for f in target.files}
        self._limits = Limits(
            wall_s=target.timeout_s,
            cpu_s=target.cpu_limit_s or target.timeout_s,
            memory_mb=target.memory_mb,
            file_size_mb=target.file_size_mb,
        )
        self._secret_names = list(project.secret_names)
        # Decided once, at the start: "required" without bwrap fails here, before any work.
        self.sandboxed = isolation.enabled(
            target.sandbox or project.sandbox,
            where=f"target {target.name!r}:" if target.sandbox else "[run]",
        )
        warn_inherited_cpu_limit()
        self._hidden = [*isolation.real_homes(), self.root] if self.sandboxed else []
        # reuse_build: each variant's {build} starts from the original's built folders, which
        # needs every copy at the same path in its sandbox (a build folder holds absolute
        # paths): `_fixed`, inside the hidden project root, where bwrap can make the mount
        # point. Unsandboxed there is no such path, and every variant builds from scratch.
        self._reuse = tuple(target.reuse_build) if self.sandboxed else ()
        if target.reuse_build and not self.sandboxed:
            log.info(
                "target %r: reuse_build is ignored without the sandbox; every variant builds "
                "%s itself",
                target.name,
                ", ".join(target.reuse_build),
            )
        self._fixed = Path(os.path.realpath(self.run_dir)) / "fixed" if self._reuse else None
        self._built = self.run_dir / "original-build"  # the original's, as its build left them
        self._built_ns = 0  # the newest modification time in `_built`
        # The runner scripts of the automatic target live in this package: an editable install
        # under HOME would otherwise be hidden from them.
        self._readable = [
            Path(lessonl.__file__).resolve().parent,
            *(self.root / p for p in target.readable),  # absolute paths stay as they are
        ]
        self._lock = TimingLock()
        self._shared: SharedBaseline | None = None  # made once the original is built
        self._slots = asyncio.Semaphore(os.cpu_count() or 2)
        self._files: list[str] | None = None
        self._baseline: _Baseline | None = None
        self._baseline_error: LessonLError | None = None
        self._baseline_guard = asyncio.Lock()
        self._files_guard = asyncio.Lock()
        self._variants: dict[str, _Copy] = {}
        self._counter = itertools.count(1)
        self._live: set[int] = set()
        self._claimed = False
        self.costs: dict[str, Costs] = {}
        #: What preparing the original cost when `baseline()` did it (an `evaluate` that
        #: prepares it counts that in its own `Costs` instead).
        self.baseline_costs = Costs()

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Harness:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._shared is not None:
            await self._shared.close()
        for pid in list(self._live):
            kill_tree(pid)
        await asyncio.to_thread(shutil.rmtree, self.run_dir, True)

    # ------------------------------------------------------------------ public API

    async def baseline(self) -> Evaluation:
        """Copy, build, test and time the original once; raises `BaselineError` if it fails.

        `evaluate` does not need this: it builds and tests the original only once the candidate
        has compiled, and times it only in the candidate's pairs (docs/design.md, Measuring)."""
        started = time.perf_counter()
        prepared = await self._prepared(self.baseline_costs)
        async with self._baseline_guard:
            if self._baseline_error is not None:
                raise self._baseline_error
            if prepared.evaluation is None:
                try:
                    prepared.evaluation = await self._time_once(prepared.copy)
                except LessonLError as exc:
                    self._baseline_error = exc
                    raise
            self.baseline_costs.wall_s += time.perf_counter() - started
            return prepared.evaluation

    async def baseline_coverage(
        self, rel: str, function: str | None
    ) -> tuple[dict[str, Any] | None, str | None]:
        """(coverage, None) of `function` in `rel` (whole file when None) while the target's
        test runs once more on the built original under coverage.py, or (None, why not).
        Never raises for the measurement itself: a test that fails under coverage, or a
        command that is not a Python one, is a reason (lessonl/harness/coverage.py)."""

        # Here, not at the top: it reuses the runner's measure (lessonl.auto.runner.strength),
        # and importing lessonl.auto imports this module.
        from lessonl.harness import coverage as target_coverage

        prepared = await self._prepared(self.baseline_costs)
        copy = prepared.copy
        if not rel.endswith(".py"):
            return None, f"coverage not measured: {rel} is not a Python file"
        made = target_coverage.plan(self.target.test)
        if isinstance(made, str):
            return None, f"coverage not measured: {made}"
        source = copy.tree / rel
        try:
            where = target_coverage.span(source.read_text(encoding="utf-8"), function)
        except OSError as exc:
            return None, f"coverage not measured: cannot read {rel}: {exc.strerror}"
        if isinstance(where, str):
            return None, f"coverage not measured: {where}"
        env: dict[str, str] = {}
        readable: list[Path] = []
        try:
            data = target_coverage.write_rc(copy.out, source.resolve())
            folder = (
                await asyncio.to_thread(support.build, copy.out / "coverage-support")
                if made.support
                else None
            )
        except OSError as exc:
            return None, f"coverage not measured: cannot prepare it in {copy.out}: {exc}"
        if made.support:
            if folder is None:
                return None, "coverage not measured: coverage.py is not installed with LessonL"
            old = self._env(copy).get("PYTHONPATH")
            env["PYTHONPATH"] = os.pathsep.join([str(folder), *([old] if old else [])])
            readable = isolation.interpreter_paths(sys.executable)
        self._say("measuring the test's coverage of the original")
        async with self._slots, self._lock.shared(self._waiting):
            result = await self._run(copy, made.command, env=env, readable=readable)
        self.baseline_costs.test_s += result.wall_s
        failed = self._classify("test", result, copy)
        if failed is not None:
            return None, (
                f"coverage not measured: the target's test fails under coverage.py "
                f"({failed[0]}): {first_line(failed[1])}"
            )
        measured = await asyncio.to_thread(target_coverage.read, data, source.resolve(), *where)
        if isinstance(measured, str):
            return None, f"coverage not measured: {measured}"
        return measured, None

    async def evaluate(self, files: Mapping[str, str], *, label: str) -> Evaluation:
        """Grade a variant (relative path -> whole new text of one of the target's files).

        Never raises for a bad variant; raises `UsageError` for a path the target does not
        own (the variant may not rewrite the test) and `BaselineError` if the original fails.
        The candidate is built before the original is: a candidate that does not compile costs
        its own build and nothing else, whoever evaluates it first.
        """
        files = {check_relative(k): v for k, v in files.items()}
        for rel in files:
            if rel not in self._allowed:
                raise UsageError(
                    f"{rel} is not one of target {self.target.name!r}'s files "
                    f"({', '.join(sorted(self._allowed))})"
                )
        await self._list_files()
        if self._baseline_error is not None:
            raise self._baseline_error
        vid = f"v{next(self._counter)}-{_slug(label)}"
        started = time.perf_counter()
        costs = self.costs[vid] = Costs()
        copy = await self._copy(vid, {**self._overrides, **files})
        keep = False
        try:
            evaluation = await self._grade(copy, files, label, costs)
            keep = evaluation.outcome == Outcome.CORRECT
            costs.wall_s = time.perf_counter() - started
            evaluation = dataclasses.replace(evaluation, lock_wait_s=costs.lock_wait_s)
            return evaluation
        finally:
            if keep:
                self._variants[evaluation.id] = copy
            else:
                await asyncio.to_thread(shutil.rmtree, copy.path, True)

    async def retime(self, evaluation: Evaluation) -> Evaluation:
        """Fresh interleaved pairs for a correct variant of this run (others are returned as
        they are: there is nothing to time)."""
        copy = self._variants.get(evaluation.id)
        if evaluation.outcome != Outcome.CORRECT or copy is None:
            return evaluation
        started = time.perf_counter()
        costs = self.costs[evaluation.id] = Costs()
        again = await self._time(copy, evaluation.id, evaluation.label, costs)
        costs.wall_s = time.perf_counter() - started
        return dataclasses.replace(again, lock_wait_s=costs.lock_wait_s)

    # ------------------------------------------------------------------ steps

    async def _list_files(self) -> None:
        """The project's files, listed once (every copy is made of them)."""
        async with self._files_guard:
            if self._files is not None:
                return
            files = await asyncio.to_thread(project_files, self.root, self.target.exclude)
            missing = [f for f in self._allowed if f not in files and f not in self._overrides]
            if missing:
                raise UsageError(
                    f"target {self.target.name!r} lists {missing[0]}, which is not in the "
                    f"project (or is excluded, untracked-and-ignored, or missing) under "
                    f"{self.root}"
                )
            self._files = files

    async def _prepared(self, costs: Costs) -> _Baseline:
        """The original copied, built and tested, once per harness (the first caller does it,
        into its `costs`); raises `BaselineError` (remembered) if it fails."""
        async with self._baseline_guard:
            if self._baseline is not None:
                return self._baseline
            if self._baseline_error is not None:
                raise self._baseline_error
            try:
                self._baseline = await self._make_baseline(costs)
            except LessonLError as exc:
                self._baseline_error = exc
                raise
            return self._baseline

    async def _make_baseline(self, costs: Costs) -> _Baseline:
        await self._list_files()
        copy = await self._copy("baseline", self._overrides)
        failed = await self._build(copy, self._overrides, costs)
        if failed is not None:
            raise BaselineError(
                f"the original code fails to build ({failed[0]}): {first_line(failed[1])}; "
                "fix the project or the target's build command"
            )
        if self._reuse:
            # Kept before the original's test and timed runs write into them (ctest's logs),
            # so every variant starts from the folders exactly as the build left them.
            started = time.perf_counter()
            for rel in await asyncio.to_thread(self._keep_build, copy):
                self._say(
                    f"reuse_build: the original's build made no {{build}}/{rel}; every variant "
                    "builds it from scratch"
                )
            costs.build_s += time.perf_counter() - started
        result = await self._step(copy, "test", self.target.test, costs)
        failed = self._classify("test", result, copy)
        if failed is not None:
            raise BaselineError(
                f"the original code fails the target's test ({failed[0]}): "
                f"{first_line(failed[1])}; fix the project or the target's test command"
            )
        return _Baseline(copy, _strip_times(result.stdout))

    async def _time_once(self, copy: _Copy) -> Evaluation:
        """The original's one timed run of `baseline()`."""
        try:
            self._say("timing the original once")
            asked = time.perf_counter()
            async with self._lock.exclusive(self._waiting):
                self.baseline_costs.lock_wait_s += time.perf_counter() - asked
                first = (await self._measure(copy, "baseline", self.baseline_costs)).figure_s
        except BenchFailed as exc:
            _, detail = self._classify("bench", exc.result, copy) or ("", "")  # type: ignore[arg-type]
            raise BaselineError(
                f"the original code's bench failed: {first_line(detail)}; fix the project or "
                "the target's bench command"
            ) from None
        return Evaluation(
            id="baseline",
            label="baseline",
            outcome=Outcome.CORRECT,
            speedup=1.0,
            ci95=(1.0, 1.0),
            baseline_s=first,
            candidate_s=first,
            pairs=0,
        )

    def _first_baseline_s(self) -> float | None:
        """The original's one timed run, if `baseline()` made it (a failed variant reports it)."""
        base = self._baseline.evaluation if self._baseline is not None else None
        return base.baseline_s if base is not None else None

    async def _grade(
        self, copy: _Copy, files: Mapping[str, str], label: str, costs: Costs
    ) -> Evaluation:
        """Build the candidate; only then the original (if no one has yet: its failure is a
        `BaselineError`), so that a test failure is judged against an original known to pass;
        then test and time the candidate."""

        def fail(outcome: Outcome, detail: str) -> Evaluation:
            return Evaluation(
                id=copy.vid,
                label=label,
                outcome=outcome,
                baseline_s=self._first_baseline_s(),
                detail=_bound(detail),
            )

        if self._reuse:
            # The original is built first here: the variant starts from its build folders.
            await self._prepared(costs)
            started = time.perf_counter()
            await asyncio.to_thread(self._start_from_original, copy, files)
            costs.build_s += time.perf_counter() - started
        failed = await self._build(copy, files, costs)
        if failed is not None:
            return fail(*failed)
        base = await self._prepared(costs)
        result = await self._step(copy, "test", self.target.test, costs)
        failed = self._classify("test", result, copy)
        if failed is not None:
            return fail(*failed)
        if self.target.compare_output:
            diff = _first_difference(base.test_stdout, _strip_times(result.stdout))
            if diff is not None:
                return fail(Outcome.INCORRECT, diff)
        return await self._time(copy, copy.vid, label, costs)

    async def _time(self, copy: _Copy, vid: str, label: str, costs: Costs) -> Evaluation:
        assert self._baseline is not None
        baseline_copy = self._baseline.copy

        def pair_done(progress: PairProgress) -> None:
            line = f"{label}: timed pair {progress.pair} of at most {progress.max_pairs}"
            est = progress.estimate
            if est is not None and est.speedup is not None and est.ci95 is not None:
                line += (
                    f": {est.speedup:.3f}x (95% CI {est.ci95[0]:.3f}-{est.ci95[1]:.3f}, "
                    f"{clock_words(est.clock)})"
                )
            elif est is not None and est.untrusted:
                line += f": {est.note}"
            self._say(line)

        if self._shared is None:
            self._shared = SharedBaseline(
                lambda: self._measure(baseline_copy, "baseline", Costs()),
                lock=self._lock,
                on_wait=self._waiting,
            )
        try:
            timing = await self._shared.time(
                lambda: self._measure(copy, "candidate", costs),
                min_pairs=self.target.min_pairs,
                max_pairs=self.target.max_pairs,
                budget_s=self.target.timing_budget_s,
                ci_target=self.target.ci_target,
                on_pair=pair_done if self.on_progress is not None else None,
            )
        except BenchFailed as exc:
            result: CommandResult = exc.result  # type: ignore[assignment]
            outcome, detail = self._classify("bench", result, copy) or (Outcome.CRASHED, "")
            if exc.which == "baseline":
                raise BaselineError(
                    f"the original code's bench failed during timing: {first_line(detail)}"
                ) from None
            return Evaluation(
                id=vid,
                label=label,
                outcome=outcome,
                baseline_s=self._first_baseline_s(),
                detail=_bound(detail),
            )
        costs.lock_wait_s += timing.waited_s
        costs.timed_s += sum(s.wall_s for s in timing.baseline_samples)  # shared, all counted
        est = timing.estimate
        return Evaluation(
            id=vid,
            label=label,
            outcome=Outcome.CORRECT,
            speedup=est.speedup,
            ci95=est.ci95,
            baseline_s=typical(timing.baseline),
            candidate_s=typical(timing.candidate),
            pairs=timing.pairs,
            detail=est.note,
            clock=est.clock,
            speedup_bench=est.speedup_bench,
            ci95_bench=est.ci95_bench,
            speedup_cpu=est.speedup_cpu,
            ci95_cpu=est.ci95_cpu,
            baseline_cpu_s=est.baseline_cpu_s,
            candidate_cpu_s=est.candidate_cpu_s,
            clock_reason=est.reason,
        )

    async def _build(
        self, copy: _Copy, files: Mapping[str, str], costs: Costs
    ) -> tuple[Outcome, str] | None:
        """Syntax-check Python files, then run the build command; (outcome, detail) on failure."""
        for rel, text in files.items():
            if rel.endswith(".py"):
                try:
                    compile(text, rel, "exec", dont_inherit=True)
                except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                    return Outcome.NOT_COMPILABLE, _syntax_detail(exc)
        if not self.target.build:
            return None
        result = await self._step(copy, "build", self.target.build, costs)
        return self._classify("build", result, copy)

    async def _step(self, copy: _Copy, step: str, command: str, costs: Costs) -> CommandResult:
        """Run a build or test: bounded concurrency, and never during a timed run."""
        async with self._slots:
            asked = time.perf_counter()
            who = "the original" if copy.vid == "baseline" else copy.vid
            self._say(f"{'building' if step == 'build' else 'testing'} {who}")
            async with self._lock.shared(self._waiting):
                costs.lock_wait_s += time.perf_counter() - asked
                result = await self._run(copy, command)
        if step == "build":
            costs.build_s += result.wall_s
        else:
            costs.test_s += result.wall_s
        return result

    async def _measure(self, copy: _Copy, which: str, costs: Costs) -> Sample:
        """One bench run (the caller holds the exclusive lock, which also makes the run's
        rusage CPU time its own): its figure, wall and CPU time."""
        result = await self._run(copy, self.target.bench)
        costs.timed_s += result.wall_s
        if not result.ok:
            raise BenchFailed(which, result)
        lines = parse_time_lines(result.stdout)
        times = tuple(t for t, _ in lines)
        cpu = tuple(c for _, c in lines if c is not None)
        figure = median(times) if times else result.wall_s
        return Sample(
            figure,
            result.wall_s,
            result.cpu_s,
            times,
            result.max_threads,
            cpu if len(cpu) == len(times) else (),
        )

    def _say(self, line: str) -> None:
        if self.on_progress is not None:
            self.on_progress(line)

    def _waiting(self, holder: int | None) -> None:
        """Say the first wait with whom we wait for; after that only a count, at most every
        WAIT_REPEAT_S: two runs sharing a machine wait before nearly every build, test and pair,
        and a line each time (dozens per run) buried the progress."""
        self._waits += 1
        now = time.monotonic()
        if self._waits == 1:
            line = "waiting for the machine-wide timing lock" + (
                f", held by pid {holder} (timing)"
                if holder is not None
                else " (other lessonl processes are timing, building or testing)"
            )
        elif now - self._last_wait_said >= WAIT_REPEAT_S:
            line = (
                f"waited for the machine-wide timing lock {self._waits} times so far "
                "(other lessonl processes share this machine)"
            )
        else:
            return
        self._last_wait_said = now
        self._say(line)
        if self.on_wait is not None:
            self.on_wait(line)

    async def _run(
        self,
        copy: _Copy,
        command: str,
        *,
        env: Mapping[str, str] | None = None,
        readable: list[Path] | None = None,
    ) -> CommandResult:
        seen = copy.inside
        argv = expand(
            command,
            placeholders(build=str(seen.out), root=str(seen.tree), project=str(self.root)),
        )
        full_env = {**self._env(copy), **(env or {})}
        if not self.sandboxed:
            return await run_command(
                argv, cwd=copy.tree, env=full_env, limits=self._limits, live=self._live
            )
        wrapped = isolation.wrap(
            argv,
            cwd=seen.tree,
            writable=copy.path,
            at=copy.seen,
            hidden=self._hidden,
            network=self.target.network,
            readable=[*self._readable, *(readable or [])],
        )
        result = await run_command(
            wrapped, cwd=copy.tree, env=full_env, limits=self._limits, live=self._live
        )
        # Report the command, not bwrap; and its death by a signal as an unsandboxed one would.
        sig = None if result.timed_out else isolation.exit_signal(result.returncode)
        if sig is not None:
            return dataclasses.replace(result, argv=tuple(argv), returncode=-sig, signal=sig)
        return dataclasses.replace(result, argv=tuple(argv))

    def _env(self, copy: _Copy) -> dict[str, str]:
        env = scrub_env(os.environ, self._secret_names)
        env.update(self.target.env)
        home = copy.inside.home
        tmp = str(home / "tmp")
        env.update(HOME=str(home), TMPDIR=tmp, TMP=tmp, TEMP=tmp)
        return env

    async def _copy(self, vid: str, overrides: Mapping[str, str]) -> _Copy:
        assert self._files is not None
        copy = _Copy(vid, self.run_dir / vid, self._fixed)

        if not self._claimed:
            self._claimed = True
            await asyncio.to_thread(self._claim)

        def make() -> None:
            StateDir(self.root).ensure()
            populate(self.root, copy.tree, self._files or [], overrides)
            try:
                copy.out.mkdir(parents=True, exist_ok=True)
                (copy.home / "tmp").mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise state_problem(exc, copy.tree.parent, "create the build folder") from exc

        await asyncio.to_thread(make)
        return copy

    def _keep_build(self, copy: _Copy) -> list[str]:
        """Keep the original's `reuse_build` folders, as its build left them, for the variants;
        returns those the build did not make (the variants build them from scratch)."""
        newest = 0
        missing = []
        for rel in self._reuse:
            source = copy.out / rel
            if not source.is_dir():
                missing.append(rel)
                continue
            _copy_folder(source, self._built / rel, "keep the original's build folder")
            for folder, _dirs, names in os.walk(self._built / rel):
                for name in names:
                    with contextlib.suppress(OSError):
                        newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime_ns)
        self._built_ns = newest
        return missing

    def _start_from_original(self, copy: _Copy, files: Mapping[str, str]) -> None:
        """Give the variant's {build} the original's built folders, modification times kept,
        and make the files the variant changes newer than anything in them: make and ninja
        then rebuild exactly what depends on those files (headers too, by the compilers'
        depfiles). Why the touch: the copy was written before the original was built, so
        without it the changed header would look older than the original's objects, and the
        variant would be tested against the original's code."""
        for rel in self._reuse:
            source = self._built / rel
            if source.is_dir():
                _copy_folder(source, copy.out / rel, "copy the original's build folder")
        stamp = max(time.time_ns(), self._built_ns + _NEWER_NS)
        for rel in files:
            os.utime(copy.tree / rel, ns=(stamp, stamp), follow_symlinks=False)

    def _claim(self) -> None:
        StateDir(self.root).ensure()
        claim(self.run_dir)
        for folder in prune_orphans(self.run_dir.parent, keep=self.run_dir):
            log.info("removed %s, left behind by a run that was killed", folder)

    # ------------------------------------------------------------------ outcomes

    def _classify(
        self, step: str, result: CommandResult, copy: _Copy
    ) -> tuple[Outcome, str] | None:
        """Map a finished command to (outcome, detail), or None if it succeeded."""
        if result.timed_out:
            why = f"{step} exceeded the {self._limits.wall_s:g} s wall-clock limit (timeout_s)"
            if result.output_held:
                why += ": a process it started kept its output open"
            return Outcome.TIMEOUT, why
        if result.cpu_limited:
            return Outcome.TIMEOUT, (
                f"{step} exceeded the {self._limits.cpu_s:g} s CPU-time limit (cpu_limit_s)"
            )
        if result.returncode == 0:
            return None
        text = _clean(result.stdout + "\n" + result.stderr, copy)
        if step == "build":
            return Outcome.NOT_COMPILABLE, _compiler_errors(text)
        memory = bool(_MEMORY_ERROR.search(result.stderr))
        if memory:
            return Outcome.CRASHED, (
                f"{step} ran out of memory (memory_mb = {self._limits.memory_mb}): "
                f"{_tail(_clean(result.stderr, copy), 5)}"
            )
        if result.signal is not None:
            if result.signal == signal.SIGXFSZ:
                return Outcome.CRASHED, (
                    f"{step} exceeded the {self._limits.file_size_mb} MB file-size limit"
                )
            why = signal_name(result.signal)
            if result.signal == signal.SIGKILL:
                why += ", from the CPU-time hard limit or the kernel's out-of-memory killer"
            return Outcome.CRASHED, f"{step} crashed: {why}"
        if step == "test":
            # LessonL's own runner (lessonl/auto/runner) names the mismatch in one line: that
            # line leads, so the one-line summary is the assertion, not pytest's decoration.
            # Its marked lines leave the tail, which would otherwise repeat the lead verbatim
            # (the runner prints nothing else), protocol mark and all.
            lines = text.splitlines()
            marked = [x for x in lines if x.startswith(MISMATCH_MARK)]
            if not marked:
                return Outcome.INCORRECT, (
                    f"test failed (exit status {result.returncode}): {_tail(text, 20)}"
                )
            lead = marked[-1][len(MISMATCH_MARK) :].strip()
            rest = "\n".join(x for x in lines if not x.startswith(MISMATCH_MARK))
            more = "\n" + _tail(rest, 20) if rest.strip() else ""
            return Outcome.INCORRECT, (
                f"test failed (exit status {result.returncode}): {lead}{more}"
            )
        tail = _tail(_clean(result.stderr, copy), 5)
        return Outcome.CRASHED, f"{step} exited with status {result.returncode}: {tail}"


# ---------------------------------------------------------------------- text helpers


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")[:40] or "variant"


def _clean(text: str, copy: _Copy) -> str:
    """Build-directory paths replaced by project-relative ones: shorter, and what the user and
    the lesson prompt understand. Terminal colour codes removed: a tool that colours its output
    even into a pipe would otherwise put `[0m[94m` into reports and prompts."""
    text = _ANSI.sub("", text)
    for where in dict.fromkeys((copy.inside, copy)):
        text = (
            text.replace(str(where.tree) + "/", "")
            .replace(str(where.out), "{build}")
            .replace(str(where.path), "<build>")
        )
    return text.strip()


# ANSI escape sequences (CSI: colours, cursor moves) as a coloured tool writes them.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
# The line LessonL's automatic target prints for a variant that fails (lessonl/auto/runner).
MISMATCH_MARK = "LESSONL_MISMATCH:"
# How much newer than the original's build outputs a variant's changed file is made (more than
# any filesystem's timestamp granularity: make and ninja compare them).
_NEWER_NS = 10_000_000


def _compiler_errors(text: str) -> str:
    """Up to ERROR_LINES lines starting at the first line that mentions an error."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "error" in line.lower()), None)
    chosen = lines[start : start + ERROR_LINES] if start is not None else lines[-ERROR_LINES:]
    return _bound("\n".join(chosen)) or "build failed without output"


def _syntax_detail(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        where = f"{exc.filename}, line {exc.lineno}" if exc.lineno else str(exc.filename)
        code = f"\n    {exc.text.rstrip()}" if exc.text else ""
        return f"SyntaxError: {exc.msg} ({where}){code}"
    return f"cannot compile: {exc}"


def _strip_times(stdout: str) -> str:
    return TIME_LINE.sub("", stdout).replace("\r\n", "\n")


def _first_difference(expected: str, got: str) -> str | None:
    """'output differs at line N: expected ..., got ...' or None if equal (timing lines and
    trailing blank lines ignored)."""
    a = expected.splitlines()
    b = got.splitlines()
    while a and not a[-1].strip():
        a.pop()
    while b and not b[-1].strip():
        b.pop()
    if a == b:
        return None
    for i in range(max(len(a), len(b))):
        left = a[i] if i < len(a) else "<end of output>"
        right = b[i] if i < len(b) else "<end of output>"
        if left != right:
            return (
                f"output differs from the original's at line {i + 1}: "
                f"expected {left[:200]!r}, got {right[:200]!r}"
            )
    return None


def _tail(text: str, lines: int) -> str:
    kept = [line for line in text.splitlines() if line.strip()][-lines:]
    return _bound("\n".join(kept)) or "(no output)"


def _bound(text: str) -> str:
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."


def _copy_folder(source: Path, dest: Path, doing: str) -> None:
    """A build folder copied with its symlinks and modification times (make and ninja decide
    what to rebuild by them); a failure is a state-folder problem, said as one line."""
    try:
        shutil.copytree(source, dest, symlinks=True)
    except (OSError, shutil.Error) as exc:
        raise state_problem(exc, dest.parent, doing) from exc
