"""The language server end to end: a real `python -m lessonl_server` subprocess driven by
pytest-lsp as a VS Code-like client (VS Code 1.65 capabilities).

Runs use a real tiny Python project (no compiler needed, so they are quick) whose target's test
and bench are real Python scripts, and a team of one agent talking to the loopback fake LLM
server (tests/fakes) over real HTTP.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
import time
import typing
from pathlib import Path
from typing import Any

import psutil
import pytest
import pytest_lsp
from lessonl_server import wire
from lsprotocol import types
from processes import runs_command
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import register_lsp_features
from test_server_units import apply  # the LSP edit applier (pygls's TextDocument)

from lessonl.bank import LessonBank
from lessonl.lessons import Lesson
from lessonl.state import StateDir

# Wall-clock bounds a loaded machine keeps (other sessions building beside the tests), far from
# what a broken server takes: blocked behind a run, a code action waits for the run's 30 s model
# delay or its sleeping check; an ignored cancel waits for the same. benchmarks/server_bench.py
# measures the real latencies.
PROMPT_S = 2.0
CANCEL_S = 10.0

SLOW = '''\
"""A kernel to optimize."""


def total(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def untouched():
    return 1
'''

FAST = """\
def total(n):
    return (n - 1) * n * (2 * n - 1) // 6 if n > 0 else 0
"""

CHECK = """\
import os, sys, time
if os.path.exists("SLOW_CHECK"):  # lets a test catch the run while a harness process runs
    time.sleep(60)
sys.path.insert(0, "src")
from kern import total
for n in (0, 1, 2, 1000):
    assert total(n) == sum(i * i for i in range(n)), n
"""

BENCH = """\
import sys, time
sys.path.insert(0, "src")
from kern import total
for _ in range(2):
    t = time.perf_counter()
    total(50_000)
    print(f"LESSONL_TIME_S={time.perf_counter() - t}")
"""


def _client_converter() -> Any:
    """The client's converter: custom results as plain JSON, and lsprotocol's client-side
    Command/CodeAction union fixed (a CodeAction carrying a command would become a Command)."""
    conv = wire.params_converter()

    def action_or_command(obj: Any, _: Any) -> types.Command | types.CodeAction:
        if isinstance(obj.get("command"), str):
            return conv.structure(obj, types.Command)
        return conv.structure(obj, types.CodeAction)

    conv.register_structure_hook(
        typing.Union[types.Command, types.CodeAction],  # noqa: UP007 - must equal lsprotocol's
        action_or_command,
    )
    return conv


class Client(LanguageClient):
    """pytest-lsp's client plus scripted answers to `workspace/applyEdit` and
    `window/showMessageRequest` (the title of the action to choose, None to dismiss)."""

    apply_answer: bool = True
    applied: list[types.ApplyWorkspaceEditParams]
    choose: str | None = None
    questions: list[types.ShowMessageRequestParams]
    init_result: types.InitializeResult


def make_client() -> Client:
    client = Client(converter_factory=_client_converter)
    register_lsp_features(client)
    client.applied = []
    client.questions = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(
        ls: Client, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        ls.applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=ls.apply_answer)

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def question(ls: Client, params: types.ShowMessageRequestParams) -> Any:
        ls.questions.append(params)
        return None if ls.choose is None else types.MessageActionItem(title=ls.choose)

    return client


HIST = """\
#pragma once
#include <vector>
namespace stats {
template <typename T>
std::vector<int> hist(const std::vector<T>& xs, int bins) {
    std::vector<int> out(bins);
    for (const T& x : xs) out[static_cast<int>(x) % bins]++;
    return out;
}
}  // namespace stats
"""

LESSON_REPLY = "The closed form replaces the loop, so the work no longer grows with n."


def scripted(request: Any) -> str:
    """The fake model: a fast `total` for code prompts, one sentence for lesson prompts."""
    if "\nCode B:\n" in request.prompt:  # the lesson prompt shows the variant as Code B
        return LESSON_REPLY
    return f"Here it is:\n```python\n{FAST}```\n"


@pytest.fixture
def project(tmp_path: Path, fake_llm: Any) -> Path:
    """A real Python project whose target is covered by a one-agent team on the fake LLM."""
    fake_llm.script_fn(scripted)
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "kern.py").write_text(SLOW, encoding="utf-8")
    (root / "src" / "free.py").write_text("def f():\n    return 2\n", encoding="utf-8")
    (root / "src" / "hist.hpp").write_text(HIST, encoding="utf-8")
    (root / "check.py").write_text(CHECK, encoding="utf-8")
    (root / "bench.py").write_text(BENCH, encoding="utf-8")
    (root / "lessonl.toml").write_text(
        f"""[run]
