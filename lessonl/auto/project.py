"""Facts about a Python project that the automatic target needs, found without running it.

- the project root: the nearest folder above the file with a project marker (pyproject.toml,
  setup.py, ...), so `.lessonl/` lands beside the project, not at a monorepo's git root;
- where the module is imported from (`pkg/core.py` -> `pkg.core` from `.`; `src/dedupe.py` ->
  `dedupe` from `src`): the runner puts that folder of the variant's copy first on sys.path;
- the interpreter: `[run] interpreter` / `--interpreter` when set, else the project's `.venv`
  or `venv`, else the Python running LessonL; `Interpreter.source` says which, for the report;
- the function's kind, from the source: plain functions and methods are supported;
  generators, async functions, properties and nested functions (closures) are not yet.
"""

from __future__ import annotations

import ast
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from lessonl.auto.errors import UnsupportedFunction
from lessonl.errors import UsageError

MARKERS = ("lessonl.toml", "pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini")


def python_root(file: Path) -> Path:
    """The nearest folder at or above `file` holding a project marker (or `.git`)."""
    start = file.resolve().parent
    for folder in (start, *start.parents):
        if any((folder / m).is_file() for m in MARKERS) or (folder / ".git").exists():
            return folder
    return start


# Folders never searched for tests: environments, caches, build output and our own state.
_NOT_TESTS = frozenset(
    {"node_modules", "site-packages", "build", "dist", "__pycache__", "venv", "env"}
)
_TESTS_DEPTH = 4  # pkg/tests/test_x.py and src/pkg/tests/test_x.py sit at depth 2 and 3
_TESTS_FOLDERS = 2000  # a bound on the walk, so a huge tree costs milliseconds, not seconds


def has_tests(root: Path) -> bool:
    """Whether the project looks like it has pytest tests (cheap: no collection), which is
    what an automatic target needs; the editor offers "Optimize" on that basis.

    Looks for pytest's default file names (test_*.py, *_test.py) down to a few folders deep:
    many projects keep their tests inside the package (toolz/tests/, src/pkg/tests/), which
    a look at the root alone missed, refusing a project whose tests pytest collects fine."""
    if (root / "tests").is_dir() or (root / "test").is_dir():
        return True
    for seen, (folder, dirs, files) in enumerate(os.walk(root), start=1):
        if any(
            f.endswith(".py") and (f.startswith("test_") or f.endswith("_test.py")) for f in files
        ):
            return True
        depth = len(Path(folder).relative_to(root).parts)
        dirs[:] = [
            d
            for d in dirs
            if depth < _TESTS_DEPTH and not d.startswith(".") and d not in _NOT_TESTS
        ]
        if seen >= _TESTS_FOLDERS:
            return False
    return False


@dataclass(frozen=True)
class ModuleLocation:
    import_root: str  # relative to the project root, POSIX, "." for the root itself
    module: str


def module_location(root: Path, rel: str) -> ModuleLocation:
    """How `rel` is imported: climb the package folders (those with `__init__.py`)."""
    path = Path(rel)
    parts = [path.stem]
    folder = path.parent
    while folder != Path(".") and (root / folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if parts[-1] == "__init__":
        parts.pop()
    if not parts:
        raise UsageError(f"{rel}: cannot tell which module this is; add a [[targets]] entry")
    return ModuleLocation(import_root=folder.as_posix() or ".", module=".".join(parts))


@dataclass(frozen=True)
class Interpreter:
    path: str
    source: str  # "the project's .venv", "[run] interpreter", ...


def choose_interpreter(root: Path, setting: str | None, *, setting_name: str) -> Interpreter:
    if setting:
        path = Path(setting).expanduser()
        if not path.is_absolute():
            path = (root / path).absolute()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise UsageError(f"{setting_name} = {setting!r}: no such executable")
        return Interpreter(str(path), setting_name)
    for name in (".venv", "venv"):
        candidate = root / name / "bin" / "python"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return Interpreter(str(candidate.absolute()), f"the project's {name}")
    return Interpreter(sys.executable, "the Python running LessonL (the project has no .venv)")


def check_supported(source: str, qualname: str) -> str:
    """'function' or 'method'; `UnsupportedFunction` for the kinds not supported yet."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise UsageError(f"the file does not parse: {exc.msg} (line {exc.lineno})") from exc
    parts = qualname.split(".")
    body: list[ast.stmt] = tree.body
    kind = "function"
    node: ast.AST | None = None
    for i, part in enumerate(parts):
        found = [
            n
            for n in body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and n.name == part
        ]
        if not found:
            raise UnsupportedFunction(
                f"{qualname} is not a module-level function or a method of a module-level "
                "class; nested functions (closures) are not supported yet"
            )
        node = found[-1]
        last = i == len(parts) - 1
        if isinstance(node, ast.ClassDef):
            if last:
                raise UsageError(f"{qualname} is a class; name one of its methods")
            body, kind = node.body, "method"
        elif not last:
            raise UnsupportedFunction(
                f"{'.'.join(parts[: i + 2])} is nested inside a function (a closure); "
                "not supported yet: optimize the enclosing function"
            )
    assert node is not None
    if isinstance(node, ast.AsyncFunctionDef):
        raise UnsupportedFunction(f"{qualname} is an async function; not supported yet")
    assert isinstance(node, ast.FunctionDef)
    for deco in node.decorator_list:
        name = deco.id if isinstance(deco, ast.Name) else getattr(deco, "attr", "")
        if name in ("property", "setter", "getter", "cached_property"):
            raise UnsupportedFunction(f"{qualname} is a property; not supported yet")
    if _yields(node):
        raise UnsupportedFunction(
            f"{qualname} is a generator; not supported yet (its callers can be optimized)"
        )
    return kind


def _yields(fn: ast.FunctionDef) -> bool:
    stack: list[ast.AST] = list(fn.body)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Yield | ast.YieldFrom):
            return True
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return False
