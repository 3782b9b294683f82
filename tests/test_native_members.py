"""The automatic C/C++ target on what is not a plain free function (issue 28, point 5): a
function template the driver instantiates, a public method defined out of line, and the one
line that refuses what a driver cannot call (constructors, destructors, operators, private
members, lambdas). Real g++ and sanitizers, the driver written by the scripted model through the
fake server, variants judged by the real harness in the sandbox (tests/data/native_shapes)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import FakeLLM
from fakes.strategies import is_driver_request, native_replies
from native_project import (
    AREA_DRIVER,
    AREA_NO_MODULO,
    AREA_SIGNED,
    DOT_TEMPLATE_FAST,
    DOT_TEMPLATE_NO_TAIL,
    PERIMETER_DRIVER,
    PERIMETER_HYPOT,
    PERIMETER_OPEN,
    SHAPES_HEADER,
    SHAPES_UNIT,
    TEMPLATE_DRIVER,
    agent_config,
    make_project,
)

from lessonl import native, prompts, regions, run
from lessonl.config import load_config
from lessonl.errors import UsageError
from lessonl.harness import Harness, Outcome, Project
from lessonl.harness.outcomes import Evaluation
from lessonl.llm import build_team
from lessonl.native import reach
from lessonl.native.build import Build
from lessonl.native.driver import DRIVER_CONTEXT_CHARS, driver_facts
from lessonl.native_hotspots import why_not
from lessonl.report import Usage


async def _prepare(
    root: Path, fake: FakeLLM, driver: str, file: str, function: str
) -> native.NativeTarget:
    fake.script_fn(native_replies([driver], lambda prompt: "no code"))
    config = load_config(root)
    team = await build_team(config, cache=False, env={"NO_KEY_NEEDED": "x"})
    try:
        return await native.prepare(
            config, root / file, function, generator_agent=team.agents[0], usage=Usage()
        )
    finally:
        await team.aclose()


async def _judge(made: native.NativeTarget, variants: list[dict[str, str]]) -> list[Evaluation]:
    """Each variant's files evaluated in one harness, with a short timing (a few pairs)."""
    target = dataclasses.replace(made.target, min_pairs=2, max_pairs=3, timing_budget_s=3.0)
    async with Harness(Project.of(made.config), target, run_id="t") as harness:
        return [await harness.evaluate(files, label=f"v{i}") for i, files in enumerate(variants)]


def _with_dot(header: str, template: str) -> str:
    start = header.index("// Slow on purpose")
    end = header.index("}  // namespace geo")
    return header[:start] + template + "\n" + header[end:]


def _with_area(unit: str, method: str) -> str:
    return unit[: unit.index("double geo::Polygon::area")] + method


async def test_a_function_template_is_instantiated_by_the_driver_and_judged(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, "native_shapes", agent_config(fake_llm.base_url))
    made = await _prepare(root, fake_llm, TEMPLATE_DRIVER, SHAPES_HEADER, "dot")
    asked = next(r for r in fake_llm.requests if is_driver_request(r))
    assert "`geo::dot` is a template: the program instantiates it explicitly" in asked.prompt
    assert "The program is compiled with the project's flags, -std=c++17" in asked.prompt
    assert "The rest of its file, for the types and helpers it uses" in asked.prompt
    assert made.verification["function"] == "geo::dot"
    assert made.driver is not None and made.driver.lines == 11
    original = (root / SHAPES_HEADER).read_text(encoding="utf-8")
    no_tail, fast = await _judge(
        made,
        [
            {SHAPES_HEADER: _with_dot(original, DOT_TEMPLATE_NO_TAIL)},
            {SHAPES_HEADER: _with_dot(original, DOT_TEMPLATE_FAST)},
        ],
    )
    assert no_tail.outcome == Outcome.INCORRECT
    assert "the driver's output differs from the original's at line 2" in (no_tail.detail or "")
    assert fast.outcome == Outcome.CORRECT, fast.detail
    assert fast.speedup is not None and fast.speedup > 2


