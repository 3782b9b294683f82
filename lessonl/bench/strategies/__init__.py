"""The strategies `lessonl bench` compares, one module each, all with the same interface:
`NAME`, `SUMMARY`, `SOLO` and `async def run(ctx: StrategyContext) -> ProblemResult`.

`SOLO = True` marks a one-agent method: the runner then gives it a team of n copies of the
team's first agent (n = the team's size), differing only in name and, where the agent has one,
seed. Without that, n samples of one prompt from a seeded model (the embedded local model
serves with a fixed seed per agent) would be n copies of the same answer, and a solo method
would get one real sample where the team gets n.

Imported lazily so that `bench --list` and the metrics never load the engine and the SDKs.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from lessonl.errors import UsageError

if TYPE_CHECKING:
    from lessonl.bench.metrics import ProblemResult
    from lessonl.bench.strategies.base import StrategyContext

#: Every strategy, in the order reports show them (LessonL first, then the paper's baselines,
#: then arms that test our additions to the method).
NAMES = (
    "lessonl",
    "single",
    "cot",
    "reflexion",
    "moa",
    "mapcoder",
    "lessonl_carry",
    "lessonl_transfer",
)
#: What `lessonl bench` runs without --strategy: the paper's six, as --problems defaults to all.
DEFAULT = NAMES[:6]
#: The arm whose bank starts warmed with what SOURCE banked on the plan's other problems, so
#: the runner runs SOURCE's pairs first (lessonl/bench/runner.py).
TRANSFER = "lessonl_transfer"
SOURCE = "lessonl"

StrategyRun = Callable[["StrategyContext"], Awaitable["ProblemResult"]]


def choose(names: Sequence[str] | None) -> list[str]:
    """The strategies asked for, deduplicated in the order given; unknown names are an error."""
    if not names:
        return list(DEFAULT)
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise UsageError(f"unknown strategy {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    return list(dict.fromkeys(names))


def with_sources(names: Sequence[str]) -> tuple[list[str], str | None]:
    """`names`, plus SOURCE when TRANSFER is among them and SOURCE is not (TRANSFER learns
    from SOURCE's lessons), and the one line that says so (None when nothing was added)."""
    if TRANSFER not in names or SOURCE in names:
        return list(names), None
    note = (
        f"{TRANSFER} starts from the lessons {SOURCE} banks on the other problems: added {SOURCE}"
    )
    return [SOURCE, *names], note


def get(name: str) -> StrategyRun:
    """The `run` coroutine function of strategy `name`."""
    run: StrategyRun = _module(name).run
    return run


def is_solo(name: str) -> bool:
    """Whether strategy `name` is a one-agent method (see the module docstring)."""
    return bool(getattr(_module(name), "SOLO", False))


def _module(name: str) -> ModuleType:
    if name not in NAMES:
        raise UsageError(f"unknown strategy {name}; choose from {', '.join(NAMES)}")
    return importlib.import_module(f"lessonl.bench.strategies.{name}")