rounds = 1
lessons_per_prompt = 2
cache = false

[[agents]]
name = "fake"
provider = "openai"
model = "fake-coder"
base_url = "{fake_llm.base_url}"
api_key_env = "LESSONL_TEST_KEY"
max_retries = 0

[[targets]]
name = "kern"
files = ["src/kern.py"]
test = "{{python}} check.py"
bench = "{{python}} bench.py"
timeout_s = 60
min_pairs = 2
max_pairs = 3
timing_budget_s = 1

[[targets]]
name = "hist"
files = ["src/hist.hpp"]
build = "g++ -O2 -o {{build}}/bench bench.cpp"
test = "{{build}}/bench check"
bench = "{{build}}/bench time"
""",
        encoding="utf-8",
    )
    return root


# Keys reach the server through its environment only (never settings or lessonl.toml).
TEST_KEY = "sk-test-not-a-real-key"
SERVER_ENV = {
    **os.environ,
    "LESSONL_TEST_KEY": TEST_KEY,
    # Our own timing lock: other lessonl processes on the machine must not stall these tests.
    "LESSONL_TIMING_LOCK": os.path.join(tempfile.gettempdir(), f"lessonl-lsp-{os.getpid()}.lock"),
}
CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "lessonl_server"],
    client_factory=make_client,
    server_env=SERVER_ENV,
)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: Client, project: Path) -> Any:
    lsp_client.init_result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=project.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="proj")],
            initialization_options={"lessonl": {"rounds": 1}},
        )
    )
    yield
    await lsp_client.shutdown_session()


def open_doc(client: LanguageClient, path: Path, version: int = 1, text: str | None = None) -> str:
    """didOpen `path` with its text on disk, or `text` (an unsaved buffer)."""
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id="python",
                version=version,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


async def code_actions(
    client: LanguageClient,
    uri: str,
    line: int,
    trigger: types.CodeActionTriggerKind = types.CodeActionTriggerKind.Invoked,
) -> list[types.CodeAction]:
    pos = types.Position(line=line, character=4)
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=pos, end=pos),
            context=types.CodeActionContext(diagnostics=[], trigger_kind=trigger),
        )
    )
    assert all(isinstance(a, types.CodeAction) for a in result or [])
    return list(result or [])  # type: ignore[arg-type]


async def test_capabilities_advertise_the_action_kind_and_commands(client: Client) -> None:
    caps = client.init_result.capabilities
    provider = caps.code_action_provider
    assert isinstance(provider, types.CodeActionOptions)
    assert list(provider.code_action_kinds or []) == [types.CodeActionKind.RefactorRewrite]
    assert caps.execute_command_provider is not None
    assert set(caps.execute_command_provider.commands) >= {"lessonl.optimize", "lessonl.setup"}


async def test_code_action_only_when_invoked_and_on_a_covered_function(
    client: Client, project: Path
) -> None:
    uri = open_doc(client, project / "src" / "kern.py")
    actions = await code_actions(client, uri, line=5)  # inside total()
    assert [a.title for a in actions] == ["Optimize `total` with lessons"]
    action = actions[0]
    assert action.kind == types.CodeActionKind.RefactorRewrite
    assert action.command is not None and action.command.command == "lessonl.optimize"
    (arg,) = action.command.arguments or []
    assert arg["uri"] == uri and arg["version"] == 1 and arg["function"] == "total"
    assert arg["range"]["start"] == {"line": 3, "character": 0}
    assert arg["range"]["end"]["line"] == 7

    # The other function gets its own action; blank lines between functions get none.
    assert [a.title for a in await code_actions(client, uri, line=11)] == [
        "Optimize `untouched` with lessons"
    ]
    assert await code_actions(client, uri, line=9) == []
    # Automatic requests (cursor moves) get nothing.
    automatic = types.CodeActionTriggerKind.Automatic
    assert await code_actions(client, uri, line=5, trigger=automatic) == []

    # C++: a template in a namespace of a header another target covers.
    hpp = open_doc(client, project / "src" / "hist.hpp")
    (action,) = await code_actions(client, hpp, line=6)
    assert action.title == "Optimize `stats::hist` with lessons"
    assert action.command is not None and action.command.arguments
    assert action.command.arguments[0]["range"]["start"]["line"] == 3  # the template line
    assert await code_actions(client, hpp, line=1) == []  # the #include


async def test_uncovered_file_gets_the_setup_action_which_appends_and_opens(
    client: Client, project: Path
) -> None:
    free = project / "src" / "free.py"
    uri = open_doc(client, free)
    (action,) = await code_actions(client, uri, line=1)
    assert action.title == "Set up LessonL for this file"
    assert action.command is not None and action.command.command == "lessonl.setup"
    assert list(action.command.arguments or []) == [{"uri": uri}]
    before = (project / "lessonl.toml").read_text(encoding="utf-8")

    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="lessonl.setup", arguments=action.command.arguments)
    )
    after = (project / "lessonl.toml").read_text(encoding="utf-8")
    assert after.startswith(before)
    assert '# files = ["src/free.py"]' in after
    (shown,) = client.shown_documents
    assert shown.uri == (project / "lessonl.toml").as_uri()
    assert shown.selection is not None
    assert after.splitlines()[shown.selection.start.line].startswith("# LessonL target")


async def test_broken_config_shows_a_disabled_action_with_the_reason(
    client: Client, project: Path
) -> None:
    (project / "lessonl.toml").write_text("[run]\nrouns = 2\n", encoding="utf-8")
    uri = open_doc(client, project / "src" / "kern.py")
    (action,) = await code_actions(client, uri, line=5)
    assert action.disabled is not None and "rouns" in action.disabled.reason
    assert action.command is None


async def test_lessons_forget_and_errors(client: Client, project: Path) -> None:
    assert await client.protocol.send_request_async(wire.LESSONS, {}) == []
    assert not (project / ".lessonl").exists()  # reading creates nothing
    with LessonBank(StateDir(project).ensure().bank) as bank:
        a = bank.add(
            Lesson(
                id="",
                text="Hoisting the multiply out of the loop helped.",
                outcome="correct",
                speedup=1.6,
                language="python",
            )
        )
        bank.add(
            Lesson(id="", text="Recursion blew the stack.", outcome="crashed", language="python")
        )
    listed = await client.protocol.send_request_async(wire.LESSONS, {"limit": 5})
    assert {lesson["text"] for lesson in listed} == {
        "Hoisting the multiply out of the loop helped.",
        "Recursion blew the stack.",
    }
    assert set(listed[0]) >= {"id", "text", "outcome", "speedup", "factor", "uses", "created"}
    found = await client.protocol.send_request_async(wire.LESSONS, {"query": "multiply loop"})
    assert [lesson["id"] for lesson in found] == [a.id]
    assert await client.protocol.send_request_async(wire.FORGET, {"id": a.id}) == {
        "forgotten": True
    }
    assert await client.protocol.send_request_async(wire.FORGET, {"id": a.id}) == {
        "forgotten": False
    }
    # Bad params: a one-line InvalidParams error, not a traceback.
    with pytest.raises(Exception, match="invalid params") as err:
        await client.protocol.send_request_async(wire.FORGET, {"lesson": "x"})
    assert "Traceback" not in str(err.value)


async def test_a_damaged_bank_is_read_and_a_write_is_one_line(
    client: Client, project: Path
) -> None:
    """The server answered "internal error ... please report it" on a damaged bank."""
    with LessonBank(StateDir(project).ensure().bank) as bank:
        for i in range(200):
            bank.add(Lesson(id="", text=f"Lesson {i}.", outcome="crashed", code="x" * 1500))
    db = StateDir(project).bank / "cache.db"
    with db.open("r+b") as fh:
        fh.truncate(db.stat().st_size // 2)
    listed = await client.protocol.send_request_async(wire.LESSONS, {"limit": 500})
    assert 20 < len(listed) < 200  # what still reads
    # Forgetting writes: the damaged bank is moved aside first, the readable lessons kept.
    done = await client.protocol.send_request_async(wire.FORGET, {"id": listed[0]["id"]})
    assert done == {"forgotten": True}
    assert list(StateDir(project).path.glob("bank.damaged-*"))
    again = await client.protocol.send_request_async(wire.LESSONS, {"limit": 500})
    assert len(again) == len(listed) - 1


# --------------------------------------------------------------------------- runs


def seed_lesson(project: Path) -> str:
    """A relevant earlier lesson, so round 0 shows it and feedback has something to count."""
    with LessonBank(StateDir(project).ensure().bank) as bank:
        lesson = bank.add(
            Lesson(
                id="",
                text="Summing i * i over range(n) in a loop is slow; a closed form for the "
                "total is faster.",
                outcome="correct",
                speedup=3.0,
                language="python",
                target="kern",
                function="total",
            )
        )
    return lesson.id


def bank_lesson(project: Path, lesson_id: str) -> Lesson:
    with LessonBank(StateDir(project).bank) as bank:
        lesson = bank.get(lesson_id)
    assert lesson is not None
    return lesson


async def eventually(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def server_children(client: LanguageClient) -> list[psutil.Process]:
    assert client._server is not None
    return psutil.Process(client._server.pid).children(recursive=True)


async def test_optimize_returns_the_fast_proposal_with_progress_and_feedback(
    client: Client, project: Path, fake_llm: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    seeded = seed_lesson(project)
    unsaved = SLOW + "\n\ndef only_in_the_buffer():\n    return 3\n"
    uri = open_doc(client, project / "src" / "kern.py", text=unsaved)
    statuses: list[Any] = []
    client.feature(wire.STATUS)(lambda ls, params: statuses.append(params))
    client.progress_reports["tok-1"] = []
    result = await client.protocol.send_request_async(
        wire.OPTIMIZE,
        {"uri": uri, "version": 1, "function": "total", "workDoneToken": "tok-1"},
    )
    assert result["uri"] == uri and result["baseVersion"] == 1, result
    assert result["newText"] is not None, (result["summary"], result["report"])
    assert result["newText"] is not None and "(n - 1) * n * (2 * n - 1) // 6" in result["newText"]
    assert "def untouched" in result["newText"]  # only the function was replaced
    assert "def only_in_the_buffer" in result["newText"]  # the run used the unsaved buffer
    assert (project / "src" / "kern.py").read_text(encoding="utf-8") == SLOW  # disk untouched
    # The proposal's hunks against the buffer, as the command path applies them.
    hunks = [wire.parse(types.TextEdit, e, "test") for e in result["edits"]]
    assert hunks and all(h.range.start.line >= 3 for h in hunks)
    assert apply(unsaved, hunks) == result["newText"]
    report = result["report"]
    assert report["best"]["speedup"] > 1.0 and report["function"] == "total"
    assert seeded in report["best"]["lessons"]
    assert "faster" in result["summary"]
    assert {r.api_key for r in fake_llm.requests} == {TEST_KEY}

    progress = client.progress_reports["tok-1"]
    assert isinstance(progress[0], types.WorkDoneProgressBegin)
    assert isinstance(progress[-1], types.WorkDoneProgressEnd)
    reports = [p for p in progress if isinstance(p, types.WorkDoneProgressReport)]
    messages = [r.message or "" for r in reports]
    # Built from the events' fields: the round counts from 1, each line says what happened.
    writing = "round 1/1 · best none yet · fake is writing a variant"
    assert any(m.startswith(writing) for m in messages)
    assert any(m.startswith("round 1/1 · best none yet · fake: correct, ") for m in messages)
    assert any(re.fullmatch(r"round 1/1 done · best \d+\.\d\dx", m) for m in messages), messages
    assert not any("round 1: " in m or "round 0" in m for m in messages)  # no engine text
    percentages = [r.percentage for r in reports if r.percentage is not None]
    assert percentages == sorted(percentages)
    # With a progress token, lessonl/status only carries what the progress text does not.
    kinds = [st["kind"] for st in statuses]
    assert kinds == ["run_started", "lesson_added", "run_finished"], kinds
    finished = statuses[-1]
    assert finished["uri"] == uri and finished["event"]["best_speedup"] > 1.0
    # The progress line says the round and the best: no duplicate fields beside it.
    assert not {"round", "rounds", "bestSpeedup"} & {k for st in statuses for k in st}
    assert finished["event"]["kind"] == "run_finished" and finished["event"]["stopped"]
    assert statuses[1]["event"]["lesson_id"] and statuses[1]["event"]["text"] == LESSON_REPLY

    client.protocol.notify(wire.FEEDBACK, {"proposalId": result["proposalId"], "accepted": True})
    await eventually(lambda: bank_lesson(project, seeded).accepted == 1)
    # The same proposal's feedback counts once.
    client.protocol.notify(wire.FEEDBACK, {"proposalId": result["proposalId"], "accepted": True})
    await client.protocol.send_request_async(wire.LESSONS, {})  # a round trip after it
    assert bank_lesson(project, seeded).accepted == 1

    # The server's log (its stderr) names things but never holds a key or code.
    log = capfd.readouterr().err
    assert "lessonl" in log  # it did log (at INFO) ...
    assert TEST_KEY not in log and "s += i * i" not in log and "2 * n - 1" not in log


async def test_cancel_ends_the_run_within_2s_and_kills_its_processes(
    client: Client, project: Path
) -> None:
    (project / "SLOW_CHECK").write_text("", encoding="utf-8")
    uri = open_doc(client, project / "src" / "kern.py")
    run = asyncio.ensure_future(
        client.protocol.send_request_async(
            wire.OPTIMIZE, {"uri": uri, "version": 1, "function": "total"}, msg_id="run-1"
        )
    )
    # Wait until the harness is running the (sleeping) check of the original.
    await eventually(lambda: runs_command(server_children(client), "check.py"), 30)

    # Meanwhile the server answers code actions promptly and refuses a second run. "Promptly"
    # here is what a loaded machine still keeps: a server blocked behind the run would answer
    # only when the sleeping check ends. The tight latency figures (p50/p95 of milliseconds)
    # are benchmarks/server_bench.py's.
    for _ in range(5):
        started = time.perf_counter()
        assert len(await code_actions(client, uri, line=5)) == 1
        assert time.perf_counter() - started < PROMPT_S
    with pytest.raises(JsonRpcException, match="already in progress"):
        await client.protocol.send_request_async(wire.OPTIMIZE, {"uri": uri, "version": 1})

    started = time.monotonic()
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="run-1"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(run, CANCEL_S)
    assert time.monotonic() - started < CANCEL_S
    await eventually(lambda: not server_children(client), 0.5)
    # The document is free again: a new run is accepted (and cancelled straight away).
    again = asyncio.ensure_future(
        client.protocol.send_request_async(
            wire.OPTIMIZE, {"uri": uri, "version": 1, "function": "total"}, msg_id="run-2"
        )
    )
    await asyncio.sleep(0.2)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="run-2"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(again, 5)


async def test_runs_on_two_documents_proceed_together_and_settings_apply(
    client: Client, project: Path, fake_llm: Any
) -> None:
    """Two documents, two runs, both waiting on a slow model while code actions stay fast;
    the client's `lessonl` section (rounds = 3) overrides initializationOptions (rounds = 1)."""
    fake_llm.delay_s = 30.0
    client.set_configuration({"rounds": 3}, section="lessonl")
    (project / "src" / "kern2.py").write_text(SLOW, encoding="utf-8")
    toml = project / "lessonl.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            '["src/kern.py"]', '["src/kern.py", "src/kern2.py"]'
        ),
        encoding="utf-8",
    )
    statuses: list[Any] = []
    client.feature(wire.STATUS)(lambda ls, params: statuses.append(params))
    uris = [open_doc(client, project / "src" / name) for name in ("kern.py", "kern2.py")]
    runs = [
        asyncio.ensure_future(
            client.protocol.send_request_async(
                wire.OPTIMIZE, {"uri": uri, "version": 1, "function": "total"}, msg_id=f"r{i}"
            )
        )
        for i, uri in enumerate(uris)
    ]
    await eventually(lambda: fake_llm.max_in_flight == 2, 30)  # both runs at a model call
    latencies = []
    for _ in range(10):
        started = time.perf_counter()
        await code_actions(client, uris[0], line=5)
        latencies.append(time.perf_counter() - started)
    assert max(latencies) < PROMPT_S, latencies  # the model's delay is 30 s
    # No progress token: lessonl/status carries every event (it is the only progress then).
    await eventually(lambda: {"agent_requesting"} <= {st["kind"] for st in statuses})
    started_events = [st for st in statuses if st["kind"] == "run_started"]
    assert {st["uri"] for st in started_events} == set(uris)
    assert {st["event"]["rounds"] for st in started_events} == {3}
    requesting = [st for st in statuses if st["kind"] == "agent_requesting"]
    assert all(st["round"] == 1 and st["rounds"] == 3 for st in requesting), requesting

    started = time.monotonic()
    for i in range(2):
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=f"r{i}"))
    for run in runs:
        with pytest.raises(JsonRpcRequestCancelled):
            await asyncio.wait_for(run, CANCEL_S)
    assert time.monotonic() - started < CANCEL_S
    reports = [p.read_text(encoding="utf-8") for p in project.glob(".lessonl/runs/*/report.json")]
    assert len(reports) == 2  # the partial reports were written
    assert all('"stopped": "cancelled"' in text for text in reports)