async def test_a_method_defined_out_of_line_is_called_on_objects_the_driver_builds(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """`Polygon.area` (Python's spelling) names `geo::Polygon::area`, defined in the .cpp; the
    driver's writer is shown the class from the header the .cpp includes."""
    root = make_project(tmp_path, "native_shapes", agent_config(fake_llm.base_url))
    made = await _prepare(root, fake_llm, AREA_DRIVER, SHAPES_UNIT, "Polygon.area")
    asked = next(r for r in fake_llm.requests if is_driver_request(r))
    assert "`geo::Polygon::area` is a member function: the program constructs" in asked.prompt
    assert "The class, from another file (read-only)" in asked.prompt
    assert "explicit Polygon(std::vector<Point> points)" in asked.prompt
    assert made.verification["function"] == "geo::Polygon::area"
    original = (root / SHAPES_UNIT).read_text(encoding="utf-8")
    signed, no_modulo = await _judge(
        made,
        [
            {SHAPES_UNIT: _with_area(original, AREA_SIGNED)},
            {SHAPES_UNIT: _with_area(original, AREA_NO_MODULO)},
        ],
    )
    assert signed.outcome == Outcome.INCORRECT
    assert "the driver's output differs from the original's" in (signed.detail or "")
    assert no_modulo.outcome == Outcome.CORRECT, no_modulo.detail


async def test_a_method_inline_in_its_class_is_checked_and_its_rewrite_spliced_in_place(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, "native_shapes", agent_config(fake_llm.base_url))
    made = await _prepare(root, fake_llm, PERIMETER_DRIVER, SHAPES_HEADER, "Polygon::perimeter")
    asked = next(r for r in fake_llm.requests if is_driver_request(r))
    assert "`geo::Polygon::perimeter` is a member function" in asked.prompt
    assert "The class, from another file" not in asked.prompt  # it is in the file, shown
    original = (root / SHAPES_HEADER).read_text(encoding="utf-8")
    texts = [
        regions.splice(original, "cpp", "geo::Polygon::perimeter", answer)
        for answer in (PERIMETER_OPEN, PERIMETER_HYPOT)
    ]
    assert all(text.count("double perimeter() const") == 1 for text in texts)
    opened, hypot = await _judge(made, [{SHAPES_HEADER: text} for text in texts])
    assert opened.outcome == Outcome.INCORRECT
    assert hypot.outcome == Outcome.CORRECT, hypot.detail


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (f"{SHAPES_HEADER}:Polygon::Polygon", "geo::Polygon::Polygon is a constructor: "),
        (f"{SHAPES_HEADER}:Polygon::~Polygon", "geo::Polygon::~Polygon is a destructor: "),
        (f"{SHAPES_HEADER}:Polygon::operator==", "geo::Polygon::operator== is an operator: "),
        (f"{SHAPES_HEADER}:Polygon.cross", "geo::Polygon::cross is a private member of "),
        (f"{SHAPES_UNIT}:squared", "squared is a lambda: "),
    ],
)
def test_what_a_driver_cannot_call_is_refused_in_one_line_before_any_model_call(
    tmp_path: Path, fake_llm: FakeLLM, spec: str, reason: str
) -> None:
    root = make_project(tmp_path, "native_shapes", agent_config(fake_llm.base_url))
    file, function = spec.split(":", 1)
    with pytest.raises(UsageError) as caught:
        run.plan(run.RunRequest(file=root / file, function=function))
    message = str(caught.value)
    assert message.startswith(reason) and "\n" not in message
    assert fake_llm.requests == []
    assert not (root / ".lessonl").exists()  # nothing configured, nothing built


