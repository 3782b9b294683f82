"""Unit tests of the language server's pure parts: hunk edits, settings, the set-up skeleton.

The LSP behaviour itself is tested end to end in test_server.py (a real server subprocess).
"""

from __future__ import annotations

import json
import random
import subprocess
import tomllib
from pathlib import Path

import pytest
from lessonl_server import actions
from lessonl_server.edits import hunk_edits, split_lines
from lessonl_server.settings import WIRE_NAMES, Settings
from lsprotocol import types
from pygls.workspace import PositionCodec, TextDocument

from lessonl.config import RunConfig, load_config, parse_config
from lessonl.errors import ConfigError


def apply(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    """Apply LSP edits the way a client does: all ranges refer to the original, so go backwards.

    pygls's own TextDocument does the position arithmetic (a real LSP implementation, not ours).
    It splits lines with `str.splitlines`, so the cases avoid form feeds and U+2028.
    """
    doc = TextDocument("file:///t.py", text, position_codec=PositionCodec(encoding))
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))[::-1]:
        doc.apply_change(
            types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)
        )
    return doc.source


CASES = [
    ("", "def f():\n    return 1\n"),
    ("a\nb\nc\n", "a\nB\nc\n"),
    ("a\nb\nc", "a\nb\nc\nd"),  # no final newline, growing at the end
    ("a\nb\nc", "a\nb"),
    ("x\r\ny\r\n", "x\r\nz\r\n"),
    ("é😀\nline\n", "é😀\nline\nmore\n"),
    ("é😀 tail", "é😀 tail changed"),  # the end position is in UTF-16 units
    ("a\n\n\n", "a\n\n"),
]


@pytest.mark.parametrize(("old", "new"), CASES)
def test_hunk_edits_reproduce_the_new_text(old: str, new: str) -> None:
    assert apply(old, hunk_edits(old, new)) == new


def test_hunk_edits_touch_only_changed_lines_and_can_be_annotated() -> None:
    old = "".join(f"line {i}\n" for i in range(100))
    new = old.replace("line 10\n", "LINE 10\n").replace("line 80\n", "line 80\nadded\n")
    edits = hunk_edits(old, new, annotation_id="p")
    assert len(edits) == 2
    assert all(isinstance(e, types.AnnotatedTextEdit) and e.annotation_id == "p" for e in edits)
    assert [e.range.start.line for e in edits] == [10, 81]  # a change, an insertion
    assert apply(old, edits) == new


def test_hunk_edits_random_mutations_round_trip() -> None:
    rng = random.Random(7)
    words = ["int x = 0;", "return x;", "for (;;) {}", "}", "", "é 😀", "\tindent"]
    for _ in range(200):
        old_lines = [rng.choice(words) for _ in range(rng.randint(0, 12))]
        new_lines = list(old_lines)
        for _ in range(rng.randint(1, 4)):
            op = rng.choice(["ins", "del", "rep"])
            i = rng.randint(0, len(new_lines))
            if op == "ins" or not new_lines:
                new_lines.insert(i, rng.choice(words))
            elif op == "del":
                del new_lines[min(i, len(new_lines) - 1)]
            else:
                new_lines[min(i, len(new_lines) - 1)] = rng.choice(words)
        old = "\n".join(old_lines) + rng.choice(["", "\n"])
        new = "\n".join(new_lines) + rng.choice(["", "\n"])
        for enc in ("utf-16", "utf-8", "utf-32"):
            assert apply(old, hunk_edits(old, new, encoding=enc), enc) == new, (old, new)


def test_split_lines_counts_like_lsp() -> None:
    assert split_lines("a\r\nb\rc\nd") == ["a\r\n", "b\r", "c\n", "d"]
    assert split_lines("a\fb\u2028c\n") == ["a\fb\u2028c\n"]
    assert split_lines("") == []


