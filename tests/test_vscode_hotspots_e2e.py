"""Hotspots in a real VS Code (code-server in headless Chromium), as a user finds them: the
command palette's "LessonL: Find Hotspots", its progress notification, the CodeLens above the
hot function, the lens starting the reviewed run, and the lens going away once the function is
edited. tests/e2e/vscode_hotspots.mjs plays the user.

It uses test_vscode_e2e's code-server fixture (same needs, same skips) on a project of its own:
a hot `total_with_tax` that the tests call directly, a cold `label`, and an `[[agents]]` entry
on the loopback fake LLM (no targets: the automatic target takes the function).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import test_vscode_e2e
from fakes import FakeLLM
from test_vscode_e2e import Session, _artifacts, code_server  # noqa: F401 - the fixture

E2E = Path(__file__).resolve().parent / "e2e"
DRIVER = E2E / "vscode_hotspots.mjs"

PRICES = '''\
"""Prices."""


def total_with_tax(prices):
    seen = []
    total = 0.0
    for p in prices:
        if p not in seen:
            seen.append(p)
        total += p * 1.2
    return total


def label(price):
    return f"{price:.2f} EUR"
'''

TESTS = """\
from shop.prices import label, total_with_tax


def test_total():
    assert total_with_tax([float(i) for i in range(6000)]) > 0


def test_label():
    assert label(1) == "1.00 EUR"
"""


def _shop(tmp: Path, base_url: str) -> Path:
    project = tmp / "shop-project"
    (project / "shop").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (project / "shop" / "prices.py").write_text(PRICES, encoding="utf-8")
    (project / "tests" / "test_prices.py").write_text(TESTS, encoding="utf-8")
    (project / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "0"\n')
    (project / "lessonl.toml").write_text(
        "[run]\nrounds = 1\ncache = false\n\n"
        '[[agents]]\nname = "fake"\nprovider = "openai"\nmodel = "fake-model"\n'
        f'base_url = "{base_url}"\n',
        encoding="utf-8",
    )
    return project


@pytest.fixture
def shop_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes the code-server fixture open `_shop` instead of examples/python-dedupe."""
    monkeypatch.setattr(test_vscode_e2e, "_workspace", _shop)


def test_a_user_finds_hotspots_and_optimizes_from_the_lens(
    shop_workspace: None,
    code_server: Session,  # noqa: F811 - the fixture imported above
    fake_llm: FakeLLM,
) -> None:
    project = code_server.project
    assert project.name == "shop-project"
    source = project / "shop" / "prices.py"
    artifacts = _artifacts()
    spec = {
        "url": code_server.url,
        "chromium": shutil.which("chromium"),
        "tools": str(code_server.tools),
        "project": str(project),
        "file": "shop/prices.py",
        "function": "total_with_tax",
        "line": 5,
        "editLine": 10,  # `total += p * 1.2`
        "lens": r"^LessonL: \d+(\.\d)?% of test time · Optimize$",
        "artifacts": str(artifacts),
    }
    driver = test_vscode_e2e.run_driver(code_server, DRIVER, spec, "hotspots-spec.json")
    lines = [line for line in driver.splitlines() if line.startswith("{")]
    steps = {s["step"]: s for s in map(json.loads, lines)}
    assert {"progress", "lens", "optimize from the lens", "stale lens gone"} <= set(steps)
    assert steps["lens"]["all"] == [steps["lens"]["title"]]  # the hot function only
    assert steps["stale lens gone"]["left"] == []
    kept = json.loads((project / ".lessonl" / "hotspots" / "latest.json").read_text())
    assert kept["command"] == "python -m pytest -q -p no:cacheprovider"
    # The edit was never saved: the file on disk is as it was.
    assert source.read_text(encoding="utf-8") == PRICES
    for shot in ("hotspots-progress.png", "hotspots-lens.png"):
        assert (artifacts / shot).stat().st_size > 10_000, shot
