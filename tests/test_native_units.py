"""The pieces of lessonl.native that need no compiler: the check's comparison and sanitizer
lines, and which compile flags are kept."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from lessonl.commands.optimize import parse_spec
from lessonl.native.build import discover, split_command
from lessonl.native.check import first_difference, sanitizer_line, tokens_match, verdict
from lessonl.native.driver import HEADER, link_problem
from lessonl.native.target import parallel


def test_numbers_that_are_not_integers_compare_within_the_tolerance() -> None:
    assert tokens_match("0.30000000000000004", "0.3")
    assert tokens_match("1e300", "1.0000000001e300")
    assert tokens_match("nan", "NaN")
    assert not tokens_match("inf", "-inf")
    assert not tokens_match("1.5", "1.5001")
    assert not tokens_match("10", "11")  # integers: exact
    assert not tokens_match("abc", "abd")


def test_the_first_difference_names_line_and_token() -> None:
    assert first_difference("1 2\n3 4\n", "1 2\n3 4\n\n") is None
    assert first_difference("1 2\n3 4\n", "1 2\n3 5\n") == (
        "line 2, token 2: expected '4', got '5' (the original printed '3 4')"
    )
    assert first_difference("1\n", "1\n2\n") == "line 2: more output than the original: '2'"


def test_a_sanitizer_report_s_first_line_is_the_reason() -> None:
    asan = (
        "=================================================================\n"
        "==4242==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6 at pc 0x5\n"
        "READ of size 4 at 0x6 thread T0\n"
    )
    assert sanitizer_line(asan) == "AddressSanitizer: heap-buffer-overflow on address 0x6 at pc 0x5"
    ubsan = "include/a.hpp:7:19: runtime error: signed integer overflow: 2147483647 + 1\n"
    assert sanitizer_line(ubsan) == ubsan.strip()
    # It leads even when the output matches and the exit status is 0.
    assert verdict(0, "1\n", ubsan, "1\n") == ubsan.strip()
    assert verdict(-11, "", "", None) == "the driver crashed: SIGSEGV"
    assert verdict(0, "1\n", "", "1\n") is None


def test_flags_that_shape_the_code_are_kept_the_rest_dropped(tmp_path: Path) -> None:
    src = tmp_path / "src" / "a.cpp"
    argv = [
        "/usr/bin/g++",
        "-Iinclude",
        "-isystem",
        "third",
        "-DX=1",
        "-O2",
        "-std=c++17",
        "-Werror",
        "-MD",
        "-MF",
        "a.d",
        "-o",
        "a.o",
        "-c",
        "src/a.cpp",
    ]
    compiler, flags = split_command(argv, tmp_path, src.resolve())
    assert compiler == "/usr/bin/g++"
    assert flags == [
        f"-I{tmp_path.resolve()}/include",
        "-isystem",
        f"{tmp_path.resolve()}/third",
        "-DX=1",
        "-O2",
        "-std=c++17",
    ]


def test_a_recursive_makefile_s_compile_lines_are_read_where_they_run(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "Makefile").write_text("all:\n\t$(MAKE) -C sub\n", encoding="utf-8")
    (tmp_path / "sub" / "Makefile").write_text(
        "x.o: x.c\n\tcc -O2 -Iinc -DN=3 -c x.c -o x.o\n", encoding="utf-8"
    )
    (tmp_path / "sub" / "x.c").write_text("int f(void) { return N; }\n", encoding="utf-8")
    build = discover(tmp_path, "sub/x.c", bear=False)
    assert build.kind == "make" and build.unit == (tmp_path / "sub" / "x.c").resolve()
    assert build.how.startswith(
        "the flags of sub/x.c from the Makefile (`make -n -B`, a dry run; bear"
    )
    assert build.flags == ("-O2", f"-I{(tmp_path / 'sub' / 'inc').resolve()}", "-DN=3")


def test_an_undefined_reference_says_the_function_cannot_be_called_alone() -> None:
    text = (
        "/usr/bin/ld: /tmp/cc.o: in function `area':\n"
        "shape.c:(.text+0x1a): undefined reference to `scale'\n"
        "collect2: error: ld returned 1 exit status\n"
    )
    assert link_problem(text) == (
        "the function cannot be called from outside its project: its file uses `scale`, "
        "defined in other translation units, which the driver does not link (not supported "
        "yet: write a [[targets]] entry)"
    )
    assert link_problem("a.c:1:1: error: expected ';'") is None


@pytest.mark.skipif(shutil.which("bear") is None, reason="bear is not installed")
def test_with_bear_a_private_copy_is_built_and_its_compiles_recorded(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "Makefile").write_text("all:\n\t$(MAKE) -C sub\n", encoding="utf-8")
    (tmp_path / "sub" / "Makefile").write_text(
        "x.o: x.c\n\tcc -O2 -Iinc -DN=3 -c x.c -o x.o\n", encoding="utf-8"
    )
    (tmp_path / "sub" / "x.c").write_text("int f(void) { return N; }\n", encoding="utf-8")
    build = discover(tmp_path, "sub/x.c")
    assert (
        build.how == "the flags of sub/x.c from the Makefile (`bear -- make -B` in a private copy)"
    )
    assert f"-I{(tmp_path / 'sub' / 'inc').resolve()}" in build.flags and "-DN=3" in build.flags
    assert not (tmp_path / "sub" / "x.o").exists()  # the user's tree is not built into


def _sh(command: str, build: Path) -> subprocess.CompletedProcess[str]:
    text = command.replace("{build}", shlex.quote(str(build)))
    return subprocess.run(["/bin/sh", "-c", text], capture_output=True, text=True, check=False)


def test_the_parallel_build_fails_when_any_step_fails_and_shows_its_error(tmp_path: Path) -> None:
    """The driver's two compiles and the project's build run at once: a failure of any one of
    them (first, middle or last) fails the build with that step's output on stderr, and no
    step is left out."""
    ok = "echo fine > {build}/ok$$"
    for bad in range(3):
        steps = [ok, ok, ok]
        steps[bad] = f"echo 'error: step {bad} broke' >&2; exit 3"
        done = _sh(parallel(steps), tmp_path)
        assert done.returncode != 0, bad
        assert f"error: step {bad} broke" in done.stderr
        assert "fine" not in done.stderr  # only the failed step's log is shown
    done = _sh(parallel([f"touch {{build}}/s{i}" for i in range(3)]), tmp_path)
    assert done.returncode == 0, done.stderr
    assert all((tmp_path / f"s{i}").is_file() for i in range(3))


def test_the_parallel_build_runs_its_steps_at_once(tmp_path: Path) -> None:
    """The first step waits for a file the last one writes: one after another, it gives up."""
    waits = "i=0; while [ ! -f {build}/made ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done"
    done = _sh(
        parallel([f"{waits}; [ -f {{build}}/made ]", "true", "touch {build}/made"]), tmp_path
    )
    assert done.returncode == 0, done.stderr


C89_DRIVER = r"""#include "lessonl_driver.h"
#include <stdio.h>

