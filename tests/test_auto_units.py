"""The automatic target's parts on their own: comparison, the diversity of kept calls, cache
clearing between timed repetitions, kinds of functions, the user-level team file, and the
one-line errors for values that cannot be recorded."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from lessonl.auto.errors import UnsupportedFunction
from lessonl.auto.project import check_supported, module_location
from lessonl.auto.runner import strength
from lessonl.auto.runner.compare import difference
from lessonl.auto.runner.record import Recorder
from lessonl.auto.runner.replay import replay
from lessonl.auto.runner.store import Meta
from lessonl.auto.runner.timing import Memo
from lessonl.config import Config, parse_config
from lessonl.llm.team import choose_agents


def test_difference_exact_close_and_ordered() -> None:
    assert difference([1, "a", (2, 3)], [1, "a", (2, 3)]) is None
    assert difference(0.1 + 0.2, 0.3) is None  # close for floats
    assert difference(float("nan"), float("nan")) is None
    assert difference([1.0], [1.001]) == "1.001 instead of 1.0 at [0]"
    assert difference([1, 2], (1, 2)) == "tuple instead of list"
    assert difference(True, 1) == "int instead of bool"
    assert difference({"a": 1, "b": 2}, {"b": 2, "a": 1}) == "the same keys in another order"
    assert difference({"a": 1}, {"a": 1, "z": 0}) == "extra keys ['z']"
    assert difference(["the", "cat"], ["hat", "cat"]) == "'hat' instead of 'the' at [0]"
    assert difference({1, 2}, {2, 1}) is None


def test_difference_compares_plain_objects_by_their_attributes() -> None:
    class Point:
        def __init__(self, x: int) -> None:
            self.x = x

    assert difference(Point(1), Point(1)) is None
    assert difference(Point(1), Point(2)) == "2 instead of 1 at .attributes['x']"


def test_difference_numpy_arrays() -> None:
    np = pytest.importorskip("numpy")
    a = np.array([1.0, 2.0, np.nan])
    assert difference(a, a + 1e-13) is None
    assert difference(a, a[:2]) == "shape (2,) instead of (3,)"
    assert "dtype float32" in (difference(a, a.astype("float32")) or "")


def test_kept_calls_are_diverse_not_the_first_n() -> None:
    meta = Meta(module="m", qualname="f")
    recorder = Recorder(meta, max_calls=4, per_shape=16, max_call_bytes=1 << 20)
    fn = recorder.wrap(lambda xs: len(xs))
    for i in range(50):
        fn([i] * 8 + list(range(i % 5)))  # fifty calls of one shape (8 to 12 items) ...
    fn([])  # ... then two rare ones
    fn({"k": 1})
    kept = recorder.chosen()
    assert len(kept) == 4
    shapes = {c.shape for c in kept}
    assert "list~2^-1" in shapes and "dict~2^0" in shapes
    assert meta.seen == 52 and meta.left_out["similar"] > 0


def test_a_rewrite_handing_back_its_argument_is_a_different_behaviour() -> None:
    """A boltons `lstrip` rewrite returned the caller's own list when there was nothing to strip,
    where the original always builds a new one: equal values, yet a caller changing the result
    now changes its input. Which argument a call returns itself is recorded (mutable ones
    only) and must match on replay, both ways; a recording made before it was kept skips it."""

    def lstrip(items: list[int], value: int = 0) -> list[int]:
        out = list(items)
        while out and out[0] == value:
            out.pop(0)
        return out

    def handing_back(items: list[int], value: int = 0) -> list[int]:
        return items if not items or items[0] != value else lstrip(items, value)

    def in_place(items: list[int], value: int = 0) -> list[int]:
        while items and items[0] == value:
            items.pop(0)
        return items

    def copying(items: list[int], value: int = 0) -> list[int]:
        return list(in_place(items, value))

    meta = Meta(module="m", qualname="lstrip")
    recorder = Recorder(meta, max_calls=8, per_shape=8, max_call_bytes=1 << 20)
    fn = recorder.wrap(lstrip)
    fn([0, 1, 2])
    fn([1, 2])
    fn([], value=3)
    calls = recorder.chosen()
    assert [c.returned for c in calls] == ["", "", ""]
    assert list(replay(lstrip, calls, "lstrip")) == []
    found = sorted(f for _, f in replay(handing_back, calls, "lstrip"))
    assert found == [
        "lstrip([1, 2]): returned argument 1 itself, where the original returns a new object "
        "(a caller changing the result would change its own argument)",
        "lstrip([], value=3): returned argument 1 itself, where the original returns a new "
        "object (a caller changing the result would change its own argument)",
    ]
    meta = Meta(module="m", qualname="in_place")
    recorder = Recorder(meta, max_calls=8, per_shape=8, max_call_bytes=1 << 20)
    recorder.wrap(in_place)([0, 5])
    calls = recorder.chosen()
    assert calls[0].returned == "0"
    assert [f for _, f in replay(copying, calls, "in_place")] == [
        "in_place([0, 5]): returned a new object, where the original returns argument 1 itself"
    ]
    for call in calls:
        call.returned = "unknown"  # an older recording
    assert list(replay(copying, calls, "in_place")) == []


def test_list_arguments_are_also_passed_as_iterators_where_the_original_takes_them() -> None:
    """Tests pass lists, so a boltons `lstrip` rewrite using len() and slicing passed every
    call at 1.48x though the original takes any iterable. Recorded list arguments are made
    again as iterators (read without being consumed for display, compared by the items left),
    and the rewrite fails on them; a faithful rewrite passes; a function that itself needs a
    list, or reads one twice (so gives another result for an iterator), keeps no such call."""

    def lstrip(items: object, value: int = 0) -> list[int]:
        it = iter(items)  # type: ignore[call-overload]
        out: list[int] = []
        for x in it:
            if x != value:
                out.append(x)
                break
        out.extend(it)
        return out

    def sliced(items: list[int], value: int = 0) -> list[int]:
        i = 0
        while i < len(items) and items[i] == value:
            i += 1
        return list(items[i:])

    def needs_a_list(items: list[int], value: int = 0) -> list[int]:
        return sliced(items, value)

    def record(fn: object) -> list[object]:
        meta = Meta(module="m", qualname="lstrip")
        recorder = Recorder(meta, max_calls=16, per_shape=16, max_call_bytes=1 << 20)
        wrapped = recorder.wrap(fn)
        wrapped([0, 0, 1, 0, 2])
        wrapped([3], value=3)
        tests = recorder.chosen()
        recorder.current_test = "<property>"
        widened = strength.iterator_inputs(fn, tests, wrapped)  # type: ignore[arg-type]
        calls = recorder.chosen()
        assert widened == len(calls) - len(tests)
        return calls  # type: ignore[return-value]

    calls = record(lstrip)
    assert len(calls) == 4
    assert list(replay(lstrip, calls, "lstrip")) == []  # type: ignore[arg-type]
    found = [f for _, f in replay(sliced, calls, "lstrip")]  # type: ignore[arg-type]
    assert found[0] == (
        "lstrip(iter([0, 0, 1, 0, ...])): raised TypeError: object of type 'list_iterator' "
        "has no len(), expected [1, 0, 2]"
    ), found

    def first(items: object) -> object:
        return next(iter(items))  # type: ignore[call-overload]

    def first_of_all(items: object) -> object:
        whole = list(items)  # type: ignore[call-overload]
        return whole[0]

    meta = Meta(module="m", qualname="first")
    recorder = Recorder(meta, max_calls=8, per_shape=8, max_call_bytes=1 << 20)
    recorder.wrap(first)([5, 6, 7])
    recorder.current_test = "<property>"
    strength.iterator_inputs(first, recorder.chosen(), recorder.wrap(first))
    calls = recorder.chosen()
    assert [f for _, f in replay(first_of_all, calls, "first")] == [  # type: ignore[arg-type]
        "first(iter([5, 6, 7])): left argument 1 different from the original (in what the "
        "iterator has left, 0 items instead of 2)"
    ]
    assert len(record(needs_a_list)) == 2  # its original raises on iterators: none kept

    def common(a: list[int], b: list[int]) -> list[int]:
        return [x for x in a if x in b]  # `in` reads an iterator away: it takes no iterators

    meta = Meta(module="m", qualname="common")
    recorder = Recorder(meta, max_calls=8, per_shape=8, max_call_bytes=1 << 20)
    recorder.wrap(common)([1, 2, 3, 2], [2, 3])
    assert strength.iterator_inputs(common, recorder.chosen(), recorder.wrap(common)) == 0


def test_unpicklable_and_huge_values_are_left_out_with_a_reason() -> None:
    meta = Meta(module="m", qualname="f")
    recorder = Recorder(meta, max_calls=8, per_shape=8, max_call_bytes=1000)
    fn = recorder.wrap(lambda x: 0)
    fn(lambda: 1)
    fn("x" * 5000)
    assert recorder.chosen() == []
    assert meta.left_out == {"unpicklable": 1, "huge": 1}
    assert "cannot be copied" in meta.examples["unpicklable"]
    assert "over the 0.0 MB bound" in meta.examples["huge"]


def test_memo_puts_caches_and_module_memos_back() -> None:
    module = types.ModuleType("fake")
    memo_dict: dict[int, int] = {}

    @functools.cache
    def cached(x: int) -> int:
        return x

    def f(x: int, _seen: list[int] = []) -> int:  # noqa: B006 (a memo in a default, on purpose)
        _seen.append(x)
        memo_dict[x] = x
        return cached(x)

    module.__dict__.update(cached=cached, f=f, memo=memo_dict)
    memo = Memo(module, f)
    f(1)
    f(2)
    assert cached.cache_info().currsize == 2 and memo_dict and f.__defaults__[0]
    memo.reset()
    assert cached.cache_info().currsize == 0
    assert memo_dict == {} and f.__defaults__[0] == []


def test_kinds_of_functions() -> None:
    source = (
        "def f():\n    return 1\n"
        "class C:\n    def m(self):\n        return 2\n"
        "    @property\n    def p(self):\n        return 3\n"
        "def g():\n    yield 1\n"
        "def outer():\n    def inner():\n        return 1\n    return inner\n"
    )
    assert check_supported(source, "f") == "function"
    assert check_supported(source, "C.m") == "method"
    for name, words in (("C.p", "property"), ("g", "generator"), ("outer.inner", "closure")):
        with pytest.raises(UnsupportedFunction, match=words):
            check_supported(source, name)


def test_module_location(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    assert module_location(tmp_path, "pkg/sub/core.py").module == "pkg.sub.core"
    loc = module_location(tmp_path, "src/dedupe.py")
    assert (loc.import_root, loc.module) == ("src", "dedupe")


def test_user_team_file_is_used_when_the_project_has_no_agents(tmp_path: Path) -> None:
    folder = tmp_path / "xdg" / "lessonl"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text(
        '[[agents]]\nname = "mine"\nprovider = "openai"\nmodel = "m"\n'
        'base_url = "http://127.0.0.1:9/v1"\n',
        encoding="utf-8",
    )
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "OPENAI_API_KEY": "sk-test"}
    agents, why = choose_agents(Config(path=None, root=tmp_path), None, env)
    assert [a.name for a in agents] == ["mine"]
    assert why == f"[[agents]] in {folder / 'config.toml'} (the project configures none)"
    own = parse_config(
        {"agents": [{"name": "proj", "provider": "openai", "model": "x"}]},
        path=tmp_path / "lessonl.toml",
        root=tmp_path,
    )
    agents, why = choose_agents(own, None, env)
    assert [a.name for a in agents] == ["proj"] and why == "[[agents]] in lessonl.toml"
    agents, why = choose_agents(Config(path=None, root=tmp_path), None, {"HOME": str(tmp_path)})
    assert "local model" in why  # no XDG file, no ~/.config file, no keys


def test_unpicklable_arguments_are_one_clear_line(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\nversion = '0'\n")
    (root / "lines.py").write_text("def count(handle):\n    return sum(1 for _ in handle)\n")
    (root / "tests" / "test_lines.py").write_text(
        "from lines import count\n\n"
        "def test_count(tmp_path):\n"
        "    p = tmp_path / 'f.txt'\n"
        "    p.write_text('a\\nb\\n')\n"
        "    with open(p) as handle:\n"
        "        assert count(handle) == 2\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "lessonl", "target", "lines.py:count"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "none of the 1 calls of count could be recorded" in done.stderr
    assert "cannot pickle '_io.TextIOWrapper' object" in done.stderr
    assert not (root / "__pycache__").exists()  # the user's tree is left alone
    shutil.rmtree(root)


def test_editor_offers_optimize_on_python_functions_of_a_project_with_tests(
    tmp_path: Path,
) -> None:
    from lessonl_server.actions import ConfigCache, FunctionIndex, code_actions
    from lsprotocol import types as lsp

    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\nversion = '0'\n")
    source = "def f(xs):\n    return sorted(xs)\n"
    (root / "m.py").write_text(source)

    def titles(path: Path) -> list[str]:
        params = lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=path.as_uri()),
            range=lsp.Range(start=lsp.Position(line=1, character=4), end=lsp.Position(1, 4)),
            context=lsp.CodeActionContext(
                diagnostics=[], trigger_kind=lsp.CodeActionTriggerKind.Invoked
            ),
        )
        found = code_actions(
            params,
            source=source,
            version=1,
            configs=ConfigCache(),
            index=FunctionIndex(),
            disabled_support=True,
        )
        return [a.title for a in found or []]

    assert titles(root / "m.py") == ["Optimize `f` with lessons", "Set up LessonL for this file"]
    from lessonl import run

    assert run.plan(run.RunRequest(root / "m.py", "f")).config.root == root  # what the run uses
    shutil.rmtree(root / "tests")  # without tests nothing could judge it: set-up only
    assert titles(root / "m.py") == ["Set up LessonL for this file"]


CLOCK_PROBE = """
import resource, sys
from lessonl.auto.runner.timing import clock
if sys.argv[1] == "hard":
    resource.setrlimit(resource.RLIMIT_CPU, (3000, 3000))
