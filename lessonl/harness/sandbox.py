"""Running one untrusted command: limits, a scrubbed environment, and whole-tree kills.

Every build, test and bench command runs generated code (a compiler is fed untrusted source, a
test executes it), so every one goes through `run_command`:

- its own session and process group (`start_new_session`), so one `killpg` reaches everything it
  spawned; descendants that left the group with their own `setsid` are found with psutil before
  the kill, because once the leader dies they are re-parented and can no longer be traced;
- RLIMIT_AS, RLIMIT_FSIZE (and no core files) set in the child before exec;
- a CPU-time limit enforced from the parent (`_watch_cpu`), *not* with RLIMIT_CPU: on some
  kernels (measured on this project's 6.x VM kernel) setting RLIMIT_CPU switches the process
  to tick-based CPU accounting, so `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)` and
  `time.process_time()` then move in whole 4 ms ticks and a sub-tick call reads 0 s, which
  turned a 75x win into 36,000,000,000x. The parent polls the CPU time of every process of the
  tree and SIGKILLs the tree when one of them passes `cpu_s` (the same per-process bound
  RLIMIT_CPU gave). An RLIMIT_CPU that lessonl itself inherited (`ulimit -t`, a CI runner's
  limit) does the same harm, and lifting it in the child between fork and exec does NOT undo
  it: the kernel arms the process CPU timer at fork from the soft limit then in force, and
  raising the limit later leaves it armed (measured on kernel 6.18: 41 of 45 sub-tick calls
  still read 0 s). So lessonl raises its own soft limit to the hard one before it starts a
  command (`lift_inherited_cpu_limit`): every process forked afterwards starts with a fine
  clock. A hard limit cannot be lifted; `warn_inherited_cpu_limit` says so once;
- HOME and TMPDIR inside the variant's build directory, stdin from /dev/null;
- an environment scrubbed of anything that looks like a credential (see `scrub_env`);
- bounded output capture: the pipes are always drained (a chatty test must not block on a full
  pipe) but only the first `output_limit` bytes are kept;
- a wall-clock limit covering the command *and its output pipes*: a process it started that
  keeps stdout open (out of reach after its own `setsid`) ends it at the limit as a timeout,
  with what was read kept and no reader or transport left for the garbage collector;
- on timeout *or task cancellation* the whole tree is killed and reaped before returning or
  re-raising, so no process outlives its evaluation. After a normal exit the group is killed
  too: a test that left a daemon behind must not keep running;
- on Linux, PR_SET_PDEATHSIG: if lessonl itself is SIGKILLed (no cleanup code runs), the kernel
  kills the command it started. Grandchildren (cc1plus under g++) are not covered by it.

Each result carries the command's CPU time (`CommandResult.cpu_s`, from `getrusage` of this
process's reaped children), which the harness compares with its wall time (see timing.py).

This bounds runaway code. Hostile code (writes outside the build directory, reading the user's
files, the network, daemons that escape with `setsid`) is the job of the sandbox the harness
wraps every argv in when bubblewrap works (see isolation.py); without it those stay possible.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import resource
import shlex
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from lessonl.process import die_with_parent, scrub_env, signal_name  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

# Characters that only mean something to a shell. A command containing none of them is split
# with shlex and exec'd directly: no shell process in the tree, no quoting surprises.
_SHELL_SYNTAX = re.compile(r"[|&;<>()$`*?\[\]~\n]|^\s*\w+=")

DEFAULT_OUTPUT_LIMIT = 1 << 20  # bytes kept per stream


def needs_shell(command: str) -> bool:
    """True when `command` uses shell syntax (pipes, redirections, globs, `&&`, `$VAR`, ...)."""
    return bool(_SHELL_SYNTAX.search(command))


def expand(command: str, placeholders: Mapping[str, str]) -> list[str]:
    """The argv for `command` with `{name}` placeholders replaced.

    Without shell syntax the command is split first and placeholders replaced inside each word,
    so paths with spaces stay one argument; with shell syntax the values are shell-quoted and the
    result runs under `/bin/sh -c`. `str.replace` (not `str.format`) keeps `${VAR}` and other
    braces in shell commands intact.
    """
    if needs_shell(command):
        text = command
        for name, value in placeholders.items():
            text = text.replace("{" + name + "}", shlex.quote(value))
        return ["/bin/sh", "-c", text]
    try:
        words = shlex.split(command)
    except ValueError:  # unbalanced quotes: let the shell report it in the user's terms
        return ["/bin/sh", "-c", command]
    out = []
    for word in words:
        for name, value in placeholders.items():
            word = word.replace("{" + name + "}", value)
        out.append(word)
    return out


@dataclass(frozen=True)
class Limits:
    """Per-command resource limits; `cpu_s` and `wall_s` in seconds, sizes in MiB."""

    wall_s: float
    cpu_s: float
    memory_mb: int
    file_size_mb: int


@dataclass(frozen=True)
class CommandResult:
    """What one command did. `signal` is set when it died of a signal we did not send."""

    argv: tuple[str, ...]
    returncode: int | None
    signal: int | None
    stdout: str
    stderr: str
    wall_s: float
    timed_out: bool  # we killed it at the wall-clock limit
    stdout_truncated: bool = False
    # User + system CPU time of the children this process reaped while the command ran: the
    # command's own tree when nothing else of ours exits meanwhile, which timed runs guarantee
    # (they hold the exclusive timing lock). Builds and tests may overlap: there it is a bound.
    cpu_s: float | None = None
    cpu_exceeded: bool = False  # we killed it at the CPU-time limit (see `_watch_cpu`)
    # The most threads one process of the tree had when `_watch_cpu` looked (0: never looked,
    # the command ended within about 10 ms). Tells single-threaded code from multi-threaded
    # even where a busy machine runs the threads one after another.
    max_threads: int = 0
    output_held: bool = False  # timed out because a process it started kept its output open

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def cpu_limited(self) -> bool:
        """Killed at the CPU-time limit by our watcher, or by SIGXCPU (an RLIMIT_CPU the
        command set for itself)."""
        return self.cpu_exceeded or self.signal == signal.SIGXCPU


def _preexec(limits: Limits) -> None:
    """Runs in the child between fork and exec: only async-signal-safe-ish work here.

    No RLIMIT_CPU on purpose: it breaks the CPU clocks a bench reads (module docstring);
    `_watch_cpu` enforces `limits.cpu_s` from the parent instead."""
    mem = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    size = limits.file_size_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # A fresh signal disposition: SIGXCPU and SIGPIPE may be ignored by the parent (Python
    # ignores SIGPIPE), and ignored dispositions survive exec.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    # Tied to the forking thread: ours is the event loop's, which outlives every command.
    die_with_parent()


def lift_inherited_cpu_limit() -> None:
    """Raise this process's soft RLIMIT_CPU to its hard one, before any command is forked.

    Must happen in lessonl's own process, not in the child: a child forked under a soft limit
    keeps the kernel's process CPU timer armed (and its clocks coarse) even after it lifts the
    limit itself (module docstring). The hard limit, which only the user can raise, is kept."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))


