"""Hotspots in the editor: a CodeLens above each hot function of the open file, from the last
profile, and the `lessonl.findHotspots` command that makes a new profile.

The lens numbers come from `.lessonl/hotspots/latest.json`; `lessonl.hotspots_view` decides
which functions may show them (hot enough, and their text, the editor's including unsaved
edits, still the one profiled). The lens of an optimizable function runs `lessonl.optimize`
on it (the extension rewrites that to its own reviewed run, as it does for the code action).

The command runs the same profile as `lessonl hotspots` (`lessonl.hotspots.profile`), on the
server's event loop (it is async and waits on a subprocess), with work-done progress whose
cancel stops it: `$/cancelRequest` does not stop a `workspace/executeCommand` (see the
editor notes), so the progress token's cancel is the way. When it finishes, the client is asked
to re-request every lens (`workspace/codeLens/refresh`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from lessonl.config import language_for_path
from lessonl.errors import ConfigError, LessonLError, UsageError
from lessonl.hotspots_view import (
    HotFunction,
    hot_functions,
    latest_path,
    project_for,
    read_latest,
    relative_to,
    restamp_latest,
    share_text,
)

from .. import actions, wire

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import TypeVar

    _T = TypeVar("_T")

    class Session(LanguageServer):
        """What this module uses of the LessonL server object, named here rather than imported
        so the module does not depend on where that class lives (it is moving: server.py,
        then session.py); any LessonLServer has these."""

        def show(self, kind: types.MessageType, message: str) -> None: ...
        def supports_progress(self) -> bool: ...
        @staticmethod
        async def answer_within(request: Coroutine[Any, Any, _T], timeout: float) -> _T: ...
        async def project_root(self, uri: str | None) -> Path: ...


log = logging.getLogger(__name__)

CMD_FIND_HOTSPOTS = "lessonl.findHotspots"
#: How many of the hottest functions the command's answer and message name.
NAMED = 5


@attrs.define
class FindHotspotsArgs:
    """The optional argument of `lessonl.findHotspots`. `uri` (a file or folder) picks the
    project, else the first workspace folder; `command` is the workload as `lessonl hotspots
    -- COMMAND ...` takes it (absent: the project's tests); `timeout_s` as `--timeout-s`; all
    camelCase on the wire."""

    uri: str | None = None
    command: list[str] | None = None
    timeout_s: float | None = None
    #: A client-made progress token (our extension shows the progress with its own Cancel);
    #: without one the server creates a token when the client supports work-done progress.
    work_done_token: int | str | None = None


@attrs.define
class _State:
    running: bool = False
    #: Problems with latest.json already shown (each is shown once, not on every lens request).
    shown: set[str] = attrs.Factory(set)


def lens_for(h: HotFunction, command: str, uri: str, version: int | None) -> types.CodeLens:
    position = types.Position(line=h.line, character=0)
    title = h.title(command)
    if h.optimizable:
        argument: dict[str, Any] = {"uri": uri, "version": version, "function": h.qualname}
        cmd = types.Command(title=title, command=wire.CMD_OPTIMIZE, arguments=[argument])
    else:
        cmd = types.Command(title=title, command="")  # shown as text, nothing to run
    return types.CodeLens(range=types.Range(start=position, end=position), command=cmd)


def _kept_for(path: Path) -> tuple[dict[str, Any], str] | None:
    """The kept profile of `path`'s project and `path` relative to its root; None: none."""
    root, _config = project_for(path)
    rel = relative_to(root, path)
    data = read_latest(root)
    return None if data is None or rel is None else (data, rel)


def register(server: LanguageServer) -> None:
    """Add `textDocument/codeLens` and the `lessonl.findHotspots` command to `server`."""
    state = _State()

    def show_once(ls: Session, kind: types.MessageType, message: str) -> None:
        if message not in state.shown:
            state.shown.add(message)
            ls.show(kind, message)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def code_lens(lsp: LanguageServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        ls = cast("Session", lsp)
        uri = params.text_document.uri
        path = actions.uri_path(uri)
        if path is None or language_for_path(path) is None:
            return []
        doc = ls.workspace.get_text_document(uri)
        text, version = doc.source, doc.version  # unsaved edits count
        try:
            kept = await asyncio.to_thread(_kept_for, path)  # file reads, off the loop
            if kept is None:
                return []
            data, rel = kept
            # Parsing stays on the loop, as for code actions (one tree-sitter parser per
            # language is shared; the engine thread is its only other user).
            hot = hot_functions(data, rel, text)
        except ConfigError as exc:
            # The code action shows a broken config where the user works; no lens meanwhile.
            log.info("no hotspot lenses for %s: %s", path.name, exc)
            return []
        except LessonLError as exc:
            show_once(ls, types.MessageType.Warning, f"LessonL: {exc}")
            return []
        except Exception as exc:
            log.exception("textDocument/codeLens: unexpected error")
            raise wire.internal_error(exc) from None
        command = data.get("command")
        shown = command if isinstance(command, str) else ""
        return [lens_for(h, shown, uri, version) for h in hot]

    @server.command(CMD_FIND_HOTSPOTS)
    async def find_hotspots(lsp: LanguageServer, *args: Any) -> Any:
        # pygls reads the annotations at run time, where `Session` (a type-checking name) is
        # not defined: hence the base class here and the cast.
        ls = cast("Session", lsp)
        if state.running:
            ls.show(types.MessageType.Info, "LessonL: a profile is already running")
            return None
        state.running = True
        try:
            raw = args[0] if args else None
            if isinstance(raw, dict) and not isinstance(raw.get("command", []), list | None):
                # The converter would make a string a list of its characters.
                raise UsageError(
                    f"{CMD_FIND_HOTSPOTS}: `command` is the workload as a list of words, "
                    'e.g. ["python", "bench.py"]'
                )
            parsed = wire.parse(FindHotspotsArgs, raw, CMD_FIND_HOTSPOTS)
            return await _find(ls, parsed)
        except LessonLError as exc:  # the user's to fix
            ls.show(types.MessageType.Error, f"LessonL: {exc}")
            return None
        except JsonRpcException as exc:  # an argument of the wrong shape
            ls.show(types.MessageType.Error, f"LessonL: {exc.message}")
            return None
        except Exception as exc:
            log.exception("%s: unexpected error", CMD_FIND_HOTSPOTS)
            ls.show(types.MessageType.Error, str(wire.internal_error(exc)))
            return None
        finally:
            state.running = False


async def _progress_token(ls: Session) -> int | str | None:
    if not ls.supports_progress():
        return None
    token = f"lessonl-hotspots-{asyncio.get_running_loop().time():.6f}"
    try:
        await ls.answer_within(ls.work_done_progress.create_async(token), 2.0)
    except Exception as exc:
        log.warning("window/workDoneProgress/create failed (%s)", exc)
        return None
    return token


async def _find(ls: Session, args: FindHotspotsArgs) -> dict[str, Any] | None:
    from lessonl.auto.project import choose_interpreter
    from lessonl.hotspots import DEFAULT_TIMEOUT_S, profile, profile_native, workload_for

    start = actions.require_path(args.uri) if args.uri else await ls.project_root(None)
    root, config = await asyncio.to_thread(project_for, start)
    workload = workload_for(list(args.command or []))
    native = workload.kind not in ("module", "script")  # a program: perf, not cProfile
    interpreter = None
    if not native:
        interpreter = await asyncio.to_thread(
            choose_interpreter, root, config.run.interpreter, setting_name="[run] interpreter"
        )
    timeout_s = DEFAULT_TIMEOUT_S if args.timeout_s is None else args.timeout_s
    if not (math.isfinite(timeout_s) and timeout_s > 0):
        raise UsageError(f"timeoutS {timeout_s:g}: give a positive number of seconds")
    secrets = [a.api_key_env for a in config.agents if a.api_key_env]

    token = args.work_done_token
    if token is None:
        token = await _progress_token(ls)
    progress = ls.work_done_progress
    if token is not None:
        progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title="LessonL: finding hotspots",
                message=f"profiling `{workload.shown}`",
                cancellable=True,
            ),
        )
    since = time.time()
    task = asyncio.ensure_future(
        profile_native(config, workload, timeout_s=timeout_s, secret_names=secrets)
        if interpreter is None
        else profile(root, interpreter, workload, timeout_s=timeout_s, secret_names=secrets)
    )
    loop = asyncio.get_running_loop()
    cancelled_by_user = False

    def on_token(future: Any) -> None:
        nonlocal cancelled_by_user
        if future.cancelled():
            cancelled_by_user = True
            loop.call_soon_threadsafe(task.cancel)

    cancel_future = progress.tokens.get(token) if token is not None else None
    if cancel_future is not None:
        cancel_future.add_done_callback(on_token)
    end = "failed"
    try:
        try:
            result = await task
        except asyncio.CancelledError:
            if not cancelled_by_user:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                raise
            end = "cancelled"
            ls.show(
                types.MessageType.Info, "LessonL: profiling cancelled; the last profile is kept"
            )
            return None
        await asyncio.to_thread(restamp_latest, root, since)
        hottest = [h.to_json() for h in result.hotspots[:NAMED]]
        names = ", ".join(f"{h.function} {share_text(h.share)}" for h in result.hotspots[:3])
        end = f"{len(result.hotspots)} functions; hottest: {names}"
    finally:
        if token is not None:
            progress.end(token, types.WorkDoneProgressEnd(message=end))
            progress.tokens.pop(token, None)
    await _refresh_lenses(ls)
    ls.show(types.MessageType.Info, f"LessonL: profiled `{workload.shown}`: {end}")
    return {
        "functions": len(result.hotspots),
        "hottest": hottest,
        "latest": str(latest_path(root)),
    }


async def _refresh_lenses(ls: Session) -> None:
    caps = ls.client_capabilities
    ws = caps.workspace if caps else None
    if not (ws and ws.code_lens and ws.code_lens.refresh_support):
        return
    try:
        await ls.answer_within(ls.workspace_code_lens_refresh_async(None), 2.0)
    except Exception as exc:  # the client re-asks on its own when the file changes
        log.warning("workspace/codeLens/refresh failed (%s)", exc)
