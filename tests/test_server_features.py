"""The language server's pieces built in-process: the error mapping, each feature's handlers,
the proposal's workspace edit, the progress catalog and reporter, and the job manager.

No mocks of pygls: `InProcess` is a real `LessonLServer` from `build_server()` whose JSON-RPC
protocol reads the messages a test hands it (as pygls structures them off stdin) and writes
what it sends to a list (as it would to stdout). tests/test_server.py drives the same server
over stdio with pytest-lsp; these tests are the fast, fine-grained half.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeLLM
from lessonl_server import edits, wire
from lessonl_server.jobs import JobManager, RunInProgress, RunRequest
from lessonl_server.progress import Reporter, RunState, status_params
from lessonl_server.server import FEATURES, build_server
from lessonl_server.session import LessonLServer
from loop_project import FAST, FILE, SAME, by_agent, make_project
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams
from test_server_units import apply  # the LSP edit applier (pygls's TextDocument)

from lessonl.config import AmbiguousTarget
from lessonl.errors import ConfigError, UsageError
from lessonl.events import (
    AgentFailed,
    AgentRequesting,
    LessonAdded,
    RoundFinished,
    RoundStarted,
    RunFinished,
    RunStarted,
    VariantEvaluated,
    Waiting,
)
from lessonl.llm.errors import MissingKey


class Sent:
    """The server's stdout: every message it writes, parsed."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.messages.append(json.loads(data))

    def close(self) -> None:
        pass


class InProcess:
    """A real server on the test's event loop, spoken to in JSON-RPC messages."""

    def __init__(self, capabilities: dict[str, Any] | None = None, init: Any = None) -> None:
        self.server = build_server()
        self.out = Sent()
        self.server.protocol.set_writer(self.out, include_headers=False)
        self._ids = itertools.count(1)
        self.capabilities = capabilities or {}
        self.init = init

    def receive(self, message: dict[str, Any]) -> None:
        protocol = self.server.protocol
        protocol.handle_message(protocol.structure_message({"jsonrpc": "2.0", **message}))

    async def request(self, method: str, params: Any) -> dict[str, Any]:
        """The server's response message (`result` or `error`) to one request."""
        return await self.request_within(method, params, 5)

    async def request_within(self, method: str, params: Any, seconds: float) -> dict[str, Any]:
        msg_id = next(self._ids)
        self.receive({"id": msg_id, "method": method, "params": params})
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            for m in self.out.messages:
                if m.get("id") == msg_id and "method" not in m:
                    return m
            await asyncio.sleep(0.01)
        raise AssertionError(f"no answer to {method} within {seconds:g} s")

    def notify(self, method: str, params: Any) -> None:
        self.receive({"method": method, "params": params})

    async def start(self) -> InProcess:
        answer = await self.request(
            "initialize",
            {"capabilities": self.capabilities, "initializationOptions": self.init},
        )
        assert "result" in answer, answer
        self.notify("initialized", {})
        return self

    def sent(self, method: str) -> list[Any]:
        return [m["params"] for m in self.out.messages if m.get("method") == method]

    def shown(self) -> list[tuple[int, str]]:
        return [(p["type"], p["message"]) for p in self.sent("window/showMessage")]

    def open(self, path: Path, text: str | None = None, version: int = 1) -> str:
        uri = path.as_uri()
        body = path.read_text(encoding="utf-8") if text is None else text
        item = {"uri": uri, "languageId": "c", "version": version, "text": body}
        self.notify("textDocument/didOpen", {"textDocument": item})
        return uri


KERNEL = "int add(int a, int b) {\n    return a + b;\n}\n"
TARGET = """[[agents]]
name = "keyless"
provider = "openai"
model = "m"
api_key_env = "LESSONL_FEATURES_TEST_UNSET_KEY"

[[targets]]
name = "k"
files = ["k.c"]
test = "true"
bench = "true"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A C project with one target (`k`, covering k.c) and one file no target covers."""
    (tmp_path / ".git").mkdir()  # the project root
    (tmp_path / "k.c").write_text(KERNEL, encoding="utf-8")
    (tmp_path / "free.c").write_text(KERNEL, encoding="utf-8")
    (tmp_path / "lessonl.toml").write_text(TARGET, encoding="utf-8")
    return tmp_path


