"""The sweep in the editor: the `lessonl.sweep` command, and `lessonl/sweepProposal`, which
reopens one swept function's proposal for review.

The command runs the same sweep as `lessonl sweep` (`lessonl.sweep.run_sweep`: profile, each
hot function's normal run with one team and one bank, the end-to-end check) as a job on the
engine thread (`ls.jobs`, the one job system: a sweep must not stall the server's loop any
more than a run may). Its progress is a line per function ("function 2 of 3: pkg/mod.py:f"),
followed by that function's run lines; the token's Cancel stops it, and the finished functions
stay in `.lessonl/sweep/state.json` (running it again resumes). It applies nothing: its answer
is `sweep --json`'s object, and the user applies each function from its review.

A review needs the proposal, which a finished sweep keeps only as each run's report. So
`lessonl/sweepProposal {sweepId, function}` rebuilds it from the kept sweep and the run's
report, as `lessonl/optimize` answers (hunks included), against the file as it is now, and
only while that file is still the text the sweep began from: hunks made against another text
would be wrong. A function's run started from its file with the earlier winners of that file
applied (they compound, see lessonl.sweep), so its proposal carries them too; the summary says
which, since that is the text its tests verified.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types

from lessonl.errors import LessonLError, UsageError
from lessonl.hotspots_view import project_for
from lessonl.state import StateDir
from lessonl.sweep import DEFAULT_MIN_SHARE, DEFAULT_TOP, SweepReport, SweepRequest

from .. import actions, edits, wire
from ..jobs import Proposal, RunInProgress
from ..session import LessonLServer
from .optimize import progress_token

log = logging.getLogger(__name__)

CMD_SWEEP = "lessonl.sweep"
SWEEP_PROPOSAL = "lessonl/sweepProposal"
SWEEPS = "lessonl/sweeps"
SWEEP_SUMMARY = "lessonl/sweepSummary"


@attrs.define
class SweepArgs:
    """The optional argument of `lessonl.sweep` (camelCase on the wire): `uri` (a file or
    folder) picks the project, else the first workspace folder; `top` and `minShare` as
    `--top` and `--min-share`; `command` the workload as `lessonl sweep -- COMMAND ...` takes
    it (absent: the project's tests); `workDoneToken` a client-made progress token."""

    uri: str | None = None
    top: int = DEFAULT_TOP
    min_share: float = DEFAULT_MIN_SHARE
    command: list[str] | None = None
    work_done_token: int | str | None = None


@attrs.define
class SweepProposalParams:
    """`uri` (a file or folder) picks the project, as for `lessonl.sweep`."""

    sweep_id: str
    function: str
    uri: str | None = None


@attrs.define
class SweepsParams:
    """`uri` (a file or folder) picks the project, as for `lessonl.sweep`."""

    uri: str | None = None


@attrs.define
class SweepSummaryParams:
    sweep_id: str
    uri: str | None = None


def _request(start: Path, args: SweepArgs, overrides: Any) -> SweepRequest:
    """The sweep's request, decided as the CLI decides it (reads files: off the loop)."""
    from lessonl.auto.project import choose_interpreter
    from lessonl.hotspots import workload_for

    if args.top < 1:
        raise UsageError(f"{CMD_SWEEP}: top {args.top}: give at least 1 function")
    if not 0 <= args.min_share <= 1:
        raise UsageError(f"{CMD_SWEEP}: minShare {args.min_share:g}: give a share from 0 to 1")
    root, config = project_for(start)
    if config.path is None:
        config = dataclasses.replace(config, root=root)
    overrides.apply(config.run)  # a bad setting is said now, not at the first function
    workload = workload_for(list(args.command or []))
    interpreter = None
    if workload.kind != "native":
        interpreter = choose_interpreter(
            root, config.run.interpreter, setting_name="[run] interpreter"
        )
    return SweepRequest(
        config=config,
        workload=workload,
        interpreter=interpreter,
        top=args.top,
        min_share=args.min_share,
        overrides=overrides,
        secret_names=tuple(a.api_key_env for a in config.agents if a.api_key_env),
    )


async def sweep(ls: LessonLServer, args: SweepArgs) -> dict[str, Any] | None:
    """Run the sweep as a job; its answer is `sweep --json`'s object plus `sweepId`."""
    start = actions.require_path(args.uri) if args.uri else await ls.project_root(None)
    settings = await ls.settings_for(start.as_uri())
    request = await asyncio.to_thread(_request, start, args, settings.run_options())
    root = request.config.root
    key = f"sweep:{root}"
    if key in ls.jobs.running:
        raise RunInProgress(f"a sweep of {root.name} is already running; wait for it or cancel it")
    token = args.work_done_token
    if token is None:
        token = await progress_token(ls, request)
    server_loop = asyncio.get_running_loop()

    def step(line: str, done: int, total: int) -> None:  # on the server loop
        job = ls.jobs.running.get(key)
        if job is not None:
            job.reporter.step(line, done, total)

    async def work(on_event: Any) -> SweepReport:
        from lessonl.llm.team import build_team
        from lessonl.sweep import run_sweep

        def on_function(n: int, total: int, function: str) -> None:
            server_loop.call_soon_threadsafe(
                step, f"function {n} of {total}: {function}", n - 1, total
            )

        def on_end_to_end() -> None:
            line = f"end to end: timing `{request.workload.shown}` with every winner, then tests"
            server_loop.call_soon_threadsafe(step, line, 1, 1)

        team = await build_team(request.config)
        try:
            return await run_sweep(
                request,
                team=team,
                say=log.info,
                on_event=on_event,
                on_function=on_function,
                on_end_to_end=on_end_to_end,
            )
        finally:
            await team.aclose()

    job = ls.jobs.start_work(key, root.as_uri(), work, token, f"LessonL: sweeping {root.name}")
    # The profile (or the resumed sweep's plan) comes before the first function's line.
    job.reporter.step(f"profiling `{request.workload.shown}` to choose the functions", 0, 1)
    end = "failed"
    try:
        report = await job.wait()
        end = f"done: {report.end_to_end.line}"
    except asyncio.CancelledError:
        end = "cancelled"
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # the server is shutting down
        ls.show(
            types.MessageType.Info,
            "LessonL: sweep cancelled; the finished functions are kept: sweep again to resume",
        )
        return None
    except LessonLError as exc:
        end = str(exc)
        raise
    finally:
        job.reporter.end(end)
    ls.show(types.MessageType.Info, f"LessonL: sweep done: {report.end_to_end.line}")
    answer = {**report.to_json(), "sweepId": report.sweep_id}
    await _mark_stale(ls, root, answer["functions"], report.originals)
    return answer


async def _current_text(ls: LessonLServer, root: Path, rel: str) -> tuple[str | None, Any]:
    """A file's text as the user has it (the open document, else the disk; None when it is
    gone or unreadable) and the open document, if any."""
    doc = ls.workspace.text_documents.get((root / rel).as_uri())
    if doc is not None:
        return doc.source, doc
    try:
        return await asyncio.to_thread((root / rel).read_text, encoding="utf-8"), None
    except (OSError, UnicodeDecodeError):
        return None, None


def _stale_line(rel: str, function: str) -> str:
    return (
        f"{rel} changed since the sweep began, so its proposal for {function} no longer "
        "fits; sweep again (or optimize the function) on the new text"
    )


async def _mark_stale(
    ls: LessonLServer, root: Path, functions: list[dict[str, Any]], originals: dict[str, str]
) -> None:
    """Each function's `stale`: why its proposal no longer fits its file (the file changed
    since the sweep began), else null. A front end offers no stale proposal as applicable."""
    texts: dict[str, str | None] = {}
    for entry in functions:
        rel = str(entry.get("file", ""))
        if rel not in texts:
            texts[rel] = (await _current_text(ls, root, rel))[0]
        fits = rel in originals and texts[rel] == originals[rel]
        entry["stale"] = None if fits else _stale_line(rel, str(entry.get("function")))


def _folder(root: Path) -> Path:
    return StateDir(root).path / "sweep"


async def sweeps(ls: LessonLServer, params: Any) -> list[dict[str, Any]]:
    """`lessonl/sweeps`: the project's finished sweeps, newest first."""
    p = wire.parse(SweepsParams, params or {}, SWEEPS)
    start = actions.require_path(p.uri) if p.uri else await ls.project_root(None)
    root, _config = await asyncio.to_thread(project_for, start)
    from lessonl.sweep import finished_sweeps

    return await asyncio.to_thread(finished_sweeps, root)


async def sweep_summary(ls: LessonLServer, params: Any) -> dict[str, Any]:
    """`lessonl/sweepSummary`: a finished sweep's summary, as `lessonl.sweep` answered it, with
    each function's `stale` against the files as they are now."""
    p = wire.parse(SweepSummaryParams, params, SWEEP_SUMMARY)
    start = actions.require_path(p.uri) if p.uri else await ls.project_root(None)
    root, _config = await asyncio.to_thread(project_for, start)
    kept = await asyncio.to_thread(_load_kept, root, p.sweep_id)
    if "functions" not in kept:
        raise UsageError(
            f"sweep {p.sweep_id} is unfinished (it has no summary yet); run the sweep again to "
            "resume it"
        )
    originals = kept.get("originals", {})
    answer = {k: v for k, v in kept.items() if k not in ("originals", "texts")}
    answer["sweepId"] = p.sweep_id
    await _mark_stale(ls, root, answer["functions"], originals)
    return answer


def _load_kept(root: Path, sweep_id: str) -> dict[str, Any]:
    """The finished sweep's JSON, else the unfinished one's state (same id)."""
    folder = _folder(root)
    for name in (f"{Path(sweep_id).name}.json", "state.json"):
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            raise UsageError(f"{folder / name}: cannot read the kept sweep ({exc})") from exc
        if isinstance(data, dict) and data.get("sweep_id") == sweep_id:
            return data
    raise UsageError(f"sweep {sweep_id} is not kept under {folder}; run the sweep again")


def _stored(root: Path, params: SweepProposalParams) -> tuple[dict[str, Any], str, list[str]]:
    """(the run's report, the file's text when the sweep began, the earlier winners of that
    file) for one swept function."""
    kept = _load_kept(root, params.sweep_id)
    functions = kept.get("functions", kept.get("done", []))
    names = [f.get("function") for f in functions]
    if params.function not in names:
        raise UsageError(f"sweep {params.sweep_id} did not optimize {params.function}")
    entry = functions[names.index(params.function)]
    earlier = [
        f["function"]
        for f in functions[: names.index(params.function)]
        if f.get("file") == entry["file"] and f.get("best")
    ]
    run_id = entry.get("run_id")
    if not entry.get("best") or not run_id:
        raise UsageError(f"{params.function}: the sweep found nothing faster, nothing to review")
    path = StateDir(root).runs / Path(run_id).name / "report.json"
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read the run's report ({exc})") from exc
    return report, kept["originals"][entry["file"]], earlier


async def sweep_proposal(ls: LessonLServer, params: Any) -> dict[str, Any]:
    """`lessonl/sweepProposal`: the stored proposal, shaped as `lessonl/optimize` answers."""
    p = wire.parse(SweepProposalParams, params, SWEEP_PROPOSAL)
    rel = p.function.rsplit(":", 1)[0]
    start = actions.require_path(p.uri) if p.uri else await ls.project_root(None)
    root, _config = await asyncio.to_thread(project_for, start)
    report, original, earlier = await asyncio.to_thread(_stored, root, p)
    uri = (root / rel).as_uri()
    current, doc = await _current_text(ls, root, rel)
    if current is None or current != original:
        raise UsageError(_stale_line(rel, p.function))
    best = report["best"]
    summary = str(report.get("summary", ""))
    if earlier:
        summary += f" (includes the earlier winners in {rel}: {', '.join(earlier)})"
    proposal = Proposal(
        id=str(report["run_id"]),
        uri=uri,
        base_version=doc.version if doc is not None else None,
        new_text=best["new_text"],
        summary=summary,
        report=report,
        root=root,
        lesson_ids=tuple(best.get("lessons", ())),
    )
    ls.jobs.proposals[proposal.id] = proposal  # so the review's accept/reject is counted
    result = proposal.to_json()
    hunks = edits.hunk_edits(current, best["new_text"], encoding=ls.encoding)
    result["edits"] = [wire.to_json(h) for h in hunks]
    return result


def register(server: LessonLServer) -> None:
    @server.command(CMD_SWEEP)
    @wire.reports_errors(CMD_SWEEP, reply="message")
    async def sweep_command(ls: LessonLServer, *args: Any) -> Any:
        raw = args[0] if args else None
        return await sweep(ls, wire.parse(SweepArgs, raw, CMD_SWEEP))

    @server.feature(SWEEP_PROPOSAL)
    @wire.reports_errors(SWEEP_PROPOSAL)
    async def sweep_proposal_request(ls: LessonLServer, params: Any) -> dict[str, Any]:
        return await sweep_proposal(ls, params)

    @server.feature(SWEEPS)
    @wire.reports_errors(SWEEPS)
    async def sweeps_request(ls: LessonLServer, params: Any) -> list[dict[str, Any]]:
        return await sweeps(ls, params)

    @server.feature(SWEEP_SUMMARY)
    @wire.reports_errors(SWEEP_SUMMARY)
    async def sweep_summary_request(ls: LessonLServer, params: Any) -> dict[str, Any]:
        return await sweep_summary(ls, params)