async def start_command(client: Client, project: Path) -> tuple[str, asyncio.Future[Any]]:
    """Opens kern.py and starts the code action's command on `total`, without waiting for it."""
    uri = open_doc(client, project / "src" / "kern.py")
    (action,) = await code_actions(client, uri, line=5)
    assert action.command is not None
    command = asyncio.ensure_future(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=action.command.command, arguments=action.command.arguments
            )
        )
    )
    return uri, command


async def run_command(client: Client, project: Path) -> tuple[str, Any]:
    uri, command = await start_command(client, project)
    return uri, await command


async def test_command_sends_a_previewed_versioned_hunk_edit(client: Client, project: Path) -> None:
    seeded = seed_lesson(project)
    uri, result = await run_command(client, project)
    assert result["applied"] is True
    (params,) = client.applied
    edit = params.edit
    assert edit.document_changes is not None and edit.change_annotations is not None
    (doc_edit,) = edit.document_changes
    assert isinstance(doc_edit, types.TextDocumentEdit)
    assert doc_edit.text_document.uri == uri and doc_edit.text_document.version == 1
    annotation_ids = {e.annotation_id for e in doc_edit.edits}  # type: ignore[union-attr]
    assert len(annotation_ids) == 1
    assert edit.change_annotations[annotation_ids.pop()].needs_confirmation is True
    # Hunks, not the whole file: the docstring and `untouched` are outside every edit.
    assert all(e.range.start.line >= 3 for e in doc_edit.edits)
    new = apply(SLOW, list(doc_edit.edits))
    assert "(n - 1) * n * (2 * n - 1) // 6" in new and new.endswith(
        "def untouched():\n    return 1\n"
    )
    await eventually(lambda: bank_lesson(project, seeded).accepted == 1)