# --------------------------------------------------------------------------- the error mapping


class Shown:
    """The one thing the "message" reply needs of a server: `show`."""

    def __init__(self) -> None:
        self.lines: list[tuple[types.MessageType, str]] = []

    def show(self, kind: types.MessageType, message: str) -> None:
        self.lines.append((kind, message))


def failing(exc: BaseException, **kw: Any) -> Any:
    @wire.reports_errors("test/method", **kw)
    async def handler(ls: Any) -> str:
        raise exc

    return handler


async def test_requests_get_one_line_errors_with_structured_data(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(JsonRpcException) as err:
        await failing(UsageError("k.c: no such\n  function"))(Shown())
    assert err.value.code == wire.REQUEST_FAILED and err.value.data is None
    assert err.value.message == "k.c: no such function"

    ambiguous = AmbiguousTarget("lessonl.toml", "k.c", [])
    ambiguous.names = ("a", "b")  # the names of the covering targets
    with pytest.raises(JsonRpcException) as err:
        await failing(ambiguous)(Shown())
    assert err.value.data == {"targets": ["a", "b"]}

    message = "settings: lessonl.lessonsPerPrompt: bad"
    bad = ConfigError(message, data={"setting": "lessons_per_prompt"})
    with pytest.raises(JsonRpcException) as err:
        await failing(bad)(Shown())
    # The engine names the `[run]` key; the editor gets the id it knows the setting by.
    assert err.value.data == {"setting": "lessonl.lessonsPerPrompt"}
    assert err.value.message == "settings: lessonl.lessonsPerPrompt: bad"

    invalid = JsonRpcInvalidParams("test/method: invalid params: id is required")
    with pytest.raises(JsonRpcInvalidParams):  # already a protocol error: as it is
        await failing(invalid)(Shown())

    # A bug: one line to the client, the traceback in the log (stderr), never in `data`.
    with (
        caplog.at_level(logging.ERROR, logger="lessonl_server.wire"),
        pytest.raises(JsonRpcInternalError) as err,
    ):
        await failing(KeyError("boom"))(Shown())
    assert "internal error in the LessonL server: KeyError" in err.value.message
    assert "\n" not in err.value.message and err.value.data is None
    (record,) = [r for r in caplog.records if r.exc_info]
    assert "test/method" in record.getMessage() and isinstance(record.exc_info[1], KeyError)


async def test_commands_show_the_same_lines_and_return_none(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ls = Shown()
    assert await failing(UsageError("k.c: nope"), reply="message")(ls) is None
    assert ls.lines == [(types.MessageType.Error, "LessonL: k.c: nope")]

    ls = Shown()
    handler = failing(ConfigError("bank is read-only"), reply="message", context="not saved: ")
    assert await handler(ls) is None
    assert ls.lines == [(types.MessageType.Error, "LessonL: not saved: bank is read-only")]

    ls = Shown()
    with caplog.at_level(logging.ERROR, logger="lessonl_server.wire"):
        assert await failing(ZeroDivisionError("x"), reply="message")(ls) is None
    ((kind, line),) = ls.lines
    assert kind == types.MessageType.Error and "internal error" in line and "\n" not in line
    assert any(r.exc_info and isinstance(r.exc_info[1], ZeroDivisionError) for r in caplog.records)

    # A run cancelled from inside (its progress token's Cancel) says so ...
    ls = Shown()
    assert await failing(asyncio.CancelledError(), reply="message")(ls) is None
    assert ls.lines == [(types.MessageType.Info, "LessonL: run cancelled")]


async def test_a_handler_cancelled_by_shutdown_stays_cancelled() -> None:
    ls = Shown()
    started = asyncio.Event()

    @wire.reports_errors("test/method", reply="message")
    async def handler(ls: Any) -> None:
        started.set()
        await asyncio.sleep(30)

    task = asyncio.ensure_future(handler(ls))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ls.lines == []  # nothing shown for a server going away


# --------------------------------------------------------------------------- features


def test_every_feature_registers_its_methods() -> None:
    server = build_server()
    assert len(FEATURES) >= 4
    features = set(server.protocol.fm.features)
    assert {wire.OPTIMIZE, wire.LESSONS, wire.FORGET, wire.FEEDBACK} <= features
    assert types.TEXT_DOCUMENT_CODE_ACTION in features
    assert {wire.CMD_OPTIMIZE, wire.CMD_SETUP} <= set(server.protocol.fm.commands)


async def test_lessons_reads_nothing_into_existence_and_forget_says_false(project: Path) -> None:
    client = await InProcess().start()
    answer = await client.request(wire.LESSONS, {"uri": project.as_uri()})
    assert answer["result"] == []
    answer = await client.request(wire.FORGET, {"id": "abc", "uri": project.as_uri()})
    assert answer["result"] == {"forgotten": False}
    assert not (project / ".lessonl").exists()
    answer = await client.request(wire.FORGET, {"uri": project.as_uri()})  # no id
    assert answer["error"]["code"] == JsonRpcInvalidParams.CODE
    # No workspace folder and no uri: a one-line user error.
    answer = await client.request(wire.LESSONS, {})
    assert answer["error"]["code"] == wire.REQUEST_FAILED
    assert "no workspace folder is open" in answer["error"]["message"]


async def test_setup_writes_the_skeleton_and_says_where_without_show_document(
    project: Path,
) -> None:
    client = await InProcess().start()
    free = project / "free.c"
    answer = await client.request(
        "workspace/executeCommand",
        {"command": wire.CMD_SETUP, "arguments": [{"uri": free.as_uri()}]},
    )
    result = answer["result"]
    assert result["appended"] is True and result["uri"].endswith("lessonl.toml")
    assert '# files = ["free.c"]' in (project / "lessonl.toml").read_text(encoding="utf-8")
    assert client.shown() == [
        (3, f"LessonL: added a target skeleton to {project / 'lessonl.toml'}")
    ]

    # A file that cannot be set up: shown as a message (a command), not a response error.
    answer = await client.request(
        "workspace/executeCommand",
        {"command": wire.CMD_SETUP, "arguments": [{"uri": (project / "notes.txt").as_uri()}]},
    )
    assert answer["result"] is None and "error" not in answer
    assert client.shown()[-1] == (
        1,
        "LessonL: notes.txt: LessonL handles C, C++ and Python files only",
    )


async def test_code_actions_offer_optimize_on_a_covered_function_and_setup_elsewhere(
    project: Path,
) -> None:
    client = await InProcess().start()
    position = {"line": 1, "character": 4}

    async def actions(path: Path) -> list[dict[str, Any]]:
        uri = client.open(path)
        answer = await client.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": uri},
                "range": {"start": position, "end": position},
                "context": {"diagnostics": [], "triggerKind": 1},
            },
        )
        return list(answer["result"] or [])

    (optimize,) = await actions(project / "k.c")
    assert optimize["title"] == "Optimize `add` with lessons"
    assert optimize["command"]["command"] == wire.CMD_OPTIMIZE
    (setup,) = await actions(project / "free.c")
    assert setup["command"]["command"] == wire.CMD_SETUP


