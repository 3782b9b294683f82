"""What a Ray worker does for one problem x strategy pair (`lessonl bench --ray`).

This module runs on the node that Ray picked for the pair and must import without Ray's driver
state (it does not import `ray` at module level, so the driver can hand `run_pair_task` to
`ray.remote` by reference). The pair runs through the same `runner.run_pair` as a local
benchmark: the baseline and every variant are built and timed here, under this node's
machine-wide timing lock, so a speedup is always a ratio of two times of one machine.

Why the problem travels as a tar archive: nodes share no file system with the driver, and a
problem folder is a few kilobytes. The driver puts each archive in Ray's object store once and
every pair of that problem reads it from there.

What travels in the arguments: the archive, names, the round count, a `lessonl_transfer`
pair's warm lessons and the team's `AgentConfig`s, which hold only the *names* of the
environment variables with API keys. The keys themselves are one `Secrets` object in Ray's
object store, passed by reference inside a list (so Ray hands the task the reference, not the
value: the task spec holds an object id);
the task reads it and sets the variables in its process environment for the length of the pair,
which is where the team looks for keys, as in a local run. Why not the runtime environment's
`env_vars`: Ray's runtime-env agent logs them verbatim at INFO (runtime_env_agent.log, "Creating
runtime env: {"env_vars": {...}}"), and the job's runtime env is shown by the dashboard; so only
non-secret settings go there (ray_cluster.py).

Cancellation (`ray.cancel` without force, what the driver does on Ctrl-C): Ray interrupts the
task's main thread, and `_cancel_on_interrupt` turns that into a cancellation of the pair's
asyncio task, so the pair unwinds as a local run does on Ctrl-C (its commands killed and reaped,
its copies removed) and the task ends as cancelled. The problem's unpacked archive and the
pair's copy are both `lessonl-bench-*` folders claimed by this worker (runner.new_copy_folder),
and each task first removes those of dead workers on this machine (a worker killed mid-pair).

The embedded local model: `runner.run_pair` builds a team per pair, and the team releases its
server lease when the pair ends, which would stop the server after every pair. Here the first
pair that needs a local model takes one extra lease for the life of the worker process, so the
node's server starts lazily with its first pair and later pairs on the node reuse it. Ray
usually runs the pairs of a node in one reused worker process (the "timing" resource lets one
pair at a time in); when it starts a fresh worker for a later pair, that worker starts its own
server. The server is registered with its process's `quiet` module, so it is paused while the
process times a pair, as in a local run.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import signal
import socket
import tarfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from lessonl.bench.metrics import ProblemResult
from lessonl.config import AgentConfig
from lessonl.state import STATE_DIR_NAME

#: The leases that keep this worker's local model servers running between pairs.
_keepalive: dict[Path, Any] = {}


class Secrets:
    """API keys by environment variable name; its repr never shows a value, so an error
    message or a debugger that prints the task's data cannot leak one."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = dict(values)

    def __repr__(self) -> str:
        return f"Secrets({sorted(self.values)})"


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """`values` set in os.environ inside the block, the previous state restored after."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in before.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def pack_problem(folder: Path) -> bytes:
    """The problem folder as a gzip'd tar (without `.lessonl/` state or `__pycache__`)."""

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts
        return None if STATE_DIR_NAME in parts or "__pycache__" in parts else info

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(folder, arcname=folder.name, filter=keep)
    return buf.getvalue()


def unpack_problem(archive: bytes, into: Path) -> Path:
    """Extract `archive` under `into`; returns the problem folder."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        names = {Path(m.name).parts[0] for m in tar.getmembers()}
        tar.extractall(into, filter="data")  # "data": no absolute paths, links out, devices
    (name,) = names
    return into / name


class _Collector:
    """The runner's observer inside a task: keeps the messages the driver prints."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def pair_started(self, strategy: str, problem: str) -> None:
        pass

    def message(self, text: str) -> None:
        if "failed" in text:  # what the local progress display prints; progress ticks stay here
            self.messages.append(text)

    def pair_finished(self, result: ProblemResult, *, skipped: bool) -> None:
        pass


