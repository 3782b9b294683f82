"""The shipped examples work as documented: the original passes its check, and a known faster
rewrite is correct and much faster (the examples promise real headroom)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lessonl.config import load_config
from lessonl.harness import Harness, Outcome, Project

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

FAST = {
    "cpp-histogram": (
        "src/histogram.hpp",
        """#pragma once
#include <cstdint>
#include <vector>
inline std::vector<std::uint64_t> histogram(const std::vector<int>& values, int bins) {
    std::vector<std::uint64_t> counts(bins > 0 ? bins : 0, 0);
    for (int v : values)
        if (v >= 0 && v < bins) counts[v]++;
    return counts;
}
""",
    ),
    "python-dedupe": (
        "dedupe/core.py",
        "def dedupe(items):\n    return list(dict.fromkeys(items))\n",
    ),
}


@pytest.mark.parametrize("name", sorted(FAST))
async def test_example_has_real_headroom(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if name.startswith("cpp") and shutil.which("g++") is None:
        pytest.skip("needs g++")
    monkeypatch.setenv("LESSONL_TIMING_LOCK", str(tmp_path / "timing.lock"))
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns(".lessonl", "__pycache__"))
    # Few pairs: this checks headroom, not precision (the [[targets]] table is the last one).
    with (root / "lessonl.toml").open("a") as f:
        f.write("min_pairs = 3\nmax_pairs = 4\n")
    config = load_config(root)
    rel, text = FAST[name]
    async with Harness(Project.of(config), config.target(), run_id="t") as harness:
        base = await harness.baseline()
        assert base.outcome == Outcome.CORRECT
        fast = await harness.evaluate({rel: text}, label="fast")
        wrong = await harness.evaluate(
            {
                rel: text.replace("counts[v]++", "counts[v] += 2").replace(
                    "dict.fromkeys(items)", "items"
                )
            },
            label="wrong",
        )
    assert fast.outcome == Outcome.CORRECT, fast.detail
    assert fast.speedup is not None and fast.speedup > 5
    assert wrong.outcome == Outcome.INCORRECT  # the check is not a rubber stamp
