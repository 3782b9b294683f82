"""`record`, `verify`, `check` and `bench`: what LessonL's automatic target runs.

Output contract with LessonL (lessonl/auto/recording.py reads it): a problem LessonL must show
as an error is one line `LESSONL_ERROR: <message>` and exit status 3; a variant that does not
reproduce a call prints `LESSONL_MISMATCH: call I of N, ...` as its last line and exits 1, and
one that fails the project's tests `LESSONL_MISMATCH: the project's tests fail: TEST: FIRST LINE`
(the harness makes that line the failure's detail).

pytest runs with `--color=no`: its output goes to a pipe the harness reads, and a project's
`addopts` or FORCE_COLOR would otherwise put ANSI codes in the detail a user and the model read.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import store, strength, target
from .intests import bench_in_tests
from .record import Plugin, Recorder
from .replay import UNLOADABLE, UNLOADABLE_RESULT, call_text, replay
from .timing import bench, clock, fresh, one_pass

ERROR_EXIT = 3

_PYTEST_CONFIG = (
    ("pytest.ini", ""),
    (".pytest.ini", ""),
    ("pyproject.toml", "[tool.pytest.ini_options]"),
    ("tox.ini", "[pytest]"),
    ("setup.cfg", "[tool:pytest]"),
)


def fail(message: str) -> int:
    print(f"LESSONL_ERROR: {' '.join(message.split())}", flush=True)
    return ERROR_EXIT


def pytest_args(root: Path) -> list[str]:
    """Options that make pytest use the project's own configuration and nothing above it.

    Without a configuration file in the project root pytest would search the parent folders
    and could adopt somebody else's (a monorepo's, a home folder's); an empty one stops it."""
    base = ["-p", "no:cacheprovider", "-q", "--color=no", "--rootdir", str(root)]
    for name, marker in _PYTEST_CONFIG:
        path = root / name
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if not marker or marker in text:
                return base
    empty = Path(tempfile.gettempdir()) / "lessonl-empty-pytest.ini"
    empty.write_text("[pytest]\n", encoding="utf-8")
    return [*base, "-c", str(empty)]


class FirstFailure:
    """pytest hook: the first failing test and the first line of its error (the assertion or
    the exception, pytest's own `reprcrash`), not the traceback's decoration."""

    def __init__(self) -> None:
        self.line = ""

    def pytest_runtest_logreport(self, report: Any) -> None:
        if self.line or not report.failed:
            return
        crash = getattr(report.longrepr, "reprcrash", None)
        message = getattr(crash, "message", "") or str(report.longrepr or "")
        first = next((x.strip() for x in message.splitlines() if x.strip()), "failed")
        self.line = f"{report.nodeid}: {first}"


def _spec(args: argparse.Namespace) -> target.Spec:
    return target.Spec(
        root=Path(args.root).resolve(),
        file=args.file,
        qualname=args.qualname,
        import_root=args.import_root,
        module=args.module,
    )


def _function(spec: target.Spec) -> tuple[Any, Any]:
    spec.add_to_path()
    module = target.load_module(spec)
    owner, name = target.owner_of(module, spec.qualname)
    return module, target.raw_function(owner, name, spec.qualname)


def cmd_record(args: argparse.Namespace) -> int:
    try:
        import pytest
    except ImportError:
        return fail(f"pytest is not installed in {sys.executable}")
    spec = _spec(args)
    folder = Path(args.recording)
    meta = store.Meta(module=spec.module, qualname=spec.qualname)
    recorder = Recorder(
        meta,
        max_calls=args.max_calls,
        per_shape=args.per_shape,
        max_call_bytes=args.max_call_bytes,
    )
    spec.add_to_path()
    state: dict[str, Any] = {}
    wrapped = target.Wrapped(spec, recorder.wrap)

    try:
        wrapped.install()
    except target.Unsupported as exc:
        if "cannot import" not in str(exc):
            return fail(str(exc))
        state["import_error"] = str(exc)  # maybe the project's conftest sets the path up

    def rebind() -> None:
        try:
            wrapped.install()
        except target.Unsupported as exc:
            state["import_error"] = str(exc)

    code = pytest.main(
        [*pytest_args(spec.root), *args.pytest_args], plugins=[Plugin(recorder, rebind)]
    )
    if wrapped.raw is None:
        return fail(state.get("import_error", f"{spec.module} was never imported"))
    meta.exit_code = int(code)
    meta.tests = [t for t in recorder.tests if t != "<no test>"]
    calls = recorder.chosen()
    meta.kept = len(calls)
    meta.samples = _samples(calls, spec.qualname)
    store.save(folder, calls, meta)
    return 0


def _samples(calls: list[store.Call], name: str, limit: int = 3) -> list[str]:
    out = []
    for call in calls[:limit]:
        try:
            args, kwargs = pickle.loads(call.args)
        except Exception:
            continue
        out.append(call_text(name, args, kwargs))
    return out


GENERATED = "<generated>"
MAX_GENERATED = 200


