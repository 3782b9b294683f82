"""lessonl.config: discovery, strict validation and one-line messages naming file and key."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from lessonl.config import (
    Config,
    TargetConfig,
    find_project_root,
    language_for_path,
    load_config,
    parse_agents_file,
)
from lessonl.errors import ConfigError

TARGET = """
[[targets]]
name = "t"
files = ["src/a.hpp"]
test = "true"
bench = "true"
"""


def write_config(root: Path, text: str, name: str = "lessonl.toml") -> Path:
    path = root / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def config_error(root: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(root)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_minimal_target_gets_defaults(tmp_path: Path) -> None:
    write_config(tmp_path, TARGET)
    cfg = load_config(tmp_path)
    assert cfg.root == tmp_path and cfg.path == tmp_path / "lessonl.toml"
    (t,) = cfg.targets
    assert t.files == ("src/a.hpp",) and t.build is None and t.timeout_s == 60.0
    assert (t.min_pairs, t.ci_target, t.memory_mb) == (6, 0.02, 4096)
    assert t.language == "cpp"
    assert cfg.run.rounds == 4 and cfg.run.lessons_per_prompt == 4
    assert cfg.agents == ()


def test_found_from_a_nested_file(tmp_path: Path) -> None:
    write_config(tmp_path, TARGET)
    (tmp_path / "src").mkdir()
    (tmp_path / "src/a.hpp").write_text("int x;")
    cfg = load_config(tmp_path / "src" / "a.hpp")
    assert cfg.root == tmp_path
    assert cfg.target(file=tmp_path / "src" / "a.hpp").name == "t"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[runs]\nrounds = 2\n", "unknown key 'runs'"),
        ("[run]\nround = 2\n", "unknown key run.round"),
        (TARGET + 'timeout = "3"\n', "unknown key targets[0].timeout;"),
        (TARGET + 'timeout_s = "3"\n', "targets[0].timeout_s: expected a number, got '3'"),
        (TARGET + "compare_output = 1\n", "targets[0].compare_output: expected true or false"),
        (TARGET + "min_pairs = 2.5\n", "targets[0].min_pairs: expected an integer"),
        (TARGET + 'exclude = "ref"\n', "targets[0].exclude: expected an array of strings"),
        (TARGET + "env = { A = 1 }\n", "targets[0].env: expected a table of strings"),
        (TARGET + "min_pairs = 1\n", "targets[0].min_pairs: expected 2 <= min_pairs"),
        (TARGET + "ci_target = 0\n", "targets[0].ci_target: expected a positive number"),
        (TARGET + 'reuse_build = ["../b"]\n', "targets[0].reuse_build: expected folders"),
        (TARGET + 'reuse_build = ["{build}/p"]\n', "relative to {build}"),
        (TARGET + 'reuse_build = ["."]\n', "targets[0].reuse_build: expected folders"),
        (TARGET.replace('test = "true"\n', ""), "targets[0]: missing required key 'test'"),
        (TARGET.replace('"src/a.hpp"', '"../a.hpp"'), "expected paths inside the project root"),
        (TARGET + TARGET, "targets[1].name: duplicate target name 't'"),
        ("[run]\nrounds = 0\n", "run.rounds: expected an integer >= 1, got 0"),
        ("[run]\ntemperature = 3\n", "run.temperature: expected a number between 0 and 2"),
        ('[run]\nskeptic = "no"\n', "run.skeptic: expected true or false"),
        ('[[agents]]\nname = "a"\nprovider = "gemini"\nmodel = "m"\n', "agents[0].provider"),
        ('[[agents]]\nname = "a"\nprovider = "openai"\n', "agents[0].model"),
        ("targets = 3\n", "targets: expected an array of tables"),
        ("[[targets]\n", "invalid TOML"),
    ],
)
def test_invalid_config_names_file_and_key_on_one_line(
    tmp_path: Path, text: str, needle: str
) -> None:
    write_config(tmp_path, text)
    message = config_error(tmp_path)
    assert message.startswith(str(tmp_path / "lessonl.toml") + ": ")
    assert needle in message, message


def test_pyproject_tool_table_is_used_with_prefixed_keys(tmp_path: Path) -> None:
    body = TARGET.replace("[[targets]]", "[[tool.lessonl.targets]]")
    write_config(tmp_path, '[project]\nname = "x"\n' + body, "pyproject.toml")
    assert load_config(tmp_path).targets[0].name == "t"
    write_config(tmp_path, body + "colour = 1\n", "pyproject.toml")
    message = config_error(tmp_path)
    assert "pyproject.toml" in message and "tool.lessonl.targets[0]" in message


def test_pyproject_without_tool_table_is_not_a_config(tmp_path: Path) -> None:
    write_config(tmp_path, '[project]\nname = "x"\n', "pyproject.toml")
    message = config_error(tmp_path)
    assert "no lessonl.toml found" in message
    assert load_config(tmp_path, required=False).targets == ()


def test_nearest_config_wins(tmp_path: Path) -> None:
    write_config(tmp_path, TARGET.replace('"t"', '"outer"'))
    inner = tmp_path / "inner"
    inner.mkdir()
    write_config(inner, TARGET.replace('"t"', '"inner"'))
    assert load_config(inner).targets[0].name == "inner"
    assert find_project_root(inner / "nothing.py") == inner


def test_project_root_without_config_is_the_git_root(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "deep").mkdir()
    assert find_project_root(tmp_path / "deep").resolve() == tmp_path.resolve()


def _cfg(tmp_path: Path, *targets: TargetConfig) -> Config:
    return Config(path=tmp_path / "lessonl.toml", root=tmp_path, targets=targets)


def test_target_selection(tmp_path: Path) -> None:
    a = TargetConfig(name="a", files=("x.py",), test="t", bench="b")
    b = TargetConfig(name="b", files=("x.py", "y.py"), test="t", bench="b")
    cfg = _cfg(tmp_path, a, b)
    assert cfg.target("b").name == "b"
    assert cfg.target(file=tmp_path / "y.py").name == "b"
    with pytest.raises(ConfigError, match="several targets cover"):
        cfg.target(file=tmp_path / "x.py")
    with pytest.raises(ConfigError, match=r"no target named 'c' \(known: a, b\)"):
        cfg.target("c")
    with pytest.raises(ConfigError, match=r"no target lists z\.py"):
        cfg.target(file=tmp_path / "z.py")
    with pytest.raises(ConfigError, match="pick one with --target"):
        cfg.target()
    assert _cfg(tmp_path, a).target().name == "a"
    with pytest.raises(ConfigError, match="no \\[\\[targets\\]\\] defined"):
        _cfg(tmp_path).target()


def test_team_file_holds_only_agents(tmp_path: Path) -> None:
    team = write_config(tmp_path, '[[agents]]\nname = "a"\nprovider = "local"\n', "team.toml")
    (agent,) = parse_agents_file(team)
    assert agent.provider == "local" and agent.max_retries == 4
    write_config(tmp_path, TARGET, "team.toml")
    with pytest.raises(ConfigError, match="a team file holds only"):
        parse_agents_file(team)


@pytest.mark.parametrize(
    ("name", "language"),
    [("a.c", "c"), ("a.h", "c"), ("a.HPP", "cpp"), ("a.cc", "cpp"), ("a.py", "python")],
)
def test_language_for_path(name: str, language: str) -> None:
    assert language_for_path(name) == language


def test_unknown_extension_has_no_language() -> None:
    assert language_for_path("a.rs") is None
