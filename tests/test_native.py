"""The automatic C/C++ target (lessonl.native) on real projects: real cmake, ctest and g++, the
driver written by the scripted model through the fake server, variants judged by the real
harness in the sandbox. Each wrong variant of tests/native_project.py is caught by one judge
only: the project's test, the differential driver, or the sanitizers."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
from fakes import FakeLLM
from fakes.strategies import is_driver_request, native_replies
from native_project import (
    BEYOND,
    DOT_DRIVER,
    DOT_NO_TAIL,
    DOT_UNROLLED,
    DRIVER,
    FAST,
    FILE,
    FUNCTION,
    LARGE,
    NEGATIVES,
    OVERREAD,
    SKEPTIC_PROGRAM,
    UNSTABLE_DRIVER,
    agent_config,
    make_project,
    variant,
)

from lessonl import native, run
from lessonl.config import load_config
from lessonl.errors import UsageError
from lessonl.harness import Harness, Outcome, Project
from lessonl.llm import build_team
from lessonl.loop import optimize
from lessonl.native.skeptic import NativeSkeptic
from lessonl.native.target import to_toml
from lessonl.report import Usage


async def _prepare(root: Path, fake: FakeLLM, drivers: list[str]) -> native.NativeTarget:
    return await _prepare_file(root, fake, drivers, FILE, FUNCTION)


async def _prepare_file(
    root: Path,
    fake: FakeLLM,
    drivers: list[str],
    file: str,
    function: str,
    source: str | None = None,
) -> native.NativeTarget:
    """`native.prepare` with the scripted model writing `drivers` in turn."""
    fake.script_fn(native_replies(drivers, lambda prompt: "no code"))
    config = load_config(root)
    team = await build_team(config, cache=False, env={"NO_KEY_NEEDED": "x"})
    try:
        return await native.prepare(
            config,
            root / file,
            function,
            source=source,
            generator_agent=team.agents[0],
            usage=Usage(),
        )
    finally:
        await team.aclose()


async def test_each_wrong_variant_is_caught_by_its_judge_and_a_fast_one_wins(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, config=agent_config(fake_llm.base_url))
    made = await _prepare(root, fake_llm, [DRIVER])
    v = made.verification
    assert v["kind"] == "native" and v["sanitizers"] and v["driver_results"] == 32
    assert v["build"] == "cmake" and "ctest" in v["tests"]
    assert any(n.startswith("the project is configured and built once") for n in v["notes"])
    assert made.driver is not None and made.driver.path.is_file()
    assert made.driver.path.parent == root / ".lessonl" / "native" / "drivers"
    # The entry `lessonl target` prints loads back as the same target (the user commits it).
    (root / "lessonl.toml").write_text(to_toml(made.target, v), encoding="utf-8")
    assert load_config(root).target(made.target.name) == made.target
    target = dataclasses.replace(made.target, min_pairs=2, max_pairs=3, timing_budget_s=3.0)
    original = (root / FILE).read_text(encoding="utf-8")
    async with Harness(Project.of(made.config), target, run_id="t") as harness:

        async def judge(text: str, label: str) -> tuple[Outcome, str]:
            ev = await harness.evaluate({FILE: variant(original, text)}, label=label)
            return ev.outcome, ev.detail or ""

        outcome, detail = await judge(NEGATIVES, "negatives")
        assert outcome == Outcome.INCORRECT
        assert "expected 3, got" in detail and "LESSONL_MISMATCH" not in detail  # ctest's
        outcome, detail = await judge(LARGE, "large")
        assert outcome == Outcome.INCORRECT
        assert detail.startswith("test failed (exit status 1): the driver's output differs")
        outcome, detail = await judge(OVERREAD, "overread")
        assert outcome == Outcome.INCORRECT
        assert "AddressSanitizer: heap-buffer-overflow" in detail.splitlines()[0]
        ev = await harness.evaluate({FILE: variant(original, FAST)}, label="fast")
        assert ev.outcome == Outcome.CORRECT, ev.detail
        assert ev.speedup is not None and ev.speedup > 3


async def test_a_dropped_driver_is_retried_once_with_the_reason_shown(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, config=agent_config(fake_llm.base_url))
    made = await _prepare(root, fake_llm, [UNSTABLE_DRIVER, DRIVER])
    asks = [r for r in fake_llm.requests if is_driver_request(r)]
    assert len(asks) == 2
    assert "Your previous driver was dropped: it is not deterministic" in asks[1].prompt
    assert made.driver is not None and made.driver.source == "written by a"
    notes = made.verification["notes"]
    dropped = "a driver was dropped: attempt 1: it is not deterministic"
    assert any(n.startswith(dropped) for n in notes)
    # The saved driver serves the next run as it is: no model call.
    before = len(fake_llm.requests)
    again = await _prepare(root, fake_llm, [UNSTABLE_DRIVER])
    assert len(fake_llm.requests) == before
    assert again.driver is not None and again.driver.source == "saved"


async def test_two_bad_drivers_leave_the_project_tests_as_judge_and_workload(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, config=agent_config(fake_llm.base_url))
    made = await _prepare(root, fake_llm, ["int main( {"])
    assert made.driver is None
    assert made.target.bench == made.target.test  # ctest, timed
    assert "ctest" in made.target.test
    assert "does not compile" in made.verification["summary"]
    assert "\n" not in native.describe(made)
    (root / "lessonl.toml").write_text(to_toml(made.target, made.verification), encoding="utf-8")
    assert load_config(root).target(made.target.name) == made.target
    assert made.verification["weak"].startswith(
        "correctness of count_pairs_below rests on the project's tests alone"
    )


async def test_no_build_system_is_one_line_naming_what_was_looked_for(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "f.c").write_text("int f(int x) { return x + 1; }\n", encoding="utf-8")
    (root / "lessonl.toml").write_text("", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        await native.prepare(load_config(root), root / "src" / "f.c", "f")
    message = str(caught.value)
    assert "\n" not in message
    assert "looked for compile_commands.json, CMakeLists.txt, meson.build and a Makefile" in message
    assert "write a [[targets]] entry" in message
    # The run's plan says the same, before any team is built (the editor then offers no
    # Optimize action for the file, and the CLI stops at once).
    with pytest.raises(UsageError) as planned:
        run.plan(run.RunRequest(file=root / "src" / "f.c", function="f"))
    assert str(planned.value) == message
    assert planned.value.data == {"file": "src/f.c", "needs": "build-or-target"}


async def test_a_static_function_of_a_makefile_project_is_checked_through_its_unit(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """A `.c` file with a `static` function and its own `main`: the flags come from `make -n
    -B`, the driver includes the unit (its `main` renamed), and `make test` is the gate."""
    root = make_project(tmp_path, "native_make", agent_config(fake_llm.base_url))
    made = await _prepare_file(root, fake_llm, [C_DRIVER], "src/prog.c", "sum_squares")
    asked = next(r for r in fake_llm.requests if is_driver_request(r))
    assert "#define main lessonl_project_main" in asked.prompt
    v = made.verification
    assert v["build"] == "make" and "make test" in v["tests"] and v["driver_results"] == 5
    assert "-DSCALE=1" in made.target.build
    original = (root / "src/prog.c").read_text(encoding="utf-8")
    wrong = original.replace("total += (long)v[i] * v[i] * SCALE;", "total += v[i] * v[i];")
    target = dataclasses.replace(made.target, min_pairs=2, max_pairs=3, timing_budget_s=3.0)
    async with Harness(Project.of(made.config), target, run_id="t") as harness:
        ev = await harness.evaluate({"src/prog.c": wrong}, label="overflow")
        assert ev.outcome == Outcome.INCORRECT
        assert "runtime error: signed integer overflow" in (ev.detail or "")
        ev = await harness.evaluate({"src/prog.c": original}, label="same")
        assert ev.outcome == Outcome.CORRECT, ev.detail


C_DRIVER = r"""#include "lessonl_driver.h"
#define main lessonl_project_main
#include "src/prog.c"
#undef main