def cmd_generate(args: argparse.Namespace) -> int:
    """Run an input generator (`generate_inputs()` in `--generator`) twice on the original:
    it must return the same inputs both times (deterministic), a list of (args, kwargs)
    pairs; the original's results on them join the recording as calls of `<generated>`."""
    spec = _spec(args)
    folder = Path(args.recording)
    _module, fn = _function(spec)
    source = Path(args.generator).read_text(encoding="utf-8")
    made = []
    for _ in range(2):
        namespace: dict[str, Any] = {"__name__": "lessonl_input_generator"}
        try:
            exec(compile(source, "generator.py", "exec"), namespace)
            inputs = namespace["generate_inputs"]()
            made.append((inputs, pickle.dumps(inputs, protocol=4)))
        except Exception as exc:
            return fail(f"the input generator failed: {type(exc).__name__}: {exc}")
    if made[0][1] != made[1][1]:
        return fail("the input generator is not deterministic (two runs gave other inputs)")
    inputs = made[0][0]
    if not isinstance(inputs, list) or not all(
        isinstance(i, tuple | list)
        and len(i) == 2
        and isinstance(i[0], tuple | list)
        and isinstance(i[1], dict)
        for i in inputs
    ):
        return fail("the input generator must return a list of (args tuple, kwargs dict) pairs")
    meta = store.load_meta(folder)
    calls = store.load_calls(folder)
    seen = meta.seen  # calls seen stays the tests' count
    recorder = Recorder(meta, max_calls=MAX_GENERATED, per_shape=16, max_call_bytes=1 << 20)
    recorder.current_test = GENERATED
    wrapped = recorder.wrap(fn)
    for call_args, call_kwargs in inputs[:MAX_GENERATED]:
        with contextlib.suppress(Exception):  # recorded: raising is behaviour too
            wrapped(*call_args, **call_kwargs)
    chosen = recorder.chosen()
    if args.drop_raising:  # the skeptic's inputs: one the original rejects says nothing
        chosen = [c for c in chosen if c.raised is None]
    room = args.max_calls - sum(1 for c in calls if c.test != store.PROPERTY)
    added = chosen[: max(0, room)]
    meta.generated = len(added)
    meta.seen = seen
    meta.kept = len(calls) + len(added)
    meta.samples = meta.samples or _samples(added, spec.qualname)
    store.save(folder, calls + added, meta)
    return 0


def _coverage(fn: Any, calls: list[store.Call]) -> tuple[dict[str, Any] | None, str | None]:
    """The coverage, or None and why: a function coverage cannot place (no source file, say)
    is still judged by its calls; only the measurement is missing, and the report says so."""
    try:
        return strength.coverage_of(fn, calls), None
    except Exception as exc:
        return None, f"coverage not measured ({type(exc).__name__}: {exc})"


