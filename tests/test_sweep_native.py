"""`lessonl sweep -- ./build/bench N` on a C++ CMake project (tests/data/sweep_cpp, copied and
built in build/ by the test with the real cmake and g++), profiled by the real perf, its hot
function optimized through the project's `[[targets]]` entry with the scripted fake team; then
the end-to-end check for real: both copies rebuilt with CMake, the copy's `build/bench` timed
against the original's, and the project's ctest tests run with the winner.

The mapping of a workload's program into a copy (lessonl.sweep_native) is checked on its own
below, on the same project: a program on PATH, outside the project, or in no build folder is
said, and only then is the check skipped."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import FakeLLM, FakeRequest
from fakes.strategies import NO_DOUBT, is_skeptic_request
from loop_project import is_lesson_request
from test_hotspots_native import needs_perf
from test_sweep import team_file

from lessonl import sweep_native

DATA = Path(__file__).resolve().parent / "data" / "sweep_cpp"
WORKLOAD = ["./build/bench", "20000"]

FAST = """```cpp
long count_close_pairs(const std::vector<long>& xs, long within) {
    std::vector<long> s(xs);
    std::sort(s.begin(), s.end());
    long pairs = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto from = s.begin() + static_cast<long>(i) + 1;
        pairs += std::upper_bound(from, s.end(), s[i] + within) - from;
    }
    return pairs;
}
```"""

#: Fast, and right on the target's check (non-negative values only), but wrong when two
#: values are equal: the project's `repeats` ctest test catches it.
WRONG_ON_REPEATS = FAST.replace(
    "pairs += std::upper_bound(from, s.end(), s[i] + within) - from;",
    "pairs += std::upper_bound(std::upper_bound(from, s.end(), s[i]), s.end(), s[i] + within)"
    " - std::upper_bound(from, s.end(), s[i]);",
)

LESSON = "Counting pairs within a distance: sort once, then binary-search each bound."


def _reply(code: str) -> object:
    def reply(req: FakeRequest) -> str:
        if is_lesson_request(req):
            return LESSON
        if is_skeptic_request(req):
            return NO_DOUBT
        return code

    return reply


def _project(tmp: Path, build: str = "build") -> Path:
    root = tmp / "sweep_cpp"
    shutil.copytree(DATA, root, ignore=shutil.ignore_patterns(".lessonl", "build"))
    for argv in (
        ["cmake", "-S", ".", "-B", build, "-DCMAKE_BUILD_TYPE=Release"],
        ["cmake", "--build", build],
    ):
        subprocess.run(argv, cwd=root, check=True, capture_output=True)
    return root


def _sweep(root: Path, team: Path, *extra: str) -> tuple[int, str, str]:
    argv = [sys.executable, "-m", "lessonl", "sweep", "--top", "1", "--rounds", "1"]
    proc = subprocess.run(
        [*argv, "--team", str(team), "--json", *extra, "--", *WORKLOAD],
        cwd=root,
        text=True,
        capture_output=True,
        timeout=900,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


@needs_perf
def test_a_cpp_sweep_rebuilds_the_winner_times_the_workload_and_runs_ctest(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(_reply(FAST))
    root = _project(tmp_path)
    before = (root / "src/pairs.cpp").read_text()
    code, out, err = _sweep(root, team_file(tmp_path, fake_llm))
    assert code == 0, err
    result = json.loads(out)
    (function,) = result["functions"]
    assert function["function"] == "src/pairs.cpp:count_close_pairs"
    assert function["best"] is not None and function["best"]["speedup"] > 1.5, function
    e2e = result["end_to_end"]
    assert e2e["workload"] == "./build/bench 20000"
    assert e2e["speedup"] > 1.5 and e2e["ci95"][0] > 1.0, e2e
    assert e2e["pairs"] >= 2
    assert (e2e["tests_passed"], e2e["tests_failed"]) == (2, 0), e2e
    assert "std::sort" in result["diff"]
    # Nothing applied, and nothing built into the user's tree or left behind.
    assert (root / "src/pairs.cpp").read_text() == before
    assert not (root / ".lessonl" / "sweep" / "work").exists()


@needs_perf
def test_winners_that_break_a_ctest_test_are_reported_and_never_applied(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(_reply(WRONG_ON_REPEATS))
    root = _project(tmp_path)
    before = (root / "src/pairs.cpp").read_text()
    code, out, err = _sweep(root, team_file(tmp_path, fake_llm), "--apply")
    assert code == 1, err
    e2e = json.loads(out)["end_to_end"]
    assert (e2e["tests_passed"], e2e["tests_failed"]) == (1, 1), e2e
    assert "fail 1 test(s); nothing applied" in err.splitlines()[-1]
    assert (root / "src/pairs.cpp").read_text() == before


def test_the_program_maps_into_the_copys_build_folder(tmp_path: Path) -> None:
    root = _project(tmp_path, build="out/release")
    how = sweep_native.plan(root, "./out/release/bench", "src/pairs.cpp", lambda _l: None)
    assert how.kind == "cmake"
    assert how.program == "{build}/project/bench"
    assert how.exclude == ("out/release",)  # the user's build is not copied
    assert how.test is not None and how.test.startswith("ctest")
    absolute = sweep_native.plan(root, str(root / "out/release/bench"), "src/pairs.cpp", print)
    assert absolute.program == how.program


@pytest.mark.parametrize(
    ("program", "says"),
    [
        ("bench", "`bench` is found on PATH, not built in the project"),
        ("/usr/bin/true", "`/usr/bin/true` is outside the project"),
        ("../bench", "`../bench` is outside the project"),
        ("./src/bench", "`./src/bench` is in no CMake build folder of the project"),
    ],
)
def test_a_program_the_copy_cannot_rebuild_is_said(program: str, says: str) -> None:
    root = DATA  # nothing is configured: the mapping fails before the build is read
    with pytest.raises(sweep_native.Unmappable, match=re.escape(says)):
        sweep_native.plan(root, program, "src/pairs.cpp", lambda _l: None)


def test_test_counts_from_ctest_meson_and_make() -> None:
    ctest = "50% tests passed, 1 tests failed out of 2\n"
    assert sweep_native.test_counts("cmake", ctest, 8) == (1, 1, "")
    meson = "Ok:                 3\nExpected Fail:      0\nFail:               1\nSkipped: 2\n"
    assert sweep_native.test_counts("meson", meson, 1) == (3, 1, "")
    assert sweep_native.test_counts("make", "", 0)[:2] == (1, 0)
    assert sweep_native.test_counts("make", "", 2)[:2] == (0, 1)
    assert sweep_native.test_counts("cmake", "Segmentation fault", None)[:2] == (0, 1)


def test_a_cmake_project_without_tests_builds_the_program_with_its_configure_args(
    tmp_path: Path,
) -> None:
    """No ctest tests: the copy is still built, by the command the test gate uses, with
    `[run] configure_args`; run here as the check runs it, it builds the workload's program."""
    root = _project(tmp_path)
    lists = root / "CMakeLists.txt"
    text = lists.read_text(encoding="utf-8")
    lists.write_text(
        text[: text.index("enable_testing()")]
        + 'if(NOT SWEEP_MODE)\n  message(FATAL_ERROR "set -DSWEEP_MODE")\nendif()\n',
        encoding="utf-8",
    )
    shutil.rmtree(root / "build")
    subprocess.run(
        ["cmake", "-S", ".", "-B", "build", "-DSWEEP_MODE=on"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    subprocess.run(["cmake", "--build", "build"], cwd=root, check=True, capture_output=True)
    how = sweep_native.plan(root, "./build/bench", "src/pairs.cpp", print, ("-DSWEEP_MODE=on",))
    assert how.test is None and how.program == "{build}/project/bench"
    out = tmp_path / "out"
    out.mkdir()
    command = how.build.replace("{root}", str(root)).replace("{build}", str(out))
    subprocess.run(["sh", "-c", command], check=True, capture_output=True)
    assert (out / "project" / "bench").is_file()


def test_a_makefile_project_builds_the_program_in_the_copys_tree(tmp_path: Path) -> None:
    root = tmp_path / "made"
    (root / "src").mkdir(parents=True)
    for name in ("pairs.cpp", "pairs.hpp", "main.cpp"):
        shutil.copy(DATA / "src" / name, root / "src" / name)
    (root / "Makefile").write_text(
        "bench: src/main.cpp src/pairs.cpp\n\tg++ -O2 -Isrc -o bench src/main.cpp src/pairs.cpp\n"
        "test: bench\n\t./bench 10\n",
        encoding="utf-8",
    )
    how = sweep_native.plan(root, "./bench", "src/pairs.cpp", lambda _l: None)
    assert (how.kind, how.program, how.exclude) == ("make", "{root}/bench", ())
    assert (how.build, how.test) == ("make", "make test")


async def test_an_unmappable_program_skips_the_check_and_says_why(tmp_path: Path) -> None:
    """The whole check, not only the mapping: nothing is built or timed, and the note (the
    end-to-end line) names the program and why."""
    from lessonl.config import load_config
    from lessonl.hotspots import workload_for
    from lessonl.sweep import SweepRequest, end_to_end_check

    root = tmp_path / "sweep_cpp"
    shutil.copytree(DATA, root)
    request = SweepRequest(
        config=load_config(root), workload=workload_for(["/usr/bin/true", "1"]), interpreter=None
    )
    rel = "src/pairs.cpp"
    original = (root / rel).read_text()
    e2e = await end_to_end_check(request, {rel: original}, {rel: original + "// faster\n"})
    assert e2e.speedup is None and e2e.tests_passed is None
    assert e2e.line.startswith(
        "end to end: skipped: the workload's program `/usr/bin/true` is outside the project"
    ), e2e.line