def test_optimize_names_a_method_file_colon_namespace_class_method(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """The CLI splits FILE:FUNCTION at the last single colon: `geo::Polygon::area` stays whole."""
    root = make_project(tmp_path, "native_shapes", agent_config(fake_llm.base_url, "rounds = 1"))
    original = (root / SHAPES_UNIT).read_text(encoding="utf-8")
    fake_llm.script_fn(native_replies([AREA_DRIVER], lambda prompt: f"```cpp\n{AREA_SIGNED}```"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lessonl",
            "optimize",
            f"{SHAPES_UNIT}:geo::Polygon::area",
            "--json",
        ],
        cwd=root,
        text=True,
        capture_output=True,
        timeout=600,
        check=False,
        env={**os.environ, "NO_KEY_NEEDED": "x"},
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["function"] == "geo::Polygon::area"
    assert report["verification"]["kind"] == "native"
    variants = [v for r in report["rounds"] for v in r["variants"]]
    assert variants and all(v["outcome"] == "incorrect" for v in variants)
    assert report["best"] is None
    assert (root / SHAPES_UNIT).read_text(encoding="utf-8") == original


def test_a_method_declared_in_the_header_names_the_file_that_defines_it(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, "native_shapes", agent_config(fake_llm.base_url))
    with pytest.raises(UsageError) as caught:
        run.plan(run.RunRequest(file=root / SHAPES_HEADER, function="Polygon::area"))
    assert str(caught.value) == (
        f"geo::Polygon::area is declared in {SHAPES_HEADER} and defined in {SHAPES_UNIT}: "
        f"optimize {SHAPES_UNIT}:geo::Polygon::area"
    )
    assert fake_llm.requests == []


def test_a_hotspot_the_automatic_target_would_refuse_is_not_optimizable(tmp_path: Path) -> None:
    """The hotspot listing says "optimizable" only where `lessonl optimize` would run."""
    root = make_project(tmp_path, "native_shapes")
    config = load_config(root)
    assert why_not(config, SHAPES_UNIT, "geo::Polygon::area") is None
    assert why_not(config, SHAPES_HEADER, "geo::dot") is None
    why = why_not(config, SHAPES_HEADER, "geo::Polygon::Polygon")
    assert why is not None and why.startswith("geo::Polygon::Polygon is a constructor: ")


BOX = """template <class T>
class Box {
public:
    explicit Box(std::vector<T> v) : v_(v) {}
    T total() const;
private:
    std::vector<T> v_;
};

template <class T>
T Box<T>::total() const {
    T sum = T();
    for (const T& x : v_) sum += x;
    return sum;
}

template <class T>
Box<T>::Box(int n) : v_(n) {}
"""


def test_a_class_template_s_member_is_to_be_instantiated_and_its_constructor_refused(
    tmp_path: Path,
) -> None:
    file = tmp_path / "box.hpp"
    reached = reach.check(BOX, "cpp", "Box.total", file=file)
    assert reached is not None and reached.cls is not None and reached.cls.template
    build = Build("compile_commands.json", "g++", ("-std=c++17",), file, "the flags")
    facts = driver_facts("", reached, build)
    prompt = prompts.native_driver_prompt("...", "Box<T>::total", "cpp", "", None, facts)
    assert "`Box<T>::total` is a member of a class template: the program instantiates" in prompt
    with pytest.raises(UsageError, match=r"^Box<T>::Box is a constructor: "):
        reach.check(BOX, "cpp", "Box<T>::Box", file=file)


def test_the_driver_prompt_s_context_is_bounded_and_keeps_the_types(tmp_path: Path) -> None:
    """A long file (a real project's, like cJSON.c) is shown with other functions' bodies
    elided, within DRIVER_CONTEXT_CHARS: the types the inputs are made of stay."""
    helpers = "".join(
        f"static int helper_{i}(int x) {{\n    return x * {i} + {i} - (x >> 1) + (x << 2);\n}}\n"
        for i in range(300)
    )
    source = (
        "typedef struct { unsigned char *buffer; unsigned long length; } outbuf;\n"
        + helpers
        + "static int put(outbuf *o, int v) { o->buffer[0] = (unsigned char)v; return 1; }\n"
    )
    shown = regions.prompt_context(source, "c", "put", limit=DRIVER_CONTEXT_CHARS)
    assert len(shown.context) <= DRIVER_CONTEXT_CHARS + 100
    assert "} outbuf;" in shown.context
    assert len(source) > 4 * DRIVER_CONTEXT_CHARS


def test_a_c_function_declared_in_its_header_names_the_file_that_defines_it(
    tmp_path: Path,
) -> None:
    """`lessonl optimize cJSON.h:cJSON_Minify` (the public header) points at cJSON.c."""
    root = make_project(tmp_path, "native_make")
    (root / "src" / "prog.h").write_text("long sum_squares(const int *v, int n);\n")
    with pytest.raises(UsageError) as caught:
        run.plan(run.RunRequest(file=root / "src" / "prog.h", function="sum_squares"))
    assert str(caught.value) == (
        "sum_squares is declared in src/prog.h and defined in src/prog.c: optimize "
        "src/prog.c:sum_squares"
    )


def test_what_a_driver_can_call_in_its_translation_unit_is_not_refused(tmp_path: Path) -> None:
    source = """namespace {
int hidden(int x) { return x * 2; }
}
namespace scale {
int scale(int x) { return x * 3; }
struct Pair {
    int a, b;
    int sum() const { return a + b; }
};
}
"""
    file = tmp_path / "unit.cpp"
    for name, qualified in [
        ("hidden", "hidden"),
        ("scale::scale", "scale::scale"),
        ("scale.Pair.sum", "scale::Pair::sum"),
    ]:
        reached = reach.check(source, "cpp", name, file=file)
        assert reached is not None and reached.info.qualified_name == qualified


def test_the_no_function_error_lists_twenty_names_and_counts_the_rest() -> None:
    source = "".join(f"int f{i:03d}(void) {{ return {i}; }}\n" for i in range(116))
    with pytest.raises(UsageError) as caught:
        regions.find_function(source, "c", "nope")
    message = str(caught.value)
    assert message.startswith("no function 'nope' in this file (functions: f000, f001,")
    assert message.endswith("f019, and 96 more)")


def test_a_static_member_function_is_called_without_an_object(tmp_path: Path) -> None:
    source = "struct Stats {\n    static double mean(const double* v, int n);\n};\n"
    source += "double Stats::mean(const double* v, int n) {\n    double s = 0;\n"
    source += "    for (int i = 0; i < n; ++i) s += v[i];\n    return n ? s / n : 0;\n}\n"
    file = tmp_path / "stats.cpp"
    reached = reach.check(source, "cpp", "Stats.mean", file=file)
    assert reached is not None
    build = Build("compile_commands.json", "g++", (), file, "the flags")
    prompt = prompts.native_driver_prompt(
        "...", "Stats::mean", "cpp", "", None, driver_facts("", reached, build)
    )
    assert "`Stats::mean` is a static member function: the program calls it as" in prompt
    assert "constructs" not in prompt
