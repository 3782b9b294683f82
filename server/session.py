"""The server object: pygls's `LanguageServer` plus the state and helpers features share.

A module of its own (not `server.py`) so that feature modules can import the class at run time:
pygls reads a command handler's annotations (`ls: LessonLServer`, the argument's attrs class)
with `typing.get_type_hints`, so the names must resolve, and `server.py` imports the features.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from lessonl import __version__
from lessonl.config import find_project_root
from lessonl.errors import UsageError

from . import actions, wire
from .jobs import JobManager
from .settings import SECTION, Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How long to wait for the client's answer to a request we send (`workspace/configuration`,
#: `window/workDoneProgress/create`) before going on without it: a client that never answers
#: must not hang a run.
CONFIG_TIMEOUT_S = 2.0


class LessonLServer(LanguageServer):
    """pygls server plus the per-session state the features share."""

    def __init__(self) -> None:
        super().__init__(
            "lessonl-lsp",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            converter_factory=wire.params_converter,
        )
        self.configs = actions.ConfigCache()
        self.index = actions.FunctionIndex()
        self.jobs = JobManager(self)
        self.init_options: Any = None

    def shutdown(self) -> None:
        """Also runs when the client vanishes (stdin closed) without `shutdown`: runs must not
        outlive the server, so they are cancelled (their processes killed) before we exit."""
        self.jobs.cancel_all_blocking()
        super().shutdown()

    # ------------------------------------------------------------------ client capabilities

    def _caps(self) -> types.ClientCapabilities:
        return self.client_capabilities or types.ClientCapabilities()

    @property
    def encoding(self) -> str:
        """The negotiated position encoding (UTF-16 unless the client offered another)."""
        return self.workspace.position_encoding or types.PositionEncodingKind.Utf16

    def supports_disabled_actions(self) -> bool:
        td = self._caps().text_document
        return bool(td and td.code_action and td.code_action.disabled_support)

    def supports_configuration(self) -> bool:
        ws = self._caps().workspace
        return bool(ws and ws.configuration)

    def supports_progress(self) -> bool:
        window = self._caps().window
        return bool(window and window.work_done_progress)

    def supports_show_document(self) -> bool:
        window = self._caps().window
        return bool(window and window.show_document and window.show_document.support)

    def workspace_edit_caps(self) -> tuple[bool, bool]:
        """(documentChanges, changeAnnotationSupport) of the client's workspace edits."""
        ws = self._caps().workspace
        we = ws.workspace_edit if ws else None
        if we is None:
            return False, False
        return bool(we.document_changes), we.change_annotation_support is not None

    # ------------------------------------------------------------------ shared helpers

    def show(self, kind: types.MessageType, message: str) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    @staticmethod
    async def answer_within(request: Coroutine[Any, Any, T], timeout: float) -> T:
        """Await a request to the client, giving up after `timeout` (TimeoutError).

        Not `asyncio.wait_for`: cancelling pygls's pending-response future makes pygls fail
        with InvalidStateError when the late answer does arrive; we let it arrive unheeded.
        """
        task = asyncio.ensure_future(request)
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            raise TimeoutError(f"no answer within {timeout:g} s")
        return task.result()

    async def settings_for(self, uri: str) -> Settings:
        """initializationOptions overlaid with the client's `lessonl` section for `uri`."""
        init = (self.init_options, "initializationOptions")
        if not self.supports_configuration():
            return Settings.from_layers([init])
        try:
            answer = await self.answer_within(
                self.workspace_configuration_async(
                    types.ConfigurationParams(
                        items=[types.ConfigurationItem(scope_uri=uri, section=SECTION)]
                    )
                ),
                CONFIG_TIMEOUT_S,
            )
        except Exception as exc:  # a client bug or timeout must not block the run
            log.warning("workspace/configuration failed (%s); using initializationOptions", exc)
            return Settings.from_layers([init])
        section = answer[0] if answer else None
        return Settings.from_layers([init, (section, "settings")])

    async def project_root(self, uri: str | None) -> Path:
        """The project of `uri` (a document or folder), else of the first workspace folder."""
        if uri is not None:
            start = actions.require_path(uri)
        else:
            folders = list(self.workspace.folders.values())
            root = self.workspace.root_path or (
                actions.uri_path(folders[0].uri) if folders else None
            )
            if not root:
                raise UsageError("no workspace folder is open; pass `uri` to pick the project")
            start = Path(root)
        return await asyncio.to_thread(find_project_root, start)