async def test_command_handles_the_client_refusing_the_edit(client: Client, project: Path) -> None:
    seeded = seed_lesson(project)
    client.apply_answer = False
    _, result = await run_command(client, project)
    assert result["applied"] is False and len(client.applied) == 1
    await eventually(lambda: bank_lesson(project, seeded).rejected == 1)
    assert bank_lesson(project, seeded).accepted == 0


async def test_command_refuses_to_apply_when_the_document_changed(
    client: Client, project: Path, fake_llm: Any
) -> None:
    fake_llm.delay_s = 1.0
    uri, command = await start_command(client, project)
    await eventually(lambda: len(fake_llm.requests) > 0, 30)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=SLOW + "# x\n")],
        )
    )
    result = await asyncio.wait_for(command, 60)
    assert result["applied"] is False and client.applied == []
    assert any("changed during the run" in m.message for m in client.messages)


async def test_a_bare_client_gets_plain_changes_and_messages(project: Path) -> None:
    """A client without documentChanges, change annotations or showDocument (older editors)."""
    client = make_client()
    await client.start_io(sys.executable, "-m", "lessonl_server", env=SERVER_ENV)
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=project.as_uri(),
                initialization_options={"lessonl": {"rounds": 1}},
            )
        )
        uri, result = await run_command(client, project)
        assert result["applied"] is True
        (params,) = client.applied
        assert params.edit.document_changes is None and params.edit.change_annotations is None
        assert params.edit.changes is not None and list(params.edit.changes) == [uri]
        hunks = params.edit.changes[uri]
        assert all(type(e) is types.TextEdit for e in hunks)  # no annotated edits
        assert "(n - 1) * n * (2 * n - 1) // 6" in apply(SLOW, list(hunks))

        free = open_doc(client, project / "src" / "free.py")
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="lessonl.setup", arguments=[{"uri": free}])
        )
        assert client.shown_documents == []
        assert any(
            "lessonl.toml" in m.message and m.type == types.MessageType.Info
            for m in client.messages
        )
        await client.shutdown_session()
    finally:
        await client.stop()


