"""`lessonl.setup`: append a commented `[[targets]]` skeleton for a file (never overwriting,
see `actions.write_skeleton`) and open it at the skeleton, or say where it is."""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types

from lessonl.errors import ConfigError

from .. import actions, wire
from ..session import LessonLServer


async def set_up(ls: LessonLServer, args: wire.SetupArgs) -> dict[str, Any]:
    path = actions.require_path(args.uri)
    try:
        done = await asyncio.to_thread(actions.write_skeleton, path)
    except OSError as exc:  # a read-only folder, a racing writer: the user's to fix
        raise ConfigError(f"cannot write the configuration: {exc}") from exc
    uri = done.config_path.resolve().as_uri()
    if ls.supports_show_document():
        selection = types.Range(
            start=types.Position(line=done.line, character=0),
            end=types.Position(line=done.end_line + 1, character=0),
        )
        await ls.window_show_document_async(
            types.ShowDocumentParams(uri=uri, take_focus=True, selection=selection)
        )
    else:
        what = "added a target skeleton to" if done.appended else "see"
        ls.show(types.MessageType.Info, f"LessonL: {what} {done.config_path}")
    return {"uri": uri, "line": done.line, "appended": done.appended}


def register(server: LessonLServer) -> None:
    @server.command(wire.CMD_SETUP)
    @wire.reports_errors(wire.CMD_SETUP, reply="message")
    async def setup_command(ls: LessonLServer, args: wire.SetupArgs) -> Any:
        return await set_up(ls, args)
