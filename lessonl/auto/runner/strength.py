"""How strong the recorded calls are as evidence, and property-based inputs that raise it.

Two measurements and one generator, run on the ORIGINAL inside the project's interpreter:

- `coverage_of`: line and branch coverage of the function's own body (not the module, not the
  helpers it calls: a helper covered by other callers says nothing about this function's
  cases) under a set of calls, measured with coverage.py;
- `property_inputs`: inputs derived from the recorded ones with Hypothesis. Strategies come
  from the recorded values' types and shapes (other lengths, empty, duplicates, negatives,
  unicode) and, for every sequence-like argument (list, tuple, str), a plain list too: a
  rewrite that skips copying its input "when it is already a list" is only caught by a list
  the tests never passed. The original's results on them become expected calls like the
  recorded ones (the recorder pickles arguments before and after, so mutation is compared);
  an input on which the original raises is discarded (it says nothing about a variant).

Neither library is in the standard library, and this package must run under the project's
interpreter, which need not have them. LessonL hands over, with `--support`, a folder holding
links to its own installed copies of them (lessonl/harness/support.py), only when the project's
Python is the same version as LessonL's (coverage's tracer is compiled for one version). With
no such folder both are skipped and the report says why: the check is then what it was.

Determinism: Hypothesis runs with `derandomize=True` and no example database, so the same
recording always yields the same inputs; `cmd_verify` then replays every call on the original
in a fresh process and drops those that do not reproduce, like any recorded call.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import pickle
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable
from typing import Any

from .compare import difference
from .store import Call

#: Kept calls from property-based inputs: always a few, more when coverage is low.
SMALL_BUDGET = (40, 16)  # (examples tried, calls kept)
LARGE_BUDGET = (200, 48)
GENERATE_S = 20.0  # wall time for the examples, whatever the budget
#: Below this share of branches (lines when the function has no branch) the recorded calls are
#: thin: a fifth of the function's decisions never ran, so any rewrite of them is unjudged.
#: Codeflash gates at 60%; we ask for more because we also add inputs automatically.
THRESHOLD = 80.0
MAX_SIZE = 8  # elements of a generated container


def add_support(path: str | None) -> str | None:
    """Put LessonL's copies of coverage and Hypothesis on sys.path; None when usable, else
    the reason they are not."""
    if not path:
        return "coverage and hypothesis are not available to the project's Python"
    if path not in sys.path:
        sys.path.insert(0, path)
    try:
        import coverage  # noqa: F401
        import hypothesis  # noqa: F401
    except Exception as exc:
        return f"coverage or hypothesis cannot be imported ({type(exc).__name__}: {exc})"
    return None


def body_lines(fn: Callable[..., Any]) -> tuple[str, int, int]:
    """(file, first body line, last line) of the function: the `def` and its decorators run at
    import, so they are not part of what the calls cover."""
    raw = inspect.unwrap(fn)
    file = inspect.getsourcefile(raw) or raw.__code__.co_filename
    lines, start = inspect.getsourcelines(raw)
    tree = ast.parse(textwrap.dedent("".join(lines)))
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    first = start + node.body[0].lineno - 1
    return os.path.realpath(file), first, start + len(lines) - 1


def span_in_source(source: str, qualname: str) -> tuple[int, int] | None:
    """(first body line, last line) of `qualname` ("f" or "Class.f") in `source`, like
    `body_lines` but without importing the code; None when it is not there."""
    nodes: list[ast.stmt] = ast.parse(source).body
    found: ast.stmt | None = None
    for part in qualname.split("."):
        found = next(
            (
                n
                for n in nodes
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.name == part
            ),
            None,
        )
        if found is None:
            return None
        nodes = found.body  # type: ignore[attr-defined]
    if not isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    return found.body[0].lineno, found.end_lineno or found.body[-1].lineno


def ranges(numbers: Iterable[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9'."""
    out: list[str] = []
    run: list[int] = []
    for n in sorted(set(numbers)):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [n]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(out)


def run_all(fn: Callable[..., Any], calls: list[Call]) -> None:
    for call in calls:
        try:
            args, kwargs = pickle.loads(call.args)
            fn(*args, **kwargs)
        except Exception:
            pass  # a call that raises covers the lines up to the raise, which counts


def coverage_of(fn: Callable[..., Any], calls: list[Call]) -> dict[str, Any]:
    """Line and branch coverage of the function's body under `calls` (percentages, and the
    lines never run, as ranges)."""
    import coverage

    file, first, last = body_lines(fn)
    cov = coverage.Coverage(branch=True, data_file=None, config_file=False, include=[file])
    cov.start()
    try:
        run_all(fn, calls)
    finally:
        cov.stop()
    return summarize(cov, first, last)


