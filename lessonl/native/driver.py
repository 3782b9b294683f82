"""The differential driver: a model-written program that checks and times one C/C++ function.

The team's first agent writes it (prompt: `prompts.native_driver_prompt`); LessonL compiles it
with the project's flags against the ORIGINAL in a private copy of the project and keeps it
only if it builds, runs cleanly under the sanitizers, prints the same output twice, prints
bench-protocol time lines in its timing mode (`--time`), and does all that within
`DRIVER_TIMEOUT_S`. The original's output becomes the expected output of every variant's
check. A driver that fails is dropped with the reason, and ONE second attempt shows the model
that reason. The driver is untrusted code: it is compiled and run in the sandbox like any
variant (only the private copy is writable; HOME and the real project are hidden).

A driver saved under `.lessonl/native/drivers/` (from an earlier run, or tuned by the user) is
used as it is when it still passes the same checks: no model call.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lessonl import grading, prompts, regions
from lessonl.errors import UsageError
from lessonl.harness import isolation
from lessonl.harness.sandbox import CommandResult, Limits, run_command, scrub_env
from lessonl.harness.stats import parse_time_lines
from lessonl.harness.workspace import populate, project_files
from lessonl.llm import Agent, SampleId
from lessonl.llm.types import Usage
from lessonl.native import check
from lessonl.native.build import Build, private_folder
from lessonl.native.reach import Reach
from lessonl.state import StateDir

HEADER = Path(__file__).resolve().parent / "lessonl_driver.h"
DRIVER_TIMEOUT_S = 30.0
COMPILE_TIMEOUT_S = 120.0
#: The sanitizers LessonL asks for, and that a sanitizer failure is never recovered from. The
#: check's build only judges correctness (the timed build keeps the project's flags), so it is
#: compiled at -O0, after the project's own -O flag so that it wins. The sanitizers' checks are
#: inserted at any level, and without optimization no access the source makes is optimized
#: away before they see it. What it buys: the sanitized compile was most of a variant's extra
#: cost over a hand-written target. A real driver (cJSON's print_number, gcc -std=c89) compiled
#: with the sanitizers in 1.72 s at the project's -O3, 0.59 s at -O1, 0.34 s at -O0 (plain -O3:
#: 0.57 s); benchmarks/native_target.py measured the automatic target at 1.22x a hand-written
#: one with the project's tests at -O0, 1.73x at -O1 in the same conditions. The check runs
#: slower unoptimized; the driver's time bound is checked on the original built the same way.
SANITIZE = (
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
    "-O0",
)
#: ASan reserves terabytes of address space: commands running sanitized code get this
#: address-space limit (in MiB) and the sanitizer's own RSS limit instead (check.RSS_LIMIT_MB).
UNBOUNDED_MB = 1 << 26
MEMORY_MB = 4096

_probed: dict[str, bool] = {}
#: The flags that decide which language the driver must be written in (`-std=c89 -pedantic`
#: rejects C99's `for (int i ...)`): the driver prompt names them.
_STANDARD_FLAGS = ("-std=", "-ansi", "-pedantic")
#: The most of the function's file the driver prompt shows (other functions' bodies elided
#: first): a driver needs the types its inputs are made of, not the rest of the code, and a
#: small local model's window (4096 tokens) must still hold the prompt and the driver.
DRIVER_CONTEXT_CHARS = 6000


class DriverFailed(Exception):
    """A driver was dropped; the message says why (shown to the model on the second try)."""


@dataclass(frozen=True)
class Driver:
    path: Path  # the driver source under .lessonl/native/drivers/
    expected: Path  # the original's output next to it
    lines: int  # result lines it prints: how many results the check compares
    sanitized: bool  # whether the check build uses the sanitizers
    source: str  # "written by <agent>" | "saved" (an existing driver, reused)
    dropped: tuple[str, ...]  # why earlier attempts were dropped


def language_of(build: Build) -> str:
    """The driver's language: the translation unit's."""
    return "c" if build.unit.suffix == ".c" else "cpp"


def paths(root: Path, rel: str, function: str, language: str) -> tuple[Path, Path]:
    """`.lessonl/native/drivers/<file>-<function>-<hash>.{c,cpp}` and its `.expected`: stable,
    so the entry `lessonl target` prints stays valid."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{rel}-{function}").strip("-")[-60:]
    digest = hashlib.sha256(f"{rel}:{function}".encode()).hexdigest()[:8]
    folder = StateDir(root).path / "native" / "drivers"
    base = f"{slug}-{digest}"
    suffix = ".c" if language == "c" else ".cpp"
    return folder / (base + suffix), folder / (base + ".expected")


