"""The recording on disk: `calls.pkl` (the kept calls) and `meta.json` (what happened).

Each call keeps its arguments pickled *before* the call and again *after* it (to see
mutation), and its return value pickled, or the qualified name of the exception it raised. The
pickles stay bytes inside the list, so every replay and every timing repetition unpickles its
own fresh copy of the inputs.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CALLS = "calls.pkl"
META = "meta.json"


@dataclass
class Call:
    args: bytes  # pickle of (args tuple, kwargs dict) before the call
    after: bytes  # the same after the call
    result: bytes | None  # pickle of the return value; None when it raised
    raised: str | None  # "module.QualName" of the exception raised, or None
    test: str  # the test (pytest node id) that made the call
    shape: str  # what the diversity selection grouped it by
    # Which argument the call returned as its result itself ("0", "1", ... or a keyword), ""
    # for none, "unknown" in a recording made before this was kept (replay then skips it).
    returned: str = "unknown"


#: Types whose identity no caller can observe through mutation: returning one's own argument of
#: these types is not aliasing.
_IMMUTABLE = (int, float, complex, str, bytes, bool, tuple, frozenset, range, type(None))


def returned_argument(result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """Which argument `result` is itself ("" for none). A function that hands back the
    caller's own list lets the caller's later change of the result change its input, and one
    that returns a fresh list does not: the two are different behaviour, which equal values
    hide (a boltons `lstrip` rewrite returning its argument unchanged passed every call)."""
    if isinstance(result, _IMMUTABLE):
        return ""
    for i, arg in enumerate(args):
        if result is arg:
            return str(i)
    for name, value in kwargs.items():
        if result is value:
            return name
    return ""


@dataclass
class Meta:
    """What the recording run saw; LessonL turns it into the report's `verification`."""

    module: str
    qualname: str
    exit_code: int = 0
    collected: int = 0
    failed: list[str] = field(default_factory=list)  # node ids of failing tests
    errors: list[str] = field(default_factory=list)  # collection errors
    tests: list[str] = field(default_factory=list)  # node ids that called the function
    seen: int = 0  # calls observed
    kept: int = 0  # calls kept
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> count
    examples: dict[str, str] = field(default_factory=dict)  # reason -> first message
    pass_s: float | None = None  # one pass over the kept calls on the original (verify)
    dropped_on_replay: int = 0  # kept calls the original itself did not reproduce alone
    # why they were dropped: "unloadable" (the recorded values do not unpickle) or "differs"
    # (the original gave another result outside its test); examples["dropped:<why>"] shows one
    dropped_why: dict[str, int] = field(default_factory=dict)
    generated: int = 0  # calls from an input generator (run on the original), not from tests
    samples: list[str] = field(default_factory=list)  # a few calls as text, for prompts
    property_inputs: int = 0  # calls from property-based inputs (strength.py), after verify
    strength: dict[str, Any] = field(default_factory=dict)  # what `strengthen` did
    coverage: dict[str, Any] | None = None  # the kept calls' coverage (verify), if measurable


#: The `test` of calls made from property-based inputs (see strength.py).
PROPERTY = "<property>"


def timed(calls: list[Call]) -> list[Call]:
    """The calls the bench times: property-based inputs judge correctness only, since their
    small random values are not the workload the project's tests describe (unless nothing
    else is left)."""
    workload = [c for c in calls if c.test != PROPERTY]
    return workload or calls


def save(folder: Path, calls: list[Call], meta: Meta) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CALLS).write_bytes(pickle.dumps([asdict(c) for c in calls], protocol=4))
    (folder / META).write_text(json.dumps(asdict(meta), indent=2) + "\n", encoding="utf-8")


def load_calls(folder: Path) -> list[Call]:
    data: list[dict[str, Any]] = pickle.loads((folder / CALLS).read_bytes())
    return [Call(**d) for d in data]


def load_meta(folder: Path) -> Meta:
    return Meta(**json.loads((folder / META).read_text(encoding="utf-8")))
