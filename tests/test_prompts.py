"""Prompts: the optimize prompt's structure and one lesson prompt per outcome with its evidence."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lessonl.lessons import Lesson, category
from lessonl.prompts import lesson_prompt, optimize_prompt
from lessonl.regions import extract_code, prompt_context

CPP = """\
#include <vector>
int total(const std::vector<int>& v) {
    int s = 0;
    for (size_t i = 0; i < v.size(); ++i) s += v[i];
    return s;
}
"""
PY = "import math\n\n\ndef norm(xs):\n    return math.sqrt(sum(x * x for x in xs))\n"
VARIANT = "int total(const std::vector<int>& v) { return 0; }\n"


@dataclass
class Ev:
    """Shaped like lessonl.harness.Evaluation as far as the prompts read it."""

    outcome: str
    speedup: float | None = None
    ci95: tuple[float, float] | None = None
    detail: str = ""


def _lesson(
    text: str,
    outcome: str,
    speedup: float | None = None,
    ci95: tuple[float, float] | None = None,
) -> Lesson:
    return Lesson(id="x", text=text, outcome=outcome, speedup=speedup, language="cpp", ci95=ci95)


def test_optimize_prompt_without_lessons() -> None:
    ctx = prompt_context(CPP, "cpp", "total")
    p = optimize_prompt(ctx, "cpp", [], emphasis=None, seeded=False)
    assert "s += v[i]" in p
    assert "```cpp" in p
    assert "`total`" in p and "name and signature unchanged" in p
    assert "compiler" in p and "flags" in p
    assert "Lesson 1" not in p and "beyond" not in p


def test_optimize_prompt_with_lessons_numbered_by_category() -> None:
    ctx = prompt_context(CPP, "cpp", "total")
    lessons = [
        _lesson("Four accumulators break the dependency chain.", "correct", 2.5, (2.4, 2.6)),
        _lesson("Hoisting size() out of the loop barely matters.", "correct", 1.04, (1.03, 1.05)),
        _lesson("Using a std::map made it slower.", "correct", 0.6, (0.55, 0.65)),
        _lesson("Reserving the vector changed nothing.", "correct", 0.9999, (0.987, 1.009)),
        _lesson("Skipping the last element changed the sum.", "incorrect"),
        _lesson("An undeclared helper broke the build.", "not_compilable"),
        _lesson("A loop that never advanced hung.", "timeout"),
        _lesson("Reading past the end crashed.", "crashed"),
    ]
    p = optimize_prompt(ctx, "cpp", lessons, emphasis="Prefer SIMD-friendly loops.", seeded=False)
    expected = [
        "Lesson 1 significantly improves performance",
        "Lesson 2 slightly improves performance",
        "Lesson 3 makes the code slower",
        "Lesson 4 makes no measurable difference to performance",
        "Lesson 5 compromises equivalence.",
        "Lesson 6 does not compile.",
        "Lesson 7 times out.",
        "Lesson 8 crashes.",
    ]
    positions = [p.index(e) for e in expected]
    assert positions == sorted(positions)
    assert "Four accumulators" in p and "2.50x" in p
    assert "Code B may be worse than Code A" in p
    assert "Prefer SIMD-friendly loops." in p
    assert p.rstrip().endswith("do not rely on different compiler flags.")
    assert p.index("beyond them") > p.index("Lesson 7")
    assert "earlier optimization work on this project" not in p
    seeded = optimize_prompt(ctx, "cpp", lessons[:1], emphasis=None, seeded=True)
    assert "earlier optimization work on this project" in seeded


def test_optimize_prompt_python_and_whole_file() -> None:
    ctx = prompt_context(PY, "python", "norm")
    p = optimize_prompt(ctx, "python", [], emphasis=None, seeded=False)
    assert "```python" in p and "Python" in p
    assert "compiler" not in p
    assert "import math" in p  # context
    whole = optimize_prompt(prompt_context(PY, "python", None), "python", [], seeded=False)
    assert "complete new file" in whole


@pytest.mark.parametrize(
    ("ev", "must", "must_not"),
    [
        (
            Ev("correct", 2.31, (2.2, 2.4)),
            [
                "significantly faster",
                "2.31x",
                "2.20x to 2.40x",
                "same compiler",
                "same machine",
                "Why is Code B faster",
            ],
            ["slower"],
        ),
        (
            Ev("correct", 1.05, (1.03, 1.07)),
            ["slightly faster", "1.05x", "Why is Code B faster"],
            ["significantly"],
        ),
        # Issue 26: the category follows the interval, as the winner does, not the point.
        (
            Ev("correct", 0.9999, (0.987, 1.009)),
            ["no measurable difference", "1.00x", "0.99x to 1.01x"],
            ["slower", "Why is Code B faster"],
        ),
        (
            Ev("correct", 1.05, (1.01, 1.09)),
            ["no measurable difference", "1.05x"],
            ["slower", "Why is Code B faster"],
        ),
        (Ev("correct", 0.7, (0.65, 0.75)), ["slower", "0.70x", "Why is Code B slower"], []),
        (
            Ev("incorrect", detail="input 3: expected 6, got 5"),
            ["different results", "expected 6, got 5"],
            ["Why is Code B faster"],
        ),
        (
            Ev("not_compilable", detail="hist.cpp:3:5: error: 'foo' was not declared"),
            ["does not compile", "first error lines", "'foo' was not declared"],
            [],
        ),
        (Ev("timeout", detail="timed out after 60 s"), ["time limit", "60 s"], []),
        (Ev("crashed", detail="killed by signal SIGSEGV"), ["crashed", "SIGSEGV"], []),
    ],
)
def test_lesson_prompt_per_outcome(ev: Ev, must: list[str], must_not: list[str]) -> None:
    ctx = prompt_context(CPP, "cpp", "total")
    p = lesson_prompt(ctx, "cpp", VARIANT, ev)
    assert "Code A" in p and "Code B" in p
    assert "s += v[i]" in p and "return 0;" in p  # both codes shown
    assert "one or two sentences" in p
    for m in must:
        assert m in p, m
    for m in must_not:
        assert m not in p, m


def test_lesson_prompt_clips_long_compiler_logs_and_python_wording() -> None:
    log = "\n".join(f"error line {i}" for i in range(200))
    p = lesson_prompt(
        prompt_context(CPP, "cpp", "total"), "cpp", VARIANT, Ev("not_compilable", detail=log)
    )
    assert "error line 0" in p and "error line 19" in p and "error line 150" not in p
    py = lesson_prompt(
        prompt_context(PY, "python", "norm"),
        "python",
        "def norm(xs): pass",
        Ev("correct", 1.5, (1.4, 1.6)),
    )
    assert "same Python interpreter" in py and "compiler" not in py


def test_category_and_prompt_round_trip_through_extract() -> None:
    assert category("correct", 1.1, (1.05, 1.15)) == "significantly improves performance"
    assert category("correct", 1.0999, (1.05, 1.15)) == "slightly improves performance"
    assert category("correct", 0.95, (0.93, 0.97)) == "makes the code slower"
    # the interval decides, as it does the winner: a point estimate off 1.0 is not a finding
    same = "makes no measurable difference to performance"
    assert category("correct", 0.9999, (0.987, 1.009)) == same
    assert category("correct", 1.15, (1.01, 1.3)) == same
    # a record without an interval (older exports): only a factor of 1.1 either way counts
    assert category("correct", 1.1) == "significantly improves performance"
    assert category("correct", 0.99) == same
    assert category("correct", 0.9) == "makes the code slower"
    # what the prompt asks for is what extract_code reads back
    reply = "Sure.\n```cpp\n" + VARIANT + "```\n"
    assert extract_code(reply, "cpp") == VARIANT


def test_a_lesson_is_prose_without_code_and_capped():
    from lessonl.lessons import LESSON_MAX_CHARS, prose

    answer = (
        "**Lesson:** Code B is faster because it tests membership in a set instead of a list.\n"
        "```python\ndef dedupe(items):\n    return list(dict.fromkeys(items))\n```\n"
        "    seen = set()\n"
        "Each lookup is O(1), so the loop is linear. A third sentence that is dropped."
    )
    text = prose(answer)
    assert text == (
        "Code B is faster because it tests membership in a set instead of a list. "
        "Each lookup is O(1), so the loop is linear."
    )
    long = prose("word " * 400)
    assert len(long) <= LESSON_MAX_CHARS and long.endswith("…")
    assert prose("```cpp\nint f();\n```") == ""


GRAPH = """\
#include <vector>
static int deg(const std::vector<int>& v) { return (int)v.size(); }
static void walk(const std::vector<int>& v, int& n) { n += (int)v.size(); }
int count(const std::vector<int>& v) { int n = deg(v); walk(v, n); return n; }
int other(const std::vector<int>& v) { return deg(v); }
"""
GRAPH_ANSWER = """\
static int deg(const std::vector<int>& v) { return v.size() + 0; }
static void walk(const std::vector<int>& v, int& n) { n += v.size(); }
int count(const std::vector<int>& v) { int n = deg(v); walk(v, n); return n; }
"""


def test_prompts_name_the_own_helpers_and_what_of_the_answer_ran() -> None:
    from lessonl.regions import splice_parts

    ctx = prompt_context(GRAPH, "cpp", "count")
    prompt = optimize_prompt(ctx, "cpp", [])
    assert "You may also rewrite `count`'s own helpers, `walk`" in prompt
    assert "`deg`" not in prompt.split("fenced code block")[-1]  # deg is shared: not offered
    parts = splice_parts(GRAPH, "cpp", "count", GRAPH_ANSWER)
    lesson = lesson_prompt(ctx, "cpp", GRAPH_ANSWER, Ev("correct", 1.0, (0.99, 1.01)), parts=parts)
    assert "rewritten helper `walk`" in lesson
    assert "NOT used from Code B" in lesson and "`deg`: not rewritten" in lesson
    assert "`other`" in lesson  # why: the other user of deg
    # Code A shows the helper as it was, so the lesson compares like with like.
    code_a = lesson.split("Code B:")[0]
    assert "n += (int)v.size();" in code_a
    # Without parts (bench strategies), the prompt is as before.
    assert "NOT used" not in lesson_prompt(ctx, "cpp", GRAPH_ANSWER, Ev("correct", 1.0))


def test_lessons_of_other_code_are_labelled_with_where_they_came_from() -> None:
    ctx = prompt_context(PY, "python", "norm")
    here = Lesson(
        id="h", text="Here.", outcome="correct", speedup=3.0, file="m.py", function="norm"
    )
    other = Lesson(
        id="o", text="Counting words.", outcome="correct", speedup=9.0, file="w.py", function="top"
    )
    same_file = Lesson(id="s", text="Sibling.", outcome="incorrect", file="m.py", function="dot")
    unknown = Lesson(id="u", text="Old lesson.", outcome="incorrect")  # banked before `file`
    note = "borrow its idea only where it fits"

    # Lessons about the target read exactly as the paper's prompt (the same words as without
    # naming the target); so do lessons whose origin is unknown.
    plain = optimize_prompt(ctx, "python", [here, unknown], seeded=True)
    assert (
        optimize_prompt(ctx, "python", [here, unknown], seeded=True, function="norm", file="m.py")
        == plain
    )
    assert "about" not in plain and note not in plain

    mixed = optimize_prompt(
        ctx, "python", [here, other, same_file], seeded=True, function="norm", file="m.py"
    )
    lines = [line for line in mixed.splitlines() if line.startswith("Lesson ")]
    assert len(lines) == 3 and "about" not in lines[0] and "(measured 3.00x" in lines[0]
    assert "(about `top` in w.py, not the code below) (measured 9.00x" in lines[1]
    assert lines[2].endswith("(about `dot` in m.py, not the code below). Sibling.")
    assert note in mixed


def test_outcome_text_follows_the_interval() -> None:
    from lessonl.prompts import outcome_text

    same = outcome_text(Ev("correct", 0.9999, (0.987, 1.009)), "cpp")
    assert "no measurable difference" in same and "slower" not in same
    assert "so it is faster than" in outcome_text(Ev("correct", 1.5, (1.4, 1.6)), "cpp")
    assert "so it is slower than" in outcome_text(Ev("correct", 0.8, (0.75, 0.85)), "cpp")


def test_shown_code_cannot_close_the_prompts_own_fence() -> None:
    # A docstring with a fenced example (and a longer run of backticks) inside the target.
    src = 'def f(x):\n    """Example:\n\n    ```python\n    f(1)\n    ````\n    """\n    return x\n'
    prompt = optimize_prompt(prompt_context(src, "python", "f"), "python", [])
    assert "`````python\n" + src + "`````" in prompt
    # what the prompt shows reads back whole
    assert extract_code(prompt, "python") == src
