"""Processes of ours that must hold still while a pair is being timed.

The timing lock keeps other lessonl timing, builds and tests off the CPUs during a timed pair,
but a run's own local model server kept generating text for the other agents meanwhile: on 2
cores it took one core and much of the memory bandwidth, and an *unchanged* memory-bound variant
(matvec) measured 1.08x "faster". So whoever starts such a process registers its process group
here, and `TimingLock.exclusive` stops (SIGSTOP) every registered group for the length of each
timed pair and continues it (SIGCONT) afterwards. A paused server just answers later; HTTP
clients see a slow response, not an error.

Only this process's groups: a model server of another process on the machine is not ours to stop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_groups: set[int] = set()
_paused = 0  # nesting depth; the exclusive flock keeps it at 1 today, the count keeps it safe


def register(pgid: int) -> None:
    """Pause process group `pgid` during timed pairs from now on."""
    with _lock:
        _groups.add(pgid)
        if _paused:
            _signal(pgid, signal.SIGSTOP)


def unregister(pgid: int) -> None:
    """Stop pausing `pgid`, and make sure it is running (a stopped process cannot exit)."""
    with _lock:
        _groups.discard(pgid)
    _signal(pgid, signal.SIGCONT)


def registered() -> frozenset[int]:
    with _lock:
        return frozenset(_groups)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Every registered process group stopped inside the block, continued after it."""
    global _paused
    with _lock:
        _paused += 1
        if _paused == 1:
            for pgid in _groups:
                _signal(pgid, signal.SIGSTOP)
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0:
                for pgid in _groups:
                    _signal(pgid, signal.SIGCONT)


def _signal(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone: nothing to do
        os.killpg(pgid, sig)
