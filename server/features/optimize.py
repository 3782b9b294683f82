"""Optimizing a function from the editor: the code actions, the cancellable `lessonl/optimize`
request, the `lessonl.optimize` command (for editors without our extension), and
`lessonl/feedback` (the user's accept or reject, counted against the lessons behind it).

Both paths `prepare` the run the same way (the document's text, the function at the cursor, the
target, the editor's settings) and run it through `ls.jobs`; the request returns the proposal
with its hunks, the command sends it as a previewed `workspace/applyEdit` (`edits.proposal_edit`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any

import attrs
from lsprotocol import types

from lessonl import run
from lessonl.bank import LessonBank
from lessonl.config import AmbiguousTarget, language_for_path
from lessonl.errors import LessonLError, UsageError
from lessonl.state import StateDir

from .. import actions, edits, wire
from ..jobs import Proposal, RunRequest
from ..session import CONFIG_TIMEOUT_S, LessonLServer

log = logging.getLogger(__name__)


def title(request: RunRequest) -> str:
    return f"LessonL: optimizing `{request.function or request.path.name}`"


async def read_document(ls: LessonLServer, p: wire.OptimizeParams) -> tuple[str, int | None, bool]:
    """(text, version, open in the editor): the buffer when open, else the file on disk."""
    path = actions.require_path(p.uri)
    doc = ls.workspace.text_documents.get(p.uri)
    if doc is None:
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{path}: cannot read: {exc.strerror}") from exc
        return text, p.version, False
    if p.version is not None and doc.version is not None and p.version != doc.version:
        raise LessonLError(
            f"{path.name} changed since the request (version {p.version}, now "
            f"{doc.version}); run the optimization again"
        )
    return doc.source, doc.version, True


async def prepare(ls: LessonLServer, p: wire.OptimizeParams) -> RunRequest:
    """Capture the document and plan the run (`lessonl.run.plan`), before it starts: every
    error a user can fix is raised here, with the CLI's wording for the same file."""
    path = actions.require_path(p.uri)
    language = language_for_path(path)
    if language is None:
        raise UsageError(f"{path.name}: LessonL optimizes C, C++ and Python files only")
    base_text, version, is_open = await read_document(ls, p)
    function = p.function
    if function is None and p.range is not None:
        found = ls.index.at(p.uri, version, base_text, language, p.range.start.line)
        if found is None:
            raise UsageError(
                f"no function at line {p.range.start.line + 1} of {path.name}; put the "
                "cursor inside a function"
            )
        function = found.name
    settings = await ls.settings_for(p.uri)
    # The engine's door decides config, overrides and target, by the rule the CLI uses too.
    # It is cheap but reads files (and its first import pulls in the engine), so off the loop.
    request = run.RunRequest(
        file=path,
        function=function,
        target=p.target,
        overrides=settings.run_options(),
        source=base_text if is_open else None,
        config=ls.configs.for_file(path),
    )
    plan = await asyncio.to_thread(run.plan, request)
    # The engine's first import takes seconds (LLM SDKs); never on the event loop.
    await asyncio.to_thread(importlib.import_module, "lessonl.loop")
    return RunRequest(
        uri=p.uri, path=path, version=version, base_text=base_text, function=function, plan=plan
    )


async def prepare_choosing_target(ls: LessonLServer, p: wire.OptimizeParams) -> RunRequest | None:
    """`prepare` for the command path: when several targets cover the file, ask the user which
    one with `window/showMessageRequest` (the command's callers have no picker of their own).
    None when the user dismissed the question."""
    try:
        return await prepare(ls, p)
    except AmbiguousTarget as exc:
        if p.target is not None:
            raise
        name = p.function or actions.require_path(p.uri).name
        answer = await ls.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Info,
                message=f"LessonL: several targets cover `{name}`; which one should the run use?",
                actions=[types.MessageActionItem(title=n) for n in exc.names],
            )
        )
        if answer is None:
            return None
        return await prepare(ls, attrs.evolve(p, target=answer.title))


async def record_feedback(proposal: Proposal, accepted: bool) -> int:
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


async def changed_since(ls: LessonLServer, request: RunRequest) -> bool:
    """Whether the document moved on from the text the run started from."""
    doc = ls.workspace.text_documents.get(request.uri)
    if doc is not None:
        return doc.version != request.version
    current = await asyncio.to_thread(request.path.read_text, encoding="utf-8")
    return current != request.base_text


