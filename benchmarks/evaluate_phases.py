"""Where `lessonl evaluate` of an identical copy spends its time, against the physical limit.

    .venv/bin/python benchmarks/evaluate_phases.py [--kernel-ms 50] [--runs 2] [--sandbox off]

A throwaway C++ project: `work()` takes about `--kernel-ms` per call, its bench calls it three
times after an untimed set-up and prints `LESSONL_TIME_S=<wall> LESSONL_CPU_S=<cpu>` per call
(the bench protocol), its test checks one value. Each run evaluates the unchanged file twice:
in process through `Harness.evaluate` (what `lessonl evaluate` runs), whose `Harness.costs`
give the split, with the CLI's imports timed in a fresh interpreter; and as the real command
in a fresh process, `lessonl evaluate src/work.hpp --candidate same.hpp --json`, end to end.

Printed per run: imports, builds (both sides), tests (both sides), timed pairs (every timed
bench run), waiting for the timing lock, the rest (copies, process start-up, statistics), the
physical limit (builds + tests + timed pairs: the work no evaluation can skip), the ratio of
imports + the evaluation's wall time less its waiting to that limit, and the end-to-end wall
time of the real command. Goal (issue 26): <= 1.3 for a 50 ms kernel at load below 1.
With `--round N` (default 3) it then evaluates N identical copies at once in one harness, as a
round's agents do, and counts the bench runs of the original against the candidates' (the
original's timed runs are shared by candidates that wait together). The machine these figures
come from is shared with other work; the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from lessonl.config import load_config
from lessonl.harness import Harness, Project

CANDIDATE = ("--candidate", "same.hpp", "--json")

WORK = """\
#pragma once
inline long work(long n) {
    long s = 0;
    for (long i = 0; i < n; ++i) s += (i * 2654435761L) % 7;
    return s;
}
"""

MAIN = """\
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <ctime>
#include <unistd.h>
#include <vector>
#include "work.hpp"
static double cpu() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static volatile long sink;
int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "check") == 0) {
        long want = 0;
        for (long i = 0; i < 1000; ++i) want += (i * 2654435761L) % 7;
        return work(1000) == want ? 0 : 1;
    }
    auto begin = std::chrono::steady_clock::now();
    std::vector<long> v(1 << 18, 1);
    volatile long n = N;
    for (int r = 0; r < 3; ++r) {
        for (auto& x : v) x = x * 31 % 1000003;  // untimed set-up
        double c0 = cpu();
        auto t0 = std::chrono::steady_clock::now();
        sink = work(n);
        auto t1 = std::chrono::steady_clock::now();
        std::printf("LESSONL_TIME_S=%.9f LESSONL_CPU_S=%.9f\\n",
                    std::chrono::duration<double>(t1 - t0).count(), cpu() - c0);
    }
    // For --round: which copy ran, for how long (unsandboxed only: the log is outside it).
    const char* log = std::getenv("PHASES_LOG");
    char here[4096];
    if (log != nullptr && getcwd(here, sizeof here) != nullptr) {
        if (FILE* f = std::fopen(log, "a")) {
            std::fprintf(f, "%s %.6f\\n", here, std::chrono::duration<double>(
                std::chrono::steady_clock::now() - begin).count());
            std::fclose(f);
        }
    }
    return 0;
}
"""


def project(root: Path, kernel_ms: float, sandbox: str) -> None:
    (root / "src").mkdir(parents=True)
    (root / "src/work.hpp").write_text(WORK)
    (root / "same.hpp").write_text(WORK)
    n = calibrate(root, kernel_ms)
    (root / "main.cpp").write_text(MAIN.replace("N;", f"{n};"))
    log = root / "runs.log"
    (root / "lessonl.toml").write_text(
        textwrap.dedent(
            f"""\
            [[targets]]
            name = "work"
            files = ["src/work.hpp"]
            build = "g++ -O2 -std=c++17 -I src main.cpp -o {{build}}/main"
            test = "{{build}}/main check"
            bench = "{{build}}/main time"
            sandbox = "{sandbox}"
            env = {{ PHASES_LOG = "{log}" }}
            """
        )
    )


def calibrate(root: Path, kernel_ms: float) -> int:
    """The n for which one call of `work(n)` takes about `kernel_ms` here."""
    probe = root / "probe.cpp"
    probe.write_text(
        '#include <chrono>\n#include <cstdio>\n#include "src/work.hpp"\nvolatile long s;\n'
        "int main() { auto t0 = std::chrono::steady_clock::now(); s = work(20000000);\n"
        '  std::printf("%f\\n", std::chrono::duration<double>(std::chrono::steady_clock::now()'
        " - t0).count()); }\n"
    )
    subprocess.run(
        ["g++", "-O2", "-I", str(root), str(probe), "-o", str(root / "probe")], check=True
    )
    per = float(subprocess.run([str(root / "probe")], capture_output=True, text=True).stdout)
    probe.unlink()
    (root / "probe").unlink()
    return max(1000, int(20000000 * kernel_ms / 1000 / per))


def import_s() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import lessonl.cli, lessonl.commands.evaluate"], check=True
    )
    return time.perf_counter() - started


def command(root: Path) -> tuple[float, dict[str, object]]:
    """End to end: the real command in a fresh process, its wall time and JSON."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "lessonl", "evaluate", "src/work.hpp", *CANDIDATE],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, json.loads(done.stdout)