async def test_user_errors_are_one_line_request_errors(client: Client, project: Path) -> None:
    uri = open_doc(client, project / "src" / "free.py")  # no target covers it
    with pytest.raises(JsonRpcException) as err:
        await client.protocol.send_request_async(wire.OPTIMIZE, {"uri": uri, "version": 1})
    assert err.value.code == wire.REQUEST_FAILED
    assert "src/free.py" in err.value.message and "\n" not in err.value.message
    # The plan's answer, the CLI's for the same file (tests/test_server_features.py compares
    # them); its data says what would let it run, never a traceback.
    assert err.value.data == {"file": "src/free.py", "needs": "tests-or-target"}
    # The command path reports the same problem with window/showMessage.
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="lessonl.optimize", arguments=[{"uri": uri}])
    )
    assert any(
        m.type == types.MessageType.Error and "free.py" in m.message for m in client.messages
    )
    # A bad editor setting: the engine's one line, naming the setting, before anything runs.
    client.set_configuration({"rounds": 0}, section="lessonl")
    kern = open_doc(client, project / "src" / "kern.py")
    with pytest.raises(JsonRpcException) as err:
        await client.protocol.send_request_async(wire.OPTIMIZE, {"uri": kern, "version": 1})
    assert err.value.code == wire.REQUEST_FAILED
    assert err.value.data["setting"] == "lessonl.rounds"  # the client can open it
    expected = "settings: lessonl.rounds: expected an integer >= 1, got 0; fix the setting"
    assert err.value.message == expected
    assert not (project / ".lessonl" / "runs").exists()


