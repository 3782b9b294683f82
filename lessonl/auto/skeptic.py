"""The skeptic: before a variant can win, a model looks for inputs on which it differs.

A rewrite that reproduces every recorded call can still be wrong where the project's tests
never looked (a list argument emptied when the tests pass tuples; a user pattern with its own
capture group). So every would-be winner of an automatic Python target (the variant about to
be proposed, and the one about to be carried forward) is attacked once: one model call shows
the original and the candidate side by side (`prompts.skeptic_prompt`) and asks for a
`generate_inputs()` function, exactly the input generator's format, so the inputs take the
runner's existing path (lessonl/auto/generate.py feeds the same `generate` command):

1. in a fresh copy of the project holding the ORIGINAL, the runner's `generate` runs the
   inputs twice (they must be the same both times) and records the original's results on them
   as calls; inputs on which the original raises are discarded (`--drop-raising`: they say
   nothing about the variant), at most 64 calls are kept, diverse by shape;
2. the runner's `verify` replays them on the original in a fresh process and drops the ones
   that do not reproduce (the original is non-deterministic on them);
3. the candidate's file replaces the original's in the copy and the runner's `check
   --no-tests` replays the calls on it: any difference (results, exception types, mutation of
   arguments) makes the candidate `incorrect`, with the call that shows it.

Every step runs with the project's interpreter under the same limits and scrubbed environment
as the recording, and in bubblewrap like the harness's commands when `[run] sandbox` allows
(the generator and the candidate are model-written code): only the attack's own folder is
writable, HOME and the project are hidden, there is no network.

A generator that fails, loops, or whose inputs are non-deterministic or all crash the original
is shown why and asked once more (`ATTEMPTS`). A skeptic that answers without a generator, or
whose second generator fails too, is *dropped* with a note: the run goes on and the
check is never weaker than without the skeptic (the candidate keeps its verdict from the
recorded calls). A candidate that fails the check on the skeptic's inputs in any other way
(it hangs, or cannot even be loaded there) is refuted: when in doubt, not correct.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pickle
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lessonl import grading, prompts, regions
from lessonl.auto.recording import GENERATE, Recording, confine, private_env, runner_argv
from lessonl.errors import LessonLError
from lessonl.harness.sandbox import CommandResult, run_command
from lessonl.harness.workspace import populate, project_files
from lessonl.llm import Agent, SampleId

if TYPE_CHECKING:
    from lessonl.llm.types import Usage

log = logging.getLogger(__name__)

PASSED, REFUTED, DROPPED = "passed", "refuted", "dropped"
_ERROR = re.compile(r"^LESSONL_ERROR: (.*)$", re.M)
_MISMATCH = re.compile(r"^LESSONL_MISMATCH: (.*)$", re.M)


@dataclass(frozen=True)
class Verdict:
    """What the skeptic's attack on one candidate came to.

    `status`: "passed" (the candidate matched the original on every input), "refuted" (it did
    not: `detail` names the input and the difference) or "dropped" (the skeptic gave nothing
    usable: `detail` says why; the candidate keeps its verdict). `inputs` counts the inputs
    both ran on."""

    status: str
    inputs: int = 0
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "inputs": self.inputs}
        if self.detail:
            data["detail"] = self.detail
        return data


#: Answers asked of the skeptic per attack: a second one, shown why the first's generator gave
#: no usable inputs (it raised, or its inputs crash the original or are not deterministic). On
#: toolz the local model's generator failed on every would-be winner (`...` placeholders),
#: which left each one unattacked.
ATTEMPTS = 2


def _dropped(why: str) -> Verdict:
    return Verdict(DROPPED, 0, f"skeptic dropped: {why}")


@dataclass
class Skeptic:
    """Attacks candidates of one automatic target (see the module docstring)."""

    agent: Agent
    recording: Recording
    root: Path
    rel: str
    qualname: str
    function: str
    original: str  # the original file's text (an editor's unsaved buffer included)
    secret_names: list[str]
    max_tokens: int
    # Commands run in bubblewrap (lessonl.harness.isolation) like the harness's: the candidate
    # and the skeptic's generator are model-written code. The caller decides it from [run]
    # sandbox with `isolation.enabled`, as the harness does.
    sandboxed: bool = False

    async def attack(self, candidate: str, usage: Usage, *, run_id: str, round: int) -> Verdict:
        """One model call, then the runner on the original and on `candidate` (a whole file)."""
        try:
            original_code = regions.prompt_context(self.original, "python", self.function).code
            candidate_code = regions.prompt_context(candidate, "python", self.function).code
        except LessonLError as exc:
            return _dropped(f"the candidate cannot be shown ({exc})")
        samples = self.recording.meta.get("samples", [])
        problem: str | None = None
        for attempt in range(ATTEMPTS):
            prompt = prompts.skeptic_prompt(
                original_code, candidate_code, self.qualname, samples, error=problem
            )
            try:
                reply = await grading.ask(
                    self.agent,
                    prompt,
                    usage,
                    temperature=0.0,
                    max_tokens=self.max_tokens,
                    sample=SampleId(
                        run_id=run_id,
                        round=round,
                        agent=self.agent.name,
                        purpose="skeptic" if attempt == 0 else f"skeptic-{attempt + 1}",
                    ),
                )
            except LessonLError as exc:
                return _dropped(f"the model call failed ({exc})")
            code = regions.extract_code(reply, "python")
            if not code or "generate_inputs" not in code:
                # Not asked again: "I see no input on which they differ" is an answer.
                return _dropped(f"{self.agent.name} answered without a generate_inputs() function")
            verdict = await self._attack_with(code, candidate)
            if isinstance(verdict, Verdict):
                return verdict
            problem = verdict
        return _dropped(f"{problem} (asked {ATTEMPTS} times)")

    async def _attack_with(self, code: str, candidate: str) -> Verdict | str:
        """The attack with one generator: a verdict, or (a plain string) why its inputs were
        unusable, which a second attempt may fix. Our own step failing is a final verdict."""
        digest = hashlib.sha256((candidate + code).encode()).hexdigest()[:10]
        work = self.recording.folder.parent / "skeptic" / digest
        try:
            return await self._run(work, code, candidate)
        except (OSError, ValueError, KeyError, LessonLError) as exc:
            # Our own step failed (a copy, a meta.json the runner left unreadable): the skeptic
            # never fails the run, and the note keeps what went wrong.
            log.warning("the skeptic's attack failed", exc_info=True)
            return _dropped(f"its attack could not run ({type(exc).__name__}: {exc})")
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)

    async def _run(self, work: Path, generator: str, candidate: str) -> Verdict | str:
        """The runner's steps; a plain string says why the generator's inputs are unusable."""
        tree, folder = work / "tree", work / "recording"
        await asyncio.to_thread(self._prepare, work, tree, folder, generator)
        env = private_env(work, self.secret_names)

        async def runner(command: str, *extra: str) -> CommandResult:
            argv = runner_argv(
                self.recording.interpreter.path,
                command,
                self.rel,
                self.qualname,
                self.recording.location,
                str(folder),
            )
            argv = [*argv, *extra]
            if self.sandboxed:
                argv = confine(
                    argv,
                    tree=tree,
                    writable=work,
                    root=self.root,
                    python=self.recording.interpreter.path,
                )
            return await run_command(argv, cwd=tree, env=env, limits=GENERATE)

        made = await runner("generate", "--generator", str(work / "generator.py"), "--drop-raising")
        problem = _failure(made, "its inputs")
        if problem:
            return problem
        verified = await runner("verify")
        problem = _failure(verified, "replaying its inputs on the original")
        if problem:
            return problem
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        kept = int(meta.get("kept", 0))
        if kept == 0:
            return (
                "none of its inputs is usable (each one makes the original raise, or gives "
                "another result when run again)"
            )
        await asyncio.to_thread((tree / self.rel).write_text, candidate, "utf-8")
        checked = await runner("check", "--no-tests")
        if checked.returncode == 0 and not checked.timed_out:
            return Verdict(PASSED, kept)
        mismatch = _MISMATCH.findall(checked.stdout)
        if mismatch:
            return Verdict(REFUTED, kept, f"on an input the skeptic chose: {mismatch[-1]}")
        if checked.timed_out:
            return Verdict(
                REFUTED,
                kept,
                f"did not finish within {GENERATE.wall_s:g} s on the skeptic's {kept} inputs, "
                "which the original ran",
            )
        error = _ERROR.findall(checked.stdout)
        tail = error[-1] if error else _tail(checked)
        return Verdict(REFUTED, kept, f"failed on the skeptic's inputs: {tail}")

    def _prepare(self, work: Path, tree: Path, folder: Path, generator: str) -> None:
        """A copy of the project holding the original, and an empty recording to fill."""
        shutil.rmtree(work, ignore_errors=True)
        populate(self.root, tree, project_files(self.root), overrides={self.rel: self.original})
        (work / "home" / "tmp").mkdir(parents=True, exist_ok=True)
        folder.mkdir(parents=True)
        meta = dict(self.recording.meta)
        meta.update(
            tests=[],
            seen=0,
            kept=0,
            generated=0,
            samples=[],
            left_out={},
            examples={},
            dropped_on_replay=0,
            pass_s=None,
        )
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        (folder / "calls.pkl").write_bytes(pickle.dumps([], protocol=4))
        (work / "generator.py").write_text(generator, encoding="utf-8")


def _failure(result: CommandResult, what: str) -> str | None:
    """Why a runner step on the original failed (None if it did not)."""
    found = _ERROR.findall(result.stdout)
    if found:
        return found[-1]
    if result.timed_out:
        return f"{what} did not finish within {GENERATE.wall_s:g} s"
    if result.returncode != 0:
        return f"{what} failed (exit status {result.returncode}): {_tail(result)}"
    return None


def _tail(result: CommandResult) -> str:
    return " ".join((result.stderr or result.stdout).strip().splitlines()[-3:])[-300:]
