"""`lessonl.aio.run`: Ctrl-C lands at once even when a worker thread catches the signal.

The scripts run in a fresh interpreter because signal handling belongs to the main thread of a
process, and pytest's own process must not receive SIGINT.
"""

from __future__ import annotations

import subprocess
import sys
import time

# A worker thread sends SIGINT to itself, as the kernel does when it picks that thread for a
# Ctrl-C, and then stays busy; the main thread sleeps in the event loop with nothing to wake it.
_WORKER_CATCHES = """
import asyncio, signal, sys, threading, time
from lessonl import aio

def worker():
    time.sleep(0.5)
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)
    time.sleep(600)

async def main():
    threading.Thread(target=worker, daemon=True).start()
    try:
        await asyncio.sleep(600)
    finally:
        print("cleanup ran", flush=True)

try:
    {runner}(main())
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
"""


def _run(script: str, timeout_s: float = 60) -> tuple[str, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout_s
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, time.monotonic() - started


def test_ctrl_c_caught_by_a_worker_thread_still_cancels_at_once() -> None:
    out, elapsed = _run(_WORKER_CATCHES.format(runner="aio.run"))
    assert out.splitlines() == ["cleanup ran", "KeyboardInterrupt"]
    # Plain asyncio.run sleeps on here until its 600 s timer: see lessonl/aio.py.
    assert elapsed < 30


def test_a_main_that_handles_cancellation_returns_its_value() -> None:
    script = """
import asyncio, os, signal
from lessonl import aio

async def main():
    asyncio.get_running_loop().call_later(0.2, os.kill, os.getpid(), signal.SIGINT)
    try:
        await asyncio.sleep(600)
    except asyncio.CancelledError:
        return "partial report"

print(aio.run(main()))
print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)
"""
    out, _ = _run(script)
    assert out.splitlines() == ["partial report", "True"]


def test_results_and_errors_pass_through() -> None:
    script = """
from lessonl import aio

async def ok():
    return 42

async def bad():
    raise ValueError("boom")

print(aio.run(ok()))
try:
    aio.run(bad())
except ValueError as exc:
    print("ValueError", exc)
"""
    out, _ = _run(script)
    assert out.splitlines() == ["42", "ValueError boom"]
