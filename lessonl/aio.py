"""`asyncio.run` with a Ctrl-C that always lands at once.

Why not plain `asyncio.run`: on Unix it catches SIGINT with `signal.signal`, and Python runs
signal handlers only in the main thread, woken by nothing but the signal itself. The kernel may
deliver a process-wide SIGINT to any thread; when it picks one of our worker threads
(`asyncio.to_thread`, the default executor), the main thread sleeps on in `select()` until the
next I/O event or timer, which during a long model call, or a run waiting on the timing lock, is
tens of seconds. Observed: a process with the local model server ignored Ctrl-C for over a minute.
`loop.add_signal_handler` instead sets the loop's wakeup fd, which the C-level handler writes to
from whichever thread caught the signal, so the loop wakes immediately.

Semantics match `asyncio.run`: the first Ctrl-C cancels the main task (cleanups run: processes
are killed, partial reports written) and `KeyboardInterrupt` is raised once it has unwound; a
second Ctrl-C during that unwinding raises `KeyboardInterrupt` at once.

SIGTERM (`kill`, a CI job's timeout, systemd) is handled the same way: without it the process
died at once, leaving no partial report where Ctrl-C left one.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion in a new event loop; see the module docstring for Ctrl-C."""
    return asyncio.run(_guarded(main))


async def _guarded(main: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    interrupted = False

    def on_signal() -> None:
        nonlocal interrupted
        if interrupted:
            raise KeyboardInterrupt  # second Ctrl-C: out of the loop now
        interrupted = True
        task.cancel()

    try:
        for signum in _SIGNALS:
            loop.add_signal_handler(signum, on_signal)
    except (NotImplementedError, RuntimeError, ValueError):
        # Not the main thread, or a platform without it: asyncio.run's own handling applies.
        return await main
    try:
        return await main
    except asyncio.CancelledError:
        if interrupted and task.uncancel() == 0:
            raise KeyboardInterrupt from None
        raise
    finally:
        for signum in _SIGNALS:
            loop.remove_signal_handler(signum)
