"""`lessonl hotspots [--json] [--timeout-s S] [--interpreter PYTHON] [-- COMMAND ...]`.

Profiles the project's tests (or COMMAND; a native program goes to perf, see
lessonl.native_hotspots) and prints the project's functions ranked by
inclusive time (lessonl.hotspots does the work). The project is the one holding the current
folder (`--project DIR` for another), found as `optimize` finds it for a Python file, and the
interpreter is chosen as the automatic target chooses it, so the profile sees the code the
way `lessonl optimize FILE:FUNCTION` will. `--json` prints the list only (the contract);
the kept `.lessonl/hotspots/latest.json` adds the command, the commit and a timestamp.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

from lessonl import aio
from lessonl.auto.project import choose_interpreter, python_root
from lessonl.config import load_config
from lessonl.errors import UsageError
from lessonl.hotspots import Profile, profile, profile_native, workload_for

SHOWN = 20  # functions in the human listing (--json lists all)


def run(args: argparse.Namespace) -> int:
    start = Path(args.project)
    if not start.is_dir():
        raise UsageError(f"--project {start}: no such folder")
    if args.timeout_s is not None and not (math.isfinite(args.timeout_s) and args.timeout_s > 0):
        raise UsageError(f"--timeout-s {args.timeout_s:g}: give a positive number of seconds")
    workload = workload_for(list(args.workload))
    config = load_config(start.resolve(), required=False)
    secrets = [a.api_key_env for a in config.agents if a.api_key_env]
    kwargs = {"timeout_s": args.timeout_s} if args.timeout_s is not None else {}
    if workload.kind == "native":
        if config.path is None:
            config = replace(config, root=start.resolve())
        print(f"profiling `{workload.shown}` with perf ...", file=sys.stderr)
        result = aio.run(profile_native(config, workload, secret_names=secrets, **kwargs))
        return _show(result, args.json)
    root = config.root if config.path is not None else python_root(start.resolve() / "x.py")
    setting = args.interpreter or config.run.interpreter
    interpreter = choose_interpreter(
        root, setting, setting_name="--interpreter" if args.interpreter else "[run] interpreter"
    )
    print(
        f"profiling `{workload.shown}` with {interpreter.path}, {interpreter.source} ...",
        file=sys.stderr,
    )
    result = aio.run(profile(root, interpreter, workload, secret_names=secrets, **kwargs))
    return _show(result, args.json)


def _show(result: Profile, as_json: bool) -> int:
    if as_json:
        print(json.dumps([h.to_json() for h in result.hotspots]))
    else:
        print(listing(result))
    return 0


def listing(result: Profile) -> str:
    """The human table: hottest first, the functions that cannot be optimized marked."""
    lines = [
        f"profiled `{result.workload.shown}`: {result.total_s:.3f} s, "
        f"{len(result.hotspots)} functions of the project "
        f"(kept in .lessonl/hotspots/latest.json)",
        f"{'share':>6} {'own s':>9} {'incl s':>9} {'calls':>9}  function",
    ]
    for h in result.hotspots[:SHOWN]:
        note = f"  [not optimizable: {h.why_not}]" if not h.optimizable else ""
        lines.append(
            f"{h.share:>6.1%} {h.own_s:>9.4f} {h.inclusive_s:>9.4f} "
            f"{'-' if h.calls is None else h.calls:>9}  "
            f"{h.function}  ({h.file}:{h.line}){note}"
        )
    if len(result.hotspots) > SHOWN:
        lines.append(f"... and {len(result.hotspots) - SHOWN} more (--json lists all)")
    return "\n".join(lines)
