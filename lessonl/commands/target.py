"""`lessonl target FILE:FUNCTION`: the automatic target, printed as the `[[targets]]` entry it
amounts to, so a user can see how variants will be judged, commit the entry and tune it.

It records the calls like `optimize` would (the project's tests run once, in a copy), so the
printed commands point at a real recording. For a C or C++ function (lessonl.native) the team's
first agent writes the differential driver, which is checked on the original and saved under
`.lessonl/native/drivers/` (stderr says where), so the printed entry runs as it is. When the
function cannot be judged automatically the error says why and what to write instead; with
`--json` stdout still carries one object, its `error` that line.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lessonl import aio, auto
from lessonl import run as runs
from lessonl.auto.target import to_toml
from lessonl.commands.optimize import parse_spec
from lessonl.config import Config, language_for_path
from lessonl.errors import LessonLError, UsageError
from lessonl.run import OWN_TARGET, native_preparer, project_config

if TYPE_CHECKING:
    from lessonl import native


def run(args: argparse.Namespace) -> int:
    try:
        path, _ = parse_spec(args.spec)
    except LessonLError as exc:
        _failed(args, exc)
        raise
    if language_for_path(path) in ("c", "cpp"):
        return _native(args)
    try:
        made = _prepare(args)
    except LessonLError as exc:
        _failed(args, exc)
        raise
    text = to_toml(made.target, made.recording, made.config.root)
    _print(args, text, made.target.name, made.verification)
    return 0


def _failed(args: argparse.Namespace, exc: LessonLError) -> None:
    if args.json:  # stdout still carries its one JSON value; the line goes to stderr
        failed = {"toml": None, "target": None, "verification": None, "error": str(exc)}
        sys.stdout.write(json.dumps(failed) + "\n")


def _print(args: argparse.Namespace, text: str, name: str, verification: dict[str, Any]) -> None:
    if args.json:
        out = {"toml": text, "target": name, "verification": verification}
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        sys.stdout.write(text)


def _prepare(args: argparse.Namespace) -> auto.AutoTarget:
    path, function = parse_spec(args.spec)
    if language_for_path(path) != "python":
        raise UsageError(f"{path}: automatic targets are for Python files; write a [[targets]]")
    # The automatic target whatever entries the project has: the plan's rule for it (tests to
    # record from, a function) with the entries set aside, so the errors are optimize's.
    config = dataclasses.replace(project_config(path), targets=())
    plan = runs.plan(runs.RunRequest(path, function, interpreter=args.interpreter, config=config))
    return aio.run(auto.prepare(plan.config, path, function, interpreter=args.interpreter))


def _native(args: argparse.Namespace) -> int:
    """The automatic C/C++ target's entry, its driver written by the project's team."""
    from lessonl.native.target import to_toml as native_toml

    def say(line: str) -> None:
        print(line, file=sys.stderr)

    try:
        path, function = parse_spec(args.spec)
        if native_preparer() is None:
            raise UsageError(f"{path.name}: C and C++ files need {OWN_TARGET}")
        # As for Python: the plan's rule (a function named) with the entries set aside.
        config = dataclasses.replace(project_config(path), targets=())
        plan = runs.plan(runs.RunRequest(path, function, config=config))
        made = aio.run(_native_made(plan.config, path, function, say))
    except LessonLError as exc:
        _failed(args, exc)
        raise
    if made.driver is not None:
        say(f"the driver is saved as {made.config.relative(made.driver.path)} (with its .expected)")
    text = native_toml(made.target, made.verification)
    _print(args, text, made.target.name, made.verification)
    return 0


async def _native_made(
    config: Config, path: Path, function: str | None, say: Callable[[str], None]
) -> native.NativeTarget:
    from lessonl import native
    from lessonl.llm import build_team
    from lessonl.state import StateDir

    StateDir(config.root).ensure()
    team = await build_team(config, cache=config.run.cache)
    try:
        agent = team.agents[0] if team.agents else None
        return await native.prepare(config, path, function, generator_agent=agent, say=say)
    finally:
        await team.aclose()
