"""The LessonL language server: feature registration and the glue between LSP and the engine.

What lives where: `actions` (code actions, set-up), `jobs` (runs, cancellation), `progress`
(the progress lines and `lessonl/status`), `edits` (proposals as per-hunk edits), `settings`
(editor settings), `wire` (custom method shapes and error mapping). This module only wires
them to pygls.

Rules every handler here follows:
- Never block the event loop: file and bank I/O that can take a while goes through
  `asyncio.to_thread`; runs execute on the engine thread (see `jobs`).
- Errors: a `LessonLError` is a one-line request error (`RequestFailed`) on requests, and a
  `window/showMessage` on commands (whose callers, generic editors, often drop command errors);
  anything else is logged with its traceback on stderr and reported in one line.
- Nothing we log contains an API key or a whole file.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs
from lsprotocol import types
from pygls.lsp.server import LanguageServer

from lessonl import __version__
from lessonl.bank import LessonBank
from lessonl.config import AmbiguousTarget, find_project_root, language_for_path
from lessonl.errors import LessonLError, UsageError
from lessonl.state import StateDir

from . import actions, edits, hotspots_lens, wire
from .jobs import JobManager, Proposal, RunRequest
from .settings import SECTION, Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How long to wait for the client's `workspace/configuration` answer before using the
#: initialization options alone (a client that never answers must not hang a run).
CONFIG_TIMEOUT_S = 2.0
ANNOTATION_ID = "lessonl-proposal"
#: Modules a run needs; imported in a thread after `initialized` so the first run and the first
#: code action do not pay for tree-sitter and the LLM SDKs (seconds) on the event loop.
WARM_MODULES = ("lessonl.regions", "lessonl.loop")


class LessonLServer(LanguageServer):
    """pygls server plus the per-session state the handlers share."""

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

    # ------------------------------------------------------------------ capabilities helpers

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

    async def prepare(self, p: wire.OptimizeParams) -> RunRequest:
        """Capture the document and resolve what to optimize, before the run starts."""
        path = actions.require_path(p.uri)
        language = language_for_path(path)
        if language is None:
            raise UsageError(f"{path.name}: LessonL optimizes C, C++ and Python files only")
        doc = self.workspace.text_documents.get(p.uri)
        is_open = doc is not None
        if doc is not None:
            if p.version is not None and doc.version is not None and p.version != doc.version:
                raise LessonLError(
                    f"{path.name} changed since the request (version {p.version}, now "
                    f"{doc.version}); run the optimization again"
                )
            base_text, version = doc.source, doc.version
        else:
            try:
                base_text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"{path}: cannot read: {exc.strerror}") from exc
            version = p.version
        function = p.function
        if function is None and p.range is not None:
            found = self.index.at(p.uri, version, base_text, language, p.range.start.line)
            if found is None:
                raise UsageError(
                    f"no function at line {p.range.start.line + 1} of {path.name}; put the "
                    "cursor inside a function"
                )
            function = found.name
        # The named target, else the covering one, else automatic (Python).
        config = self.configs.for_run(path, p.target)
        settings = await self.settings_for(p.uri)
        # The engine's first import takes seconds (LLM SDKs); never on the event loop.
        await asyncio.to_thread(importlib.import_module, "lessonl.loop")
        return RunRequest(
            uri=p.uri,
            path=path,
            version=version,
            base_text=base_text,
            source_text=base_text if is_open else None,
            function=function,
            target=p.target,
            config=config,
            options=settings.run_options(),
        )

    async def prepare_choosing_target(self, p: wire.OptimizeParams) -> RunRequest | None:
        """`prepare` for the command path: when several targets cover the file, ask the user
        which one with `window/showMessageRequest` (the command's callers have no picker of
        their own). None when the user dismissed the question."""
        try:
            return await self.prepare(p)
        except AmbiguousTarget as exc:
            if p.target is not None:
                raise
            name = p.function or actions.require_path(p.uri).name
            answer = await self.window_show_message_request_async(
                types.ShowMessageRequestParams(
                    type=types.MessageType.Info,
                    message=f"LessonL: several targets cover `{name}`; which one should the "
                    "run use?",
                    actions=[types.MessageActionItem(title=n) for n in exc.names],
                )
            )
            if answer is None:
                return None
            return await self.prepare(attrs.evolve(p, target=answer.title))

    async def record_feedback(self, proposal: Proposal, accepted: bool) -> int:
        """Count accept/reject against the lessons behind `proposal`; returns lessons updated."""
        if not proposal.lesson_ids:
            return 0
        bank_path = StateDir(proposal.root).bank

        def record() -> int:
            with LessonBank(bank_path) as bank:
                return bank.record_feedback(proposal.lesson_ids, accepted)

        n = await asyncio.to_thread(record)
        log.info("feedback %s for proposal %s: %d lessons", accepted, proposal.id, n)
        return n

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

    async def apply_proposal(self, proposal: Proposal, request: RunRequest) -> dict[str, Any]:
        """The command path: send the proposal as a previewed `workspace/applyEdit`."""
        result: dict[str, Any] = {
            "proposalId": proposal.id,
            "summary": proposal.summary,
            "applied": False,
        }
        name = request.function or request.path.name
        if proposal.new_text is None:
            self.show(types.MessageType.Info, f"LessonL: `{name}`: {proposal.summary}")
            return result
        doc = self.workspace.text_documents.get(request.uri)
        if doc is not None:
            changed = doc.version != request.version
        else:
            current = await asyncio.to_thread(request.path.read_text, encoding="utf-8")
            changed = current != request.base_text
        if changed:
            self.show(
                types.MessageType.Warning,
                f"LessonL: {request.path.name} changed during the run, so the proposal for "
                f"`{name}` ({proposal.summary}) was not applied; run it again on the new text",
            )
            return result
        document_changes, annotations = self.workspace_edit_caps()
        hunks = edits.hunk_edits(
            request.base_text,
            proposal.new_text,
            encoding=self.encoding,
            annotation_id=ANNOTATION_ID if annotations and document_changes else None,
        )
        label = f"LessonL: optimize `{name}`"
        if document_changes:
            edit = types.WorkspaceEdit(
                document_changes=[
                    types.TextDocumentEdit(
                        text_document=types.OptionalVersionedTextDocumentIdentifier(
                            uri=request.uri, version=request.version
                        ),
                        edits=hunks,
                    )
                ],
                change_annotations=(
                    {
                        ANNOTATION_ID: types.ChangeAnnotation(
                            label=label, needs_confirmation=True, description=proposal.summary
                        )
                    }
                    if annotations
                    else None
                ),
            )
        else:  # no annotation id was passed, so every hunk is a plain TextEdit
            edit = types.WorkspaceEdit(changes={request.uri: cast("list[types.TextEdit]", hunks)})
        answer = await self.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label=label)
        )
        applied = bool(answer and answer.applied)
        self.jobs.proposals.pop(proposal.id, None)  # feedback is recorded here, not later
        await self.record_feedback(proposal, applied)
        if not applied and answer is not None and answer.failure_reason:
            self.show(
                types.MessageType.Warning,
                f"LessonL: the editor did not apply the proposal: {answer.failure_reason}",
            )
        result["applied"] = applied
        return result


def _preload() -> None:
    """Import what runs need, off the event loop. A daemon thread, not `asyncio.to_thread`:
    the executor's threads are joined at exit, which would hold up a quick shutdown for the
    seconds the LLM SDKs take to import."""
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # the run itself will report it properly
            log.warning("could not preload %s: %s", name, exc)
            return


def create_server() -> LessonLServer:
    """A server with every feature registered (tests may build one in-process)."""
    server = LessonLServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: LessonLServer, params: types.InitializeParams) -> None:
        ls.init_options = params.initialization_options

    @server.feature(types.INITIALIZED)
    def initialized(ls: LessonLServer, params: types.InitializedParams) -> None:
        threading.Thread(target=_preload, name="lessonl-preload", daemon=True).start()

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: LessonLServer, params: None) -> None:
        await ls.jobs.shutdown()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LessonLServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.index.forget(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[actions.KIND], resolve_provider=False),
    )
    def code_action(
        ls: LessonLServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        try:
            doc = ls.workspace.get_text_document(params.text_document.uri)
            return actions.code_actions(
                params,
                source=doc.source,
                version=doc.version,
                configs=ls.configs,
                index=ls.index,
                disabled_support=ls.supports_disabled_actions(),
                encoding=ls.encoding,
            )
        except LessonLError as exc:
            raise wire.request_error(exc) from None
        except Exception as exc:
            log.exception("textDocument/codeAction: unexpected error")
            raise wire.internal_error(exc) from None

    @server.feature(wire.OPTIMIZE)
    @wire.request_handler(wire.OPTIMIZE)
    async def optimize_request(ls: LessonLServer, params: Any) -> dict[str, Any]:
        p = wire.parse(wire.OptimizeParams, params, wire.OPTIMIZE)
        request = await ls.prepare(p)
        title = f"LessonL: optimizing `{request.function or request.path.name}`"
        proposal = await ls.jobs.run(request, p.work_done_token, title)
        result = proposal.to_json()
        # The same hunks the command path applies, so every client accepts per hunk.
        hunks = (
            []
            if proposal.new_text is None
            else edits.hunk_edits(request.base_text, proposal.new_text, encoding=ls.encoding)
        )
        result["edits"] = [wire.to_json(h) for h in hunks]
        return result

    @server.command(wire.CMD_OPTIMIZE)
    async def optimize_command(ls: LessonLServer, args: wire.OptimizeParams) -> Any:
        try:
            chosen = await ls.prepare_choosing_target(args)
            if chosen is None:
                ls.show(types.MessageType.Info, "LessonL: no target chosen, so nothing was run")
                return None
            request = chosen
            token: str | None = None
            if ls.supports_progress():
                token = f"lessonl-{id(request):x}-{asyncio.get_running_loop().time():.6f}"
                try:
                    await ls.answer_within(
                        ls.work_done_progress.create_async(token), CONFIG_TIMEOUT_S
                    )
                except Exception as exc:
                    log.warning("window/workDoneProgress/create failed (%s)", exc)
                    token = None
            title = f"LessonL: optimizing `{request.function or request.path.name}`"
            proposal = await ls.jobs.run(request, token, title)
            return await ls.apply_proposal(proposal, request)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # we are being shut down, not the run being cancelled
            ls.show(types.MessageType.Info, "LessonL: run cancelled")
            return None
        except LessonLError as exc:
            ls.show(types.MessageType.Error, f"LessonL: {exc}")
            return None
        except Exception as exc:
            log.exception("lessonl.optimize: unexpected error")
            ls.show(types.MessageType.Error, str(wire.internal_error(exc)))
            return None

    @server.command(wire.CMD_SETUP)
    async def setup_command(ls: LessonLServer, args: wire.SetupArgs) -> Any:
        try:
            path = actions.require_path(args.uri)
            done = await asyncio.to_thread(actions.write_skeleton, path)
        except LessonLError as exc:
            ls.show(types.MessageType.Error, f"LessonL: {exc}")
            return None
        except OSError as exc:
            ls.show(types.MessageType.Error, f"LessonL: cannot write the configuration: {exc}")
            return None
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

    @server.feature(wire.LESSONS)
    @wire.request_handler(wire.LESSONS)
    async def lessons_request(ls: LessonLServer, params: Any) -> list[dict[str, Any]]:
        p = wire.parse(wire.LessonsParams, params, wire.LESSONS)
        limit = 50 if p.limit is None else max(p.limit, 0)
        bank_path = StateDir(await ls.project_root(p.uri)).bank

        def read() -> list[dict[str, Any]]:
            if not bank_path.exists():
                return []  # reading must not create .lessonl/ as a side effect
            with LessonBank(bank_path, read_only=True) as bank:
                if p.query:
                    found = bank.search(p.query, limit)
                else:
                    found = list(reversed(bank.all()))[:limit]
                return [lesson.public_json() for lesson in found]

        return await asyncio.to_thread(read)

    @server.feature(wire.FORGET)
    @wire.request_handler(wire.FORGET)
    async def forget_request(ls: LessonLServer, params: Any) -> dict[str, bool]:
        p = wire.parse(wire.ForgetParams, params, wire.FORGET)
        bank_path = StateDir(await ls.project_root(p.uri)).bank

        def forget() -> bool:
            if not bank_path.exists():
                return False
            with LessonBank(bank_path) as bank:
                return bank.forget(p.id)

        return {"forgotten": await asyncio.to_thread(forget)}

    @server.feature(wire.FEEDBACK)
    async def feedback(ls: LessonLServer, params: Any) -> None:
        try:
            p = wire.parse(wire.FeedbackParams, params, wire.FEEDBACK)
        except Exception as exc:
            log.warning("%s", exc)
            return
        proposal = ls.jobs.proposals.pop(p.proposal_id, None)
        if proposal is None:
            log.warning("feedback for unknown proposal %s ignored", p.proposal_id)
            return
        try:
            await ls.record_feedback(proposal, p.accepted)
        except LessonLError as exc:
            ls.show(types.MessageType.Error, f"LessonL: feedback not recorded: {exc}")

    hotspots_lens.register(server)
    return server
