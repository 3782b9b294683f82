"""Benchmark suites: discover the problems of `benchmarks/<suite>/` and pick the ones asked for.

A problem is a sub-folder holding a `lessonl.toml` with exactly one `[[targets]]` and a
`[problem]` table (category, function, description). Folders whose name starts with `_` or `.`
are shared helpers (e.g. `_common/`), not problems. The function to optimize lives in one of
the target's files; we find which with tree-sitter rather than assuming the first file, so a
problem may list a header and its helper file in either order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lessonl import regions
from lessonl.config import CONFIG_NAME, Config, TargetConfig, language_for_path, load_config_file
from lessonl.errors import ConfigError, LessonLError, UsageError


@dataclass(frozen=True)
class Problem:
    """One benchmark problem: its folder, config and the function the strategies rewrite."""

    name: str
    path: Path
    config: Config
    target: TargetConfig
    category: str
    function: str
    description: str
    file: str  # the target file holding `function`, relative to `path`
    language: str

    def listing(self) -> dict[str, Any]:
        """The `bench --list --json` entry (docs/contracts.md)."""
        return {"name": self.name, "category": self.category, "language": self.language}


def load_problem(folder: Path) -> Problem:
    """Load one problem folder; raises `ConfigError` naming what is missing."""
    config = load_config_file(folder / CONFIG_NAME)
    where = folder / CONFIG_NAME
    if config.problem is None:
        raise ConfigError(f"{where}: no [problem] table; add category, function and description")
    if len(config.targets) != 1:
        raise ConfigError(
            f"{where}: a benchmark problem needs exactly one [[targets]], found "
            f"{len(config.targets)}"
        )
    target = config.targets[0]
    function = config.problem.function
    file = _file_with(folder, target, function, where)
    language = language_for_path(file)
    assert language is not None  # _file_with only returns files of a known language
    return Problem(
        name=folder.name,
        path=folder,
        config=config,
        target=target,
        category=config.problem.category,
        function=function,
        description=config.problem.description,
        file=file,
        language=language,
    )


def _file_with(folder: Path, target: TargetConfig, function: str, where: Path) -> str:
    candidates = [f for f in target.files if language_for_path(f)]
    for rel in candidates:
        try:
            source = (folder / rel).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read target file {rel}: {exc.strerror}") from exc
        language = language_for_path(rel)
        assert language is not None
        try:
            regions.find_function(source, language, function)
        except LessonLError:
            continue
        return rel
    raise ConfigError(
        f"{where}: [problem] function {function!r} is not defined in any of the target's files "
        f"({', '.join(target.files)})"
    )


def discover(suite_dir: Path) -> list[Problem]:
    """Every problem of the suite, sorted by name; raises `UsageError` if there is none."""
    suite_dir = Path(suite_dir)
    if not suite_dir.is_dir():
        raise UsageError(f"{suite_dir}: no such suite folder; pass a folder like benchmarks/serial")
    problems = [
        load_problem(child)
        for child in sorted(suite_dir.iterdir())
        if child.is_dir()
        and not child.name.startswith(("_", "."))
        and (child / CONFIG_NAME).is_file()
    ]
    if not problems:
        raise UsageError(
            f"{suite_dir}: no problems found; each problem is a sub-folder with a {CONFIG_NAME} "
            "holding a [problem] table"
        )
    return problems


def select(problems: Sequence[Problem], names: Sequence[str] | None) -> list[Problem]:
    """The problems named (in suite order), all when `names` is empty; unknown names are an
    error rather than silently skipped, so a typo never shrinks a benchmark."""
    if not names:
        return list(problems)
    known = {p.name for p in problems}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(
            f"unknown problem(s) {', '.join(unknown)}; `lessonl bench SUITE --list` shows them"
        )
    wanted = set(names)
    return [p for p in problems if p.name in wanted]
