"""Waiting on a process's run state, for tests of pausing (lessonl.quiet)."""

from __future__ import annotations

import time

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