#include <stdlib.h>

int main(int argc, char **argv) {
    static const int sizes[] = {0, 1, 2, 100, 3000};
    if (lessonl_timing(argc, argv)) {
        int *v = malloc(100000 * sizeof *v);
        for (int i = 0; i < 100000; ++i) v[i] = 40000 + i % 1000;
        for (int rep = 0; rep < 5; ++rep) {
            LESSONL_TIMED(for (int k = 0; k < 20; ++k) lessonl_sink_u64(sum_squares(v, 100000)));
        }
        free(v);
        return 0;
    }
    for (int s = 0; s < 5; ++s) {
        int n = sizes[s];
        int *v = malloc((n ? n : 1) * sizeof *v);
        for (int i = 0; i < n; ++i) v[i] = 46000 + i;
        printf("%d %ld\n", n, sum_squares(v, n));
        free(v);
    }
    return 0;
}
"""


async def test_a_run_on_the_automatic_target_proposes_the_fast_rewrite(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """prepare, then the loop as the engine's front door will call it: one agent, one round;
    the report carries the native verification and the fast variant as the best."""
    root = make_project(tmp_path, config=agent_config(fake_llm.base_url, "rounds = 1"))
    fake_llm.script_fn(
        native_replies([DRIVER], lambda prompt: f"```cpp\n{FAST}```", [SKEPTIC_PROGRAM] * 4)
    )
    config = load_config(root)
    team = await build_team(config, cache=False, env={"NO_KEY_NEEDED": "x"})
    usage = Usage()
    try:
        made = await native.prepare(
            config, root / FILE, FUNCTION, generator_agent=team.agents[0], usage=usage
        )
        quick = dataclasses.replace(made.target, min_pairs=2, max_pairs=3, timing_budget_s=3.0)
        run_config = dataclasses.replace(made.config, targets=(quick,))
        report = await optimize(
            run_config,
            quick,
            root / FILE,
            function=FUNCTION,
            verification=made.verification,
            team=team,
            usage=usage,
            skeptic=native.make_skeptic(
                made, config, team.agents[0], (root / FILE).read_text(encoding="utf-8")
            ),
        )
    finally:
        await team.aclose()
    assert report.verification is not None and report.verification["kind"] == "native"
    assert report.best is not None, report.to_json()
    assert report.best.speedup is not None and report.best.speedup > 3
    assert usage.input_tokens > 0  # the driver's model call is part of the run's usage
    attacked = [v for r in report.to_json()["rounds"] for v in r["variants"] if "skeptic" in v]
    assert attacked and attacked[0]["skeptic"]["status"] == "passed"
    assert (root / FILE).read_text(encoding="utf-8").count("for (std::size_t j") == 1


async def test_a_compile_commands_only_project_compares_floats_with_a_tolerance(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, "native_ccj", agent_config(fake_llm.base_url))
    made = await _prepare_file(root, fake_llm, [DOT_DRIVER], "src/dot.cpp", "dot")
    v = made.verification
    assert v["build"] == "compile_commands.json" and v["tests"] is None
    assert v["weak"].startswith("correctness of dot rests on the differential driver alone")
    assert "-DDOT_SCALE=1.0" in made.target.build and "-MF" not in made.target.build
    original = (root / "src/dot.cpp").read_text(encoding="utf-8")
    head = original[: original.index("double dot(const double* a")]
    target = dataclasses.replace(made.target, min_pairs=2, max_pairs=3, timing_budget_s=3.0)
    async with Harness(Project.of(made.config), target, run_id="t") as harness:
        ev = await harness.evaluate({"src/dot.cpp": head + DOT_NO_TAIL}, label="no-tail")
        assert ev.outcome == Outcome.INCORRECT
        assert "the driver's output differs from the original's at line 2" in (ev.detail or "")
        ev = await harness.evaluate({"src/dot.cpp": head + DOT_UNROLLED}, label="unrolled")
        assert ev.outcome == Outcome.CORRECT, ev.detail


async def test_no_driver_and_no_tests_is_one_line_with_the_compiler_s_error(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, "native_ccj", agent_config(fake_llm.base_url))
    with pytest.raises(UsageError) as caught:
        await _prepare_file(root, fake_llm, ["int main( {\n"], "src/dot.cpp", "dot")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("cannot check dot automatically: no differential driver (attempt 1")
    assert "error:" in message and "write a [[targets]] entry" in message


async def test_an_original_that_does_not_build_is_one_line_and_asks_no_model(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, "native_ccj", agent_config(fake_llm.base_url))
    dot = root / "src" / "dot.cpp"
    dot.write_text(dot.read_text(encoding="utf-8").replace("double sum = 0.0;", "double sum = 0.0"))
    with pytest.raises(UsageError) as caught:
        await _prepare_file(root, fake_llm, [DOT_DRIVER], "src/dot.cpp", "dot")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("the original does not build with the flags of src/dot.cpp")
    assert "src/dot.cpp:5:5: error: expected" in message
    assert fake_llm.requests == []


CLAMP_DRIVER = r"""#include "lessonl_driver.h"
#include "src/clamp.c"

