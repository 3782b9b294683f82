"""Optimize runs inside the server: one per document, cancellable, reported as LSP progress.
A sweep (features/sweep.py) is a job too, keyed by its project: a `Job` runs any `Work`.

Where a run executes. `lessonl.loop.optimize` is async, but parts of the engine are synchronous
and occasionally slow (the first import of an LLM SDK, TF-IDF selection, diskcache, tree-sitter,
report writes). Run on the server's own event loop, each of those would stall `codeAction` and
`$/cancelRequest` handling for its duration. So runs live on a second event loop in one daemon
thread (`EngineThread`), started on the first run: the server's loop only reads stdin, answers
requests and writes notifications. Runs on different documents share the engine loop and proceed
together; the harness serializes timing machine-wide anyway.

Crossing threads. Events from the loop are posted to the server's loop with
`call_soon_threadsafe` (pygls's writer is not thread-safe) and turned there into progress by
`progress.Reporter`. Cancelling posts `task.cancel()` to the engine loop: the loop's
`CancelledError` path kills model calls and the harness's process groups and writes the partial
report; `Job.wait` gives that cleanup `CANCEL_GRACE_S` before answering the client, so a client
that sees the cancellation answer normally sees no leftover processes either. The document stays
"busy" until the engine task has really finished, so a new run cannot race the old one's cleanup.

Three ways to cancel, all ending in `Job.cancel`: `$/cancelRequest` on `lessonl/optimize` (pygls
cancels the handler's task, whose `Job.wait` passes it on), `window/workDoneProgress/cancel` on
the progress token (the only way for the `lessonl.optimize` command, which pygls cannot cancel),
and server shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from lessonl.errors import LessonLError

from .progress import Reporter

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

    from lessonl.events import Event
    from lessonl.report import RunReport
    from lessonl.run import Plan

log = logging.getLogger(__name__)

R = TypeVar("R")
#: What a job runs on the engine loop: given the callback for the engine's events (called on
#: the engine thread), the coroutine of the work. An optimize run is one; a sweep is another.
Work = Callable[[Callable[["Event"], None]], Coroutine[Any, Any, R]]

#: Proposals kept for feedback; older ones are dropped (their feedback is then ignored) so a
#: long editor session does not accumulate every run's new text and report.
MAX_PROPOSALS = 32
#: How long a cancelled run may take to kill its processes and write its partial report before
#: the cancellation is answered (the contract is an answer within 2 s).
CANCEL_GRACE_S = 1.5


class RunInProgress(LessonLError):
    """A second run was requested for a document that already has one."""


class EngineThread:
    """A daemon thread running the event loop that optimize runs execute on."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                ready = threading.Event()
                loop = asyncio.new_event_loop()

                def main() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()
                    loop.close()

                self._thread = threading.Thread(target=main, name="lessonl-engine", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    @property
    def started(self) -> bool:
        return self._loop is not None

    def stop(self) -> None:
        """Stop the loop (after runs were cancelled) and join the thread briefly."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=2)


@dataclass(frozen=True)
class RunRequest:
    """A run of one document: the editor's side of it, captured on the server's loop when the
    request arrives, and the engine's `plan` (`lessonl.run.plan`: config, overrides and target
    decided once, by the rule the CLI uses too)."""

    uri: str
    path: Path
    version: int | None
    base_text: str  # the text the run starts from (the buffer, else the file on disk)
    function: str | None
    plan: Plan

    @property
    def root(self) -> Path:
        return self.plan.config.root


@dataclass
class Proposal:
    """A finished run's answer, kept until the user's accept/reject arrives."""

    id: str
    uri: str
    base_version: int | None
    new_text: str | None
    summary: str
    report: dict[str, Any]
    root: Path
    lesson_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "proposalId": self.id,
            "uri": self.uri,
            "baseVersion": self.base_version,
            "newText": self.new_text,
            "summary": self.summary,
            "report": self.report,
        }


class Job(Generic[R]):
    """One piece of work on the engine loop (a run, a sweep), awaited from the server loop.
    `key` is what only one job may hold at a time (a run's document, a sweep's project)."""

    def __init__(
        self,
        engine: EngineThread,
        key: str,
        work: Work[R],
        reporter: Reporter,
        *,
        on_settled: Callable[[Job[Any]], None],
    ) -> None:
        self.key = key
        self._work = work
        self.reporter = reporter
        self._engine_loop = engine.loop
        self._server_loop = asyncio.get_running_loop()
        self._result: asyncio.Future[R] = self._server_loop.create_future()
        # Mark the outcome retrieved even when the waiter left early (cancelled), so asyncio
        # does not log "exception was never retrieved" for a run nobody is waiting for.
        self._result.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.finished = asyncio.Event()
        self.finished_in_engine = threading.Event()  # for waiting after the server loop ended
        self._task: asyncio.Task[R] | None = None
        self._cancel_requested = False
        self._on_settled = on_settled
        reporter.on_cancel = self.cancel
        self._engine_loop.call_soon_threadsafe(self._start_in_engine)

    # ---- engine thread
    def _start_in_engine(self) -> None:
        self._task = self._engine_loop.create_task(self._run())
        if self._cancel_requested:
            self._task.cancel()
        self._task.add_done_callback(self._done_in_engine)

    def _done_in_engine(self, task: asyncio.Task[R]) -> None:
        self.finished_in_engine.set()
        with contextlib.suppress(RuntimeError):  # the server loop is gone (exiting)
            self._server_loop.call_soon_threadsafe(self._settle, task)

    async def _run(self) -> R:
        def on_event(event: Event) -> None:
            self._server_loop.call_soon_threadsafe(self.reporter.event, event)

        return await self._work(on_event)

    def _cancel_in_engine(self) -> None:
        if self._task is not None:
            self._task.cancel()

    # ---- server thread
    def _settle(self, task: asyncio.Task[R]) -> None:
        if task.cancelled():
            self._result.cancel()
        elif (exc := task.exception()) is not None:
            self._result.set_exception(exc)
        else:
            self._result.set_result(task.result())
        self.finished.set()
        self._on_settled(self)

    def cancel(self) -> None:
        """Ask the run to stop (idempotent; safe before the engine task exists; any thread)."""
        if self.finished_in_engine.is_set():
            return
        self._cancel_requested = True
        with contextlib.suppress(RuntimeError):  # engine loop already stopped at shutdown
            self._engine_loop.call_soon_threadsafe(self._cancel_in_engine)

    async def wait(self) -> R:
        """The run's report; cancelling the caller cancels the run (and waits for its cleanup)."""
        try:
            return await asyncio.shield(self._result)
        except asyncio.CancelledError:
            self.cancel()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.finished.wait(), CANCEL_GRACE_S)
            raise