_warned_cpu_limit = False


def warn_inherited_cpu_limit() -> None:
    """Say once per process that an inherited hard CPU-time limit is in force.

    lessonl lifts a soft limit (`lift_inherited_cpu_limit`) but not a hard one, and while any
    limit is set this kernel's process CPU clocks tick in scheduler steps (4 ms here): a bench
    that reads them cannot time a short call, and measure.py then refuses its figures. The
    thread CPU clocks stay exact under the limit, which is why the examples' benches read
    those."""
    global _warned_cpu_limit
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if _warned_cpu_limit or hard == resource.RLIM_INFINITY:
        return
    _warned_cpu_limit = True
    log.warning(
        "lessonl runs under a hard CPU-time limit (ulimit -t %d), which makes process CPU clocks "
        "(CLOCK_PROCESS_CPUTIME_ID, time.process_time) tick in whole scheduler steps; benches "
        "should time with a thread CPU clock (CLOCK_THREAD_CPUTIME_ID, time.thread_time) or a "
        "wall clock, or run lessonl without the limit",
        hard,
    )


def kill_tree(pid: int, *, descendants: bool = True) -> None:
    """SIGKILL the process group led by `pid` and every descendant psutil can still see.

    Pass `descendants=False` once `pid` has been reaped: the number may then belong to an
    unrelated process, whose children must not be touched. (The group id itself stays safe:
    Linux does not reuse a pid while a process group of that id still has members.)"""
    found: list[psutil.Process] = []
    if descendants:
        try:
            found = psutil.Process(pid).children(recursive=True)
        except psutil.Error:
            found = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for proc in found:
        with contextlib.suppress(psutil.Error):
            proc.kill()


