"""The harness's parts on their own: statistics, the timing loop and lock, the sandbox's
command handling, and which files a variant copy gets."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from processes import stopped

from lessonl.config import TargetConfig
from lessonl.errors import EnvironmentProblem
from lessonl.harness import require_tools
from lessonl.harness.outcomes import first_line
from lessonl.harness.sandbox import Limits, expand, needs_shell, run_command, scrub_env
from lessonl.harness.stats import bootstrap_ci, parse_times, speedup_ratio
from lessonl.harness.timing import (
    BenchFailed,
    SharedBaseline,
    TimingLock,
    TimingResult,
    time_pairs,
)
from lessonl.harness.workspace import excluded, populate, project_files

LIMITS = Limits(wall_s=10, cpu_s=10, memory_mb=512, file_size_mb=16)

# ----------------------------------------------------------------------------- stats


def test_parse_times_reads_only_well_formed_lines() -> None:
    out = "LESSONL_TIME_S=0.5\nnoise LESSONL_TIME_S=9\nLESSONL_TIME_S=1e-3\nLESSONL_TIME_S=nan\n"
    assert parse_times(out) == [0.5, 0.001]


def test_bootstrap_interval_brackets_the_ratio_of_lower_quartiles() -> None:
    base = [1.0, 1.02, 0.98, 1.01, 1.3]
    cand = [0.5, 0.51, 0.49, 0.52, 0.5]
    ratio = speedup_ratio(base, cand)
    assert ratio == pytest.approx(1.0 / 0.5)  # each side's 25th percentile
    lo, hi = bootstrap_ci(base, cand)
    assert 1.5 < lo <= ratio <= hi < 3.0
    assert bootstrap_ci(base, cand) == (lo, hi)  # fixed seed: reproducible
    with pytest.raises(ValueError):
        bootstrap_ci([1.0], [1.0, 2.0])


async def test_time_pairs_stops_early_when_precise_and_alternates_order(tmp_path: Path) -> None:
    order: list[str] = []

    async def a() -> float:
        order.append("a")
        return 1.0

    async def b() -> float:
        order.append("b")
        return 0.5

    lock = TimingLock(tmp_path / "lock")
    result = await time_pairs(
        a, b, lock=lock, min_pairs=4, max_pairs=40, budget_s=60, ci_target=0.02
    )
    assert result.pairs == 4 and result.speedup == 2.0 and result.ci95 == (2.0, 2.0)
    assert order == ["a", "b", "b", "a", "a", "b", "b", "a"]


async def test_time_pairs_respects_max_pairs_and_budget(tmp_path: Path) -> None:
    values = iter([1.0, 2.0, 0.5, 3.0] * 100)

    async def noisy() -> float:
        return next(values)

    lock = TimingLock(tmp_path / "lock")
    capped = await time_pairs(
        noisy, noisy, lock=lock, min_pairs=3, max_pairs=7, budget_s=60, ci_target=0.001
    )
    assert capped.pairs == 7

    async def slow() -> float:
        await asyncio.sleep(0.05)
        return next(values)

    budgeted = await time_pairs(
        slow, slow, lock=lock, min_pairs=2, max_pairs=1000, budget_s=0.3, ci_target=0.001
    )
    assert 2 <= budgeted.pairs <= 5


async def test_candidates_waiting_together_share_the_baseline_runs(tmp_path: Path) -> None:
    """Issue 26: three candidates of a round in interleaved blocks A V1 V2 V3 (then reversed):
    one baseline run per block instead of one per pair, each its own stopping rule."""
    order: list[str] = []

    def run(name: str, value: float) -> Callable[[], Awaitable[float]]:
        async def timed() -> float:
            order.append(name)
            return value

        return timed

    shared = SharedBaseline(run("a", 1.0), lock=TimingLock(tmp_path / "lock"))
    rules = dict(max_pairs=40, budget_s=60, ci_target=0.02)
    results = await asyncio.gather(
        shared.time(run("v1", 0.5), min_pairs=4, **rules),  # type: ignore[arg-type]
        shared.time(run("v2", 0.2503), min_pairs=4, **rules),  # type: ignore[arg-type]
        shared.time(run("v3", 2.0), min_pairs=6, **rules),  # type: ignore[arg-type]
    )
    assert [r.speedup for r in results] == [2.0, 1 / 0.2503, 0.5]
    assert [r.pairs for r in results] == [4, 4, 6]
    blocks = [
        ["a", "v1", "v2", "v3"],
        ["v3", "v2", "v1", "a"],
        ["a", "v1", "v2", "v3"],
        ["v3", "v2", "v1", "a"],
        ["a", "v3"],
        ["v3", "a"],
    ]
    assert order == [name for block in blocks for name in block]
    assert order.count("a") == 6  # 14 pairs timed with 6 baseline runs, not 14
    await shared.close()


async def test_a_failing_candidate_leaves_the_others_timed(tmp_path: Path) -> None:
    async def a() -> float:
        return 1.0

    async def good() -> float:
        return 0.5

    async def bad() -> float:
        raise BenchFailed("candidate", "boom")

    shared = SharedBaseline(a, lock=TimingLock(tmp_path / "lock"))
    rules = dict(min_pairs=3, max_pairs=40, budget_s=60, ci_target=0.02)
    ok, failed = await asyncio.gather(
        shared.time(good, **rules),  # type: ignore[arg-type]
        shared.time(bad, **rules),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert isinstance(ok, TimingResult) and ok.speedup == 2.0 and ok.pairs == 3
    assert isinstance(failed, BenchFailed) and failed.result == "boom"


# ----------------------------------------------------------------------------- lock


async def test_exclusive_lock_excludes_shared_holders_and_prefers_writers(tmp_path: Path) -> None:
    lock = TimingLock(tmp_path / "lock")
    events: list[str] = []

    async def reader(name: str, hold: float) -> None:
        async with lock.shared():
            events.append(f"+{name}")
            await asyncio.sleep(hold)
            events.append(f"-{name}")

    async def writer() -> None:
        async with lock.exclusive():
            events.append("+w")
            await asyncio.sleep(0.1)
            events.append("-w")

    first = asyncio.create_task(reader("r1", 0.3))
    await asyncio.sleep(0.05)
    w = asyncio.create_task(writer())
    await asyncio.sleep(0.05)
    late = asyncio.create_task(reader("r2", 0.01))  # arrives while the writer waits
    await asyncio.gather(first, w, late)
    assert events.index("-r1") < events.index("+w")  # writer waited for the running build
    assert events.index("-w") < events.index("+r2")  # and the late build waited for it


def test_lock_is_machine_wide_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import asyncio, sys, time\n"
            "from pathlib import Path\n"
            "from lessonl.harness.timing import TimingLock\n"
            "async def main():\n"
            f"    async with TimingLock(Path({str(path)!r})).exclusive():\n"
            "        print('held', flush=True)\n"
            "        time.sleep(1.0)\n"
            "asyncio.run(main())\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"

    async def take() -> float:
        started = time.monotonic()
        async with TimingLock(path).shared():
            return time.monotonic() - started

    waited = asyncio.run(take())
    holder.wait(timeout=10)
    assert waited > 0.5


# ----------------------------------------------------------------------------- sandbox


def test_scrub_env_drops_credentials_and_named_keys() -> None:
    env = {
        "PATH": "/bin",
        "HOME": "/root",
        "OPENAI_API_KEY": "x",
        "AWS_ACCESS_KEY_ID": "x",
        "GH_TOKEN": "x",
        "DB_PASSWORD": "x",
        "MY_SECRET": "x",
        "QWEN": "x",
        "KEYBOARD_LAYOUT": "us",
    }
    kept = scrub_env(env, ["QWEN"])
    assert kept == {"PATH": "/bin", "HOME": "/root", "KEYBOARD_LAYOUT": "us"}


def test_commands_run_without_a_shell_unless_they_need_one() -> None:
    spaced = "/tmp/my build"
    assert expand("{build}/bench time", {"build": spaced}) == [f"{spaced}/bench", "time"]
    assert not needs_shell("g++ -O2 -I src a.cpp -o {build}/a")
    for command in ("a | b", "a && b", "a > out", "echo $HOME", "ls *.py", "X=1 a"):
        assert needs_shell(command), command
    argv = expand("cd {build} && ls", {"build": spaced})
    assert argv[:2] == ["/bin/sh", "-c"] and "'/tmp/my build'" in argv[2]


async def test_run_command_bounds_output_and_reports_missing_programs(tmp_path: Path) -> None:
    chatty = await run_command(
        [sys.executable, "-c", "print('x' * 100000)"],
        cwd=tmp_path,
        env=os.environ,
        limits=LIMITS,
        output_limit=1000,
    )
    assert chatty.ok and len(chatty.stdout) == 1000 and chatty.stdout_truncated
    missing = await run_command(["/no/such/program"], cwd=tmp_path, env=os.environ, limits=LIMITS)
    assert missing.returncode == 127 and "cannot run" in missing.stderr


async def test_cpu_limit_is_reported_as_such(tmp_path: Path) -> None:
    limits = Limits(wall_s=20, cpu_s=1, memory_mb=512, file_size_mb=16)
    spin = await run_command(
        [sys.executable, "-c", "while True: pass"], cwd=tmp_path, env=os.environ, limits=limits
    )
    assert spin.cpu_limited and not spin.timed_out and spin.wall_s < 10


async def test_commands_get_no_rlimit_cpu_and_report_their_cpu_time(tmp_path: Path) -> None:
    """RLIMIT_CPU made CPU clocks tick in 4 ms steps; the limit is now the parent's watcher.
    The command's own CPU time comes back beside its wall time."""
    script = (
        "import resource, time\n"
        "print(resource.getrlimit(resource.RLIMIT_CPU) == (resource.RLIM_INFINITY,) * 2)\n"
        "t = time.process_time()\n"
        "while time.process_time() - t < 0.2: pass\n"
    )
    run = await run_command(
        [sys.executable, "-c", script], cwd=tmp_path, env=os.environ, limits=LIMITS
    )
    assert run.ok and run.stdout.strip() == "True"
    assert run.cpu_s is not None and 0.2 <= run.cpu_s <= run.wall_s + 0.01
    assert run.max_threads >= 1