#include <stdlib.h>

int main(int argc, char **argv) {
    static const int sizes[] = {0, 1, 7, 1000};
    if (lessonl_timing(argc, argv)) {
        int n = 1 << 20;
        int *v = malloc(n * sizeof *v);
        for (int i = 0; i < n; ++i) v[i] = (i * 7919) % 2001 - 1000;
        for (int rep = 0; rep < 5; ++rep) {
            LESSONL_TIMED(lessonl_sink_u64((unsigned long long)clamp_count(v, n, -10, 10)));
        }
        free(v);
        return 0;
    }
    for (int s = 0; s < 4; ++s) {
        int n = sizes[s];
        int *v = malloc((n ? n : 1) * sizeof *v);
        for (int i = 0; i < n; ++i) v[i] = (i * 7919) % 21 - 10;
        printf("%d %d %d\n", n, clamp_count(v, n, -3, 3), clamp_count(v, n, 0, 0));
        free(v);
    }
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("meson") is None, reason="meson is not installed")
async def test_a_meson_project_s_tests_gate_its_variants(tmp_path: Path, fake_llm: FakeLLM) -> None:
    root = make_project(tmp_path, "native_meson", agent_config(fake_llm.base_url))
    made = await _prepare_file(root, fake_llm, [CLAMP_DRIVER], "src/clamp.c", "clamp_count")
    v = made.verification
    assert v["build"] == "meson" and v["tests"].startswith("the project's 1 Meson test")
    assert "meson test -C {build}/project" in made.target.test
    original = (root / "src/clamp.c").read_text(encoding="utf-8")
    wrong = original.replace("v[i] <= hi", "v[i] < hi")
    target = dataclasses.replace(made.target, min_pairs=2, max_pairs=3, timing_budget_s=3.0)
    async with Harness(Project.of(made.config), target, run_id="t") as harness:
        ev = await harness.evaluate({"src/clamp.c": wrong}, label="half-open")
        assert ev.outcome == Outcome.INCORRECT
        ev = await harness.evaluate({"src/clamp.c": original}, label="same")
        assert ev.outcome == Outcome.CORRECT, ev.detail