async def _keep_local_servers(team: Sequence[AgentConfig]) -> None:
    """Start (once per worker process) the local model servers `team` needs and keep them."""
    from lessonl.llm import local

    for a in team:
        if a.provider != "local":
            continue
        path = (
            local.check_gguf(Path(a.model_path).expanduser())
            if a.model_path
            else await asyncio.to_thread(local.ensure_model)
        ).resolve()
        if path in _keepalive and _keepalive[path].server.alive():
            continue
        alias = a.model or (local.MODEL_ALIAS if not a.model_path else path.stem)
        old = _keepalive.pop(path, None)
        if old is not None:
            old.release()  # a dead server: the next acquire starts a fresh one
        _keepalive[path] = await local.acquire(path, alias=alias)


@contextlib.contextmanager
def _cancel_on_interrupt() -> Iterator[None]:
    """Inside the pair's event loop: `ray.cancel` (force=False) cancels the pair's main task.

    Ray interrupts a running task with `_thread.interrupt_main()`, which only flags SIGINT;
    the handler asyncio.run installs would then wait until the loop next wakes, which a pair
    waiting on a slow model call may not do for minutes. A loop signal handler also writes to
    the loop's wakeup fd, so the pair is cancelled at once and unwinds as on Ctrl-C in a local
    run: the harness kills and reaps its build, test or timing command and the pair removes
    its working copy. Nothing is installed off the main thread (a direct call in a thread)."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    try:
        loop.add_signal_handler(signal.SIGINT, lambda: main and main.cancel())
    except (ValueError, RuntimeError, NotImplementedError):  # not the main thread / platform
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def _secrets(box: list[Any]) -> Secrets:
    """The `Secrets` in `box`: fetched from Ray's object store inside a task, or given directly
    (a call outside Ray)."""
    (item,) = box
    if isinstance(item, Secrets):
        return item
    import ray

    value = ray.get(item)
    assert isinstance(value, Secrets)
    return value


def node_identity() -> tuple[str | None, str]:
    """(Ray node id, host name) of the machine running this code."""
    node: str | None = None
    try:
        import ray

        node = ray.get_runtime_context().get_node_id()
    except Exception:  # not inside Ray: a direct call (tests, a local fallback)
        node = None
    return node, socket.gethostname()


def run_pair_task(
    archive: bytes,
    strategy: str,
    rounds: int | None,
    team: tuple[AgentConfig, ...],
    secrets_box: list[Any],
    warm: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run one pair here; returns {"result", "messages", "fatal"} as plain data.

    `warm`: a `lessonl_transfer` pair's lesson records for its bank (plain data in the task's
    arguments: lessons hold no secret); a `lessonl` pair's result brings its bank's lessons
    back (`ProblemResult.lessons`), since the bank goes with the node's working copy.

    A fatal error (one that would fail every pair on this node: a missing compiler, a rejected
    key) comes back as {"fatal": {"type", "module", "message"}} rather than raised, so the driver
    can tell it from a crash of the worker and try the pair on another node first.
    `secrets_box` is `[ObjectRef of Secrets]` (see the module docstring)."""
    from lessonl.bench import runner
    from lessonl.bench.suite import load_problem

    runner.prune_stale_copies()  # what a worker killed mid-pair on this node left behind
    scratch = runner.new_copy_folder("ray")
    collector = _Collector()
    node, host = node_identity()
    try:
        problem = load_problem(unpack_problem(archive, scratch))
        plan = runner.BenchPlan(
            problems=[problem],
            strategies=[strategy],
            report_dir=scratch / "unused",
            rounds=rounds,
            team=team,
        )

        async def go() -> ProblemResult:
            with _cancel_on_interrupt():
                await _keep_local_servers(team)
                return await runner.run_pair(plan, strategy, problem, collector, warm=warm)

        secrets = _secrets(secrets_box)
        with environment(secrets.values):
            try:
                result = asyncio.run(go())
            except asyncio.CancelledError:
                raise KeyboardInterrupt from None  # how Ray tells a cancelled task
    except runner.FATAL as exc:
        return {
            "result": None,
            "messages": collector.messages,
            "fatal": {
                "type": type(exc).__name__,
                "module": type(exc).__module__,
                "message": str(exc),
            },
            "node": node,
            "host": host,
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result.node, result.host = node, host
    return {"result": result.to_json(), "messages": collector.messages, "fatal": None}