def preamble(rel: str, text: str) -> str:
    """The driver's first lines: LessonL's helpers, then the function's file. A translation
    unit (`.c`/`.cpp`) is included whole, so `static` functions are callable; its own `main`,
    if any, is renamed out of the way."""
    lines = ['#include "lessonl_driver.h"']
    has_main = re.search(r"\bint\s+main\s*\(", text) is not None
    if has_main:
        lines.append("#define main lessonl_project_main")
    lines.append(f'#include "{rel}"')
    if has_main:
        lines.append("#undef main")
    return "\n".join(lines)


def project_flags(build: Build, root: Path, new_root: str) -> list[str]:
    """The unit's flags with paths into the project pointed at `new_root` (a copy's root, or
    the `{root}` placeholder); paths into `.lessonl/` (a private CMake folder's generated
    headers) and outside the project stay as they are."""
    prefix = str(root.resolve())
    state = str(StateDir(root).path.resolve())
    out = []
    for flag in build.flags:
        if prefix in flag and state not in flag:
            flag = flag.replace(prefix, new_root)
        out.append(flag)
    return out


def compile_argv(
    build: Build, root: Path, *, new_root: str, driver: str, out: str, sanitize: bool
) -> list[str]:
    argv = [build.compiler, *project_flags(build, root, new_root)]
    if sanitize:
        argv += SANITIZE
    argv += ["-I", new_root, driver, "-o", out]
    if language_of(build) == "c":
        argv.append("-lm")
    return argv


async def sanitizers_work(compiler: str, folder: Path) -> bool:
    """Whether `compiler` builds and runs an ASan+UBSan program here (probed once a process)."""
    if compiler in _probed:
        return _probed[compiler]
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / "probe.c"
    src.write_text("int main(void) { return 0; }\n", encoding="utf-8")
    lang = ["-x", "c++"] if re.search(r"\+\+|xx$", compiler) else []
    exe = folder / "probe"
    built = await _run(
        [compiler, *lang, *SANITIZE, str(src), "-o", str(exe)], folder, COMPILE_TIMEOUT_S
    )
    ok = built.ok and (await _run([str(exe)], folder, 30, memory_mb=UNBOUNDED_MB)).ok
    _probed[compiler] = ok
    return ok


async def _run(
    argv: list[str],
    cwd: Path,
    timeout: float,
    *,
    memory_mb: int = MEMORY_MB,
    env: dict[str, str] | None = None,
) -> CommandResult:
    limits = Limits(wall_s=timeout, cpu_s=timeout, memory_mb=memory_mb, file_size_mb=512)
    full = {**scrub_env(os.environ, []), **(env or {})}
    return await run_command(argv, cwd=cwd, env=full, limits=limits)


class Sandbox:
    """A private copy of the project, where drivers are compiled and run confined."""

    def __init__(self, root: Path, mode: str) -> None:
        self.root = root
        # One per prepare (the editor and the CLI may prepare the same function at once).
        self.folder = private_folder(root, f"work-{os.getpid()}-{secrets.token_hex(3)}")
        self.tree = self.folder / "tree"
        self.boxed = isolation.enabled(mode, where="[run]")

    def make(self, rel: str | None = None, text: str | None = None) -> None:
        """Copy the project; `text`, when given, is `rel`'s content (an editor's unsaved
        buffer is the original the harness compares with, so it is the driver's too)."""
        StateDir(self.root).ensure()
        overrides = {rel: text} if rel is not None and text is not None else None
        populate(self.root, self.tree, project_files(self.root), overrides)
        shutil.copy2(HEADER, self.folder / HEADER.name)

    def wrap(self, argv: list[str]) -> list[str]:
        if not self.boxed:
            return argv
        return isolation.wrap(
            argv,
            cwd=self.folder,
            writable=self.folder,
            hidden=[*isolation.real_homes(), self.root],
        )

    async def run(
        self,
        argv: list[str],
        timeout: float,
        *,
        memory_mb: int = MEMORY_MB,
        sanitized: bool = False,
    ) -> CommandResult:
        env = dict(check.SANITIZER_ENV) if sanitized else None
        return await _run(self.wrap(argv), self.folder, timeout, memory_mb=memory_mb, env=env)


