"""The README's two set-up commands are the project's front door: CI must run the same test
command, and the main-job command must name a file and function that exist."""

from __future__ import annotations

import re
from pathlib import Path

from lessonl import regions
from lessonl.config import language_for_path, load_config

ROOT = Path(__file__).resolve().parent.parent


def _setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.S)


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    commands = _setup_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    main_job, tests = commands
    assert "pytest" in tests and "lessonl optimize" in main_job
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_readme_main_job_targets_a_real_function() -> None:
    main_job = _setup_commands()[0]
    spec = main_job.split("lessonl optimize ", 1)[1].split()[0]
    path, function = spec.rsplit(":", 1)
    file = ROOT / path
    config = load_config(file)
    assert config.target(file=file).name
    names = [f.name for f in regions.list_functions(file.read_text(), language_for_path(file))]
    assert function in names


def test_the_repository_cites_only_its_own_docs() -> None:
    """A clone must be readable on its own: nothing cites the steering repo's shared docs, and
    every `docs/NAME.md` cited in code or docs exists."""
    roots = [
        "README.md",
        "docs",
        "lessonl",
        "server",
        "tests",
        "benchmarks",
        "vscode-extension/src",
    ]
    files = [p for r in roots for p in ([ROOT / r] if r.endswith(".md") else (ROOT / r).rglob("*"))]
    texts = {p: p.read_text(encoding="utf-8") for p in files if p.suffix in {".md", ".py", ".ts"}}
    shared = "../" + "shared"  # spelled apart so this file does not cite it either
    assert [str(p) for p, t in texts.items() if shared in t] == []
    cited = {m for t in texts.values() for m in re.findall(r"docs/([a-z][\w-]*\.md)", t)}
    assert cited and all((ROOT / "docs" / name).is_file() for name in cited), cited