async def test_the_skeptic_refutes_what_driver_and_tests_missed_and_passes_the_rest(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, config=agent_config(fake_llm.base_url))
    made = await _prepare(root, fake_llm, [DRIVER])
    assert made.driver is not None
    original = (root / FILE).read_text(encoding="utf-8")
    beyond = variant(original, BEYOND)
    target = dataclasses.replace(made.target, min_pairs=2, max_pairs=3, timing_budget_s=3.0)
    async with Harness(Project.of(made.config), target, run_id="t") as harness:
        ev = await harness.evaluate({FILE: beyond}, label="beyond")
        assert ev.outcome == Outcome.CORRECT  # the driver and ctest miss it
    fake_llm.script_fn(
        native_replies([DRIVER], lambda p: "", [SKEPTIC_PROGRAM, SKEPTIC_PROGRAM, "int main( {"])
    )
    config = load_config(root)
    team = await build_team(config, cache=False, env={"NO_KEY_NEEDED": "x"})
    try:
        skeptic = native.make_skeptic(made, config, team.agents[0], original)
        assert isinstance(skeptic, NativeSkeptic) and skeptic.sanitize
        usage = Usage()
        verdict = await skeptic.attack(beyond, usage, run_id="t", round=0)
        assert (verdict.status, verdict.inputs) == ("refuted", 9)
        assert verdict.detail.startswith(
            "on inputs the skeptic chose: the driver's output differs from the original's at "
            "line 8, token 2"
        )
        verdict = await skeptic.attack(variant(original, FAST), usage, run_id="t", round=0)
        assert (verdict.status, verdict.inputs) == ("passed", 9)
        verdict = await skeptic.attack(variant(original, FAST), usage, run_id="t", round=1)
        assert verdict.status == "dropped"
        assert verdict.detail.startswith("skeptic dropped: its program does not compile")
        assert usage.input_tokens > 0
    finally:
        await team.aclose()


