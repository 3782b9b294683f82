"""The LessonL language server: the server object with every editor feature registered on it.

Each editor feature is a module with `register(server) -> None` that puts its handlers on the
server (`@server.feature`, `@server.command`); `FEATURES` is the list `build_server` walks. A
new feature is a new module plus one line there (see docs/design.md, "The language server").

What lives where: `session` (the server object and what features share: caches, jobs, client
capabilities, settings), `features/` (the handlers: `lifecycle`, `optimize`, `setup`,
`lessons`, `hotspots`, `sweep`), `actions` (code actions and the set-up skeleton), `jobs` (runs,
cancellation), `progress` (the progress lines and `lessonl/status`), `edits` (proposals as
per-hunk edits and workspace edits), `settings` (editor settings), `wire` (custom method shapes and
`reports_errors`, the one error mapping).

Rules every handler follows:
- Never block the event loop: file and bank I/O that can take a while goes through
  `asyncio.to_thread`; runs execute on the engine thread (see `jobs`).
- Errors go through `wire.reports_errors`, nothing else: requests answer with a response error,
  commands and notifications with `window/showMessage`.
- Nothing we log contains an API key or a whole file.
"""

from __future__ import annotations

from collections.abc import Callable

from .features import hotspots, lessons, lifecycle, optimize, setup, sweep
from .session import LessonLServer

#: The editor features, each a module whose `register(server)` adds its handlers.
FEATURES: tuple[Callable[[LessonLServer], None], ...] = (
    lifecycle.register,
    optimize.register,
    setup.register,
    lessons.register,
    hotspots.register,
    sweep.register,
)


def build_server() -> LessonLServer:
    """A server with every feature registered (tests may build one in-process)."""
    server = LessonLServer()
    for register in FEATURES:
        register(server)
    return server