def test_settings_layers_and_validation() -> None:
    init = Settings.from_wire({"lessonl": {"rounds": 3, "maxCostUsd": 0.5}}, source="init")
    ws = Settings.from_wire({"rounds": 1, "lessonsPerPrompt": 0, "interpreter": "x"}, source="ws")
    merged = init.merged(ws)
    options = merged.run_options().apply(RunConfig())
    assert (options.rounds, options.lessons_per_prompt, options.max_cost_usd) == (1, 0, 0.5)
    assert options.max_wall_s is None
    assert Settings.from_wire(None, source="init") == Settings()
    with pytest.raises(ConfigError, match=r"lessonl\.rounds"):
        Settings.from_wire({"rounds": 0}, source="settings")
    with pytest.raises(ConfigError, match=r"lessonl\.maxWallSeconds"):
        Settings.from_wire({"maxWallSeconds": "soon"}, source="settings")
    with pytest.raises(ConfigError, match="expected an integer"):
        Settings.from_wire({"lessonsPerPrompt": True}, source="settings")


@pytest.mark.parametrize(
    ("wire", "bad"),
    [
        ("rounds", 0),
        ("rounds", 2.5),
        ("lessonsPerPrompt", -1),
        ("maxWallSeconds", 0),
        ("maxCostUsd", "cheap"),
    ],
)
def test_a_bad_setting_fails_like_the_same_value_in_lessonl_toml(
    tmp_path: Path, wire: str, bad: object
) -> None:
    """One validation: the editor's setting and lessonl.toml's `[run]` key give the same
    reason, in one line that names the setting."""
    key = WIRE_NAMES[wire]
    with pytest.raises(ConfigError) as from_settings:
        Settings.from_wire({wire: bad}, source="settings")
    with pytest.raises(ConfigError) as from_toml:
        parse_config({"run": {key: bad}}, path=tmp_path / "lessonl.toml", root=tmp_path)
    line = str(from_settings.value)
    assert line.startswith(f"settings: lessonl.{wire}: expected ") and "\n" not in line
    assert line.endswith("; fix the setting")
    reason = str(from_toml.value).split(f"run.{key}: ", 1)[1]
    assert line == f"settings: lessonl.{wire}: {reason}; fix the setting"


def test_a_bad_value_replaced_by_a_higher_layer_does_not_fail() -> None:
    """The server started with a bad value in initializationOptions; the user fixed the
    setting since, and the configuration answer carries the fix."""
    init = ({"lessonl": {"rounds": 0, "maxCostUsd": 0.5}}, "initializationOptions")
    fixed = Settings.from_layers([init, ({"rounds": 2}, "settings")])
    run = fixed.run_options().apply(RunConfig())
    assert run.rounds == 2 and run.max_cost_usd == 0.5
    with pytest.raises(ConfigError, match=r"^initializationOptions: lessonl\.rounds: "):
        Settings.from_layers([init, ({"rounds": None}, "settings")])


def test_the_extension_declares_exactly_the_server_settings() -> None:
    """package.json's run settings are the server's table, typed as `[run]` types them."""
    package = Path(__file__).resolve().parent.parent / "vscode-extension" / "package.json"
    props = json.loads(package.read_text(encoding="utf-8"))["contributes"]["configuration"][
        "properties"
    ]
    client_only = {"lessonl.interpreter", "lessonl.trace.server"}
    assert {k.removeprefix("lessonl.") for k in props if k not in client_only} == set(WIRE_NAMES)
    run_types = RunConfig.__annotations__
    for wire, key in WIRE_NAMES.items():
        declared = props[f"lessonl.{wire}"]["type"]
        want = "integer" if run_types[key].startswith("int") else "number"
        assert declared == [want, "null"], (wire, declared)


def _uncomment(text: str) -> str:
    return "\n".join(line.removeprefix("# ") for line in text.splitlines())