async def test_optimize_errors_before_any_run(project: Path) -> None:
    client = await InProcess(init={"lessonl": {"rounds": 0}}).start()
    uri = client.open(project / "k.c")
    answer = await client.request(wire.OPTIMIZE, {"uri": uri, "function": "add"})
    error = answer["error"]
    assert error["code"] == wire.REQUEST_FAILED
    assert error["data"]["setting"] == "lessonl.rounds"
    assert error["message"].startswith("initializationOptions: lessonl.rounds: expected an integer")
    # A stale version: the user's to redo, one line, no data.
    answer = await client.request(wire.OPTIMIZE, {"uri": uri, "version": 7, "function": "add"})
    assert "k.c changed since the request (version 7, now 1)" in answer["error"]["message"]
    assert "data" not in answer["error"] or answer["error"]["data"] is None
    assert not client.server.jobs.running and not (project / ".lessonl").exists()

    # The command path: the same problem as a message, and no response error.
    answer = await client.request(
        "workspace/executeCommand",
        {"command": wire.CMD_OPTIMIZE, "arguments": [{"uri": uri, "function": "add"}]},
    )
    assert answer["result"] is None
    kind, line = client.shown()[-1]
    assert kind == 1 and line.startswith("LessonL: initializationOptions: lessonl.rounds: ")