def test_require_tools_names_the_missing_compiler() -> None:
    target = TargetConfig(
        name="t", files=("a.cpp",), test="{build}/a", bench="{build}/a", build="g++-none -o x"
    )
    with pytest.raises(EnvironmentProblem, match="g\\+\\+-none not found: install it"):
        require_tools(target)
    ok = TargetConfig(name="t", files=("a.py",), test="{python} t.py", bench="sh -c 'true'")
    require_tools(ok)


# ----------------------------------------------------------------------------- workspace


def _touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)


def test_git_project_copies_tracked_and_untracked_but_not_ignored(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    project = repo / "proj"
    _touch(project, "a.py", "sub/b.py", "out/big.bin", "reference/sol.py", "new.py")
    _touch(repo, "outside.py")
    (repo / ".gitignore").write_text("out/\n")
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "proj/a.py", "proj/sub/b.py"], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "x"], check=True)
    (project / ".lessonl").mkdir()
    _touch(project, ".lessonl/bank/x")
    files = project_files(project, exclude=["reference"])
    assert sorted(files) == ["a.py", "new.py", "sub/b.py"]


def test_plain_folder_skips_state_and_build_outputs(tmp_path: Path) -> None:
    _touch(tmp_path, "a.c", "build/a.o", "x.o", ".lessonl/b", ".git/c", "__pycache__/d.pyc")
    _touch(tmp_path, "ref/secret.c", "data/in.txt")
    assert sorted(project_files(tmp_path, exclude=["ref/*"])) == ["a.c", "data/in.txt"]
    assert excluded("bench/reference/sol.cpp", ["bench/reference"])
    assert not excluded("bench/ref.cpp", ["bench/reference"])