async def test_runs_die_with_the_server_when_the_client_goes_away(project: Path) -> None:
    """No `shutdown`, no `exit`: the client just closes the pipe (a crashed editor)."""
    (project / "SLOW_CHECK").write_text("", encoding="utf-8")
    client = make_client()
    await client.start_io(sys.executable, "-m", "lessonl_server", env=SERVER_ENV)
    run: asyncio.Future[Any] | None = None
    try:
        await client.initialize_session(
            types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=None)
        )
        uri = open_doc(client, project / "src" / "kern.py")
        run = asyncio.ensure_future(
            client.protocol.send_request_async(
                wire.OPTIMIZE, {"uri": uri, "version": 1, "function": "total"}
            )
        )
        await eventually(lambda: runs_command(server_children(client), "check.py"), 30)
        assert not run.done()
        children = server_children(client)
        assert client._server is not None and client._server.stdin is not None
        client._server.stdin.close()
        await asyncio.wait_for(client._server.wait(), 5)

        def gone(p: psutil.Process) -> bool:
            try:
                return p.status() == psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                return True

        await eventually(lambda: all(gone(p) for p in children), 2)
    finally:
        if client._server is not None and client._server.returncode is None:
            client._server.kill()
        if run is not None:
            run.cancel()
        await client.stop()