async def test_feedback_for_an_unknown_proposal_is_ignored_and_bad_params_are_shown() -> None:
    client = await InProcess().start()
    client.notify(wire.FEEDBACK, {"proposalId": "nope", "accepted": True})
    client.notify(wire.FEEDBACK, {"accepted": "yes"})
    for _ in range(100):
        if client.shown():
            break
        await asyncio.sleep(0.01)
    ((kind, line),) = client.shown()
    assert kind == 1 and line.startswith("LessonL: feedback not recorded: lessonl/feedback: ")
    assert "proposal_id" in line or "proposalId" in line


# --------------------------------------------------------------------------- edits


OLD = "a\nb\nc\n"
NEW = "a\nB\nc\nd\n"


def test_proposal_edit_previews_versioned_annotated_hunks() -> None:
    edit = edits.proposal_edit("file:///k.c", 3, OLD, NEW, label="L", summary="1.5x faster")
    assert edit.changes is None and edit.document_changes is not None
    (doc_edit,) = edit.document_changes
    assert isinstance(doc_edit, types.TextDocumentEdit)
    assert doc_edit.text_document.version == 3
    assert all(isinstance(e, types.AnnotatedTextEdit) for e in doc_edit.edits)
    assert edit.change_annotations is not None
    annotation = edit.change_annotations[edits.ANNOTATION_ID]
    assert annotation.needs_confirmation and annotation.description == "1.5x faster"
    assert apply(OLD, list(doc_edit.edits)) == NEW


def test_proposal_edit_follows_the_clients_capabilities() -> None:
    plain = edits.proposal_edit(
        "file:///k.c", 3, OLD, NEW, label="L", summary="s", document_changes=False
    )
    assert plain.document_changes is None and plain.change_annotations is None
    assert plain.changes is not None
    hunks = plain.changes["file:///k.c"]
    assert not any(isinstance(e, types.AnnotatedTextEdit) for e in hunks)
    assert apply(OLD, list(hunks)) == NEW

    versioned = edits.proposal_edit(
        "file:///k.c", 3, OLD, NEW, label="L", summary="s", annotations=False
    )
    assert versioned.document_changes is not None and versioned.change_annotations is None
    (doc_edit,) = versioned.document_changes
    assert isinstance(doc_edit, types.TextDocumentEdit)
    assert not any(isinstance(e, types.AnnotatedTextEdit) for e in doc_edit.edits)


# --------------------------------------------------------------------------- progress


RUN = [
    RunStarted(run_id="r1", target="k", function="add", team="solo", agents=("fast",), rounds=2),
    RoundStarted(round=0, rounds=2, lesson_ids=("l1",)),
    AgentRequesting(round=0, agent="fast"),
    VariantEvaluated(
        round=0, agent="fast", outcome="correct", speedup=1.5, ci95=(1.4, 1.6), detail=""
    ),
    LessonAdded(round=0, agent="fast", lesson_id="l2", text="unroll"),
    RoundFinished(round=0, rounds=2, round_best_speedup=1.5, best_speedup=1.5),
    RoundStarted(round=1, rounds=2, lesson_ids=()),
    VariantEvaluated(
        round=1, agent="fast", outcome="not_compilable", speedup=None, ci95=None, detail="x"
    ),
    AgentFailed(round=1, agent="slow", error="rate limited"),
    Waiting(message_text="waiting for the timing lock"),
    RoundFinished(round=1, rounds=2, round_best_speedup=None, best_speedup=1.5),
    RunFinished(run_id="r1", stopped="finished", best_speedup=1.5, wall_s=12.4),
]
LINES = [
    "optimizing `add` (k) with solo; 2 rounds",
    "round 1/2 · best none yet · 1 lesson shown",
    "round 1/2 · best none yet · fast is writing a variant",
    "round 1/2 · best none yet · fast: correct, 1.50x",
    "round 1/2 · best none yet · fast wrote lesson l2",
    "round 1/2 done · best 1.50x",
    "round 2/2 · best 1.50x · 0 lessons shown",
    "round 2/2 · best 1.50x · fast: not compilable",
    "round 2/2 · best 1.50x · slow sat out: rate limited",
    "round 2/2 · best 1.50x · waiting for the timing lock",  # newer than the catalog: own line
    "round 2/2 done · best 1.50x",
    "finished: best 1.50x in 12 s",
]


