"""The `lessonl` command: argument parsing and error handling only.

The argument shapes are the contract in docs/contracts.md (users and the acceptance checks call
them), so they all live here, in one place. Each subcommand's work is in
`lessonl.commands.<name>.run(args) -> int`, imported only when that subcommand runs so that
`lessonl evaluate` does not pay for importing the LLM SDKs.

Errors: a `LessonLError` becomes one line on stderr (`lessonl: ...`) and its exit code (2 for
usage and configuration); Ctrl-C exits 130 after the command has written what it could.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from lessonl import __version__
from lessonl.errors import LessonLError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage block; a one-line error is what the contract asks.
        self.exit(2, f"lessonl: {message} (see '{self.prog} --help')\n")


INTERPRETER_HELP = (
    "the Python that runs the project's tests for an automatic target "
    "(default: [run] interpreter, else the project's .venv or venv, else this Python)"
)
TARGET_HELP = "the [[targets]] entry to use (default: the one whose files include FILE)"


def build_parser() -> argparse.ArgumentParser:
    """Every command's arguments (docs/contracts.md, "CLI").

    Long because it is a flat declaration, one `add_parser` block per command, read like the
    contract's usage lines; there is no logic to split out.
    """
    parser = _Parser(
        prog="lessonl",
        description="Optimize code with a team of LLM agents that learn from each other's lessons.",
    )
    parser.add_argument("--version", action="version", version=f"lessonl {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log to stderr (-vv for debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("evaluate", help="build, check and time a candidate replacement of FILE")
    p.add_argument("file", metavar="FILE[:FUNCTION]")
    p.add_argument(
        "--candidate",
        required=True,
        metavar="PATH",
        help="whole replacement of FILE, or with :FUNCTION that function (spliced in)",
    )
    p.add_argument("--target", metavar="NAME", help=TARGET_HELP)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    p = sub.add_parser("optimize", help="run the LessonL team on FILE or FILE:FUNCTION")
    p.add_argument("spec", metavar="FILE[:FUNCTION]")
    p.add_argument("--target", metavar="NAME", help=TARGET_HELP)
    p.add_argument("--rounds", type=int, metavar="T", help="rounds (default: [run] rounds)")
    p.add_argument("--lessons", type=int, metavar="K", help="lessons per prompt")
    p.add_argument("--json", action="store_true", help="print the run report as JSON on stdout")
    p.add_argument("--apply", action="store_true", help="write the best variant into FILE")
    p.add_argument("--sequential", action="store_true", help="agents one after another")
    p.add_argument(
        "--carry-forward",
        action="store_true",
        help="rewrite the fastest verified variant so far each round, not the original "
        "(default: [run] carry_forward, off)",
    )
    p.add_argument("--no-cache", action="store_true", help="do not use the LLM response cache")
    p.add_argument("--max-wall-s", type=float, metavar="S", help="stop after S seconds")
    p.add_argument("--max-cost-usd", type=float, metavar="USD", help="stop after spending USD")
    p.add_argument(
        "--max-tokens", type=int, metavar="N", help="stop after N tokens (prompt and completion)"
    )
    p.add_argument(
        "--team", metavar="TEAM.toml", help="[[agents]] to use instead of the project's own"
    )
    p.add_argument("--interpreter", metavar="PYTHON", help=INTERPRETER_HELP)

    p = sub.add_parser(
        "target", help="print the automatic [[targets]] entry for FILE:FUNCTION (Python, C, C++)"
    )
    p.add_argument("spec", metavar="FILE:FUNCTION")
    p.add_argument("--interpreter", metavar="PYTHON", help=INTERPRETER_HELP)
    p.add_argument("--json", action="store_true", help="print the entry and its verification")

    p = sub.add_parser("lessons", help="list, search, export or edit the project's lesson bank")
    p.add_argument("--project", metavar="DIR", default=".", help="project folder (default: .)")
    lsub = p.add_subparsers(dest="lessons_command", metavar="ACTION", parser_class=_Parser)
    lsub.required = True
    for name, helptext in (
        ("list", "list lessons, newest first"),
        ("show", "show one lesson"),
        ("search", "lessons most relevant to TEXT"),
        ("export", "write the bank as JSON Lines"),
        ("import", "add lessons from a JSON Lines file"),
        ("forget", "delete one lesson"),
        ("prune", "delete the lessons that never helped (shown --min-uses times, no win)"),
        ("recover", "move a damaged bank aside and keep the lessons that still read"),
    ):
        lp = lsub.add_parser(name, help=helptext)
        if name in ("show", "forget"):
            lp.add_argument("id", metavar="ID")
        elif name == "search":
            lp.add_argument("text", metavar="TEXT")
        elif name in ("export", "import"):
            lp.add_argument("path", metavar="PATH")
        if name in ("list", "search"):
            lp.add_argument("--limit", type=int, default=50)
        if name == "prune":
            lp.add_argument(
                "--min-uses",
                type=int,
                default=3,
                metavar="N",
                help="only lessons shown at least N times, N >= 1 (default: 3)",
            )
            lp.add_argument(
                "--dry-run", action="store_true", help="list what would be pruned; change nothing"
            )
            lp.add_argument(
                "--yes",
                action="store_true",
                help="prune without asking (needed when not on a terminal); what goes is kept "
                "in .lessonl/pruned/ for `lessons import`",
            )
        lp.add_argument("--json", action="store_true")

    p = sub.add_parser("bench", help="run a benchmark suite with one or more strategies")
    p.add_argument("suite", metavar="SUITE_DIR")
    p.add_argument("--list", action="store_true", help="list the problems and exit")
    p.add_argument("--problems", nargs="+", metavar="NAME", help="only these (default: all)")
    p.add_argument(
        "--strategy",
        nargs="+",
        metavar="NAME",
        help="lessonl, single, cot, reflexion, moa, mapcoder (default: these six); "
        "also lessonl_carry, lessonl_transfer (experiments on our own method)",
    )
    p.add_argument(
        "--team", metavar="TEAM.toml", help="[[agents]] to use instead of each problem's own"
    )
    p.add_argument(
        "--report",
        metavar="DIR",
        help="results and report folder; rerunning skips finished pairs "
        "(default: bench-report/<suite>)",
    )
    p.add_argument("--rounds", type=int, metavar="T", help="rounds per run (default: [run] rounds)")
    p.add_argument("--json", action="store_true", help="print results.json on stdout")
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="run the pairs as tasks on a Ray cluster (auto, host:6379, ray://host:10001; "
        "without ADDRESS: RAY_ADDRESS, else a local Ray); needs pip install 'lessonl[ray]'",
    )

    p = sub.add_parser(
        "hotspots",
        help="profile the project's tests (or -- COMMAND) and rank its functions by time",
    )
    p.add_argument(
        "workload",
        nargs="*",
        metavar="COMMAND",
        help="after --: the workload to profile (python SCRIPT ..., python -m MODULE ..., "
        "pytest ...; default: the project's tests)",
    )
    p.add_argument("--project", metavar="DIR", default=".", help="project folder (default: .)")
    p.add_argument("--json", action="store_true", help="print the ranked list as JSON")
    p.add_argument(
        "--timeout-s",
        type=float,
        metavar="S",
        help="give up when the workload runs longer than S seconds (default: 600)",
    )
    p.add_argument("--interpreter", metavar="PYTHON", help=INTERPRETER_HELP)

    p = sub.add_parser(
        "sweep",
        help="optimize the hottest functions one after another with one bank, then check the "
        "whole workload",
    )
    p.add_argument(
        "workload",
        nargs="*",
        metavar="COMMAND",
        help="after --: the workload to profile and time (as for hotspots; default: the "
        "project's tests)",
    )
    p.add_argument("--project", metavar="DIR", default=".", help="project folder (default: .)")
    p.add_argument(
        "--top", type=int, default=5, metavar="N", help="at most N functions (default: 5)"
    )
    p.add_argument(
        "--min-share",
        type=float,
        default=0.05,
        metavar="P",
        help="only functions taking at least P of the workload, 0 to 1 (default: 0.05)",
    )
    p.add_argument("--rounds", type=int, metavar="T", help="rounds per function")
    p.add_argument("--lessons", type=int, metavar="K", help="lessons per prompt")
    p.add_argument("--json", action="store_true", help="print the sweep's result as JSON")
    p.add_argument(
        "--apply",
        action="store_true",
        help="write every winner (only if no file changed since the sweep began and the "
        "winners together pass the tests)",
    )
    p.add_argument("--sequential", action="store_true", help="agents one after another")
    p.add_argument(
        "--carry-forward", action="store_true", help="as for optimize, in every function's run"
    )
    p.add_argument("--no-cache", action="store_true", help="do not use the LLM response cache")
    p.add_argument(
        "--max-wall-s", type=float, metavar="S", help="stop the whole sweep after S seconds"
    )
    p.add_argument(
        "--max-cost-usd", type=float, metavar="USD", help="stop the whole sweep after USD"
    )
    p.add_argument(
        "--max-tokens", type=int, metavar="N", help="stop the whole sweep after N tokens"
    )
    p.add_argument(
        "--team", metavar="TEAM.toml", help="[[agents]] to use instead of the project's own"
    )
    p.add_argument("--interpreter", metavar="PYTHON", help=INTERPRETER_HELP)

    doctor = sub.add_parser("doctor", help="check that a run has what it needs")
    doctor.add_argument(
        "--team",
        metavar="TEAM.toml",
        help="check the agents of this team file (as optimize --team would use them)",
    )
    return parser


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    # A user reads warnings next to the progress lines: one plain line each. With -v the
    # timestamps and logger names that help debugging come back.
    fmt = (
        "%(levelname)s: %(message)s"
        if verbosity == 0
        else ("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=level, stream=sys.stderr, format=fmt)
    # The SDKs' HTTP loggers can echo request headers at DEBUG; keep them quiet.
    for noisy in ("httpx", "httpcore", "openai", "anthropic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    module = importlib.import_module(f"lessonl.commands.{args.command}")
    try:
        return int(module.run(args))
    except LessonLError as exc:
        print(f"lessonl: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("lessonl: cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `lessonl bench --list | head`: the reader has all it wanted. Point stdout at
        # /dev/null so the interpreter's final flush does not raise again (Python docs, signal).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # what a shell reports for SIGPIPE