@pytest.mark.parametrize("language_file", ["src/kern.cpp", "lib/k.c", "pkg/mod.py"])
def test_skeleton_creates_config_and_uncomments_to_a_valid_target(
    tmp_path: Path, language_file: str
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # root without config
    file = tmp_path / language_file
    file.parent.mkdir(parents=True)
    file.write_text("\n", encoding="utf-8")
    done = actions.write_skeleton(file)
    assert done.config_path == tmp_path / "lessonl.toml" and done.appended
    text = done.config_path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[done.line].startswith("# LessonL target for")
    assert lines[done.end_line] == "# timeout_s = 60"
    # Commented: the config as written loads, with no targets yet.
    assert load_config(tmp_path).targets == ()
    # Uncommented, it is a valid target covering the file.
    start = lines.index("# [[targets]]")
    assert done.line < start < done.end_line
    body = _uncomment("\n".join(lines[start : done.end_line + 1]))
    (tmp_path / "lessonl.toml").write_text(body + "\n", encoding="utf-8")
    config = load_config(tmp_path)
    assert config.targets_for(file)


def test_skeleton_appends_never_overwrites_and_is_idempotent(tmp_path: Path) -> None:
    existing = '[run]\nrounds = 2\n\n[[targets]]\nname = "other"\nfiles = ["a.py"]\n'
    existing += 'test = "true"\nbench = "true"'  # no final newline
    (tmp_path / "lessonl.toml").write_text(existing, encoding="utf-8")
    file = tmp_path / "b.py"
    file.write_text("def f():\n    pass\n", encoding="utf-8")
    done = actions.write_skeleton(file)
    text = (tmp_path / "lessonl.toml").read_text(encoding="utf-8")
    assert text.startswith(existing + "\n")
    assert text.splitlines()[done.line].startswith("# LessonL target for b.py")
    assert tomllib.loads(text)["run"]["rounds"] == 2
    again = actions.write_skeleton(file)
    assert not again.appended
    assert (tmp_path / "lessonl.toml").read_text(encoding="utf-8") == text
    # A file some target already lists is not given a skeleton either.
    before = (tmp_path / "lessonl.toml").read_text(encoding="utf-8")
    assert not actions.write_skeleton(tmp_path / "a.py").appended
    assert (tmp_path / "lessonl.toml").read_text(encoding="utf-8") == before


def test_skeleton_goes_into_pyproject_when_that_is_the_config(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "x"\n\n[tool.lessonl.run]\nrounds = 1\n'
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    file = tmp_path / "m.py"
    file.write_text("def f():\n    pass\n", encoding="utf-8")
    done = actions.write_skeleton(file)
    assert done.config_path == tmp_path / "pyproject.toml"
    assert not (tmp_path / "lessonl.toml").exists()
    text = done.config_path.read_text(encoding="utf-8")
    assert text.startswith(pyproject) and "# [[tool.lessonl.targets]]" in text
    assert load_config(tmp_path).run.rounds == 1


@pytest.mark.parametrize(
    ("trigger", "offered"),
    [
        (None, True),
        (types.CodeActionTriggerKind.Invoked, True),
        (types.CodeActionTriggerKind.Automatic, False),
    ],
)
def test_a_client_without_trigger_kind_gets_the_action(
    tmp_path: Path, trigger: types.CodeActionTriggerKind | None, offered: bool
) -> None:
    """Clients older than LSP 3.17 send no `triggerKind`: they never saw the action."""
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\nversion = '0'\n")
    source = "def f(xs):\n    return sorted(xs)\n"
    (root / "m.py").write_text(source)
    pos = types.Position(line=1, character=4)
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=(root / "m.py").as_uri()),
        range=types.Range(start=pos, end=pos),
        context=types.CodeActionContext(diagnostics=[], trigger_kind=trigger),
    )
    found = actions.code_actions(
        params,
        source=source,
        version=1,
        configs=actions.ConfigCache(),
        index=actions.FunctionIndex(),
        disabled_support=True,
    )
    titles = [a.title for a in found or []]
    assert ("Optimize `f` with lessons" in titles) is offered