def test_the_catalog_words_every_event_from_its_fields() -> None:
    state = RunState()
    lines, percentages = [], []
    for event in RUN:
        state.update(event)
        lines.append(state.describe(event))
        percentages.append(state.percentage)
    assert lines == LINES
    assert percentages == sorted(percentages) and percentages[-1] == 99


def test_status_carries_round_fields_only_without_progress() -> None:
    state = RunState()
    for event in RUN[:4]:
        state.update(event)
    alone = status_params("file:///k.c", RUN[3], "m", state, with_progress=False)
    assert alone["round"] == 1 and alone["rounds"] == 2  # counted from 1
    assert "bestSpeedup" not in alone  # none yet: only a round's end sets the best
    beside = status_params("file:///k.c", RUN[3], "m", state, with_progress=True)
    assert set(beside) == {"uri", "kind", "message", "event"}
    assert beside["event"]["speedup"] == 1.5 and beside["kind"] == "variant_evaluated"


async def test_reporter_sends_progress_on_its_token_and_status_only_where_it_adds() -> None:
    client = await InProcess().start()
    reporter = Reporter(client.server, "file:///k.c", "tok")
    reporter.begin("LessonL: optimizing `add`")
    for event in RUN:
        reporter.event(event)
    reporter.end("done")
    progress = [p["value"] for p in client.sent("$/progress") if p["token"] == "tok"]
    assert progress[0]["kind"] == "begin" and progress[0]["cancellable"] is True
    assert [p["message"] for p in progress[1:-1]] == LINES[:-1]  # `end` says how it ended
    assert progress[-1] == {"kind": "end", "message": "done"}
    kinds = [s["kind"] for s in client.sent(wire.STATUS)]
    assert kinds == ["run_started", "lesson_added", "run_finished"]
    assert "tok" not in client.server.work_done_progress.tokens  # forgotten at the end

    bare = Reporter(client.server, "file:///free.c", None)
    bare.begin("ignored")
    for event in RUN:
        bare.event(event)
    statuses = [s for s in client.sent(wire.STATUS) if s["uri"] == "file:///free.c"]
    assert [s["message"] for s in statuses] == LINES
    assert statuses[-1]["round"] == 2 and statuses[-1]["bestSpeedup"] == 1.5


# --------------------------------------------------------------------------- jobs


def run_request(project: Path) -> RunRequest:
    """A planned run on k.c whose engine stops at once: its one agent's key is not set."""
    from lessonl import run

    path = project / "k.c"
    plan = run.plan(run.RunRequest(path, "add", source=KERNEL))
    return RunRequest(
        uri=path.as_uri(), path=path, version=1, base_text=KERNEL, function="add", plan=plan
    )


async def test_jobs_one_run_per_document_and_the_engines_error_ends_the_progress(
    project: Path,
) -> None:
    client = await InProcess().start()
    jobs: JobManager = client.server.jobs
    request = run_request(project)
    client.server.work_done_progress.tokens.pop("t1", None)
    job = jobs.start(request, "t1", "LessonL: optimizing `add`")
    with pytest.raises(RunInProgress, match=r"already in progress for k\.c"):
        jobs.start(request, None, "again")
    with pytest.raises(MissingKey, match="LESSONL_FEATURES_TEST_UNSET_KEY"):
        await job.wait()
    await job.finished.wait()
    assert request.uri not in jobs.running  # settled: a new run may start

    with pytest.raises(MissingKey):
        await jobs.run(run_request(project), "t2", "LessonL: optimizing `add`")
    end = [p["value"] for p in client.sent("$/progress") if p["token"] == "t2"][-1]
    assert end["kind"] == "end" and "LESSONL_FEATURES_TEST_UNSET_KEY" in end["message"]
    assert not jobs.proposals
    await jobs.shutdown()


