"""The harness end to end with real g++ and python: every outcome, speedups, the sandbox.

Each test builds a tiny project in tmp_path with small sizes and short timing budgets, so the
whole file runs in well under a minute. Timing goes through a per-test lock file
(LESSONL_TIMING_LOCK) so these tests do not queue behind other lessonl runs on the machine.
"""

from __future__ import annotations

import asyncio
import shutil
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from lessonl.config import load_config
from lessonl.harness import BaselineError, Evaluation, Harness, Outcome, Project
from lessonl.harness.stats import measurably_faster

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


@pytest.fixture(autouse=True)
def private_timing_lock(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    lock = tmp_path_factory.mktemp("lock") / "timing.lock"
    monkeypatch.setenv("LESSONL_TIMING_LOCK", str(lock))


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


TIMING = """
min_pairs = 3
max_pairs = 6
timing_budget_s = 4
"""

# ----------------------------------------------------------------------------- C++ project

CPP_SLOW = """
#pragma once
// sum of i % 7 for i < n, the slow way
inline long work(long n) {
    long s = 0;
    for (long i = 0; i < n; ++i) s += i % 7;
    return s;
}
"""

CPP_FAST = """
#pragma once
inline long work(long n) {
    long s = (n / 7) * 21;
    for (long r = 0; r < n % 7; ++r) s += r;
    return s;
}
"""


def cpp_project(root: Path, *, extra: str = "", timing: str = TIMING) -> Path:
    write(
        root,
        {
            "src/work.hpp": CPP_SLOW,
            "main.cpp": """
                #include <cstdio>
                #include <cstring>
                #include <time.h>
                #include "work.hpp"
                // Thread CPU time: robust to neighbours on a shared machine, and exact even
                // under an inherited hard CPU-time limit (`ulimit -t`), under which the
                // process CPU clock ticks and the fast variant's calls would read 0 s.
                static double cpu() {
                    timespec ts;
                    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
                    return ts.tv_sec + ts.tv_nsec * 1e-9;
                }
                int main(int argc, char** argv) {
                    if (argc > 1 && std::strcmp(argv[1], "check") == 0) {
                        long a = work(1000), b = work(12345);
                        std::printf("%ld %ld\\n", a, b);
                        return (a == 2997 && b == 37029) ? 0 : 1;
                    }
                    volatile long n = 3000000;
                    for (int r = 0; r < 9; ++r) {
                        double t0 = cpu();
                        volatile long s = work(n);
                        (void)s;
                        std::printf("LESSONL_TIME_S=%.9f\\n", cpu() - t0);
                    }
                    return 0;
                }
            """,
            "lessonl.toml": f"""
                [[targets]]
                name = "work"
                files = ["src/work.hpp"]
                build = "g++ -O1 -std=c++17 -I src main.cpp -o {{build}}/main"
                test = "{{build}}/main check"
                bench = "{{build}}/main time"
                timeout_s = 4
                memory_mb = 512
                {timing}
                {extra}
            """,
        },
    )
    return root


def harness_for(root: Path, run_id: str = "t") -> Harness:
    config = load_config(root)
    return Harness(Project.of(config), config.target(), run_id=run_id)


async def test_cpp_every_outcome(tmp_path: Path) -> None:
    root = cpp_project(tmp_path)
    variants = {
        "fast": CPP_FAST,
        "wrong": CPP_SLOW.replace("return s;", "return s + 1;"),
        "broken": CPP_SLOW.replace("long s = 0;", "long s = 0"),
        "loop": CPP_SLOW.replace("long s = 0;", "long s = 0; for (;;) {}"),
        "segv": CPP_SLOW.replace("long s = 0;", "long s = 0; *(volatile int*)nullptr = 1;"),
    }
    async with harness_for(root) as h:
        base = await h.baseline()
        assert base.outcome == Outcome.CORRECT and base.baseline_s and base.baseline_s > 0
        started = time.monotonic()
        results = await asyncio.gather(
            *(h.evaluate({"src/work.hpp": text}, label=name) for name, text in variants.items())
        )
        elapsed = time.monotonic() - started
    got = dict(zip(variants, results, strict=True))

    fast = got["fast"]
    assert fast.outcome == Outcome.CORRECT, fast.detail
    # The true ratio is in the hundreds; the bounds only say "clearly faster", so a loaded
    # machine cannot fail them (the harness's precision is benchmarks/harness_bench.py's job).
    assert fast.speedup is not None and fast.speedup > 5
    assert fast.ci95 is not None and fast.ci95[0] > 3
    assert fast.pairs >= 3

    assert got["wrong"].outcome == Outcome.INCORRECT
    assert "2998" in got["wrong"].detail  # what the test printed
    assert got["broken"].outcome == Outcome.NOT_COMPILABLE
    assert "error" in got["broken"].detail and "src/work.hpp" in got["broken"].detail
    assert str(tmp_path / ".lessonl") not in got["broken"].detail  # paths made relative
    assert got["loop"].outcome == Outcome.TIMEOUT
    assert "limit" in got["loop"].detail
    assert got["segv"].outcome == Outcome.CRASHED
    assert "SIGSEGV" in got["segv"].detail
    # The infinite loop is stopped at its 4 s limit, not left running (the slack covers five
    # builds sharing a loaded machine).
    assert elapsed < 4 + 30
    assert not list(leftover_processes(tmp_path))
    # Build directories are pruned when the harness closes.
    assert not (tmp_path / ".lessonl" / "build" / "t").exists()
    assert (tmp_path / ".lessonl" / ".gitignore").read_text() == "*\n"


async def test_cpp_identical_variant_interval_contains_one(tmp_path: Path) -> None:
    # More pairs than the other tests: this one is about the statistics on a noisy machine.
    root = cpp_project(tmp_path, timing="min_pairs = 7\nmax_pairs = 15\ntiming_budget_s = 8")
    async with harness_for(root) as h:
        same = await h.evaluate({"src/work.hpp": (root / "src/work.hpp").read_text()}, label="same")
        assert same.outcome == Outcome.CORRECT
        # An identical variant never wins, and its interval never rules out "the same" (1.00
        # +/- 0.03). The point estimate is not held tight here: in noisy phases of this VM the
        # same 3 ms kernel varies by 40% from call to call (both CPU clocks agree with the wall
        # clock, so it is the work), and 1.33x with the interval 0.81-1.44 was seen. The
        # method's quiet-machine target is benchmarks/harness_bench.py's figure.
        assert same.ci95 is not None and same.speedup is not None, same
        assert same.ci95[0] <= 1.03 and same.ci95[1] >= 0.97, same
        assert not measurably_faster(same.ci95), same
        again = await h.retime(same)
        # Fresh pairs, same variant: a new measurement, sane but not asserted tight (the
        # machine is shared; the tight figure is benchmarks/harness_bench.py's job).
        assert again.id == same.id and again.outcome == Outcome.CORRECT and again.pairs >= 7
        assert again.speedup is not None and 0.5 < again.speedup < 2.0


async def test_timeout_ends_within_limit_and_leaves_no_process(tmp_path: Path) -> None:
    """An infinite loop in a test that also forks: wall clock limit, whole tree killed."""
    root = cpp_project(tmp_path, extra="cpu_limit_s = 30")  # so the wall-clock limit fires
    sleeper = CPP_SLOW.replace(
        "long s = 0;",
        'long s = 0; if (n == 1000) { (void)std::system("sleep 60 &"); for (;;) {} }',
    ).replace("#pragma once", "#pragma once\n#include <cstdlib>")
    async with harness_for(root) as h:
        await h.baseline()
        started = time.monotonic()
        ev = await h.evaluate({"src/work.hpp": sleeper}, label="sleeper")
        elapsed = time.monotonic() - started
        assert ev.outcome == Outcome.TIMEOUT
        assert "4 s wall-clock limit" in ev.detail
        assert elapsed < 4 + 15  # the 4 s wall-clock limit, well before the 30 s CPU limit
        assert not list(leftover_processes(tmp_path))


async def test_memory_hog_is_stopped(tmp_path: Path) -> None:
    root = cpp_project(tmp_path)
    hog = CPP_SLOW.replace(
        "long s = 0;",
        "long s = 0; std::vector<char*> keep;"
        " for (;;) { char* p = new char[64 << 20]; p[0] = 1; keep.push_back(p); }",
    ).replace("#pragma once", "#pragma once\n#include <vector>")
    async with harness_for(root) as h:
        ev = await h.evaluate({"src/work.hpp": hog}, label="hog")
    assert ev.outcome == Outcome.CRASHED
    assert "out of memory" in ev.detail and "512" in ev.detail


async def test_baseline_that_fails_its_test_is_an_error(tmp_path: Path) -> None:
    root = cpp_project(tmp_path)
    (root / "src/work.hpp").write_text(CPP_SLOW.replace("return s;", "return -s;"))
    async with harness_for(root) as h:
        with pytest.raises(BaselineError, match="fails the target's test"):
            await h.baseline()


async def test_a_broken_candidate_costs_its_own_build_and_nothing_else(tmp_path: Path) -> None:
    """Issue 26: `evaluate` builds the candidate before the original, so a candidate that does
    not compile is reported after one build; the original is neither built, tested nor timed.
    A candidate that compiles is then judged against an original that must still pass."""
    root = cpp_project(tmp_path)
    lines: list[str] = []
    config = load_config(root)
    async with Harness(
        Project.of(config), config.target(), run_id="t", on_progress=lines.append
    ) as h:
        ev = await h.evaluate({"src/work.hpp": "this is not C++"}, label="broken")
        assert ev.outcome == Outcome.NOT_COMPILABLE, ev
        assert lines == ["building v1-broken"], lines
        costs = h.costs[ev.id]
        assert costs.test_s == 0 and costs.timed_s == 0 and costs.build_s > 0
        assert ev.baseline_s is None and ev.to_json()["baseline_s"] is None
    (root / "src/work.hpp").write_text(CPP_SLOW.replace("return s;", "return -s;"))
    async with harness_for(root) as h:
        with pytest.raises(BaselineError, match="fails the target's test"):
            await h.evaluate({"src/work.hpp": CPP_FAST}, label="fast")


# ----------------------------------------------------------------------------- Python project

PY_SLOW = """
def work(n):
    s = 0
    for i in range(n):
        s += i % 7
    return s
"""

PY_FAST = """
def work(n):
    return (n // 7) * 21 + sum(range(n % 7))
"""


def py_project(root: Path, *, extra: str = "", check_extra: str = "") -> Path:
    write(
        root,
        {
            "pkg/__init__.py": "",
            "pkg/work.py": PY_SLOW,
            "check.py": f"""
                import sys
                from pkg.work import work
                {check_extra}
                a, b = work(1000), work(12345)
                print(a, b)
                sys.exit(0 if (a, b) == (2997, 37029) else 1)
            """,
            "bench.py": """
                import time
                from pkg.work import work
                for _ in range(5):
                    t0 = time.process_time()
                    work(200000)
                    print(f"LESSONL_TIME_S={time.process_time() - t0:.9f}")
            """,
            "lessonl.toml": f"""
                [[targets]]
                name = "work"
                files = ["pkg/work.py"]
                test = "{{python}} check.py"
                bench = "{{python}} bench.py"
                timeout_s = 4
                memory_mb = 400
                {TIMING}
                {extra}
            """,
        },
    )
    return root


async def test_python_every_outcome(tmp_path: Path) -> None:
    root = py_project(tmp_path)
    variants = {
        "fast": PY_FAST,
        "wrong": PY_SLOW.replace("return s", "return s - 1"),
        "broken": PY_SLOW.replace("def work(n):", "def work(n)"),
        "loop": PY_SLOW.replace("s = 0", "while True:\n        pass"),
        "segv": "import ctypes\n" + PY_SLOW.replace("s = 0", "ctypes.string_at(0)"),
        "hog": PY_SLOW.replace(
            "s = 0", "keep = []\n    while True:\n        keep.append(bytearray(50_000_000))"
        ),
    }
    async with harness_for(root) as h:
        results = await asyncio.gather(
            *(h.evaluate({"pkg/work.py": text}, label=name) for name, text in variants.items())
        )
    got: dict[str, Evaluation] = dict(zip(variants, results, strict=True))
    assert got["fast"].outcome == Outcome.CORRECT, got["fast"].detail
    assert got["fast"].speedup is not None and got["fast"].speedup > 5  # truly far more
    assert got["wrong"].outcome == Outcome.INCORRECT and "2996" in got["wrong"].detail
    assert got["broken"].outcome == Outcome.NOT_COMPILABLE
    assert "SyntaxError" in got["broken"].detail and "line 2" in got["broken"].detail
    assert got["loop"].outcome == Outcome.TIMEOUT
    assert got["segv"].outcome == Outcome.CRASHED and "SIGSEGV" in got["segv"].detail
    assert got["hog"].outcome == Outcome.CRASHED and "out of memory" in got["hog"].detail
    assert not list(leftover_processes(tmp_path))


async def test_compare_output_reports_the_first_difference(tmp_path: Path) -> None:
    root = py_project(tmp_path, extra="compare_output = true")
    # Passes the test's own check but prints something else first.
    chatty = PY_SLOW.replace("return s", "print('hello')\n    return s")
    async with harness_for(root) as h:
        ev = await h.evaluate({"pkg/work.py": chatty}, label="chatty")
    assert ev.outcome == Outcome.INCORRECT
    assert "line 1" in ev.detail and "hello" in ev.detail and "2997 37029" in ev.detail


async def test_variant_cannot_see_api_keys(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-test")
    monkeypatch.setenv("QWEN_CREDS", "agent-key-under-an-innocent-name")
    monkeypatch.setenv("LESSONL_VISIBLE", "yes")
    root = py_project(
        tmp_path,
        check_extra=(
            "import os; leaked = [k for k in ('OPENAI_API_KEY', 'GITHUB_TOKEN', 'QWEN_CREDS')"
            " if k in os.environ]; assert not leaked, leaked;"
            " assert os.environ['LESSONL_VISIBLE'] == 'yes';"
            " assert os.environ['HOME'].startswith(os.getcwd().rsplit('/tree', 1)[0])"
        ),
    )
    with (root / "lessonl.toml").open("a") as f:
        f.write('\n[[agents]]\nname = "q"\nprovider = "openai"\nmodel = "m"\n')
        f.write('api_key_env = "QWEN_CREDS"\n')
    async with harness_for(root) as h:
        base = await h.baseline()  # raises if the check saw a key
    assert base.outcome == Outcome.CORRECT


async def test_users_files_are_never_written(tmp_path: Path) -> None:
    root = py_project(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    async with harness_for(root) as h:
        ev = await h.evaluate({"pkg/work.py": PY_FAST}, label="fast")
        assert ev.outcome == Outcome.CORRECT
    after = {
        p: p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".lessonl" not in p.relative_to(root).parts
    }
    assert after == before


async def test_variant_may_not_rewrite_other_files(tmp_path: Path) -> None:
    root = py_project(tmp_path)
    async with harness_for(root) as h:
        with pytest.raises(Exception, match="not one of target"):
            await h.evaluate({"check.py": "import sys; sys.exit(0)"}, label="cheat")


async def test_cancel_kills_the_whole_tree(tmp_path: Path) -> None:
    """Cancelling evaluate() kills the test, its child, and a child that left the group."""
    root = py_project(tmp_path)
    stuck = PY_SLOW.replace(
        "s = 0",
        "import subprocess, time\n"
        "    if n == 1000:\n"
        "        subprocess.Popen(['sleep', '120'])\n"
        "        subprocess.Popen(['sleep', '121'], start_new_session=True)\n"
        "        time.sleep(120)\n"
        "    s = 0",
    )
    async with harness_for(root) as h:
        await h.baseline()
        task = asyncio.create_task(h.evaluate({"pkg/work.py": stuck}, label="stuck"))
        deadline = time.monotonic() + 20
        while sum(1 for p in leftover_processes(tmp_path) if "sleep" in p.name()) < 2:
            assert time.monotonic() < deadline, "the test's children never started"
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.2)
        assert not list(leftover_processes(tmp_path))


def leftover_processes(root: Path):
    """Live processes whose working directory is inside `root` (zombies ignored)."""
    for proc in psutil.process_iter(["cwd", "status"]):
        cwd = proc.info.get("cwd")
        if cwd and cwd.startswith(str(root)) and proc.info["status"] != psutil.STATUS_ZOMBIE:
            yield proc


def test_waiting_for_the_timing_lock_is_said_once_then_counted(tmp_path: Path) -> None:
    """Two runs on one machine wait before nearly every step, for a holder that changes
    (another run timing, or only building): the first wait is said with its holder, and then
    only a count at most every WAIT_REPEAT_S, not a line per wait."""
    from lessonl.harness import harness as harness_module

    root = cpp_project(tmp_path)
    said: list[str] = []
    config = load_config(root)
    h = Harness(Project.of(config), config.target(), run_id="t", on_wait=said.append)
    for holder in (4242, None, 4243, None, 4242, 4244):
        h._waiting(holder)
    assert said == ["waiting for the machine-wide timing lock, held by pid 4242 (timing)"]
    h._last_wait_said -= harness_module.WAIT_REPEAT_S  # as if that much time had passed
    h._waiting(None)
    assert said[1:] == [
        "waited for the machine-wide timing lock 7 times so far (other lessonl processes "
        "share this machine)"
    ]
