"""The session's life: initialization options, warming the engine's imports, shutdown."""

from __future__ import annotations

import importlib
import logging
import threading

from lsprotocol import types

from ..session import LessonLServer

log = logging.getLogger(__name__)

#: Modules a run and the code actions (`lessonl.run.plan`) need; imported in a thread after
#: `initialized` so the first run and the first code action do not pay for tree-sitter and the
#: LLM SDKs (seconds) on the event loop.
WARM_MODULES = ("lessonl.regions", "lessonl.run", "lessonl.loop")


def preload() -> None:
    """Import what runs need, off the event loop. A daemon thread, not `asyncio.to_thread`:
    the executor's threads are joined at exit, which would hold up a quick shutdown for the
    seconds the LLM SDKs take to import."""
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # the run itself will report it properly
            log.warning("could not preload %s: %s", name, exc)
            return


def register(server: LessonLServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: LessonLServer, params: types.InitializeParams) -> None:
        ls.init_options = params.initialization_options

    @server.feature(types.INITIALIZED)
    def initialized(ls: LessonLServer, params: types.InitializedParams) -> None:
        threading.Thread(target=preload, name="lessonl-preload", daemon=True).start()

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: LessonLServer, params: None) -> None:
        await ls.jobs.shutdown()