async def test_command_run_is_cancelled_through_its_progress_token(
    client: Client, project: Path, fake_llm: Any
) -> None:
    """`workspace/executeCommand` cannot be cancelled with $/cancelRequest; the progress the
    server creates for it can (VS Code's Cancel button on the notification)."""
    fake_llm.delay_s = 30.0
    _uri, command = await start_command(client, project)
    await eventually(lambda: len(fake_llm.requests) > 0, 30)
    (token,) = client.progress_reports
    begin = client.progress_reports[token][0]
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.cancellable
    started = time.monotonic()
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    assert await asyncio.wait_for(command, CANCEL_S) is None
    assert time.monotonic() - started < CANCEL_S
    assert isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd)
    assert any("cancelled" in m.message for m in client.messages)
    assert client.applied == []


# --------------------------------------------------------------------------- several targets


def cover_kern_twice(project: Path) -> None:
    """A second target, `kern-alt`, also lists src/kern.py (same commands)."""
    toml = project / "lessonl.toml"
    text = toml.read_text(encoding="utf-8")
    start, end = text.index('[[targets]]\nname = "kern"'), text.index('name = "hist"')
    first = text[start:end].removesuffix("[[targets]]\n")
    toml.write_text(text + "\n" + first.replace('name = "kern"', 'name = "kern-alt"'), "utf-8")


