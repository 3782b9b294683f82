"""The language server end to end: a real `python -m lessonl_server` subprocess driven by
pytest-lsp as a VS Code-like client (VS Code 1.65 capabilities).

Runs use a real tiny Python project (no compiler needed, so they are quick) whose target's test
and bench are real Python scripts, and a team of one agent talking to the loopback fake LLM
server (tests/fakes) over real HTTP.
"""

from __future__ import annotations

import sys
import typing
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lessonl_server import wire
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import register_lsp_features

from lessonl.bank import LessonBank
from lessonl.lessons import Lesson
from lessonl.state import StateDir

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

CHECK = """\
import sys
sys.path.insert(0, "src")
from kern import total
assert total(1000) == sum(i * i for i in range(1000))
"""

BENCH = """\
import sys, time
sys.path.insert(0, "src")
from kern import total
for _ in range(3):
    t = time.perf_counter()
    total(200_000)
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
    """pytest-lsp's client plus a scripted answer to `workspace/applyEdit`."""

    apply_answer: bool = True
    applied: list[types.ApplyWorkspaceEditParams]
    init_result: types.InitializeResult


def make_client() -> Client:
    client = Client(converter_factory=_client_converter)
    register_lsp_features(client)
    client.applied = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(
        ls: Client, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        ls.applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=ls.apply_answer)

    return client


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "kern.py").write_text(SLOW, encoding="utf-8")
    (root / "src" / "free.py").write_text("def f():\n    return 2\n", encoding="utf-8")
    (root / "check.py").write_text(CHECK, encoding="utf-8")
    (root / "bench.py").write_text(BENCH, encoding="utf-8")
    py = sys.executable
    (root / "lessonl.toml").write_text(
        f"""[run]
rounds = 1
lessons_per_prompt = 2

[[targets]]
name = "kern"
files = ["src/kern.py"]
test = "{py} check.py"
bench = "{py} bench.py"
timeout_s = 30
""",
        encoding="utf-8",
    )
    return root


CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "lessonl_server"], client_factory=make_client
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


def open_doc(client: LanguageClient, path: Path, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id="python",
                version=version,
                text=path.read_text(encoding="utf-8"),
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
