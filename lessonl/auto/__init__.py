"""Optimizing any Python function without a hand-written target (issue 14).

`prepare(config, file, function)` records the function's calls while the project's own pytest
tests run on the original (`recording`), and returns a config with an automatic `[[targets]]`
entry (`target`) whose `test` replays those calls and re-runs the calling tests, and whose
`bench` times the function over them. Modules:

- `project`: the project root, the module's import path, the interpreter, supported kinds;
- `recording`: running the stdlib-only `runner` (in the project's interpreter) to record;
- `target`: the `[[targets]]` entry, the report's `verification` object, its TOML form;
- `skeptic`: attacks every would-be winner with inputs a model chose to show a difference;
- `runner/`: what runs inside the project's interpreter (record, verify, check, bench).

When a run uses the automatic target is decided by `lessonl.run.choose_target` (the one rule
every front end goes through), which then calls `prepare` here and builds the skeptic.

Supported: plain functions and methods (instance, static, class). Not yet: generators, async
functions, properties, closures.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lessonl import regions
from lessonl.auto.generate import make_generator
from lessonl.auto.project import check_supported, choose_interpreter, module_location
from lessonl.auto.recording import Recording, record
from lessonl.auto.target import FEW_CALLS, auto_target, verification
from lessonl.config import Config, TargetConfig
from lessonl.errors import UsageError
from lessonl.llm.types import Usage

if TYPE_CHECKING:
    from lessonl.llm import Agent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AutoTarget:
    config: Config  # the given config plus the automatic target
    target: TargetConfig
    recording: Recording
    verification: dict[str, Any]


def describe(made: AutoTarget) -> str:
    """The line shown before the run: what will judge the variants, with which Python."""
    v = made.verification
    text = (
        f"recorded {v['recorded_calls']} calls of {made.target.files[0]}:"
        f"{made.target.name.removeprefix('auto-')} from {len(v['tests'])} tests "
        f"({v['calls_seen']} calls seen) with {v['interpreter']} ({v['interpreter_source']})"
    )
    if v["generated_inputs"]:
        text += f", plus {v['generated_inputs']} generated inputs"
    return "; ".join([text, v["summary"], *v["notes"]])


async def prepare(
    config: Config,
    file: Path,
    function: str | None,
    *,
    source: str | None = None,
    interpreter: str | None = None,
    generator_agent: Agent | None = None,
    usage: Usage | None = None,
) -> AutoTarget:
    """Record the function's calls and build the automatic target. With `generator_agent`,
    fewer than `FEW_CALLS` recorded calls make that agent write an input generator, whose
    model call is counted in `usage` (the run's)."""
    file = Path(file).resolve()
    if function is None:
        raise UsageError(
            f"{file.name}: name the function to optimize (FILE:FUNCTION); the automatic "
            "target judges one function by its recorded calls"
        )
    text = source if source is not None else file.read_text(encoding="utf-8")
    qualname = regions.find_function(text, "python", function).qualified_name
    check_supported(text, qualname)
    rel = config.relative(file)
    if Path(rel).is_absolute():
        raise UsageError(f"{file} is outside the project root {config.root}")
    setting = interpreter or config.run.interpreter
    chosen = choose_interpreter(
        config.root,
        setting,
        setting_name="--interpreter" if interpreter else "[run] interpreter",
    )
    secrets = [a.api_key_env for a in config.agents if a.api_key_env]
    generator = None
    if generator_agent is not None:
        code = regions.prompt_context(text, "python", function).code
        generator = make_generator(
            generator_agent,
            code,
            qualname,
            max_tokens=config.run.code_max_tokens,
            usage=usage if usage is not None else Usage(),
            source=text,
        )
    recording = await record(
        config.root,
        rel,
        qualname,
        chosen,
        module_location(config.root, rel),
        secret_names=secrets,
        generator=generator,
        few=FEW_CALLS,
        sandbox=config.run.sandbox,
    )
    target = auto_target(recording, rel, qualname, config.root)
    new_config = dataclasses.replace(config, targets=(*config.targets, target))
    return AutoTarget(new_config, target, recording, verification(recording))