def cmd_strengthen(args: argparse.Namespace) -> int:
    """Measure the recorded calls' coverage of the function, then add property-based inputs
    (a small budget always, a larger one below `strength.THRESHOLD`); see strength.py."""
    spec = _spec(args)
    folder = Path(args.recording)
    _module, fn = _function(spec)
    calls = store.load_calls(folder)
    meta = store.load_meta(folder)
    why = strength.add_support(args.support)
    if why is not None or not calls:
        meta.strength = {"available": why is None, "reason": why or "no recorded calls"}
        store.save(folder, calls, meta)
        return 0
    before, why = _coverage(fn, calls)
    low = before is not None and strength.headline(before) < strength.THRESHOLD
    examples, keep = strength.LARGE_BUDGET if low else strength.SMALL_BUDGET
    recorder = Recorder(
        meta, max_calls=keep + strength.WIDENED_CALLS, per_shape=keep, max_call_bytes=1 << 20
    )
    recorder.digests.update(hashlib.sha1(c.args).digest() for c in calls)
    recorder.current_test = store.PROPERTY
    seen, left_out = meta.seen, dict(meta.left_out)
    started = time.monotonic()
    wrapped = recorder.wrap(fn)
    ran = strength.property_inputs(fn, calls, wrapped, examples=examples)
    widened = strength.iterator_inputs(fn, calls, wrapped)
    added = [c for c in recorder.chosen() if c.raised is None][: max(0, keep + widened)]
    meta.seen, meta.left_out = seen, left_out  # those counts stay the tests'
    meta.kept = len(calls) + len(added)
    meta.strength = {
        "available": True,
        "before": before,
        "low": low,
        "examples": examples,
        "ran": ran,
        "iterators": widened,
        "added": len(added),
        "seconds": round(time.monotonic() - started, 3),
        **({"coverage_error": why} if why else {}),
    }
    store.save(folder, calls + added, meta)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Replay the recording on the original itself, in a fresh process: calls that depend on
    a test's context (a fixture, a monkeypatch, global state) do not reproduce outside it and
    are dropped, so they cannot fail every variant; so are calls whose recorded values cannot
    be loaded back, counted apart (`dropped_why`) because the user must hear the true reason.
    Also measures one pass, for `--loops`."""
    spec = _spec(args)
    folder = Path(args.recording)
    _module, fn = _function(spec)
    calls = store.load_calls(folder)
    meta = store.load_meta(folder)
    why: dict[str, int] = {}

    def dropped(found: str) -> None:
        kind = "unloadable" if found.startswith((UNLOADABLE, UNLOADABLE_RESULT)) else "differs"
        why[kind] = why.get(kind, 0) + 1
        meta.examples.setdefault(f"dropped:{kind}", found)

    bad = set()
    for i, found in replay(fn, calls, spec.qualname):
        bad.add(i)
        if calls[i].test != store.PROPERTY:  # derived inputs are counted apart, below
            dropped(found)
    # Once more: a call that only reproduces in the order it was recorded is dropped too.
    kept = [c for i, c in enumerate(calls) if i not in bad]
    bad2 = set()
    for i, found in replay(fn, kept, spec.qualname):
        bad2.add(i)
        if kept[i].test != store.PROPERTY:
            dropped(found)
    kept = [c for i, c in enumerate(kept) if i not in bad2]
    # Derived inputs the original does not reproduce (it is not deterministic on them) are
    # not the tests' calls: counted apart, so "not reproducible outside its test" stays true.
    derived = sum(1 for c in calls if c.test == store.PROPERTY)
    derived_kept = sum(1 for c in kept if c.test == store.PROPERTY)
    if derived != derived_kept:
        meta.strength["dropped_on_replay"] = derived - derived_kept
    meta.dropped_on_replay = len(calls) - len(kept) - (derived - derived_kept)
    meta.dropped_why = why
    meta.kept = len(kept)
    meta.generated = sum(1 for c in kept if c.test == GENERATED)
    meta.property_inputs = sum(1 for c in kept if c.test == store.PROPERTY)
    if kept and strength.add_support(args.support) is None:
        meta.coverage, unmeasured = _coverage(fn, kept)
        if unmeasured:
            meta.strength["coverage_error"] = unmeasured
    timed = store.timed(kept)
    if timed:
        inputs = fresh(timed, 1)
        now = clock()
        start = now()
        one_pass(fn, inputs)
        meta.pass_s = now() - start
    store.save(folder, kept, meta)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    spec = _spec(args)
    folder = Path(args.recording)
    _module, fn = _function(spec)
    calls = store.load_calls(folder)
    meta = store.load_meta(folder)
    for i, found in replay(fn, calls, spec.qualname):
        print(f"LESSONL_MISMATCH: call {i + 1} of {len(calls)}, {found}", flush=True)
        return 1
    if meta.tests and not args.no_tests:
        import pytest

        first = FirstFailure()
        code = pytest.main([*pytest_args(spec.root), "-x", *meta.tests], plugins=[first])
        if code != 0:
            why = first.line or f"pytest exit status {code}"
            print(f"LESSONL_MISMATCH: the project's tests fail: {why}", flush=True)
            return 1
    derived = sum(1 for c in calls if c.test == store.PROPERTY)
    extra = f" (and {derived} property-based inputs)" if derived else ""
    print(
        f"ok: {len(calls) - derived} recorded calls reproduced{extra}, "
        f"{len(meta.tests)} tests passed"
    )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    spec = _spec(args)
    calls = store.timed(store.load_calls(Path(args.recording)))
    if not calls:  # no recorded call can be replayed: time the function inside its tests
        meta = store.load_meta(Path(args.recording))
        problem = bench_in_tests(spec, meta.tests, pytest_args(spec.root))
        return fail(problem) if problem else 0
    module, fn = _function(spec)
    bench(fn, module, calls, loops=args.loops, reps=args.reps)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lessonl-auto-runner")
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("record", "verify", "check", "bench", "generate", "strengthen"):
        s = sub.add_parser(name)
        s.add_argument("--root", default=".")
        s.add_argument("--file", required=True)
        s.add_argument("--qualname", required=True)
        s.add_argument("--module", required=True)
        s.add_argument("--import-root", default=".")
        s.add_argument("--recording", required=True)
        if name in ("strengthen", "verify"):
            s.add_argument("--support", default=None)
        if name == "generate":
            s.add_argument("--generator", required=True)
            s.add_argument("--max-calls", type=int, default=64)
            s.add_argument("--drop-raising", action="store_true")
        if name == "record":
            s.add_argument("--max-calls", type=int, default=64)
            s.add_argument("--per-shape", type=int, default=16)
            s.add_argument("--max-call-bytes", type=int, default=1 << 20)
            s.add_argument("pytest_args", nargs="*")
        if name == "check":
            s.add_argument("--no-tests", action="store_true")
        if name == "bench":
            s.add_argument("--loops", type=int, default=1)
            s.add_argument("--reps", type=int, default=5)
    return p


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(list(argv))
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    handlers = {
        "record": cmd_record,
        "verify": cmd_verify,
        "check": cmd_check,
        "bench": cmd_bench,
        "generate": cmd_generate,
        "strengthen": cmd_strengthen,
    }
    try:
        return handlers[args.command](args)
    except target.Unsupported as exc:  # the function cannot be loaded or is of a refused kind
        return fail(str(exc))
    except pickle.UnpicklingError as exc:
        return fail(f"the recording cannot be read: {exc}; run lessonl again to record anew")