def test_populate_overrides_without_touching_the_source(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _touch(src, "a.py", "b.py")
    (src / "link.py").symlink_to(src / "a.py")
    populate(src, dest, ["a.py", "b.py", "link.py"], {"link.py": "new", "c/d.py": "made"})
    assert (dest / "link.py").read_text() == "new" and not (dest / "link.py").is_symlink()
    assert (src / "a.py").read_text() == "a.py"
    assert (dest / "c/d.py").read_text() == "made"
    with pytest.raises(Exception, match="inside the project root"):
        populate(src, dest, [], {"../escape.py": "x"})


def test_a_win_must_clear_the_noise_margin() -> None:
    from lessonl.harness.stats import measurably_faster, measurably_slower

    # Seen under heavy load for an unchanged variant: 1.06x, interval starting at 1.0004.
    assert not measurably_faster((1.0004, 1.126))
    assert measurably_faster((1.03, 1.09))
    assert not measurably_faster(None) and not measurably_faster(())
    assert measurably_slower((0.90, 0.97)) and not measurably_slower((0.97, 1.01))


def test_prune_orphans_keeps_live_and_fresh_run_folders(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    from lessonl.harness.workspace import OWNER_FILE, claim, prune_orphans

    build = tmp_path / "build"
    mine, ours_too = build / "mine", build / "live"
    claim(mine)
    claim(ours_too)  # another run of this very process: alive
    dead = build / "dead"
    dead.mkdir(parents=True)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (dead / OWNER_FILE).write_text(f"{gone.pid} 12345.0\n")
    reused = build / "reused"  # a live pid, but not the process that claimed the folder
    reused.mkdir()
    (reused / OWNER_FILE).write_text(f"{os.getpid()} 1.0\n")
    garbled = build / "garbled"
    garbled.mkdir()
    (garbled / OWNER_FILE).write_text("not a pid\n")
    fresh = build / "fresh"  # being created right now by someone: no owner file yet
    fresh.mkdir()
    stale = build / "stale"  # no owner file and an hour old
    stale.mkdir()
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))

    removed = prune_orphans(build, keep=mine)
    assert sorted(p.name for p in removed) == ["dead", "garbled", "reused", "stale"]
    assert sorted(p.name for p in build.iterdir()) == ["fresh", "live", "mine"]
    assert prune_orphans(tmp_path / "nowhere") == []


