"""`lessonl.run`, the one door of a run: the plan is made once per run, by one rule, and every
front end gives the answer the plan gives. Real CLI (in-process, so the test can count what
it calls), the fake LLM server through the real openai client, the real C++ build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FakeLLM
from loop_project import FAST, FILE, SAME, by_agent, make_project

from lessonl import cli
from lessonl import run as runs
from lessonl.config import AmbiguousTarget, Config, ConfigError, TargetConfig
from lessonl.errors import LessonLError, UsageError


def test_a_cli_run_makes_its_plan_once(
    tmp_path: Path,
    fake_llm: FakeLLM,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Config, target and overrides are decided once: `plan()` and the overrides' check run
    once for a whole `lessonl optimize` (they used to run in the CLI, the engine and the loop)."""
    fake_llm.script_fn(by_agent({"alpha": FAST, "beta": SAME}))
    root = make_project(tmp_path, fake_llm, run="rounds = 1")
    plans: list[runs.Plan] = []
    applied: list[runs.Overrides] = []
    real_plan, real_apply = runs.plan, runs.Overrides.apply

    def counting_plan(request: runs.RunRequest) -> runs.Plan:
        made = real_plan(request)
        plans.append(made)
        return made

    def counting_apply(self: runs.Overrides, run: runs.RunConfig) -> runs.RunConfig:
        applied.append(self)
        return real_apply(self, run)

    monkeypatch.setattr(runs, "plan", counting_plan)
    monkeypatch.setattr(runs.Overrides, "apply", counting_apply)
    monkeypatch.chdir(root)
    code = cli.main(["optimize", f"{FILE}:histogram", "--json", "--lessons", "2"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert report["best"]["agent"] == "alpha"
    assert len(plans) == 1 and len(applied) == 1
    assert plans[0].kind == "hand-written" and plans[0].run.lessons_per_prompt == 2


def _python_project(root: Path, *, tests: bool) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "m"\nversion = "0"\n')
    (root / "m.py").write_text("def double(x):\n    return x + x\n")
    if tests:
        (root / "tests").mkdir()
        (root / "tests" / "test_m.py").write_text(
            "from m import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
        )
    return root


@pytest.mark.parametrize("command", ["optimize", "evaluate", "target"])
def test_a_python_file_without_tests_gets_the_plans_answer(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    """A Python file no target covers, in a project without tests: the CLI's one line is the
    plan's error (the editor asks the same `plan()`), before any recording or model call."""
    root = _python_project(tmp_path / "proj", tests=False)
    with pytest.raises(UsageError) as planned:
        runs.plan(runs.RunRequest(root / "m.py", "double"))
    assert "has no tests" in str(planned.value)
    assert planned.value.data == {"file": "m.py", "needs": "tests-or-target"}
    monkeypatch.chdir(root)
    args = ["m.py:double"] + (["--candidate", "m.py"] if command == "evaluate" else [])
    assert cli.main([command, *args]) == 2
    _out, err = capsys.readouterr()
    assert err == f"lessonl: {planned.value}\n"
    assert not (root / ".lessonl").exists()  # nothing was recorded, nothing was kept


def test_tests_kept_inside_the_package_count_and_an_environments_do_not(tmp_path: Path) -> None:
    """toolz keeps its tests in toolz/tests/ and src-layout projects in src/pkg/tests/: pytest
    collects them, so the plan must not refuse the project for having "no tests" (it did, as
    it looked only at the root and one folder down). Test files inside a virtual environment
    or a hidden folder are not the project's and still do not count."""
    root = _python_project(tmp_path / "proj", tests=False)
    (root / ".venv" / "lib" / "site-packages" / "dep").mkdir(parents=True)
    (root / ".venv" / "lib" / "site-packages" / "dep" / "test_dep.py").write_text("")
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "node_modules" / "x" / "test_x.py").write_text("")
    with pytest.raises(UsageError, match="has no tests"):
        runs.plan(runs.RunRequest(root / "m.py", "double"))
    inner = root / "src" / "m_pkg" / "tests"
    inner.mkdir(parents=True)
    (inner / "test_m.py").write_text("def test_nothing():\n    pass\n")
    assert runs.plan(runs.RunRequest(root / "m.py", "double")).kind == "auto-python"
    (inner / "test_m.py").rename(inner / "m_test.py")  # pytest's other default name
    assert runs.plan(runs.RunRequest(root / "m.py", "double")).kind == "auto-python"


def test_the_rule_for_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Named entry, else the covering entry, else automatic Python (with tests), else the
    error of a C/C++ file without an entry (as long as no automatic C/C++ target is there)."""
    monkeypatch.setattr(runs, "native_preparer", lambda: None)
    root = _python_project(tmp_path / "proj", tests=True)
    (root / "k.cpp").write_text("int k() { return 1; }\n")
    (root / "n.txt").write_text("")
    covering = TargetConfig(name="mine", files=("m.py",), test="true", bench="true")
    other = TargetConfig(name="other", files=("k.cpp",), test="true", bench="true")
    bare = Config(path=None, root=root)
    with_targets = Config(path=None, root=root, targets=(covering, other))

    def kind(config: Config, file: str, target: str | None = None) -> str:
        made = runs.plan(runs.RunRequest(root / file, "double", target=target, config=config))
        return made.kind

    assert kind(bare, "m.py") == "auto-python"
    assert kind(with_targets, "m.py") == "hand-written"
    with pytest.raises(UsageError, match=r"target 'other' does not list m\.py") as wrong:
        kind(with_targets, "m.py", target="other")
    assert wrong.value.data == {"targets": ["mine"]}
    with pytest.raises(ConfigError, match="no target named 'nope'"):
        kind(with_targets, "m.py", target="nope")
    with pytest.raises(ConfigError, match=r"no \[\[targets\]\] defined"):
        kind(bare, "k.cpp")  # no automatic C/C++ target installed: today's line
    with pytest.raises(UsageError, match="unsupported file type"):
        kind(bare, "n.txt")
    with pytest.raises(UsageError, match="name the function"):
        runs.plan(runs.RunRequest(root / "m.py", None, config=bare))
    ambiguous = Config(
        path=None,
        root=root,
        targets=(
            covering,
            covering.__class__(name="again", files=("m.py",), test="true", bench="true"),
        ),
    )
    with pytest.raises(AmbiguousTarget) as several:
        kind(ambiguous, "m.py")
    assert several.value.data == {"targets": ["mine", "again"]}


def test_an_override_error_names_the_flag_or_setting(tmp_path: Path) -> None:
    """Flags and editor settings are checked by `check_run_value`, the rules of lessonl.toml,
    and the line names what the user typed; `data.setting` is the `[run]` key."""
    root = _python_project(tmp_path / "proj", tests=True)
    flags = runs.Overrides.of({"rounds": (0, "--rounds")}, fix="fix the flag")
    with pytest.raises(LessonLError) as bad:
        runs.plan(runs.RunRequest(root / "m.py", "double", overrides=flags))
    assert str(bad.value) == "--rounds: expected an integer >= 1, got 0; fix the flag"
    assert bad.value.data == {"setting": "rounds", "name": "--rounds"}
    setting = runs.Overrides.of(
        {"max_cost_usd": ("lots", "settings: lessonl.maxCostUsd")}, fix="fix the setting"
    )
    with pytest.raises(ConfigError, match=r"^settings: lessonl.maxCostUsd: expected a number"):
        runs.plan(runs.RunRequest(root / "m.py", "double", overrides=setting))
    fine = runs.Overrides.of(
        {"rounds": (2, "--rounds"), "max_tokens": (None, "--max-tokens")}, fix=""
    )
    made = runs.plan(runs.RunRequest(root / "m.py", "double", overrides=fine))
    assert made.run.rounds == 2 and made.run.max_tokens is None
    assert made.config.run == made.run  # everything downstream sees the overrides


def test_a_cpp_file_is_automatic_where_its_build_is_readable_and_an_entry_always_wins(
    tmp_path: Path,
) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "k.cpp").write_text("int k() { return 1; }\n")
    (root / "CMakeLists.txt").write_text("project(p CXX)\nadd_library(p k.cpp)\n")
    made = runs.plan(runs.RunRequest(root / "k.cpp", "k", config=Config(path=None, root=root)))
    assert made.kind == "auto-native" and made.target is None
    with pytest.raises(UsageError, match="name the function to optimize"):
        runs.plan(runs.RunRequest(root / "k.cpp", None, config=Config(path=None, root=root)))
    (root / "lessonl.toml").write_text(
        '[[targets]]\nname = "mine"\nfiles = ["k.cpp"]\nbuild = "true"\ntest = "true"\n'
        'bench = "true"\n'
    )
    made = runs.plan(runs.RunRequest(root / "k.cpp", "k"))
    assert made.kind == "hand-written" and made.target is not None
    assert made.target.name == "mine"
