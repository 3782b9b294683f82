"""The skeptic for the automatic C/C++ target: attacks a would-be winner with a model's inputs.

The same idea as the Python skeptic (lessonl/auto/skeptic.py; docs/method.md, "The skeptic"):
before a variant can win, the team's first agent sees the original and the variant side by
side and writes a program, shaped like the differential driver, that calls the function on
inputs where they may differ (`prompts.native_skeptic_prompt`). In a private copy of the
project, in the sandbox, that program is compiled (sanitized when the driver's check is) and
run twice against the original, which must agree with itself and run cleanly; then against
the candidate, whose output must match the original's within the check's tolerance. A
difference or a sanitizer report refutes the candidate; anything unusable (no code, does not
compile, not deterministic, fails on the original) drops the attack with a note, so the
skeptic only ever adds evidence. One model call per attack, counted in the run's usage.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from lessonl import grading, prompts, regions
from lessonl.auto.skeptic import Verdict
from lessonl.errors import LessonLError
from lessonl.llm import SampleId
from lessonl.native import check
from lessonl.native.build import Build
from lessonl.native.driver import (
    COMPILE_TIMEOUT_S,
    DRIVER_TIMEOUT_S,
    MEMORY_MB,
    UNBOUNDED_MB,
    DriverFailed,
    Sandbox,
    compile_argv,
    first_error,
    language_of,
    preamble,
    shown,
)

if TYPE_CHECKING:
    from lessonl.llm import Agent
    from lessonl.llm.types import Usage

PASSED, REFUTED, DROPPED = "passed", "refuted", "dropped"


class NativeSkeptic:
    """`attack(candidate_text, usage, run_id=, round=) -> Verdict`, what `loop.SkepticLike`
    asks; `candidate_text` is the whole new text of the function's file."""

    def __init__(
        self,
        *,
        agent: Agent,
        build: Build,
        root: Path,
        rel: str,
        function: str,
        original: str,
        sanitize: bool,
        sandbox: str,
        max_tokens: int,
    ) -> None:
        self.agent = agent
        self.build = build
        self.root = root
        self.rel = rel
        self.function = function
        self.original = original
        self.sanitize = sanitize
        self.sandbox = sandbox
        self.max_tokens = max_tokens
        self.language = language_of(build)

    def _code(self, text: str) -> str:
        try:
            return regions.prompt_context(text, self.language, self.function).code
        except LessonLError:  # a candidate without the function (regions says so) is shown whole
            return text

    async def attack(self, candidate: str, usage: Usage, *, run_id: str, round: int) -> Verdict:
        lead = preamble(self.rel, self.original)
        prompt = prompts.native_skeptic_prompt(
            self._code(self.original), self._code(candidate), self.function, self.language, lead
        )
        reply = await grading.ask(
            self.agent,
            prompt,
            usage,
            temperature=0.0,
            max_tokens=self.max_tokens,
            sample=SampleId(run_id=run_id, round=round, agent=self.agent.name, purpose="skeptic"),
        )
        code = regions.extract_code(reply, self.language)
        if not code:
            return Verdict(DROPPED, 0, "skeptic dropped: the reply has no fenced code block")
        if f'#include "{self.rel}"' not in code:
            code = lead + "\n" + code
        box = Sandbox(self.root, self.sandbox)
        await asyncio.to_thread(box.make, self.rel, self.original)
        try:
            return await self._judge(box, code, candidate)
        finally:
            await asyncio.to_thread(shutil.rmtree, box.folder, True)

    async def _judge(self, box: Sandbox, code: str, candidate: str) -> Verdict:
        try:
            exe = await self._compile(box, code)
            outputs = [await self._clean_run(box, exe) for _ in range(2)]
        except DriverFailed as exc:
            return Verdict(DROPPED, 0, f"skeptic dropped: its program {exc}")
        if outputs[0] != outputs[1]:
            return Verdict(
                DROPPED, 0, "skeptic dropped: its program is not deterministic (two runs differ)"
            )
        expected = outputs[0]
        lines = len([line for line in expected.splitlines() if line.strip()])
        if not lines:
            return Verdict(DROPPED, 0, "skeptic dropped: its program printed nothing")
        (box.tree / self.rel).write_text(candidate, encoding="utf-8")
        try:
            exe = await self._compile(box, code)
        except DriverFailed as exc:
            return Verdict(
                DROPPED, lines, f"skeptic dropped: with the candidate, its program {exc}"
            )
        why = check.verdict(*await self._exec(box, exe), expected)
        if why is None:
            return Verdict(PASSED, lines)
        return Verdict(REFUTED, lines, f"on inputs the skeptic chose: {shown(why, box)}")

    async def _compile(self, box: Sandbox, code: str) -> Path:
        """`code` compiled against the copy as it is now (sanitized like the driver's check)."""
        src = box.folder / ("skeptic.c" if self.language == "c" else "skeptic.cpp")
        src.write_text(code, encoding="utf-8")
        exe = box.folder / "skeptic"
        argv = compile_argv(
            self.build,
            self.root,
            new_root=str(box.tree),
            driver=str(src),
            out=str(exe),
            sanitize=self.sanitize,
        )
        built = await box.run(argv, COMPILE_TIMEOUT_S)
        if not built.ok:
            raise DriverFailed(f"does not compile: {shown(first_error(built), box)}")
        return exe

    async def _exec(self, box: Sandbox, exe: Path) -> tuple[int | None, str, str]:
        ran = await box.run(
            [str(exe)],
            DRIVER_TIMEOUT_S,
            memory_mb=UNBOUNDED_MB if self.sanitize else MEMORY_MB,
            sanitized=self.sanitize,
        )
        if ran.timed_out or ran.cpu_limited:
            return None, ran.stdout, ran.stderr
        return ran.returncode, ran.stdout, ran.stderr

    async def _clean_run(self, box: Sandbox, exe: Path) -> str:
        """The original's output; `DriverFailed` unless the run is clean."""
        returncode, stdout, stderr = await self._exec(box, exe)
        why = check.verdict(returncode, stdout, stderr, None)
        if why is not None:
            raise DriverFailed(f"fails on the original: {shown(why, box)}")
        return stdout