def summarize(cov: Any, first: int, last: int) -> dict[str, Any]:
    """The figures of `coverage_of` from a `coverage.Coverage` holding the data of one file,
    for lines `first`..`last`: also how LessonL reads a hand-written Python target's test run
    (lessonl/harness/coverage.py), so both kinds of target are measured alike."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "coverage.json")
        cov.json_report(outfile=out)
        with open(out, encoding="utf-8") as handle:
            report = json.load(handle)
    files = report.get("files", {})
    data: dict[str, Any] = next(iter(files.values()), {}) if files else {}

    def inside(line: int) -> bool:
        return first <= line <= last

    ran = [n for n in data.get("executed_lines", []) if inside(n)]
    missed = [n for n in data.get("missing_lines", []) if inside(n)]
    taken = [b for b in data.get("executed_branches", []) if inside(b[0])]
    untaken = [b for b in data.get("missing_branches", []) if inside(b[0])]
    lines = len(ran) + len(missed)
    branches = len(taken) + len(untaken)
    return {
        "lines": round(100.0 * len(ran) / lines, 1) if lines else 100.0,
        "branches": round(100.0 * len(taken) / branches, 1) if branches else None,
        "statements": lines,
        "branch_count": branches,
        "uncovered_lines": ranges(missed),
        "first_line": first,
        "last_line": last,
    }


def headline(measured: dict[str, Any]) -> float:
    """The one percentage judged against THRESHOLD: branches, or lines without branches."""
    value = measured["branches"] if measured.get("branches") is not None else measured["lines"]
    return float(value)


# -- strategies from recorded values ----------------------------------------------------------

_CONTAINERS = (list, tuple, set, frozenset)


def _elements(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        out.extend(v[:20] if isinstance(v, str) else list(v)[:20])
    return out


def _element(inner: list[Any], fallback: list[Any], depth: int) -> Any:
    """Elements like those recorded (drawn again, so duplicates occur, and new ones of their
    types); for containers recorded only empty, like the position's other elements."""
    from hypothesis import strategies as st

    seen = inner or fallback
    if not seen:
        return st.integers(-5, 5)
    drawn = st.sampled_from(_picklable(seen)[:50]) if _picklable(seen) else None
    made = strategy_for(seen, depth + 1) if depth < 2 else None
    parts = [x for x in (drawn, made) if x is not None]
    return st.one_of(parts) if parts else st.integers(-5, 5)


def _containers(kinds: dict[type, list[Any]], depth: int) -> list[Any]:
    """Strategies for the containers seen at one position: each kind again, with elements like
    its own, at other lengths (empty included); and a plain list of the same elements for
    every kind, since a position that takes a tuple or a set takes any iterable, and a list is
    what an input-mutating rewrite gets wrong. A string becomes a list of its characters only
    where a container was also seen (the position takes iterables, not just text)."""
    from hypothesis import strategies as st

    seen = [k for k in _CONTAINERS if k in kinds]
    if not seen:
        return []
    everything = _elements([v for k in seen for v in kinds[k]])
    options: list[Any] = []
    sources = [*seen, *([str] if str in kinds and depth == 0 else [])]
    for kind in sources:
        element = _element(_elements(kinds[kind]), everything, depth)
        options.append(st.lists(element, max_size=MAX_SIZE))
        if kind is tuple:
            options.append(st.lists(element, max_size=MAX_SIZE).map(tuple))
        elif kind in (set, frozenset):
            hashable = element.filter(_hashable)
            made = st.frozensets if kind is frozenset else st.sets
            options.append(made(hashable, max_size=MAX_SIZE))
    return options


def strategy_for(values: list[Any], depth: int = 0) -> Any:
    """A strategy for one argument position, from the values recorded there."""
    from hypothesis import strategies as st

    kinds: dict[type, list[Any]] = {}
    for v in values:
        kinds.setdefault(type(v), []).append(v)
    options: list[Any] = _containers(kinds, depth)
    for kind, seen in kinds.items():
        if kind is bool:
            options.append(st.booleans())
        elif kind is int:
            top = max(abs(v) for v in seen)
            options.append(st.integers(-2 * top - 2, 2 * top + 2))
        elif kind is float:
            top = max((abs(v) for v in seen if v == v and abs(v) != float("inf")), default=1.0)
            options.append(st.floats(-2 * top - 1, 2 * top + 1, allow_nan=False))
        elif kind is str:
            chars = "".join(sorted(set("".join(seen))))[:60]
            alphabet = st.sampled_from(chars) | st.characters() if chars else st.characters()
            options.append(st.text(alphabet, max_size=MAX_SIZE * 2))
        elif kind is bytes:
            options.append(st.binary(max_size=MAX_SIZE * 2))
        elif kind is dict and depth < 2:
            keys = [k for d in seen for k in list(d)[:20]]
            vals = [x for d in seen for x in list(d.values())[:20]]
            key = strategy_for(keys, depth + 1).filter(_hashable) if keys else st.text(max_size=4)
            val = strategy_for(vals, depth + 1) if vals else st.integers(-5, 5)
            options.append(st.dictionaries(key, val, max_size=MAX_SIZE))
        elif kind not in _CONTAINERS:
            options.append(st.sampled_from(_picklable(seen)[:20]) if _picklable(seen) else None)
    options = [o for o in options if o is not None]
    if not options:
        return st.sampled_from(_picklable(values)[:20] or [None])
    return st.one_of(options)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _picklable(values: list[Any]) -> list[Any]:
    out = []
    for v in values:
        try:
            pickle.dumps(v)
        except Exception:
            continue
        out.append(v)
    return out


