"""The code's shape, checked: no import circle in lessonl/ and server/, and no function longer
than `MAX_LINES` unless its docstring says why ("Long because ...").

An import circle (even one only type checkers follow, like grading <-> report once was) means
two modules cannot be understood or tested apart; a function of a hundred lines is where the
next change goes wrong. Both used to be found by review; these tests find them at once."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent
PACKAGES = {"lessonl": REPO / "lessonl", "lessonl_server": REPO / "server"}
MAX_LINES = 80
WHY = "long because"


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The graph's strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph.find_modules_directly_imported_by(module)):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = stack[stack.index(module) :]
            del stack[stack.index(module) :]
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_circle() -> None:
    """Every import counts, also those under TYPE_CHECKING and inside functions: a circle
    hidden from the interpreter is still a circle for the reader."""
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False)
    found = circles(graph)
    assert not found, "import circles: " + "; ".join(" <-> ".join(c) for c in found)


def test_circles_are_found() -> None:
    """The finder itself: a circle of three among unrelated modules is reported whole."""
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"), ("p.e", "p.a")]:
        graph.add_import(importer=a, imported=b)
    assert circles(graph) == [["p.a", "p.b", "p.c"]]


def long_functions(folder: Path) -> Iterator[tuple[str, int]]:
    """`path:name` and length of every function longer than `MAX_LINES` whose docstring does
    not say why."""
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            assert node.end_lineno is not None
            length = node.end_lineno - node.lineno + 1
            why = WHY in " ".join((ast.get_docstring(node) or "").lower().split())
            if length > MAX_LINES and not why:
                yield f"{path.relative_to(REPO)}:{node.name}", length


def test_no_function_is_long_without_saying_why() -> None:
    found = [
        f"{name} ({length} lines)"
        for folder in PACKAGES.values()
        for name, length in long_functions(folder)
    ]
    assert not found, (
        f"longer than {MAX_LINES} lines: {', '.join(found)}; shorten them, or say in the "
        f"docstring why not ('{WHY.capitalize()} ...')"
    )