async def split(root: Path) -> tuple[float, float, float, float, float, int]:
    """In process, the same evaluation: (wall, builds, tests, timed, waiting, pairs)."""
    config = load_config(root)
    async with Harness(Project.of(config), config.target(), run_id=f"phases-{os.getpid()}") as h:
        ev = await h.evaluate({"src/work.hpp": WORK}, label="same")
        c = h.costs[ev.id]
    return c.wall_s, c.build_s, c.test_s, c.timed_s, c.lock_wait_s, ev.pairs


async def round_of(root: Path, n: int) -> tuple[float, float, float, float, int, int]:
    """`n` identical copies evaluated at once in one harness, as a round's agents are:
    (wall, builds, tests, waiting, baseline runs, candidate runs)."""
    log = root / "runs.log"
    log.unlink(missing_ok=True)
    config = load_config(root)
    async with Harness(Project.of(config), config.target(), run_id=f"round-{os.getpid()}") as h:
        started = time.perf_counter()
        evs = await asyncio.gather(
            *(h.evaluate({"src/work.hpp": WORK}, label=f"same{i}") for i in range(n))
        )
        wall = time.perf_counter() - started
        costs = [h.costs[ev.id] for ev in evs]
    lines = log.read_text().splitlines() if log.exists() else []
    base = sum(1 for line in lines if "/baseline/" in line)
    return (
        wall,
        sum(c.build_s for c in costs),
        sum(c.test_s for c in costs),
        max(c.lock_wait_s for c in costs),
        base,
        len(lines) - base,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel-ms", type=float, default=50.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--sandbox", default="off", choices=["auto", "off", "required"])
    parser.add_argument("--round", type=int, default=3, help="variants of one round (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project(root, args.kernel_ms, args.sandbox)
        print(
            f"{'run':>3} {'imports':>8} {'builds':>7} {'tests':>6} {'timed':>6} {'waiting':>8} "
            f"{'rest':>6} {'command':>8} {'limit':>6} {'ratio':>6} {'pairs':>5} {'load':>5}"
        )
        for run in range(1, args.runs + 1):
            imports = import_s()
            wall, builds, tests, timed, waited, pairs = asyncio.run(split(root))
            end_to_end, data = command(root)
            limit = builds + tests + timed
            rest = wall - limit - waited
            ratio = (imports + wall - waited) / limit
            print(
                f"{run:>3} {imports:8.2f} {builds:7.2f} {tests:6.2f} {timed:6.2f} {waited:8.2f} "
                f"{rest:6.2f} {end_to_end:8.2f} {limit:6.2f} {ratio:6.2f} {pairs:>5} "
                f"{os.getloadavg()[0]:5.1f}",
                flush=True,
            )
            print(
                f"    command: {data['speedup']}x {data['ci95']} clock {data['clock']} "
                f"({data['clock_reason']}), waited {data['lock_wait_s']} s, {data['pairs']} pairs"
            )
        print(
            "seconds; limit = builds + tests + timed pairs; ratio = (imports + wall - waiting) / "
            "limit (goal <= 1.3 at load < 1); command = the real CLI, end to end; figures from a "
            "machine shared with other work"
        )
        if args.round:
            wall, builds, tests, waited, base, cand = asyncio.run(round_of(root, args.round))
            print(
                f"\na round of {args.round} identical copies at once: {wall:.2f} s wall, builds "
                f"{builds:.2f} s, tests {tests:.2f} s, waiting {waited:.2f} s; bench runs: {base} "
                f"of the original for {cand} of the candidates (separate pairs would have run "
                f"{cand} of the original)"
            )


if __name__ == "__main__":
    main()
