"""Hotspots in the editor, end to end: the real server (`python -m lessonl_server`) driven by
pytest-lsp as a VS Code-like client, on tests/data/hotspots copied to a temporary folder. The
`lessonl.findHotspots` command profiles a real workload (cProfile under the Python running the
tests); the CodeLens answers come from the result it keeps."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import register_lsp_features
from test_server import SERVER_ENV, _client_converter

DATA = Path(__file__).resolve().parent / "data"
LENS_TITLE = r"LessonL: \d+(\.\d)?% of workload time · Optimize"


class Client(LanguageClient):
    lens_refreshes: int


def make_client() -> Client:
    client = Client(converter_factory=_client_converter)
    register_lsp_features(client)
    client.lens_refreshes = 0

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh(ls: Client, params: None) -> None:
        ls.lens_refreshes += 1

    return client


CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "lessonl_server"],
    client_factory=make_client,
    server_env=SERVER_ENV,
)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "hotspots"
    shutil.copytree(
        DATA / "hotspots", root, ignore=shutil.ignore_patterns(".lessonl", "__pycache__")
    )
    return root


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: Client, shop: Path) -> Any:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=shop.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=shop.as_uri(), name="shop")],
        )
    )
    yield
    await lsp_client.shutdown_session()


def open_doc(client: LanguageClient, path: Path) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=path.read_text(encoding="utf-8")
            )
        )
    )
    return uri


def edit(client: LanguageClient, uri: str, version: int, line: int, old: str, new: str) -> None:
    """didChange replacing the first `old` on `line` (0-based) by `new`; `old` "" inserts at
    the start of the line."""
    start = types.Position(line=line, character=0)
    end = types.Position(line=line, character=len(old))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=start, end=end), text=new
                )
            ],
        )
    )


async def lenses(client: LanguageClient, uri: str) -> list[types.CodeLens]:
    result = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    return list(result or [])


async def find_hotspots(client: LanguageClient, argument: dict[str, Any]) -> Any:
    return await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="lessonl.findHotspots", arguments=[argument])
        ),
        timeout=300,
    )


async def test_the_lens_shows_the_hot_function_only_and_not_once_it_changed(
    client: Client, shop: Path
) -> None:
    prices = shop / "shop" / "prices.py"
    uri = open_doc(client, prices)
    assert await lenses(client, uri) == []  # no profile yet
    assert not (shop / ".lessonl").exists()  # and asking created nothing

    result = await find_hotspots(client, {"uri": shop.as_uri(), "command": ["python", "bench.py"]})
    assert result["functions"] >= 3
    assert result["hottest"][0]["function"] == "shop/prices.py:total_with_tax"
    assert client.lens_refreshes == 1
    (token,) = client.progress_reports
    begin, end = client.progress_reports[token][0], client.progress_reports[token][-1]
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.cancellable
    assert begin.message == "profiling `python bench.py`"
    assert isinstance(end, types.WorkDoneProgressEnd)
    assert end.message and "shop/prices.py:total_with_tax" in end.message
    kept = json.loads((shop / ".lessonl" / "hotspots" / "latest.json").read_text())
    hashed = {e["function"] for e in kept["functions"] if e.get("source_sha256")}
    assert "shop/prices.py:total_with_tax" in hashed

    # Only the hot function (the generator, `label` and `Basket.summary` are cold here).
    (lens,) = await lenses(client, uri)
    assert lens.range.start.line == 3  # `def total_with_tax`
    assert lens.command is not None
    assert re.fullmatch(LENS_TITLE, lens.command.title), lens.command.title
    assert lens.command.command == "lessonl.optimize"
    assert list(lens.command.arguments or []) == [
        {"uri": uri, "version": 1, "function": "total_with_tax"}
    ]

    # An edit elsewhere in the file: the function's numbers still hold, at its new line.
    edit(client, uri, 2, 0, "", "# a new first line\n")
    (lens,) = await lenses(client, uri)
    assert lens.range.start.line == 4
    assert lens.command is not None and lens.command.arguments
    assert lens.command.arguments[0]["version"] == 2

    # An unsaved edit inside the function: its numbers are stale, so no lens.
    edit(client, uri, 3, 11, "        total += p * 1.2", "        total += p * 1.3")
    assert await lenses(client, uri) == []


async def test_cancelling_the_progress_stops_the_profile_and_keeps_the_last_one(
    client: Client, shop: Path
) -> None:
    latest = shop / ".lessonl" / "hotspots" / "latest.json"
    latest.parent.mkdir(parents=True)
    latest.write_text('{"command": "before", "functions": []}\n', encoding="utf-8")
    # The token is the client's, as our extension sends it (it shows its own Cancel button).
    token = "lessonl-hotspots-from-the-client"
    client.progress_reports[token] = []
    argument = {"uri": shop.as_uri(), "command": ["python", "hangs.py"], "workDoneToken": token}
    running = asyncio.ensure_future(find_hotspots(client, argument))
    for _ in range(1200):  # the server's first import of the profiler's modules, under load
        if client.progress_reports[token]:
            break
        await asyncio.sleep(0.05)
    assert isinstance(client.progress_reports[token][0], types.WorkDoneProgressBegin)
    # Cancel once the workload runs: `hotspots.profile` cancelled while it still copies the
    # project leaves its private copy behind (its copy runs outside its cleanup).
    ready = shop / ".lessonl" / "hotspots" / "work" / "home" / "tmp"
    for _ in range(1200):
        if ready.is_dir():
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    assert await asyncio.wait_for(running, timeout=30) is None
    assert latest.read_text(encoding="utf-8") == '{"command": "before", "functions": []}\n'
    assert any("profiling cancelled" in m.message for m in client.messages)
    end = client.progress_reports[token][-1]
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message == "cancelled"
    assert not (shop / ".lessonl" / "hotspots" / "work").exists()


async def test_a_failing_workload_is_one_message_and_a_damaged_result_one_warning(
    client: Client, shop: Path
) -> None:
    assert await find_hotspots(client, {"command": ["python", "fails.py"]}) is None
    (shown,) = client.messages
    assert shown.type == types.MessageType.Error
    assert shown.message.startswith("LessonL: `python fails.py` fails on the original code")
    assert "\n" not in shown.message

    # Arguments of the wrong shape, and a program that does not exist: one line each.
    assert await find_hotspots(client, {"command": "python bench.py"}) is None
    assert await find_hotspots(client, {"timeoutS": "soon"}) is None
    assert await find_hotspots(client, {"command": ["ruby", "x.rb"]}) is None
    assert await find_hotspots(client, {"timeoutS": -1}) is None
    string, wrong, ruby, negative = client.messages[1:]
    assert negative.message == "LessonL: timeoutS -1: give a positive number of seconds"
    assert string.message.startswith("LessonL: lessonl.findHotspots: `command` is the workload")
    assert wrong.message.startswith("LessonL: lessonl.findHotspots: invalid params"), wrong
    assert "ruby" in ruby.message, ruby  # a program is profiled with perf: not found here
    assert all(
        m.type == types.MessageType.Error and "\n" not in m.message for m in (string, wrong, ruby)
    )

    latest = shop / ".lessonl" / "hotspots" / "latest.json"
    latest.parent.mkdir(parents=True, exist_ok=True)
    latest.write_text("{not json", encoding="utf-8")
    uri = open_doc(client, shop / "shop" / "prices.py")
    assert await lenses(client, uri) == []
    assert await lenses(client, uri) == []
    warnings = [m for m in client.messages if m.type == types.MessageType.Warning]
    assert len(warnings) == 1  # once, not on every lens request
    assert "is not a hotspots result" in warnings[0].message
