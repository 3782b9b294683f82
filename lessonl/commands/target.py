"""`lessonl target FILE:FUNCTION`: the automatic target, printed as the `[[targets]]` entry it
amounts to, so a user can see how variants will be judged, commit the entry and tune it.

It records the calls like `optimize` would (the project's tests run once, in a copy), so the
printed commands point at a real recording. When the function cannot be judged automatically
the error says why and what to write instead; with `--json` stdout still carries one object,
its `error` that line.
"""

from __future__ import annotations

import argparse
import json
import sys

from lessonl import aio, auto
from lessonl.auto.target import to_toml
from lessonl.commands.optimize import parse_spec
from lessonl.config import language_for_path
from lessonl.errors import LessonLError, UsageError
from lessonl.run import project_config


def run(args: argparse.Namespace) -> int:
    try:
        made = _prepare(args)
    except LessonLError as exc:
        if args.json:  # stdout still carries its one JSON value; the line goes to stderr
            failed = {"toml": None, "target": None, "verification": None, "error": str(exc)}
            sys.stdout.write(json.dumps(failed) + "\n")
        raise
    text = to_toml(made.target, made.recording, made.config.root)
    if args.json:
        out = {"toml": text, "target": made.target.name, "verification": made.verification}
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        sys.stdout.write(text)
    return 0


def _prepare(args: argparse.Namespace) -> auto.AutoTarget:
    path, function = parse_spec(args.spec)
    if language_for_path(path) != "python":
        raise UsageError(f"{path}: automatic targets are for Python files; write a [[targets]]")
    config = project_config(path)
    return aio.run(auto.prepare(config, path, function, interpreter=args.interpreter))
