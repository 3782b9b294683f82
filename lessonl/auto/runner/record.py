"""Recording calls of one function while the project's tests run (a pytest plugin).

The function is swapped for a wrapper (see `target.install`) rather than traced with
sys.setprofile: the wrapper sees the exact positional and keyword arguments and the exception
raised, costs nothing for other functions, and works on every Python LessonL supports. Only
outermost calls are recorded (a recursive function's inner calls are part of its work).

Bounds, so a test suite that calls the function a million times stays cheap:
- a call whose pickled arguments or result exceed `max_call_bytes` is left out ("huge");
- at most `per_shape` calls are kept per *shape* (argument types and rough sizes), and the
  final `max_calls` are taken round-robin across shapes, so forty calls with ten-element lists
  do not crowd out the one call with an empty list or a dict;
- identical calls (same pickled arguments) are kept once.
Values that cannot be pickled are left out, with the first such error kept for the message.
"""

from __future__ import annotations

import functools
import hashlib
import math
import pickle
import re
import threading
from collections.abc import Callable
from typing import Any

from .store import Call, Meta, returned_argument


def _size_bucket(value: Any) -> str:
    try:
        n = len(value)
    except Exception:
        return ""
    return f"~2^{int(math.log2(n)) if n else -1}"


def shape_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """A cheap description of a call's argument types and sizes, for the diversity selection."""
    parts = [type(a).__name__ + _size_bucket(a) for a in args]
    parts += [f"{k}={type(v).__name__}{_size_bucket(v)}" for k, v in sorted(kwargs.items())]
    return ",".join(parts)


def qualified_type(exc: BaseException) -> str:
    cls = type(exc)
    return f"{cls.__module__}.{cls.__qualname__}"


class Recorder:
    def __init__(self, meta: Meta, *, max_calls: int, per_shape: int, max_call_bytes: int) -> None:
        self.meta = meta
        self.max_calls = max_calls
        self.per_shape = per_shape
        self.max_call_bytes = max_call_bytes
        self.by_shape: dict[str, list[Call]] = {}
        self.digests: set[bytes] = set()
        self.tests: dict[str, None] = {}
        self.current_test = "<no test>"
        self._depth = threading.local()

    def leave_out(self, reason: str, example: str = "") -> None:
        self.meta.left_out[reason] = self.meta.left_out.get(reason, 0) + 1
        if example and reason not in self.meta.examples:
            self.meta.examples[reason] = example[:300]

    def _pickle(self, value: Any, what: str) -> bytes | None:
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            self.leave_out("unpicklable", f"{what} cannot be copied ({type(exc).__name__}: {exc})")
            return None
        if len(data) > self.max_call_bytes:
            self.leave_out(
                "huge",
                f"{what} is {len(data) / 1e6:.1f} MB pickled, over the "
                f"{self.max_call_bytes / 1e6:.1f} MB bound per call",
            )
            return None
        return data

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        recorder = self

        @functools.wraps(fn)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(recorder._depth, "n", 0)
            if depth:
                return fn(*args, **kwargs)
            recorder.meta.seen += 1
            recorder.tests[recorder.current_test] = None
            shape = shape_of(args, kwargs)
            bucket = recorder.by_shape.get(shape, [])
            if len(bucket) >= recorder.per_shape:
                recorder.leave_out("similar")
                return fn(*args, **kwargs)
            before = recorder._pickle((args, kwargs), "an argument")
            recorder._depth.n = 1
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                recorder._depth.n = 0
                if before is not None:
                    recorder._keep(before, args, kwargs, None, qualified_type(exc), shape)
                raise
            finally:
                recorder._depth.n = 0
            if before is not None:
                data = recorder._pickle(result, "the return value")
                if data is not None:
                    returned = returned_argument(result, args, kwargs)
                    recorder._keep(before, args, kwargs, data, None, shape, returned)
            return result

        return recorded

    def _keep(
        self,
        before: bytes,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        result: bytes | None,
        raised: str | None,
        shape: str,
        returned: str = "",
    ) -> None:
        digest = hashlib.sha1(before).digest()
        if digest in self.digests:
            self.leave_out("duplicate")
            return
        after = self._pickle((args, kwargs), "an argument after the call")
        if after is None:
            return
        self.digests.add(digest)
        call = Call(before, after, result, raised, self.current_test, shape, returned)
        self.by_shape.setdefault(shape, []).append(call)

    def chosen(self) -> list[Call]:
        """Round-robin across shapes (in order of first appearance) up to `max_calls`."""
        buckets = [list(b) for b in self.by_shape.values()]
        out: list[Call] = []
        while len(out) < self.max_calls and any(buckets):
            for bucket in buckets:
                if bucket and len(out) < self.max_calls:
                    out.append(bucket.pop(0))
        extra = sum(len(b) for b in buckets)
        if extra:
            self.meta.left_out["over the cap"] = extra
        return out


# An `E` line naming an exception: `pkg.mod.SomeError: text`, `StopIteration`.
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Iteration)\b")


class Plugin:
    """pytest hooks: which test is running, which tests failed, re-binding after collection."""

    def __init__(self, recorder: Recorder, rebind: Callable[[], None]) -> None:
        self.recorder = recorder
        self.rebind = rebind

    def pytest_collection_finish(self, session: Any) -> None:
        self.recorder.meta.collected = len(session.items)
        self.rebind()  # test modules imported during collection may hold their own reference

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.recorder.current_test = nodeid

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        self.recorder.current_test = "<no test>"

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed and report.nodeid not in self.recorder.meta.failed:
            self.recorder.meta.failed.append(report.nodeid)
            self._first_error(report)

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.recorder.meta.errors.append(report.nodeid or "<collection>")
            self._first_error(report)

    def _first_error(self, report: Any) -> None:
        """Keep the first failing test's reason: the last exception among its `E ...` lines (the
        end of a chain), else its first `E` line (an assert and its operands):
        "4 tests fail" alone hid that the project was not installed in the chosen interpreter
        (No package metadata was found for ...)."""
        examples = self.recorder.meta.examples
        if "test_failure" in examples:
            return
        text = str(getattr(report, "longreprtext", "") or "")
        lines = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
        raised = [line for line in lines if _EXCEPTION.match(line)]
        found = raised[-1] if raised else next((line for line in lines if line), "")
        if found:
            examples["test_failure"] = f"{report.nodeid or '<collection>'}: {found}"[:300]