int main(int argc, char **argv) {
    int i;
    double x = 0.0;
    lessonl_u64 bits = 0;
    if (lessonl_timing(argc, argv)) {
        LESSONL_TIMED(for (i = 0; i < 1000; ++i) x += i * 0.5);
        lessonl_sink_double(x);
        return 0;
    }
    for (i = 0; i < 3; ++i) bits += (lessonl_u64)i;
    lessonl_sink_u64(bits);
    printf("%d\n", (int)bits);
    return 0;
}
"""


@pytest.mark.parametrize("standard", ["-std=c89", "-std=c99", "-std=gnu11"])
def test_the_driver_header_builds_under_a_strict_iso_c_standard(
    tmp_path: Path, standard: str
) -> None:
    """cJSON compiles with `-std=c89 -pedantic`, which hides POSIX's clock_gettime from
    <time.h> and rejects `long long`: the header must still build and time there."""
    (tmp_path / "driver.c").write_text(C89_DRIVER, encoding="utf-8")
    built = subprocess.run(
        ["cc", standard, "-pedantic-errors", "-I", str(HEADER.parent), "driver.c", "-o", "d"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    timed = subprocess.run(
        [str(tmp_path / "d"), "--time"], capture_output=True, text=True, check=True
    )
    assert timed.stdout.startswith("LESSONL_TIME_S=") and " LESSONL_CPU_S=" in timed.stdout
    wall = float(timed.stdout.split()[0].split("=")[1])
    assert 0 < wall < 10


def test_file_colon_function_splits_at_the_last_single_colon(tmp_path: Path) -> None:
    (tmp_path / "a.hpp").write_text("int f();\n", encoding="utf-8")
    spec = str(tmp_path / "a.hpp")
    assert parse_spec(f"{spec}:geo::Polygon::area") == (Path(spec), "geo::Polygon::area")
    assert parse_spec(f"{spec}:f") == (Path(spec), "f")
    assert parse_spec(spec) == (Path(spec), None)


def test_the_whitespace_inside_a_line_is_compared_exactly() -> None:
    """A minifier's rewrite that collapses two spaces inside a string, or keeps a `\\r` it
    should drop, prints the same tokens: it must still differ."""
    assert first_difference('3 ["a  b"]\n', '3 ["a b"]\n') == (
        "line 1: the whitespace differs: expected '3 [\"a  b\"]', got '3 [\"a b\"]'"
    )
    assert first_difference("2 [\r]\n", "2 []\n") == (
        "line 1, token 2: expected '[', got '[]' (the original printed '2 [ ]')"
    )
    assert first_difference("1.0 2\r\n", "1.0000000001 2\n") is None  # CRLF, tolerance


def test_the_sanitized_check_is_compiled_at_o0_and_the_timed_build_keeps_the_project_flags(
    tmp_path: Path,
) -> None:
    # The check only judges correctness and compiles fastest unoptimized: -O0 after the
    # project's -O3 so it wins (gcc and clang take the last -O). The timed build keeps -O3.
    from lessonl.native.build import Build
    from lessonl.native.driver import compile_argv

    build = Build("cmake", "g++", ("-O3", "-DNDEBUG"), tmp_path / "a.cpp", "test")
    checked = compile_argv(
        build, tmp_path, new_root="{root}", driver="d.cpp", out="c", sanitize=True
    )
    timed = compile_argv(
        build, tmp_path, new_root="{root}", driver="d.cpp", out="b", sanitize=False
    )
    levels = [w for w in checked if w.startswith("-O")]
    assert levels[-1] == "-O0" and checked.index("-O0") > checked.index("-O3")
    assert [w for w in timed if w.startswith("-O")] == ["-O3"]
