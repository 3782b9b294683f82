"""Waiting on processes in tests: a process's run state (tests of pausing, lessonl.quiet),
its command line, and a run that must say it waits for the machine-wide timing lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil


def stopped(p: psutil.Process, want: bool = True, within_s: float = 5.0) -> bool:
    """Whether `p` is stopped (SIGSTOP), after waiting up to `within_s` for it to become
    stopped (`want`) or running (not `want`): signal delivery is not instant."""
    deadline = time.monotonic() + within_s
    while (p.status() == psutil.STATUS_STOPPED) != want and time.monotonic() < deadline:
        time.sleep(0.01)
    return p.status() == psutil.STATUS_STOPPED


def runs_command(procs: list[psutil.Process], needle: str) -> bool:
    """Whether any of `procs` has `needle` in its command line. A process may exit (or linger
    as a zombie) between being listed and being read; that one simply does not match."""
    for p in procs:
        try:
            if needle in " ".join(p.cmdline()):
                return True
        except (psutil.NoSuchProcess, psutil.AccessDenied):  # ZombieProcess is a NoSuchProcess
            continue
    return False


def waiting_line(pid: int) -> str:
    """What a lessonl process prints while `pid` holds the timing lock (lessonl/harness/lock.py)."""
    return f"waiting for the machine-wide timing lock, held by pid {pid} (timing)"


@contextlib.contextmanager
def holding_timing_lock(lock: Path) -> Iterator[int]:
    """Hold `lock` as a timing lessonl does (the flock and the pid file beside it); yields the
    holder's pid. Released when the block ends, whatever happened in it."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        lock.with_name(lock.name + ".holder").write_text(f"{os.getpid()}\n")
        yield os.getpid()
    finally:
        os.close(fd)  # releases the lock


class StderrLines:
    """`proc`'s stderr lines as they come, read in a thread so that a process that never prints
    the awaited line fails the test instead of hanging it."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        self.proc = proc
        self.lines: list[str] = []
        stderr = proc.stderr
        self._reader = threading.Thread(
            target=lambda: self.lines.extend(x.rstrip("\n") for x in iter(stderr.readline, "")),
            daemon=True,
        )
        self._reader.start()

    def wait_for(self, done: Callable[[list[str]], bool], within_s: float = 120) -> bool:
        """Whether `done(lines)` came to hold within `within_s` (False at once if it exited)."""
        deadline = time.monotonic() + within_s
        while not done(self.lines) and time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.1)
        return done(self.lines)

    def finish(self, timeout_s: float = 300) -> tuple[int, str, list[str]]:
        """Exit status, all of stdout and every stderr line, once the process has ended."""
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()
        code = self.proc.wait(timeout=timeout_s)
        self._reader.join(timeout=10)
        return code, out, self.lines