def first_error(result: CommandResult) -> str:
    text = (result.stderr + "\n" + result.stdout).strip()
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "error" in line.lower()), None)
    chosen = lines[start : start + 6] if start is not None else lines[-6:]
    return "\n".join(chosen)[:1200] or f"exit status {result.returncode}"


_UNDEFINED = re.compile(r"undefined reference to [`'‘]([^'’`]+)['’]")


def link_problem(text: str) -> str | None:
    """Why the function cannot be called from a driver alone, when the link says so: its file
    uses code defined in other translation units, which the driver does not link."""
    missing = list(dict.fromkeys(_UNDEFINED.findall(text)))
    if not missing:
        return None
    names = ", ".join(f"`{m}`" for m in missing[:3])
    return (
        f"the function cannot be called from outside its project: its file uses {names}, "
        "defined in other translation units, which the driver does not link (not supported "
        "yet: write a [[targets]] entry)"
    )


def shown(text: str, box: Sandbox) -> str:
    """Paths into the private copy as the model and the user know them."""
    return text.replace(str(box.tree) + "/", "").replace(str(box.folder) + "/", "")


async def original_builds(build: Build, root: Path, box: Sandbox) -> None:
    """`UsageError` with the compiler's first error when the function's translation unit does
    not compile on the original: no driver could help, so no model is asked."""
    unit = box.tree / build.unit.relative_to(root.resolve())
    argv = [build.compiler, *project_flags(build, root, str(box.tree)), "-fsyntax-only", str(unit)]
    done = await box.run(argv, COMPILE_TIMEOUT_S)
    if not done.ok:
        first = shown(first_error(done), box).splitlines()[0][:300]
        raise UsageError(
            f"the original does not build with {build.how}: {first}; fix it first (the "
            "project's own build shows the same error)"
        )


async def validate(
    build: Build, root: Path, box: Sandbox, code: str, *, sanitize: bool
) -> tuple[str, int]:
    """Compile and run `code` against the original; (expected output, result lines), or
    `DriverFailed` saying why it cannot serve."""
    language = language_of(build)
    src = box.folder / ("driver.c" if language == "c" else "driver.cpp")
    src.write_text(code, encoding="utf-8")
    tree = str(box.tree)
    binaries = {"check": sanitize, "bench": False}
    for name, sanitized in binaries.items():
        argv = compile_argv(
            build,
            root,
            new_root=tree,
            driver=str(src),
            out=str(box.folder / name),
            sanitize=sanitized,
        )
        built = await box.run(argv, COMPILE_TIMEOUT_S)
        if not built.ok:
            unlinked = link_problem(built.stderr + built.stdout)
            if unlinked is not None:
                raise DriverFailed(unlinked)
            raise DriverFailed(f"it does not compile: {shown(first_error(built), box)}")
    outputs = []
    for _ in range(2):
        ran = await box.run(
            [str(box.folder / "check")],
            DRIVER_TIMEOUT_S,
            memory_mb=UNBOUNDED_MB if sanitize else MEMORY_MB,
            sanitized=sanitize,
        )
        if ran.timed_out or ran.cpu_limited:
            raise DriverFailed(f"it did not finish within {DRIVER_TIMEOUT_S:g} s on the original")
        why = check.verdict(ran.returncode, ran.stdout, ran.stderr, None)
        if why is not None:
            raise DriverFailed(f"on the original function, {shown(why, box)}")
        outputs.append(ran.stdout)
    if outputs[0] != outputs[1]:
        diff = check.first_difference(outputs[0], outputs[1]) or "the output"
        raise DriverFailed(f"it is not deterministic: two runs differ at {diff}")
    lines = len([line for line in outputs[0].splitlines() if line.strip()])
    if lines == 0:
        raise DriverFailed("it printed no results")
    timed = await box.run([str(box.folder / "bench"), "--time"], DRIVER_TIMEOUT_S)
    if not timed.ok:
        raise DriverFailed(f"its timing mode (--time) failed: {shown(first_error(timed), box)}")
    if not parse_time_lines(timed.stdout):
        raise DriverFailed("its timing mode (--time) printed no LESSONL_TIME_S lines")
    return outputs[0], lines