def test_prune_orphans_in_a_shared_folder_touches_only_claimed_copies_of_dead_owners(
    tmp_path: Path,
) -> None:
    """The benchmark's working copies in the system's temporary folder (runner.COPY_PREFIX):
    only folders with the prefix, never an unclaimed one however old, and an owner that was
    killed but not yet reaped (a zombie) counts as dead."""
    import os
    import subprocess
    import sys
    import time

    import psutil

    from lessonl.harness.workspace import OWNER_FILE, claim, prune_orphans

    live = tmp_path / "lessonl-bench-single-live"
    claim(live)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])  # exits; not reaped until wait()
    deadline = time.monotonic() + 10
    while psutil.Process(zombie.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    killed = tmp_path / "lessonl-bench-single-killed"
    killed.mkdir()
    started = psutil.Process(zombie.pid).create_time()
    (killed / OWNER_FILE).write_text(f"{zombie.pid} {started!r}\n")
    old = tmp_path / "lessonl-bench-cot-unclaimed"  # an hour old, no owner file
    old.mkdir()
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    other = tmp_path / "someone-elses"  # not ours, dead owner or not
    other.mkdir()
    (other / OWNER_FILE).write_text(f"{zombie.pid} {started!r}\n")
    try:
        removed = prune_orphans(tmp_path, prefix="lessonl-bench-", keep_unclaimed=True)
    finally:
        zombie.wait()
    assert removed == [killed]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, old.name, other.name])


async def test_exclusive_timing_pauses_registered_process_groups(tmp_path: Path) -> None:
    """A local model server is registered with lessonl.quiet; timed pairs stop it, then resume."""
    import psutil

    from lessonl import quiet

    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    child = psutil.Process(proc.pid)
    lock = TimingLock(tmp_path / "timing.lock")
    try:
        quiet.register(proc.pid)
        async with lock.exclusive():
            assert stopped(child)
        assert not stopped(child, want=False)
        async with lock.shared():  # builds and tests do not pause anything
            assert not stopped(child, want=False)
        with pytest.raises(RuntimeError):
            async with lock.exclusive():
                raise RuntimeError("a failing timed run")
        assert not stopped(child, want=False)  # resumed on errors too
        with quiet.paused():
            late = subprocess.Popen(["sleep", "60"], start_new_session=True)
            quiet.register(late.pid)  # registered mid-pause: stopped at once
            assert stopped(psutil.Process(late.pid))
            quiet.unregister(late.pid)  # and continued when it leaves
            assert not stopped(psutil.Process(late.pid), want=False)
            late.kill()
            late.wait()
    finally:
        quiet.unregister(proc.pid)
        proc.kill()
        proc.wait()
    assert proc.pid not in quiet.registered()


def test_a_failures_summary_line_is_a_python_tracebacks_exception(tmp_path: Path) -> None:
    # A real traceback, cut as the harness cuts a failing test's output (its last lines, so it
    # may start mid-traceback): the summary names the exception, not the entry point's frame.
    script = tmp_path / "main.py"
    script.write_text(
        "def merge(xs):\n    return sorted(xs, key=len)\n\n\ndef main():\n    merge([1, 2])\n\n\n"
        "main()\n",
        encoding="utf-8",
    )
    err = subprocess.run([sys.executable, str(script)], capture_output=True, text=True).stderr
    frames = [line for line in err.splitlines() if line.strip()]
    assert frames[0].startswith("Traceback") and len(frames) >= 6, err
    for kept in (frames, frames[1:], frames[3:]):
        detail = "test failed (exit status 1): " + "\n".join(kept)
        assert first_line(detail) == (
            "test failed (exit status 1): TypeError: object of type 'int' has no len()"
        ), detail
    # Other details keep their first line: a check's own message, a compiler's error.
    assert first_line("test failed (exit status 1): FAIL n=3: got 2\nmore") == (
        "test failed (exit status 1): FAIL n=3: got 2"
    )
    assert first_line("\nsrc/a.cpp:3:9: error: 'x' was not declared\n    3 | x;") == (
        "src/a.cpp:3:9: error: 'x' was not declared"
    )
