"""Is a variant's result the recorded one? And if not, the first difference in words.

Exact for ints, strings, bytes and containers (dict key order included: it is observable),
close for floats and complex numbers (relative 1e-9, absolute 1e-12; NaN equals NaN), and for
numpy arrays the same shape and dtype with `allclose` for inexact dtypes. Objects that define
their own `__eq__` are compared with it; other objects by type and attributes, since two
unpickled copies of a plain object are never `==`. A list or tuple iterator is compared by the
items it has left. Types must match exactly: a tuple where a list was returned is a difference.
"""

from __future__ import annotations

import cmath
import math
import reprlib
from typing import Any

REL_TOL = 1e-9
ABS_TOL = 1e-12

_short = reprlib.Repr()
_short.maxlist = _short.maxtuple = _short.maxset = _short.maxfrozenset = 4
_short.maxdict = 3
_short.maxstring = _short.maxother = 40
_short.maxlevel = 3


_ITERATORS: tuple[type, ...] = (type(iter([])), type(iter(())))


def remaining(value: Any) -> list[Any] | tuple[Any, ...] | None:
    """The items a list or tuple iterator has left, read without consuming it (its pickling
    state), or None for anything else."""
    if not isinstance(value, _ITERATORS):
        return None
    reduced = value.__reduce__()
    seq = reduced[1][0] if isinstance(reduced, tuple) and len(reduced) > 1 else ()
    start = reduced[2] if isinstance(reduced, tuple) and len(reduced) > 2 else 0
    return seq[start:]


def short(value: Any) -> str:
    """A bounded one-line repr: `['hat', 'cat', ...]`, and `iter([1, 2])` for an iterator."""
    left = remaining(value)
    if left is not None:
        return f"iter({short(left)})"
    try:
        return " ".join(_short.repr(value).split())
    except Exception as exc:  # a broken __repr__ must not hide the difference
        return f"<{type(value).__name__}: repr failed with {type(exc).__name__}>"


def difference(expected: Any, got: Any, where: str = "") -> str | None:
    """None when `got` matches `expected`, else where and how they first differ."""
    return _diff(expected, got, where, 0)


def _at(where: str) -> str:
    return f" at {where}" if where else ""


def _diff(a: Any, b: Any, where: str, depth: int) -> str | None:
    if depth > 60:
        return None if a == b else f"differs{_at(where)}"
    if type(a) is not type(b):
        return f"{type(b).__name__} instead of {type(a).__name__}{_at(where)}"
    if isinstance(a, float):
        if math.isnan(a) and math.isnan(b):
            return None
        if math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            return None
        return f"{b!r} instead of {a!r}{_at(where)}"
    if isinstance(a, complex):
        if cmath.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            return None
        return f"{b!r} instead of {a!r}{_at(where)}"
    if isinstance(a, int | str | bytes | bool | type(None)):
        return None if a == b else f"{short(b)} instead of {short(a)}{_at(where)}"
    if isinstance(a, list | tuple):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = _diff(x, y, f"{where}[{i}]", depth + 1)
            if found:
                return found
        if len(a) != len(b):
            return f"{len(b)} items instead of {len(a)}{_at(where)}"
        return None
    if isinstance(a, dict):
        if list(a) != list(b):
            if set(a) != set(b):
                missing = [k for k in a if k not in b]
                extra = [k for k in b if k not in a]
                what = f"missing keys {short(missing)}" if missing else ""
                if extra:
                    what += (", " if what else "") + f"extra keys {short(extra)}"
                return f"{what}{_at(where)}"
            return f"the same keys in another order{_at(where)}"
        for key in a:
            found = _diff(a[key], b[key], f"{where}[{short(key)}]", depth + 1)
            if found:
                return found
        return None
    if isinstance(a, set | frozenset):
        if a == b:
            return None
        return f"{short(b)} instead of {short(a)}{_at(where)}"
    if isinstance(a, _ITERATORS):  # what is left to read is what a caller can observe
        found = _diff(remaining(a), remaining(b), where, depth + 1)
        return f"in what the iterator has left, {found}" if found else None
    module = type(a).__module__.split(".")[0]
    if module == "numpy" and hasattr(a, "shape") and hasattr(a, "dtype"):
        return _numpy(a, b, where)
    if type(a).__eq__ is not object.__eq__:
        try:
            same = a == b
            if not isinstance(same, bool) and hasattr(same, "all"):
                same = bool(same.all())
            return None if same else f"{short(b)} instead of {short(a)}{_at(where)}"
        except Exception as exc:
            return f"cannot be compared ({type(exc).__name__}: {exc}){_at(where)}"
    if hasattr(a, "__dict__") or hasattr(type(a), "__slots__"):
        return _diff(_state(a), _state(b), f"{where}.attributes", depth + 1)
    return None if a is b or a == b else f"{short(b)} instead of {short(a)}{_at(where)}"


def _state(obj: Any) -> dict[str, Any]:
    state = dict(getattr(obj, "__dict__", {}))
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if isinstance(slot, str) and hasattr(obj, slot) and slot not in state:
                state[slot] = getattr(obj, slot)
    return dict(sorted(state.items()))


def _numpy(a: Any, b: Any, where: str) -> str | None:
    import numpy as np  # only when numpy values were recorded, so numpy is installed

    if a.shape != b.shape:
        return f"shape {b.shape} instead of {a.shape}{_at(where)}"
    if a.dtype != b.dtype:
        return f"dtype {b.dtype} instead of {a.dtype}{_at(where)}"
    if a.dtype.kind in "fc":
        same = bool(np.allclose(a, b, rtol=REL_TOL, atol=ABS_TOL, equal_nan=True))
    else:
        same = bool(np.array_equal(a, b))
    return None if same else f"{short(b)} instead of {short(a)}{_at(where)}"
