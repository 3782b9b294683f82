"""Replaying recorded calls on the function as it is now, and describing the first mismatch.

A call matches when the function returns a value equal to the recorded one (see
`compare.difference`) or raises an exception of the same type, and leaves its arguments in
the same state as the original did (mutation counts as behaviour).
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable, Iterator
from typing import Any

from .compare import difference, short
from .record import qualified_type
from .store import Call, returned_argument


def call_text(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    shown = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in kwargs.items()]
    text = f"{name}({', '.join(shown)})"
    return text if len(text) <= 160 else text[:157] + "..."


def _argument(where: str) -> str:
    """'[0][1][2]' (the (args, kwargs) pair) -> 'argument 2 at [2]'."""
    match = re.match(r"\[0\]\[(\d+)\](.*)", where)
    if match:
        return f"argument {int(match.group(1)) + 1}" + (
            f" at {match.group(2)}" if match.group(2) else ""
        )
    match = re.match(r"\[1\]\[(.+?)\](.*)", where)
    if match:
        return f"argument {match.group(1)}" + (f" at {match.group(2)}" if match.group(2) else "")
    return "its arguments"


#: How `one` begins a difference that is no fault of the function: the recording itself
#: cannot be loaded back (an argument type whose pickling does not round-trip, or a class the
#: variant changed). `verify` counts these apart from calls that do not reproduce.
UNLOADABLE = "the recorded arguments cannot be loaded"
UNLOADABLE_RESULT = "the recorded result cannot be loaded"


def _load(data: bytes, what: str) -> Any:
    try:
        return pickle.loads(data)
    except Exception as exc:
        raise _Unloadable(f"{what}: {type(exc).__name__}: {exc}"[:300]) from exc


class _Unloadable(Exception):
    pass


def one(fn: Callable[..., Any], call: Call, name: str) -> str | None:
    """None if `fn` reproduces `call`, else what it did differently (without the call index)."""
    try:
        return _one(fn, call, name)
    except _Unloadable as exc:
        return str(exc)


def _one(fn: Callable[..., Any], call: Call, name: str) -> str | None:
    args, kwargs = _load(call.args, UNLOADABLE)
    shown = call_text(name, args, kwargs)
    raised: str | None = None
    got: Any = None
    try:
        got = fn(*args, **kwargs)
    except Exception as exc:
        raised = qualified_type(exc)
        message = f"{type(exc).__name__}: {exc}"
    if call.raised is not None:
        if raised is None:
            return f"{shown}: returned {short(got)}, expected it to raise {_name(call.raised)}"
        if raised != call.raised:
            return f"{shown}: raised {message}, expected {_name(call.raised)}"
    else:
        assert call.result is not None
        expected = _load(call.result, UNLOADABLE_RESULT)
        if raised is not None:
            return f"{shown}: raised {message[:200]}, expected {short(expected)}"
        found = difference(expected, got)
        if found is not None:
            return f"{shown}: returned {short(got)}, expected {short(expected)} ({found})"
        mine = returned_argument(got, args, kwargs)
        if call.returned != "unknown" and mine != call.returned:
            if mine:
                return (
                    f"{shown}: returned {_argument(_where(mine))} itself, where the original "
                    "returns a new object (a caller changing the result would change its own "
                    "argument)"
                )
            return (
                f"{shown}: returned a new object, where the original returns "
                f"{_argument(_where(call.returned))} itself"
            )
    after = _load(call.after, UNLOADABLE)
    changed = difference(after, (args, kwargs))
    if changed is not None:
        where = changed.rsplit(" at ", 1)[-1] if " at " in changed else ""
        return (
            f"{shown}: left {_argument(where)} different from the original "
            f"({changed.split(' at ')[0]})"
        )
    return None


def _where(returned: str) -> str:
    """`_argument`'s path for an argument `returned_argument` named."""
    return f"[0][{returned}]" if returned.isdigit() else f"[1][{returned}]"


def _name(qualified: str) -> str:
    return qualified.rsplit(".", 1)[-1]


def replay(fn: Callable[..., Any], calls: list[Call], name: str) -> Iterator[tuple[int, str]]:
    """(index, difference) for every call `fn` does not reproduce."""
    for i, call in enumerate(calls):
        try:
            found = one(fn, call, name)
        except Exception as exc:  # comparing the results failed: that is a difference too
            found = f"its result cannot be compared ({type(exc).__name__}: {exc})"
        if found is not None:
            yield i, found
