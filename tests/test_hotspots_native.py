"""`lessonl hotspots -- ./bench` on a C++ project (tests/data/hotspots_cpp, copied and built by
the test with the real compiler), profiled by the real perf: `count_close_pairs` is hot,
`stats::total` cold, and only src/hot.cpp has a [[targets]] entry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lessonl.config import load_config
from lessonl.native_hotspots import parse_script, why_not

DATA = Path(__file__).resolve().parent / "data" / "hotspots_cpp"
SOURCES = ["src/main.cpp", "src/hot.cpp", "src/cold.cpp"]


def _perf_problem() -> str | None:
    perf = shutil.which("perf")
    if perf is None:
        return "perf is not installed (apt-get install linux-perf)"
    proc = subprocess.run(
        [perf, "record", "-e", "cpu-clock", "-q", "-o", os.devnull, "true"],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if proc.returncode == 0 else f"perf cannot sample here: {proc.stderr.strip()}"


needs_perf = pytest.mark.skipif(_perf_problem() is not None, reason=str(_perf_problem()))


def _project(tmp: Path, *flags: str) -> Path:
    root = tmp / "hotspots_cpp"
    shutil.copytree(DATA, root)
    subprocess.run(["g++", "-O1", *flags, "-o", "bench", *SOURCES], cwd=root, check=True)
    return root


def _lessonl(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "lessonl", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
        env=env,
    )
    return proc.returncode, proc.stdout, proc.stderr


@needs_perf
def test_the_hot_cpp_function_ranks_first_and_says_what_it_needs(tmp_path: Path) -> None:
    root = _project(tmp_path, "-g", "-fno-omit-frame-pointer")
    code, out, err = _lessonl("hotspots", "--json", "--", "./bench", "15000", cwd=root)
    assert code == 0, err
    entries = {e["function"]: e for e in json.loads(out)}
    first = json.loads(out)[0]
    assert first["function"] == "src/hot.cpp:count_close_pairs"
    assert (first["file"], first["line"]) == ("src/hot.cpp", 4)
    assert first["optimizable"] is True and "why_not" not in first
    assert first["calls"] is None
    assert 0.6 < first["share"] <= 1.0
    assert first["inclusive_s"] >= first["own_s"] > 0
    cold = entries["src/cold.cpp:stats::total"]
    assert cold["share"] < first["share"]
    assert cold["optimizable"] is False
    assert "[[targets]]" in cold["why_not"] and "src/cold.cpp" in cold["why_not"]
    assert "src/main.cpp:main" not in entries  # the workload itself, like a module body
    kept = json.loads((root / ".lessonl" / "hotspots" / "latest.json").read_text())
    assert kept["command"] == "./bench 15000" and kept["interpreter"] is None
    assert [f["function"] for f in kept["functions"]] == [e["function"] for e in json.loads(out)]
    assert not (root / ".lessonl" / "hotspots" / "work").exists()  # perf.data removed


@needs_perf
def test_a_build_without_debug_information_says_to_rebuild_with_g(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, _out, err = _lessonl("hotspots", "--", "./bench", "15000", cwd=root)
    assert code == 1
    assert err.splitlines()[-1].startswith("lessonl: ") and "rebuild with -g" in err
    assert not (root / ".lessonl" / "hotspots" / "latest.json").exists()


def test_perf_missing_is_one_line_with_the_package_to_install(tmp_path: Path) -> None:
    root = _project(tmp_path, "-g")
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    code, _out, err = _lessonl("hotspots", "--", "./bench", "10", cwd=root, env=env)
    assert code == 1
    assert err.splitlines()[-1] == (
        "lessonl: perf is not installed: install it (Debian: apt-get install linux-perf; "
        "Ubuntu: apt-get install linux-tools-$(uname -r)) to profile a native workload"
    )


def test_a_program_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    root = _project(tmp_path, "-g")
    code, _out, err = _lessonl("hotspots", "--", "./build/bench", cwd=root)
    assert code == 2
    assert err.splitlines()[-1].startswith("lessonl: ./build/bench: no such program")


def test_perf_script_samples_count_in_every_caller_once() -> None:
    text = (
        "    1000000 \n"
        "\t  1165 hot+0x2c (/p/bench)\n"
        "\t  11f0 helper(int)+0x10 (/p/bench)\n"
        "\t  1165 hot+0x2c (/p/bench)\n"  # recursion: counted once in hot's inclusive time
        "\t  2724a __libc_start_call_main+0x7a (/lib/libc.so.6)\n"
        "\n"
        "    3000000 \n"
        "\t  11f4 helper(int)+0x14 (/p/bench)\n"
        "\n"
    )
    total, symbols = parse_script(text)
    assert total == pytest.approx(0.004)
    assert symbols[("/p/bench", 0x1139)] == ("hot", 0.001, 0.001)
    assert symbols[("/p/bench", 0x11E0)] == ("helper(int)", 0.003, 0.004)


def test_a_function_is_optimizable_where_the_automatic_target_finds_the_build(
    tmp_path: Path,
) -> None:
    # "optimizable" must mean a run would work: the automatic C/C++ target needs a build
    # system to read; without one (and without a [[targets]] entry) the listing says so.
    (tmp_path / "src").mkdir()
    (tmp_path / "lessonl.toml").write_text("")
    config = load_config(tmp_path / "lessonl.toml")
    why = why_not(config, "src/cold.cpp")
    assert why is not None and why.startswith("no build system found") and "[[targets]]" in why
    (tmp_path / "CMakeLists.txt").write_text("project(p CXX)\nadd_executable(p src/cold.cpp)\n")
    assert why_not(config, "src/cold.cpp") is None
