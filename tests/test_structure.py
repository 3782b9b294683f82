"""The code's shape, checked: no import circle in lessonl/ and server/.

An import circle (even one only type checkers follow, like grading <-> report once was) means
two modules cannot be understood or tested apart. It used to be found by review; this test
finds it at once."""

from __future__ import annotations

from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent
PACKAGES = {"lessonl": REPO / "lessonl", "lessonl_server": REPO / "server"}


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