def call_strategy(calls: list[Call]) -> Any:
    """(args, kwargs) pairs shaped like the recorded calls: per argument count and keyword
    names seen, each position drawn from what was recorded at that position."""
    from hypothesis import strategies as st

    groups: dict[tuple[int, tuple[str, ...]], list[tuple[tuple[Any, ...], dict[str, Any]]]] = {}
    for call in calls:
        try:
            args, kwargs = pickle.loads(call.args)
        except Exception:
            continue
        groups.setdefault((len(args), tuple(sorted(kwargs))), []).append((args, kwargs))
    shapes = []
    for (count, names), seen in groups.items():
        positional = [strategy_for([a[i] for a, _ in seen]) for i in range(count)]
        named = {n: strategy_for([k[n] for _, k in seen]) for n in names}
        shapes.append(st.tuples(st.tuples(*positional), st.fixed_dictionaries(named)))
    return st.one_of(shapes) if shapes else None


def property_inputs(
    fn: Callable[..., Any],
    calls: list[Call],
    wrapped: Callable[..., Any],
    *,
    examples: int,
) -> int:
    """Run `examples` Hypothesis inputs through `wrapped` (the recorder around the original);
    returns how many ran without raising. The recorder keeps the calls."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings

    strategy = call_strategy(calls)
    if strategy is None:
        return 0
    deadline = time.monotonic() + GENERATE_S
    ok = 0

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(strategy)
    def probe(pair: tuple[tuple[Any, ...], dict[str, Any]]) -> None:
        nonlocal ok
        if time.monotonic() > deadline:
            return
        try:  # a fresh copy: sampled values are shared between examples
            args, kwargs = pickle.loads(pickle.dumps(pair))
            fn(*args, **kwargs)
        except Exception:
            return  # crashes the original: says nothing about a variant
        try:
            args, kwargs = pickle.loads(pickle.dumps(pair))
            wrapped(*args, **kwargs)
            ok += 1
        except Exception:
            return

    probe()
    return ok


#: How many recorded calls `iterator_inputs` widens.
WIDENED_CALLS = 8


def iterator_inputs(fn: Callable[..., Any], calls: list[Call], wrapped: Callable[..., Any]) -> int:
    """Each list argument of up to `WIDENED_CALLS` recorded calls passed as an iterator over the
    same items, run through `wrapped` (the recorder around the original) where the original
    accepts it; returns how many it accepted. The recorder keeps the calls.

    Tests pass lists, so a rewrite that uses `len()` or slicing passed every recorded and
    property-based call of boltons' `lstrip` at 1.48x, though the original takes any iterable
    and the rewrite fails on a generator. Only where the original gives the same result for the
    iterator as for the list is the call kept: a function that raises on an iterator needs a
    list, and one that gives another result reads its argument more than once (`x in b` per
    item of `a`), so neither takes iterators and no rewrite is held to them."""
    ok = 0
    for call in calls[:WIDENED_CALLS]:
        try:
            args, kwargs = pickle.loads(call.args)
        except Exception:
            continue
        if not any(isinstance(v, list) for v in (*args, *kwargs.values())):
            continue
        try:  # each run gets its own copy of the inputs: the original may change them
            as_lists = fn(*args, **kwargs)
            wide_args, wide_kwargs = _as_iterators(*pickle.loads(call.args))
            as_iterators = fn(*wide_args, **wide_kwargs)
            if difference(as_lists, as_iterators) is not None:
                continue  # it reads the argument twice: iterators are not what it takes
        except Exception:
            continue  # the original needs a list here
        try:
            wide_args, wide_kwargs = _as_iterators(*pickle.loads(call.args))
            wrapped(*wide_args, **wide_kwargs)
            ok += 1
        except Exception:
            continue
    return ok


def _as_iterators(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The call's arguments with every list replaced by an iterator over its items."""
    return (
        tuple(iter(v) if isinstance(v, list) else v for v in args),
        {k: iter(v) if isinstance(v, list) else v for k, v in kwargs.items()},
    )