def _own_cpu_s(proc: psutil.Process) -> float:
    """The CPU time of `proc` itself (all its threads), as RLIMIT_CPU counts it."""
    times = proc.cpu_times()
    return float(times.user + times.system)


def cpu_poll_interval(cpu_s: float) -> float:
    """How often `_watch_cpu` looks: about 1/20 of the limit, between 20 ms and 0.5 s. Walking
    /proc costs about a millisecond, so at 0.5 s (the default 60 s limit) it is invisible next
    to a timed run, and a runaway process overshoots the limit by at most one interval."""
    return min(0.5, max(0.02, cpu_s / 20))


@dataclass
class _Watch:
    exceeded: bool = False
    max_threads: int = 0


async def _watch_cpu(pid: int, cpu_s: float, watch: _Watch) -> None:
    """Until cancelled: SIGKILL the tree of `pid` once one of its processes has used more than
    `cpu_s` of CPU time, and note it in `watch` (with the most threads seen in one process).
    Per process, like RLIMIT_CPU, so a parallel build is bounded as before; processes that left
    the tree with their own setsid and a re-parenting are beyond reach (they die with the group
    at the end). The first looks come early (10, 30, 70 ms, ...) so that a short bench's
    threads are seen, then every `cpu_poll_interval`."""
    interval = cpu_poll_interval(cpu_s)
    delay = 0.01
    while True:
        await asyncio.sleep(delay)
        delay = min(interval, delay * 2)
        try:
            leader = psutil.Process(pid)
            tree = [leader, *leader.children(recursive=True)]
        except psutil.Error:
            continue
        used = 0.0
        for member in tree:
            with contextlib.suppress(psutil.Error), member.oneshot():
                used = max(used, _own_cpu_s(member))
                watch.max_threads = max(watch.max_threads, member.num_threads())
        if used > cpu_s:
            watch.exceeded = True
            kill_tree(pid)
            return


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class _Capture:
    """What one pipe delivered so far: the first `limit` bytes, and whether more came. Kept
    outside the reading task so that a reader cancelled at the wall-clock limit loses nothing
    it had read."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.truncated = False


async def _drain(stream: asyncio.StreamReader | None, into: _Capture) -> None:
    """Read `stream` to EOF into `into`, keeping its first `into.limit` bytes."""
    if stream is None:
        return
    while chunk := await stream.read(1 << 16):
        room = into.limit - len(into.data)
        if room > 0:
            into.data += chunk[:room]
        if len(chunk) > room:
            into.truncated = True


async def _exited(proc: asyncio.subprocess.Process, timeout: float) -> None:
    """Wait until `proc` itself has exited, at most `timeout` seconds. Not `proc.wait()`: on
    Python 3.11 that also waits for its pipes to close, which a process out of our reach (one
    that left the group before the leader died) can hold open for ever."""
    end = time.monotonic() + timeout
    while proc.returncode is None and time.monotonic() < end:
        await asyncio.sleep(0.01)


async def _abandon(proc: asyncio.subprocess.Process, readers: Sequence[asyncio.Task[None]]) -> None:
    """Stop reading pipes that something still holds open: cancel the readers and wait for
    them (no 'exception was never retrieved'), then close the transport now, while the loop
    runs (not at garbage collection after the loop closed: 'Event loop is closed')."""
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    transport = getattr(proc, "_transport", None)
    if transport is not None:
        transport.close()


async def run_command(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    limits: Limits,
    output_limit: int = DEFAULT_OUTPUT_LIMIT,
    live: set[int] | None = None,
) -> CommandResult:
    """Run `argv` under the sandbox and return what happened; never raises for the command's
    own failure. An `OSError` (e.g. the executable does not exist) becomes returncode 127 with
    the reason on stderr, like a shell would. Cancellation kills the tree, then re-raises.
    `live`, if given, holds the pid while the command runs (the owner kills leftovers).

    The command is done when it has exited and its output pipes are closed, all within
    `limits.wall_s`: a process it started that keeps stdout open past that (out of our reach,
    e.g. after its own `setsid`) makes it a timeout with `output_held`, and what was read so
    far is kept.

    Long because one process's whole life is here (start, watch, time out, drain, kill on
    cancel): the cleanup in the `except` must see every state the steps leave.
    """
    lift_inherited_cpu_limit()
    started = time.perf_counter()
    cpu_before = _children_cpu_s()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=lambda: _preexec(limits),
        )
    except OSError as exc:
        return CommandResult(
            tuple(argv), 127, None, "", f"cannot run {argv[0]}: {exc.strerror}", 0.0, False
        )
    if live is not None:
        live.add(proc.pid)
    out, err = _Capture(output_limit), _Capture(64 << 10)
    readers = [
        asyncio.ensure_future(_drain(proc.stdout, out)),
        asyncio.ensure_future(_drain(proc.stderr, err)),
    ]
    watch = _Watch()
    watcher = asyncio.ensure_future(_watch_cpu(proc.pid, limits.cpu_s, watch))
    timed_out = False
    killed = False
    held = False
    try:
        try:
            await asyncio.wait_for(proc.wait(), timeout=limits.wall_s)
        except TimeoutError:
            timed_out = True
            if proc.returncode is None:  # the command itself overran
                killed = True
                kill_tree(proc.pid)
                await _exited(proc, 5.0)
        wall = time.perf_counter() - started
        cpu = max(0.0, _children_cpu_s() - cpu_before)
        watcher.cancel()
        killed = killed or watch.exceeded
        # Leftovers of a normal exit (background jobs) still in the group. A daemon that left
        # the group with its own setsid after the leader exited is beyond reach.
        kill_tree(proc.pid, descendants=False)
        # The pipes close within the wall-clock limit, or (after a kill) promptly.
        left = 0.5 if killed else max(0.0, started + limits.wall_s - time.perf_counter())
        _, pending = await asyncio.wait(readers, timeout=left)
        if pending:
            held = timed_out = True
            await _abandon(proc, readers)
    except BaseException:
        # Cancelled (or anything else): the tree dies before the exception leaves this frame.
        kill_tree(proc.pid, descendants=proc.returncode is None)
        with contextlib.suppress(BaseException):
            await asyncio.shield(_exited(proc, 5.0))
        with contextlib.suppress(BaseException):
            await asyncio.shield(_abandon(proc, readers))
        raise
    finally:
        watcher.cancel()
        if live is not None:
            live.discard(proc.pid)
    rc = proc.returncode
    sig = -rc if rc is not None and rc < 0 and not killed else None
    return CommandResult(
        argv=tuple(argv),
        returncode=rc,
        signal=sig,
        stdout=bytes(out.data).decode("utf-8", "replace"),
        stderr=bytes(err.data).decode("utf-8", "replace"),
        wall_s=wall,
        timed_out=timed_out,
        stdout_truncated=out.truncated,
        cpu_s=cpu,
        cpu_exceeded=watch.exceeded,
        max_threads=watch.max_threads,
        output_held=held,
    )