def driver_facts(context: str, reached: Reach | None, build: Build) -> prompts.DriverFacts:
    """What the driver prompt says beyond the function's code (see `prompts.DriverFacts`)."""
    cls = reached.cls if reached is not None else None
    return prompts.DriverFacts(
        context=context,
        template=bool(reached and reached.template),
        method=cls is not None or bool(reached and reached.info.kind == "method"),
        owner=cls.qualified_name if cls is not None else None,
        owner_template=bool(cls and cls.template),
        static=bool(cls and reached and reached.info.name in cls.statics),
        owner_text=cls.text if cls is not None and reached and reached.cls_elsewhere else None,
        flags=" ".join(f for f in build.flags if f.startswith(_STANDARD_FLAGS)),
    )


async def obtain(
    build: Build,
    root: Path,
    rel: str,
    function: str,
    *,
    text: str,
    reached: Reach | None = None,
    agent: Agent | None,
    max_tokens: int,
    usage: Usage,
    sandbox: str,
    say: Callable[[str], None],
) -> Driver | DriverFailed:
    """A driver that passed validation (saved, with the original's output), or why none could
    be had (a saved driver that no longer serves, then up to two model attempts)."""
    language = language_of(build)
    driver_path, expected_path = paths(root, rel, function, language)
    box = Sandbox(root, sandbox)
    await asyncio.to_thread(box.make, rel, text)
    await original_builds(build, root, box)
    sanitize = await sanitizers_work(build.compiler, box.folder / "probe")
    if not sanitize:
        say(f"{build.compiler} cannot build with AddressSanitizer/UBSan here: checks run without")
    lead = preamble(rel, text)
    dropped: list[str] = []

    async def keep(code: str, source: str) -> Driver:
        expected, lines = await validate(build, root, box, code, sanitize=sanitize)
        driver_path.parent.mkdir(parents=True, exist_ok=True)
        driver_path.write_text(code, encoding="utf-8")
        expected_path.write_text(expected, encoding="utf-8")
        shutil.copy2(HEADER, driver_path.parent / HEADER.name)
        return Driver(driver_path, expected_path, lines, sanitize, source, tuple(dropped))

    try:
        if driver_path.is_file():
            try:
                return await keep(driver_path.read_text(encoding="utf-8"), "saved")
            except DriverFailed as exc:
                dropped.append(f"the saved driver {driver_path.name}: {exc}")
                say(f"the saved driver no longer serves ({exc}): asking for a new one")
        if agent is None:
            return DriverFailed("; ".join(dropped) or "no agent to write a driver")
        shown = regions.prompt_context(text, language, function, limit=DRIVER_CONTEXT_CHARS)
        facts = driver_facts(shown.context, reached, build)
        error: str | None = None
        for attempt in (1, 2):
            say(f"asking {agent.name} for a differential driver (attempt {attempt} of 2)")
            reply = await grading.ask(
                agent,
                prompts.native_driver_prompt(shown.code, function, language, lead, error, facts),
                usage,
                temperature=0.0,
                max_tokens=max_tokens,
                sample=SampleId(
                    run_id="native-driver", round=attempt, agent=agent.name, purpose="driver"
                ),
            )
            code = regions.extract_code(reply, language)
            try:
                if not code:
                    raise DriverFailed("the reply has no fenced code block")
                if f'#include "{rel}"' not in code:
                    code = lead + "\n" + code
                return await keep(code, f"written by {agent.name}")
            except DriverFailed as exc:
                error = str(exc)
                dropped.append(f"attempt {attempt}: {exc}")
                say(f"driver dropped: {exc}")
        return DriverFailed("; ".join(dropped))
    finally:
        await asyncio.to_thread(shutil.rmtree, box.folder, True)