now = clock()
times = []
for _ in range(20):
    start = now()
    sum(i * i for i in range(3000))  # about 0.2 ms
    times.append(now() - start)
times.sort()
print(times[0], times[len(times) // 2])
"""


@pytest.mark.parametrize("limit", ["none", "hard"])
def test_the_runner_clock_times_short_calls_under_a_hard_cpu_limit(limit: str) -> None:
    """Under a hard RLIMIT_CPU (a `ulimit -t` lessonl inherited and cannot lift) process CPU
    time ticks in scheduler steps, so these 0.2 ms passes read 0 or 4 ms; the runner's clock
    must still see each one."""
    out = subprocess.run(
        [sys.executable, "-c", CLOCK_PROBE, limit],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    # A ticking clock reads every pass as 0 or a whole 4 ms tick; one preempted pass may take
    # 4 ms of real CPU time, so the middle one is what must be short.
    low, middle = float(out[0]), float(out[1])
    assert low > 0 and middle < 0.002, (low, middle)


def test_the_generator_prompt_shows_a_docstring_with_a_fence_whole() -> None:
    from lessonl.auto.generate import generator_prompt
    from lessonl.regions import extract_code

    code = 'def f(x):\n    """Example:\n\n    ```python\n    f(1)\n    ```\n    """\n    return x\n'
    prompt = generator_prompt(code, "f", [])
    assert extract_code(prompt.split("Calls recorded")[0], "python") == code
    assert "````python\n" + code + "````" in prompt
