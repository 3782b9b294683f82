"""Optimizing a C or C++ function without a hand-written target (issue 28).

`prepare(config, file, function)` finds how the project builds (`build`), its tests (`tests`),
has the team's first agent write a differential driver and checks it on the original
(`driver`), and returns a config with an automatic `[[targets]]` entry (`target`). Modules:

- `build`: compile_commands.json, CMake or Meson (a private configured folder), or a Makefile
  (bear in a private copy, else a dry run);
- `tests`: the project's tests as a gate (ctest, `meson test`, `make test`/`make check`);
- `driver`: the model-written program that checks (sanitized) and times the function;
- `reach`: whether a driver can call the function (what is refused, and why);
- `check`: the target's check, run in the sandbox (output vs the original's, sanitizer lines);
- `target`: the `[[targets]]` entry, the report's `verification` object, its TOML form;
- `skeptic`: attacks a would-be winner with a program of inputs a model chose (`make_skeptic`).

Supported: functions in headers (inline functions, templates the driver instantiates) and in
`.c`/`.cpp` files, `static` ones included (the driver `#include`s the translation unit), and
public member functions (`Class::method` or `Class.method`, inline in the class or defined
out of line) of a class the driver can construct. Not supported, refused in one line before
any model call (`reach`): constructors, destructors, operators, private and protected
members, lambdas. Nor a function whose translation unit calls code defined in other ones (the
driver links the one unit only), or one that needs a running object graph or I/O the driver
cannot set up; for those, write a `[[targets]]` entry.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lessonl.config import Config, TargetConfig, language_for_path
from lessonl.errors import UsageError

if TYPE_CHECKING:
    # Imported where used: the target's check runs `python -m lessonl.native.check` in every
    # variant's test, and importing this package must stay cheap for it.
    from lessonl.llm import Agent
    from lessonl.llm.types import Usage
    from lessonl.native.build import Build
    from lessonl.native.driver import Driver
    from lessonl.native.tests import Gate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NativeTarget:
    config: Config  # the given config plus the automatic target
    target: TargetConfig
    build: Build
    driver: Driver | None
    gate: Gate | None
    verification: dict[str, Any]


def describe(made: NativeTarget) -> str:
    """The line shown before the run: what will judge the variants, compiled how."""
    v = made.verification
    return "; ".join(x for x in [v["summary"], f"compiled with {v['compile']}", v["weak"]] if x)


def wants_native(config: Config, file: Path, target_name: str | None) -> bool:
    """True for a C/C++ file that no `[[targets]]` entry lists (an explicit target wins)."""
    return (
        target_name is None
        and language_for_path(file) in ("c", "cpp")
        and not config.targets_for(Path(file).resolve())
    )


def _located(config: Config, file: Path, function: str | None) -> tuple[Path, str, str, str]:
    """The file (absolute), its language, its path in the project, and the function; a
    one-line `UsageError` when one of them cannot be an automatic C/C++ target."""
    file = Path(file).resolve()
    language = language_for_path(file)
    if language not in ("c", "cpp"):
        raise UsageError(f"{file.name}: not a C or C++ file")
    if function is None:
        raise UsageError(
            f"{file.name}: name the function to optimize (FILE:FUNCTION); the automatic "
            "target checks one function with a driver"
        )
    rel = config.relative(file)
    if Path(rel).is_absolute():
        raise UsageError(f"{file} is outside the project root {config.root}")
    return file, language, rel, function


async def prepare(
    config: Config,
    file: Path,
    function: str | None,
    *,
    source: str | None = None,
    interpreter: str | None = None,
    generator_agent: Agent | None = None,
    usage: Usage | None = None,
    say: Callable[[str], None] | None = None,
) -> NativeTarget:
    """Build the automatic target of a C/C++ function. `generator_agent` writes the driver
    (its calls counted in `usage`, the run's); `interpreter` is unused (the Python target's)."""
    import asyncio
    import functools

    from lessonl.llm.types import Usage
    from lessonl.native import build as builds
    from lessonl.native import reach, tests
    from lessonl.native.driver import Driver, DriverFailed, obtain
    from lessonl.native.target import native_target, verification

    del interpreter
    tell = say or log.info
    file, language, rel, function = _located(config, file, function)
    text = source if source is not None else file.read_text(encoding="utf-8")
    root = config.root
    args = config.run.configure_args
    build = await asyncio.to_thread(
        functools.partial(builds.discover, root, rel, tell, configure_args=args)
    )
    if language == "c" and build.unit.suffix != ".c":
        language = "cpp"  # a `.h` header of a C++ project
    reached = reach.check(
        text,
        language,
        function,
        file=file,
        include_dirs=reach.include_dirs(build.flags),
        root=root,
    )
    assert reached is not None  # missing_ok is off: a missing function raised
    info = reached.info
    tell(f"compiling with {build.how}")
    notes: list[str] = []
    gate = await asyncio.to_thread(tests.find, root, build, notes, tell, args)
    got = await obtain(
        build,
        root,
        rel,
        info.qualified_name,
        text=text,
        reached=reached,
        agent=generator_agent,
        max_tokens=config.run.code_max_tokens,
        usage=usage if usage is not None else Usage(),
        sandbox=config.run.sandbox,
        say=tell,
    )
    driver = got if isinstance(got, Driver) else None
    why = str(got) if isinstance(got, DriverFailed) else ""
    if driver is None and gate is None:
        brief = " ".join(why.split())[:400]  # one line, however long the compiler's error
        raise UsageError(
            f"cannot check {info.qualified_name} automatically: no differential driver ({brief}) "
            "and no project tests (ctest, make test/check); write a [[targets]] entry "
            "(see the README's Configuration section)"
        )
    target = native_target(f"auto-{info.qualified_name}", rel, build, root, driver, gate)
    new_config = dataclasses.replace(config, targets=(*config.targets, target))
    made = verification(rel, info.qualified_name, build, driver, gate, why)
    made["notes"] += notes
    if gate is not None:
        from lessonl.harness import isolation

        sandboxed = config.run.sandbox != "off" and isolation.probe().ok
        made["notes"] += tests.build_notes(gate, sandboxed=sandboxed)
    return NativeTarget(new_config, target, build, driver, gate, made)


def make_skeptic(made: NativeTarget, config: Config, agent: Agent, original: str) -> Any:
    """The skeptic for a run on `made` (lessonl/native/skeptic.py), for `loop.optimize(skeptic=)`
    when `[run] skeptic` is on; it compiles its programs like the driver's check. A
    `NativeSkeptic` (typed `Any` so that importing this package stays cheap)."""
    from lessonl.native.skeptic import NativeSkeptic

    return NativeSkeptic(
        agent=agent,
        build=made.build,
        root=config.root,
        rel=made.target.files[0],
        function=made.verification["function"],
        original=original,
        sanitize=bool(made.driver is not None and made.driver.sanitized),
        sandbox=config.run.sandbox,
        max_tokens=config.run.code_max_tokens,
    )