async def test_a_cmake_project_built_by_its_user_still_gates_on_its_ctest_tests(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """The flags come from the user's build/compile_commands.json; the tests are still listed
    (in the private folder) and gate the variants."""
    root = make_project(tmp_path, config=agent_config(fake_llm.base_url))
    subprocess.run(
        ["cmake", "-S", str(root), "-B", str(root / "build"), "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"],
        check=True,
        capture_output=True,
    )
    made = await _prepare(root, fake_llm, [DRIVER])
    v = made.verification
    assert v["build"] == "compile_commands.json" and "build/compile_commands.json" in v["compile"]
    assert v["tests"].startswith("the project's 1 ctest test")


async def test_a_configure_that_fails_leaves_the_driver_to_judge_and_says_why(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, "native_ccj", agent_config(fake_llm.base_url))
    (root / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.16)\nproject(dot CXX)\n"
        'message(FATAL_ERROR "set -DDOT_BACKEND=... to configure")\n',
        encoding="utf-8",
    )
    made = await _prepare_file(root, fake_llm, [DOT_DRIVER], "src/dot.cpp", "dot")
    assert made.gate is None and made.driver is not None
    note = next(n for n in made.verification["notes"] if n.startswith("the project's tests"))
    assert "CMake's configure step failed" in note and "DOT_BACKEND" in note


NEEDS_OPTION = (
    "if(NOT PAIRS_MODE)\n"
    '  message(FATAL_ERROR "configure with -DPAIRS_MODE=fast or -DPAIRS_MODE=safe")\n'
    "endif()\n"
)


async def test_a_project_that_configures_only_with_options_takes_run_configure_args(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """Issue 28: a configure step that needs options says how to pass them, and with
    `[run] configure_args` the private folder, the driver and every variant's project build
    (the test gate's own configure, in the sandbox) use them."""
    root = make_project(tmp_path, config=agent_config(fake_llm.base_url))
    lists = root / "CMakeLists.txt"
    lists.write_text(lists.read_text(encoding="utf-8") + NEEDS_OPTION, encoding="utf-8")
    with pytest.raises(UsageError) as refused:
        await _prepare(root, fake_llm, [DRIVER])
    assert "PAIRS_MODE" in str(refused.value)
    assert '`[run] configure_args = ["-DOPTION=VALUE"]`' in str(refused.value)

    (root / "lessonl.toml").write_text(
        agent_config(fake_llm.base_url, 'configure_args = ["-DPAIRS_MODE=fast"]'),
        encoding="utf-8",
    )
    made = await _prepare(root, fake_llm, [DRIVER])
    assert made.gate is not None and "-DPAIRS_MODE=fast" in made.gate.build
    original = (root / FILE).read_text(encoding="utf-8")
    target = dataclasses.replace(made.target, min_pairs=2, max_pairs=3, timing_budget_s=3.0)
    async with Harness(Project.of(made.config), target, run_id="t") as harness:
        ev = await harness.evaluate({FILE: original}, label="same")
    assert ev.outcome == Outcome.CORRECT, ev.detail


def test_configure_args_are_words_of_a_command_so_braces_are_refused(tmp_path: Path) -> None:
    from lessonl.errors import ConfigError

    (tmp_path / "lessonl.toml").write_text('[run]\nconfigure_args = ["-DX={root}"]\n')
    with pytest.raises(ConfigError, match=r"run\.configure_args: expected non-empty arguments"):
        load_config(tmp_path)


async def test_an_unsaved_buffer_is_the_original_the_driver_s_output_comes_from(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, config=agent_config(fake_llm.base_url))
    buffer = (root / FILE).read_text(encoding="utf-8").replace("return count;", "return count + 1;")
    made = await _prepare_file(root, fake_llm, [DRIVER], FILE, FUNCTION, source=buffer)
    assert made.driver is not None
    assert made.driver.expected.read_text(encoding="utf-8").splitlines()[0] == "0 0 1"
    assert "count + 1" not in (root / FILE).read_text(encoding="utf-8")  # the file is untouched