async def apply_proposal(
    ls: LessonLServer, proposal: Proposal, request: RunRequest
) -> dict[str, Any]:
    """The command path: send the proposal as a previewed `workspace/applyEdit`."""
    result: dict[str, Any] = {"proposalId": proposal.id, "summary": proposal.summary}
    result["applied"] = False
    name = request.function or request.path.name
    if proposal.new_text is None:
        ls.show(types.MessageType.Info, f"LessonL: `{name}`: {proposal.summary}")
        return result
    if await changed_since(ls, request):
        ls.show(
            types.MessageType.Warning,
            f"LessonL: {request.path.name} changed during the run, so the proposal for "
            f"`{name}` ({proposal.summary}) was not applied; run it again on the new text",
        )
        return result
    document_changes, annotations = ls.workspace_edit_caps()
    label = f"LessonL: optimize `{name}`"
    edit = edits.proposal_edit(
        request.uri,
        request.version,
        request.base_text,
        proposal.new_text,
        label=label,
        summary=proposal.summary,
        encoding=ls.encoding,
        document_changes=document_changes,
        annotations=annotations,
    )
    answer = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=label)
    )
    applied = bool(answer and answer.applied)
    ls.jobs.proposals.pop(proposal.id, None)  # feedback is recorded here, not later
    await record_feedback(proposal, applied)
    if not applied and answer is not None and answer.failure_reason:
        ls.show(
            types.MessageType.Warning,
            f"LessonL: the editor did not apply the proposal: {answer.failure_reason}",
        )
    result["applied"] = applied
    return result


async def progress_token(ls: LessonLServer, request: object) -> str | None:
    """A work-done token the server creates for the command's run (None if the client has no
    work-done progress or does not answer): its Cancel is the only way to cancel a command."""
    if not ls.supports_progress():
        return None
    token = f"lessonl-{id(request):x}-{asyncio.get_running_loop().time():.6f}"
    try:
        await ls.answer_within(ls.work_done_progress.create_async(token), CONFIG_TIMEOUT_S)
    except Exception as exc:  # a client bug or timeout: the run goes on without progress
        log.warning("window/workDoneProgress/create failed (%s)", exc)
        return None
    return token


async def optimize(ls: LessonLServer, params: Any) -> dict[str, Any]:
    """`lessonl/optimize`: run, and answer with the proposal and its hunks."""
    p = wire.parse(wire.OptimizeParams, params, wire.OPTIMIZE)
    request = await prepare(ls, p)
    proposal = await ls.jobs.run(request, p.work_done_token, title(request))
    result = proposal.to_json()
    # The same hunks the command path applies, so every client accepts per hunk.
    hunks = (
        []
        if proposal.new_text is None
        else edits.hunk_edits(request.base_text, proposal.new_text, encoding=ls.encoding)
    )
    result["edits"] = [wire.to_json(h) for h in hunks]
    return result


async def optimize_and_apply(ls: LessonLServer, args: wire.OptimizeParams) -> dict[str, Any] | None:
    """`lessonl.optimize`: run (asking which target if several cover the file), then apply."""
    request = await prepare_choosing_target(ls, args)
    if request is None:
        ls.show(types.MessageType.Info, "LessonL: no target chosen, so nothing was run")
        return None
    token = await progress_token(ls, request)
    proposal = await ls.jobs.run(request, token, title(request))
    return await apply_proposal(ls, proposal, request)


async def feedback(ls: LessonLServer, params: Any) -> None:
    """`lessonl/feedback`: count it once, against the proposal's lessons."""
    p = wire.parse(wire.FeedbackParams, params, wire.FEEDBACK)
    proposal = ls.jobs.proposals.pop(p.proposal_id, None)
    if proposal is None:
        log.warning("feedback for unknown proposal %s ignored", p.proposal_id)
        return
    await record_feedback(proposal, p.accepted)


def code_actions(
    ls: LessonLServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
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


def register(server: LessonLServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[actions.KIND], resolve_provider=False),
    )
    @wire.reports_errors(types.TEXT_DOCUMENT_CODE_ACTION)
    async def code_action(
        ls: LessonLServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        return code_actions(ls, params)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LessonLServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.index.forget(params.text_document.uri)

    @server.feature(wire.OPTIMIZE)
    @wire.reports_errors(wire.OPTIMIZE)
    async def optimize_request(ls: LessonLServer, params: Any) -> dict[str, Any]:
        return await optimize(ls, params)

    @server.command(wire.CMD_OPTIMIZE)
    @wire.reports_errors(wire.CMD_OPTIMIZE, reply="message")
    async def optimize_command(ls: LessonLServer, args: wire.OptimizeParams) -> Any:
        return await optimize_and_apply(ls, args)

    @server.feature(wire.FEEDBACK)
    @wire.reports_errors(wire.FEEDBACK, reply="message", context="feedback not recorded: ")
    async def feedback_notification(ls: LessonLServer, params: Any) -> None:
        await feedback(ls, params)
