"""Which hot functions of a file may show the last profile's numbers (lessonl.hotspots_view):
hashing a function's text, stamping a kept result, and choosing the lenses."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from lessonl.hotspots_view import (
    MAX_LENSES,
    MIN_SHARE,
    TESTS_COMMAND,
    HotspotsUnreadable,
    function_sha256,
    hot_functions,
    read_latest,
    restamp_latest,
    stamp,
)

SOURCE = """\
import functools


@functools.cache
def hot(n):
    return sum(range(n))


class Basket:
    def total(self):
        return 1


def cold():
    return 2
"""


def entry(qual: str, share: float, **more: Any) -> dict[str, Any]:
    return {
        "function": f"pkg/mod.py:{qual}",
        "file": "pkg/mod.py",
        "line": 1,
        "own_s": 0.1,
        "inclusive_s": 0.2,
        "calls": 3,
        "share": share,
        "optimizable": True,
        **more,
    }


def stamped(*entries: dict[str, Any], source: str = SOURCE) -> dict[str, Any]:
    result = {"command": "python bench.py", "functions": list(entries)}
    for e in result["functions"]:
        digest = function_sha256(source, "python", e["function"].split(":", 1)[1])
        if digest is not None:
            e["source_sha256"] = digest
    return result


def test_the_hash_covers_the_decorators_and_body_and_nothing_else() -> None:
    digest = function_sha256(SOURCE, "python", "hot")
    assert digest is not None and len(digest) == 64
    elsewhere = SOURCE.replace("return 2", "return 3").replace("import functools", "import os")
    assert function_sha256(elsewhere, "python", "hot") == digest
    assert function_sha256("\n\n" + SOURCE, "python", "hot") == digest  # moved down
    assert function_sha256(SOURCE.replace("sum(range(n))", "n"), "python", "hot") != digest
    assert function_sha256(SOURCE.replace("@functools.cache\n", ""), "python", "hot") != digest
    assert function_sha256(SOURCE, "python", "Basket.total") is not None


def test_no_hash_for_a_missing_renamed_or_merely_similar_function() -> None:
    assert function_sha256(SOURCE, "python", "gone") is None
    assert function_sha256(SOURCE.replace("def hot", "def warm"), "python", "hot") is None
    # `total` alone would match Basket.total by its short name: that is another function.
    assert function_sha256(SOURCE, "python", "total") is None


def test_only_hot_unchanged_functions_of_this_file_get_a_lens() -> None:
    result = stamped(
        entry("hot", 0.6),
        entry("Basket.total", 0.2, optimizable=False, why_not="a method of a class"),
        entry("cold", MIN_SHARE / 2),
    )
    result["functions"].append({**entry("hot", 0.9), "file": "pkg/other.py"})
    found = hot_functions(result, "pkg/mod.py", SOURCE)
    assert [(h.qualname, h.line) for h in found] == [("hot", 3), ("Basket.total", 9)]
    hot, method = found
    assert hot.title("python bench.py") == "LessonL: 60% of workload time · Optimize"
    assert hot.title(TESTS_COMMAND) == "LessonL: 60% of test time · Optimize"
    # Below 10%, one decimal: the tests' time includes pytest's own, so shares are small.
    small = hot_functions(stamped(entry("hot", 0.0163)), "pkg/mod.py", SOURCE)
    assert small[0].title(TESTS_COMMAND) == "LessonL: 1.6% of test time · Optimize"
    assert method.title(TESTS_COMMAND) == (
        "LessonL: 20% of test time · not optimizable: a method of a class"
    )
    # The same file edited inside `hot` (unsaved text counts): its lens goes, the other stays.
    edited = SOURCE.replace("sum(range(n))", "n * (n - 1) // 2")
    assert [h.qualname for h in hot_functions(result, "pkg/mod.py", edited)] == ["Basket.total"]


def test_an_entry_without_a_hash_shows_nothing() -> None:
    assert hot_functions({"functions": [entry("hot", 0.9)]}, "pkg/mod.py", SOURCE) == []


def test_at_most_max_lenses_hottest_first() -> None:
    source = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(MAX_LENSES + 3))
    entries = [entry(f"f{i}", 0.1 + i / 100) for i in range(MAX_LENSES + 3)]
    found = hot_functions(stamped(*entries, source=source), "pkg/mod.py", source)
    assert len(found) == MAX_LENSES
    assert found[0].qualname == f"f{MAX_LENSES + 2}"
    assert [h.share for h in found] == sorted((h.share for h in found), reverse=True)


def test_stamping_skips_files_modified_since_the_profile_began(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    mod = tmp_path / "pkg" / "mod.py"
    mod.write_text(SOURCE, encoding="utf-8")
    other = tmp_path / "pkg" / "other.py"
    other.write_text("def hot(n):\n    return n\n", encoding="utf-8")
    began = time.time()
    os.utime(mod, (began - 10, began - 10))
    os.utime(other, (began + 10, began + 10))  # saved while the profile ran
    result = {
        "functions": [
            entry("hot", 0.5),
            {**entry("hot", 0.4), "file": "pkg/other.py", "function": "pkg/other.py:hot"},
        ]
    }
    assert stamp(result, tmp_path, unchanged_since=began) == 1
    assert result["functions"][0]["source_sha256"] == function_sha256(SOURCE, "python", "hot")
    assert "source_sha256" not in result["functions"][1]


def test_restamping_the_kept_result_keeps_existing_hashes(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(SOURCE, encoding="utf-8")
    latest = tmp_path / ".lessonl" / "hotspots" / "latest.json"
    latest.parent.mkdir(parents=True)
    kept = {"command": "c", "functions": [entry("hot", 0.5), entry("cold", 0.1, source_sha256="x")]}
    latest.write_text(json.dumps(kept), encoding="utf-8")
    assert restamp_latest(tmp_path, time.time() + 10) == 1
    again = read_latest(tmp_path)
    assert again is not None
    assert [e.get("source_sha256") for e in again["functions"]] == [
        function_sha256(SOURCE, "python", "hot"),
        "x",
    ]


def test_reading_the_kept_result(tmp_path: Path) -> None:
    assert read_latest(tmp_path) is None
    assert not (tmp_path / ".lessonl").exists()
    latest = tmp_path / ".lessonl" / "hotspots" / "latest.json"
    latest.parent.mkdir(parents=True)
    for bad in ("{not json", "[]", '{"functions": 3}'):
        latest.write_text(bad, encoding="utf-8")
        with pytest.raises(HotspotsUnreadable, match="is not a hotspots result") as caught:
            read_latest(tmp_path)
        assert "\n" not in str(caught.value) and "Find Hotspots" in str(caught.value)


def test_c_and_cpp_functions_hash_and_overloads_do_not() -> None:
    source = (
        "int one(int a) { return a; }\nint f(int a) { return a; }\nint f(double a) { return 1; }\n"
    )
    assert function_sha256(source, "c", "one") is not None
    assert function_sha256(source, "cpp", "one") is not None
    # Which overload the profile saw is unknown: neither gets a hash (so neither a lens).
    assert function_sha256(source, "cpp", "f") is None