async def test_a_job_cancelled_before_it_starts_is_cancelled(project: Path) -> None:
    server: LessonLServer = build_server()
    server.protocol.set_writer(Sent(), include_headers=False)
    job = server.jobs.start(run_request(project), None, "t")
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job.wait()
    assert job.finished_in_engine.wait(5)
    await server.jobs.shutdown()
    assert not server.jobs.engine.started


# --------------------------------------------------------------------------- one door


async def test_a_python_file_without_tests_gets_the_same_answer_as_the_cli(
    tmp_path: Path,
) -> None:
    """The editor half of tests/test_run.py's CLI test: a Python file no target covers, in a
    project without tests. The server asks `lessonl.run.plan`, as the CLI does, so the request
    error is the plan's line (the CLI prints `lessonl: ` before it) with the plan's data, the
    code action offers set-up only, and nothing is recorded or kept."""
    from lessonl import run

    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\nversion = '0'\n")
    (root / "m.py").write_text("def double(x):\n    return 2 * x\n", encoding="utf-8")
    with pytest.raises(UsageError) as planned:
        run.plan(run.RunRequest(root / "m.py", "double"))

    client = await InProcess().start()
    uri = client.open(root / "m.py")
    answer = await client.request(wire.OPTIMIZE, {"uri": uri, "function": "double"})
    assert answer["error"]["code"] == wire.REQUEST_FAILED
    assert answer["error"]["message"] == str(planned.value)
    assert (
        answer["error"]["data"]
        == planned.value.data
        == {
            "file": "m.py",
            "needs": "tests-or-target",
        }
    )
    position = {"line": 1, "character": 4}
    actions = await client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": {"start": position, "end": position},
            "context": {"diagnostics": [], "triggerKind": 1},
        },
    )
    assert [a["title"] for a in actions["result"]] == ["Set up LessonL for this file"]
    assert not (root / ".lessonl").exists()

    # With a test to record calls from, the same file is the automatic target's, in both.
    (root / "test_m.py").write_text(
        "from m import double\n\n\ndef test_d():\n    assert double(2) == 4\n"
    )
    assert run.plan(run.RunRequest(root / "m.py", "double")).kind == "auto-python"
    actions = await client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": {"start": position, "end": position},
            "context": {"diagnostics": [], "triggerKind": 1},
        },
    )
    assert [a["title"] for a in actions["result"]] == [
        "Optimize `double` with lessons",
        "Set up LessonL for this file",
    ]


async def test_an_editor_run_is_planned_once(
    tmp_path: Path, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor half of test_run's count: a whole `lessonl/optimize` (the real C++ example
    built and timed, two agents on the fake LLM server) decides config, target and the editor's
    overrides once: in `prepare`, not again on the engine thread."""
    from lessonl import run

    fake_llm.script_fn(by_agent({"alpha": FAST, "beta": SAME}))
    root = make_project(tmp_path, fake_llm, run="rounds = 1")
    plans: list[run.Plan] = []
    applied: list[run.Overrides] = []
    real_plan, real_apply = run.plan, run.Overrides.apply

    def counting_plan(request: run.RunRequest) -> run.Plan:
        plans.append(real_plan(request))
        return plans[-1]

    def counting_apply(self: run.Overrides, config: run.RunConfig) -> run.RunConfig:
        applied.append(self)
        return real_apply(self, config)

    monkeypatch.setattr(run, "plan", counting_plan)
    monkeypatch.setattr(run.Overrides, "apply", counting_apply)
    client = await InProcess(init={"lessonl": {"lessonsPerPrompt": 2}}).start()
    uri = client.open(root / FILE)
    answer = await client.request_within(
        wire.OPTIMIZE, {"uri": uri, "function": "histogram", "workDoneToken": "t"}, 240
    )
    assert "result" in answer, answer
    assert answer["result"]["report"]["best"]["agent"] == "alpha"
    assert len(plans) == 1 and len(applied) == 1
    assert plans[0].kind == "hand-written" and plans[0].run.lessons_per_prompt == 2
    await client.server.jobs.shutdown()