@dataclass
class JobManager:
    """The runs in progress (one per document) and the proposals awaiting feedback."""

    server: LanguageServer
    engine: EngineThread = field(default_factory=EngineThread)
    running: dict[str, Job[Any]] = field(default_factory=dict)
    proposals: dict[str, Proposal] = field(default_factory=dict)

    def start(self, request: RunRequest, token: int | str | None, title: str) -> Job[RunReport]:
        """Start a run, or raise `RunInProgress` if this document already has one."""
        if request.uri in self.running:
            name = request.path.name
            raise RunInProgress(
                f"a LessonL run is already in progress for {name}; wait for it to finish or "
                "cancel it before starting another"
            )
        plan = request.plan

        async def work(on_event: Callable[[Event], None]) -> RunReport:
            from lessonl import run

            given = dataclasses.replace(plan.request, on_event=on_event)
            return await run.execute(dataclasses.replace(plan, request=given))

        return self.start_work(request.uri, request.uri, work, token, title)

    def start_work(
        self, key: str, uri: str, work: Work[R], token: int | str | None, title: str
    ) -> Job[R]:
        """Start `work` on the engine loop under `key` (the caller checked `key` is free), with
        progress on `token` whose cancel cancels it; `uri` goes in its `lessonl/status`."""
        reporter = Reporter(self.server, uri, token)
        job = Job(self.engine, key, work, reporter, on_settled=self._settled)
        self.running[key] = job
        reporter.begin(title)
        return job

    def _settled(self, job: Job[Any]) -> None:
        if self.running.get(job.key) is job:
            del self.running[job.key]

    async def run(self, request: RunRequest, token: int | str | None, title: str) -> Proposal:
        """Start a run, wait for it and keep its proposal; progress ends in every case."""
        job = self.start(request, token, title)
        end = "failed"
        try:
            report = await job.wait()
            end = report.summary
        except asyncio.CancelledError:
            end = "cancelled"
            raise
        except LessonLError as exc:
            end = str(exc)
            raise
        finally:
            job.reporter.end(end)
        proposal = Proposal(
            id=report.run_id or uuid.uuid4().hex,
            uri=request.uri,
            base_version=request.version,
            new_text=report.best.new_text if report.best is not None else None,
            summary=report.summary,
            report=report.to_json(),
            root=request.root,
            lesson_ids=tuple(report.best.lessons) if report.best is not None else (),
        )
        self.proposals[proposal.id] = proposal
        while len(self.proposals) > MAX_PROPOSALS:
            del self.proposals[next(iter(self.proposals))]  # dicts keep insertion order
        return proposal

    async def shutdown(self) -> None:
        """Cancel every run and give them the grace period to clean up."""
        jobs = list(self.running.values())
        for job in jobs:
            job.cancel()
        if jobs:
            waits = [asyncio.create_task(job.finished.wait()) for job in jobs]
            _, pending = await asyncio.wait(waits, timeout=CANCEL_GRACE_S)
            for task in pending:
                task.cancel()
        self.engine.stop()

    def cancel_all_blocking(self) -> None:
        """Cancel every run from outside any event loop (the server's loop has ended) and wait
        up to the grace period for their processes to be killed."""
        jobs = list(self.running.values())
        for job in jobs:
            job.cancel()
        deadline = time.monotonic() + CANCEL_GRACE_S
        for job in jobs:
            job.finished_in_engine.wait(max(0.0, deadline - time.monotonic()))
        self.running.clear()
        self.engine.stop()
