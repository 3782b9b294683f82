"""The one front door of a run: every front end (the CLI, the language server, `lessonl bench`,
the sweep) asks `plan()` what the run will be, then `execute()` does it.

Why one door: config, target and team used to be decided in three places by two rules (the
server, the CLI, and the engine again), so the editor and the CLI could answer differently for
the same file. Here they are decided once:

- `plan(request)` is synchronous and cheap (a few `stat`s and a TOML parse, no model call, no
  recording): it finds the config, applies the per-run overrides through the same checks
  lessonl.toml's `[run]` gets (`config.check_run_value`), and picks the kind of target by the
  one rule of `choose_target`. Every problem a user can fix is raised here, before any model
  starts, as a one-line `LessonLError` whose `data` says what the front end may offer.
- `execute(plan)` opens the team (unless one was injected), prepares the automatic target if the
  plan needs one (`prepare`), runs `lessonl.loop.optimize` with the resolved parts and closes
  the team, in this one place.

A new kind of target plugs in at `choose_target` (when it applies) and `prepare` (what it
builds: a config holding the target, the target, the report's `verification`); the loop and the
front ends need no change.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from lessonl.config import (
    AgentConfig,
    Config,
    RunConfig,
    TargetConfig,
    check_run_value,
    language_for_path,
    load_config,
)
from lessonl.errors import UsageError
from lessonl.llm.types import Usage

if TYPE_CHECKING:
    from lessonl.events import Event
    from lessonl.grading import HarnessFactory
    from lessonl.llm import Agent, Team
    from lessonl.loop import SkepticLike
    from lessonl.report import RunReport

log = logging.getLogger(__name__)

Kind = Literal["hand-written", "auto-python", "auto-native"]

#: What a `[[targets]]` entry is, for errors that ask the user to write one.
OWN_TARGET = 'a [[targets]] entry with your own test and bench commands (README, "Configuration")'


@dataclass(frozen=True)
class Override:
    """One per-run value of a `[run]` key and how the user gave it, for the error that names
    it: `--rounds` (a flag), `settings: lessonl.rounds` (an editor setting)."""

    value: Any
    name: str
    fix: str = "fix the setting"


@dataclass(frozen=True)
class Overrides:
    """Per-run overrides of `[run]` (CLI flags, editor settings, a benchmark's rounds), by
    `[run]` key. Checked once, in `plan()`, by the rules lessonl.toml is held to."""

    values: Mapping[str, Override] = field(default_factory=dict)

    @classmethod
    def of(cls, given: Mapping[str, tuple[Any, str]], *, fix: str) -> Overrides:
        """`[run]` key -> (value, the flag or setting that gave it); a None value is left out
        (it keeps what lessonl.toml says). `fix` ends the error line ("fix the flag")."""
        return cls(
            {
                key: Override(value, name, fix)
                for key, (value, name) in given.items()
                if value is not None
            }
        )

    @classmethod
    def given(cls, **values: Any) -> Overrides:
        """Overrides from a caller's own code (a benchmark, a test), named by their `[run]` key."""
        return cls.of({k: (v, f"[run] {k}") for k, v in values.items()}, fix="fix the caller")

    def apply(self, run: RunConfig) -> RunConfig:
        """`run` with the overrides, each checked by `check_run_value` (a bad one raises a
        one-line `ConfigError` naming the flag or setting, with `data.setting` its key)."""
        changes = {
            key: check_run_value(key, o.value, o.name, fix=o.fix) for key, o in self.values.items()
        }
        return dataclasses.replace(run, **changes)


@dataclass(frozen=True)
class RunRequest:
    """What a front end asks for: `file` and `function` (None: the whole file); everything
    else left out has the meaning a run without it has always had (the covering target,
    lessonl.toml's `[run]`, the team from the config)."""

    file: Path
    function: str | None
    target: str | None = None  # --target / the editor's chosen target name
    overrides: Overrides = field(default_factory=Overrides)
    source: str | None = None  # unsaved editor text (the baseline is built from it too)
    interpreter: str | None = None  # --interpreter / the editor's Python (automatic target)
    config: Config | None = None  # None: found from `file` (lessonl.toml up the tree, or defaults)
    team: Team | None = None  # injected (tests, bench, sweep): the caller closes it
    on_event: Callable[[Event], None] | None = None
    say: Callable[[str], None] | None = None  # the lines about preparing an automatic target
    agents: Sequence[AgentConfig] | None = None  # a team given outside the config (--team)
    agents_source: str | None = None  # where `agents` came from, for the team's description
    harness_factory: HarnessFactory | None = None  # tests of the loop's logic, the benchmark
    skeptic: SkepticLike | None = None  # injected (tests); None: the automatic target's own


@dataclass(frozen=True)
class Plan:
    """A run decided once, by one rule (`choose_target`)."""

    request: RunRequest
    config: Config  # the project's, with `run` below in place of its `[run]`
    run: RunConfig  # the config's [run] with the overrides applied and checked
    kind: Kind
    target: TargetConfig | None  # hand-written: the entry; auto-*: None until prepared
    file: Path  # absolute
    function: str | None
    language: str | None  # None: a file a hand-written target lists, of no language we parse


@dataclass(frozen=True)
class Prepared:
    """What judges the variants: a config holding the target, the target, and (automatic
    targets) the report's `verification` and the skeptic."""

    config: Config
    target: TargetConfig
    verification: dict[str, Any] | None = None
    skeptic: SkepticLike | None = None


class MadeTarget(Protocol):
    """What an automatic target's preparation returns (`lessonl.auto.AutoTarget` is one)."""

    @property
    def config(self) -> Config: ...
    @property
    def target(self) -> TargetConfig: ...
    @property
    def verification(self) -> dict[str, Any]: ...


class PrepareTarget(Protocol):
    """The shape of `lessonl.auto.prepare`, which an automatic C/C++ target's `prepare` has too."""

    async def __call__(
        self,
        config: Config,
        file: Path,
        function: str | None,
        *,
        source: str | None = None,
        interpreter: str | None = None,
        generator_agent: Agent | None = None,
        usage: Usage | None = None,
    ) -> MadeTarget: ...


def native_preparer() -> PrepareTarget | None:
    """`lessonl.native.prepare` (the automatic C/C++ target) when that package is installed,
    else None: C and C++ files then need a `[[targets]]` entry. Looked up, not imported, so
    the rule holds whichever way the package arrives."""
    if importlib.util.find_spec("lessonl.native") is None:
        return None
    module = importlib.import_module("lessonl.native")
    found: PrepareTarget | None = getattr(module, "prepare", None)
    return found


def project_config(file: Path, language: str | None = None) -> Config:
    """The project's config; without a lessonl.toml, the defaults for a file an automatic
    target can judge (a Python file: rooted at the nearest Python project folder), else the
    usual "no lessonl.toml found" error."""
    from lessonl.auto.project import python_root

    language = language if language is not None else language_for_path(file)
    config = load_config(file, required=False)
    if config.path is None:
        if language == "python":
            return dataclasses.replace(config, root=python_root(file))
        if language in ("c", "cpp") and native_preparer() is not None:
            return config
        load_config(file)  # raises the usual "no lessonl.toml found" error
    return config


def plan(request: RunRequest) -> Plan:
    """Decide the run (see the module docstring); raises the user's errors, nothing else."""
    file = Path(request.file).resolve()
    language = language_for_path(file)
    config = request.config if request.config is not None else project_config(file, language)
    run = request.overrides.apply(config.run)
    config = dataclasses.replace(config, run=run)
    kind, target = choose_target(
        config, file, language, request.target, request.function, source=request.source
    )
    return Plan(
        request=request,
        config=config,
        run=run,
        kind=kind,
        target=target,
        file=file,
        function=request.function,
        language=language,
    )


def choose_target(
    config: Config,
    file: Path,
    language: str | None,
    name: str | None,
    function: str | None,
    *,
    source: str | None = None,
) -> tuple[Kind, TargetConfig | None]:
    """The one rule: a named `[[targets]]` entry, else the entry covering the file (several:
    `AmbiguousTarget`), else the automatic target of the file's language, else an error.
    The automatic Python target needs the project's tests (it records their calls) and a
    function; without tests the answer is the same whichever front end asks."""
    if name is not None or config.targets_for(file):
        target = config.target(name, file=file)
        rel = config.relative(file)
        if rel not in {Path(f).as_posix() for f in target.files}:
            covering = ", ".join(t.name for t in config.targets_for(file)) or "none covers it"
            raise UsageError(
                f"target {target.name!r} does not list {rel} in its files; choose one of: "
                f"{covering}",
                data={"targets": [t.name for t in config.targets_for(file)]},
            )
        return "hand-written", target
    rel = config.relative(file)
    if language is None:
        raise UsageError(f"{file}: unsupported file type; LessonL handles C, C++ and Python files")
    if language == "python":
        from lessonl.auto.project import has_tests

        if not has_tests(config.root):
            raise UsageError(
                f"no [[targets]] entry covers {rel}, and {config.root} has no tests to record "
                f"the calls of {function or 'the function'} from (a tests/ folder, or "
                "test_*.py files up to four folders deep); add a test that calls it, or "
                f"{OWN_TARGET}",
                data={"file": rel, "needs": "tests-or-target"},
            )
        _require_function(file, function)
        return "auto-python", None
    if native_preparer() is not None:
        from lessonl.native.build import no_build_system, recognized

        if not recognized(config.root):
            raise no_build_system(config.root, rel)
        _require_function(file, function)
        _require_reachable(config.root, file, function, source)
        return "auto-native", None
    config.target(None, file=file)  # raises today's error: no [[targets]], or none lists it
    raise AssertionError(f"{rel}: a covering target was not found above")  # pragma: no cover


def _require_reachable(root: Path, file: Path, function: str | None, source: str | None) -> None:
    """What a C/C++ driver cannot call (a constructor, an operator, a private method, a
    lambda: lessonl/native/reach.py) is refused here, before a build is configured or a model
    asked. A name not found is left to `prepare`, which knows the project's flags."""
    from lessonl.native import reach

    if function is not None:
        reach.check_early(root, file, function, source)


def _require_function(file: Path, function: str | None) -> None:
    if function is None:
        raise UsageError(
            f"{file.name}: name the function to optimize (FILE:FUNCTION); the automatic "
            "target judges one function"
        )


async def prepare(
    plan: Plan, *, agent: Agent | None = None, usage: Usage | None = None
) -> Prepared:
    """What judges the plan's variants: its hand-written target as it is, or the automatic
    target built now (recording the project's tests; `agent`, the team's first, may write an
    input generator and is the skeptic, its calls counted in `usage`)."""
    if plan.kind == "hand-written":
        assert plan.target is not None
        return Prepared(plan.config, plan.target, skeptic=plan.request.skeptic)
    tell = plan.request.say or log.info
    if plan.kind == "auto-native":
        return await _prepare_native(plan, agent, usage, tell)
    tell(
        f"no [[targets]] entry covers {plan.config.relative(plan.file)}: recording the calls "
        f"of {plan.function or 'the function'} while the project's tests run"
    )
    return await _prepare_python(plan, agent, usage, tell)


async def _prepare_native(
    plan: Plan, agent: Agent | None, usage: Usage | None, tell: Callable[[str], None]
) -> Prepared:
    """The automatic C/C++ target: `lessonl.native.prepare` (the team's first agent writes the
    differential driver), its line said, and its skeptic when `[run] skeptic` is on."""
    if native_preparer() is None:  # the package went away between plan() and now
        raise UsageError(f"{plan.file.name}: C and C++ files need {OWN_TARGET}")
    from lessonl import native

    request, config = plan.request, plan.config
    tell(
        f"no [[targets]] entry covers {config.relative(plan.file)}: checking "
        f"{plan.function or 'the function'} with a differential driver and the project's tests"
    )
    made = await native.prepare(
        config,
        plan.file,
        plan.function,
        source=request.source,
        generator_agent=agent,
        usage=usage,
        say=tell,
    )
    tell(native.describe(made))
    skeptic = request.skeptic
    if skeptic is None and plan.run.skeptic and agent is not None:
        original = request.source
        if original is None:
            original = plan.file.read_text(encoding="utf-8")
        skeptic = native.make_skeptic(made, config, agent, original)
    return Prepared(made.config, made.target, made.verification, skeptic)


async def _prepare_python(
    plan: Plan, agent: Agent | None, usage: Usage | None, tell: Callable[[str], None]
) -> Prepared:
    from lessonl import auto
    from lessonl.auto.skeptic import Skeptic
    from lessonl.harness import isolation

    request, config = plan.request, plan.config
    made = await auto.prepare(
        config,
        plan.file,
        plan.function,
        source=request.source,
        interpreter=request.interpreter,
        generator_agent=agent,
        usage=usage,
    )
    tell(auto.describe(made))
    skeptic = request.skeptic
    if skeptic is None and plan.run.skeptic and agent is not None and plan.function is not None:
        original = request.source
        if original is None:
            original = plan.file.read_text(encoding="utf-8")
        skeptic = Skeptic(
            agent=agent,
            recording=made.recording,
            root=config.root,
            rel=config.relative(plan.file),
            qualname=made.recording.meta["qualname"],
            function=plan.function,
            original=original,
            secret_names=[a.api_key_env for a in config.agents if a.api_key_env],
            max_tokens=plan.run.code_max_tokens,
            sandboxed=isolation.enabled(plan.run.sandbox, where="[run]"),
        )
    return Prepared(made.config, made.target, made.verification, skeptic)


async def execute(plan: Plan) -> RunReport:
    """Run the plan: the team is opened here unless the request brought one, and closed here
    whatever happens; the automatic target (if any) is prepared with the team's first agent
    (its input generator's and skeptic's calls count in the run's usage)."""
    from lessonl import loop
    from lessonl.bank import LessonBank
    from lessonl.llm import build_team
    from lessonl.state import StateDir

    request = plan.request
    team = request.team
    if team is None:
        # The state folder and the bank first: a read-only, full or damaged `.lessonl/` is
        # one line before any model starts (the response cache would otherwise warn about the
        # same folder first). The loop opens the bank again for the run.
        state = StateDir(plan.config.root).ensure()
        LessonBank(state.bank).close()
        team = await build_team(
            plan.config, agents=request.agents, cache=plan.run.cache, source=request.agents_source
        )
    try:
        usage = Usage()
        prepared = await prepare(plan, agent=team.agents[0] if team.agents else None, usage=usage)
        return await loop.optimize(
            prepared.config,
            prepared.target,
            plan.file,
            team=team,
            function=plan.function,
            source_text=request.source,
            on_event=request.on_event,
            verification=prepared.verification,
            harness_factory=request.harness_factory,
            skeptic=prepared.skeptic,
            usage=usage,
        )
    finally:
        if request.team is None:
            await team.aclose()