async def test_several_targets_the_request_names_one(client: Client, project: Path) -> None:
    cover_kern_twice(project)
    uri = open_doc(client, project / "src" / "kern.py")
    (action,) = await code_actions(client, uri, line=5)
    assert action.command is not None and action.command.arguments
    assert action.command.arguments[0]["targets"] == ["kern", "kern-alt"]

    base = {"uri": uri, "version": 1, "function": "total"}
    with pytest.raises(JsonRpcException) as err:
        await client.protocol.send_request_async(wire.OPTIMIZE, base)
    assert err.value.code == wire.REQUEST_FAILED
    assert err.value.data == {"targets": ["kern", "kern-alt"]}  # the client offers the choice
    assert "several targets cover src/kern.py (kern, kern-alt)" in err.value.message
    assert "--target" not in err.value.message and "\n" not in err.value.message
    with pytest.raises(JsonRpcException, match="no target named 'nope'"):
        await client.protocol.send_request_async(wire.OPTIMIZE, {**base, "target": "nope"})
    with pytest.raises(JsonRpcException, match=r"target 'hist' does not list src/kern\.py"):
        await client.protocol.send_request_async(wire.OPTIMIZE, {**base, "target": "hist"})

    result = await client.protocol.send_request_async(wire.OPTIMIZE, {**base, "target": "kern-alt"})
    assert result["report"]["target"] == "kern-alt" and result["newText"] is not None


async def test_several_targets_the_command_asks_which_one(client: Client, project: Path) -> None:
    cover_kern_twice(project)
    client.choose = None  # dismissed: nothing runs
    _, result = await run_command(client, project)
    assert result is None and client.applied == []
    (question,) = client.questions
    assert [a.title for a in question.actions or []] == ["kern", "kern-alt"]
    assert any("no target chosen" in m.message for m in client.messages)

    client.choose = "kern-alt"
    _, result = await run_command(client, project)
    assert result["applied"] is True and len(client.questions) == 2
    (params,) = client.applied
    assert params.label == "LessonL: optimize `total`"
    runs = [p.read_text(encoding="utf-8") for p in project.glob(".lessonl/runs/*/report.json")]
    assert len(runs) == 1 and '"target": "kern-alt"' in runs[0]
