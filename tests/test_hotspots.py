"""`lessonl hotspots` through the real CLI, on tests/data/hotspots (copied to a temporary
folder): a project whose `total_with_tax` is hot (quadratic on purpose), whose `label` is cold
and whose `running` is a generator. The workloads run for real under cProfile, with the
Python running the tests (the project has no .venv)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lessonl.errors import UsageError
from lessonl.hotspots import in_project, workload_for

DATA = Path(__file__).resolve().parent / "data"


def _project(tmp: Path) -> Path:
    root = tmp / "hotspots"
    shutil.copytree(
        DATA / "hotspots", root, ignore=shutil.ignore_patterns(".lessonl", "__pycache__")
    )
    return root


def _lessonl(*args: str, cwd: Path, timeout: float = 300) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "lessonl", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def _by_name(entries: list[dict]) -> dict[str, dict]:
    return {e["function"]: e for e in entries}


def test_the_hot_function_ranks_first_with_its_share(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, out, err = _lessonl("hotspots", "--json", "--", "python", "bench.py", cwd=root)
    assert code == 0, err
    entries = json.loads(out)
    hot = entries[0]
    assert hot["function"] == "shop/prices.py:total_with_tax"
    assert (hot["file"], hot["line"], hot["calls"]) == ("shop/prices.py", 4, 4)
    assert hot["optimizable"] is True and "why_not" not in hot
    assert 0.5 < hot["share"] <= 1.0  # bench.py does little else
    assert hot["own_s"] <= hot["inclusive_s"]
    cold = _by_name(entries)["shop/prices.py:label"]
    assert cold["share"] < 0.05 and cold["calls"] == 1
    assert [e["inclusive_s"] for e in entries] == sorted(
        (e["inclusive_s"] for e in entries), reverse=True
    )
    kept = json.loads((root / ".lessonl" / "hotspots" / "latest.json").read_text())
    assert kept["command"] == "python bench.py"
    assert kept["commit"] is None  # the copy is not a git checkout
    assert kept["timestamp"] and kept["functions"] == entries
    assert (root / ".lessonl" / "hotspots" / "latest.prof").is_file()
    assert not (root / ".lessonl" / "hotspots" / "work").exists()
    assert not list(root.rglob("__pycache__"))  # the workload ran in a copy


def test_the_tests_are_the_default_workload_and_are_left_out(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, out, err = _lessonl("hotspots", "--json", cwd=root)
    assert code == 0, err
    entries = _by_name(json.loads(out))
    # Only the project's functions: no test, no class body, nothing from pytest or the stdlib.
    assert set(entries) == {
        "shop/prices.py:total_with_tax",
        "shop/prices.py:label",
        "shop/prices.py:running",
        "shop/prices.py:Basket.__init__",
        "shop/prices.py:Basket.summary",
    }
    hot = entries["shop/prices.py:total_with_tax"]
    assert hot["own_s"] == max(e["own_s"] for e in entries.values())
    # The caller's inclusive time holds its callee's.
    assert entries["shop/prices.py:Basket.summary"]["inclusive_s"] >= hot["inclusive_s"]
    generator = entries["shop/prices.py:running"]
    assert generator["optimizable"] is False
    assert "generator" in generator["why_not"]
    kept = json.loads((root / ".lessonl" / "hotspots" / "latest.json").read_text())
    assert kept["command"] == "python -m pytest -q -p no:cacheprovider"


def test_the_human_listing_marks_what_cannot_be_optimized(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, out, err = _lessonl("hotspots", "--", "python", "bench.py", cwd=root)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("profiled `python bench.py`")
    assert "shop/prices.py:total_with_tax" in lines[2]
    running = next(line for line in lines if "prices.py:running" in line)
    assert "not optimizable" in running and "generator" in running


def test_a_failing_workload_is_one_line_and_nothing_is_kept(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, out, err = _lessonl("hotspots", "--json", "--", "python", "fails.py", cwd=root)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "`python fails.py` fails on the original code (exit status 1)" in err
    assert "the workload broke on purpose" in err
    assert not (root / ".lessonl" / "hotspots" / "latest.json").exists()


def test_failing_tests_are_not_ranked(tmp_path: Path) -> None:
    root = _project(tmp_path)
    test = root / "tests" / "test_prices.py"
    test.write_text(test.read_text().replace('"1.00 EUR"', '"1.00 USD"'))
    code, out, err = _lessonl("hotspots", cwd=root)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "fails on the original code" in err


def test_a_hanging_workload_times_out_in_one_line(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, _out, err = _lessonl(
        "hotspots", "--timeout-s", "2", "--", "python", "hangs.py", cwd=root, timeout=60
    )
    assert code == 1
    assert err.count("\n") == 1 and "did not finish within 2 s" in err


def test_a_workload_that_runs_no_project_code_says_so(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "idle.py").write_text("import json\njson.dumps([1, 2])\n")
    code, _out, err = _lessonl("hotspots", "--", "python", "idle.py", cwd=root)
    assert code == 1
    assert err.count("\n") == 1 and "ran none of the project's functions" in err


@pytest.mark.parametrize(
    ("command", "kind", "target", "args"),
    [
        ([], "module", "pytest", ("-q", "-p", "no:cacheprovider")),
        (["pytest", "tests/perf"], "module", "pytest", ("tests/perf",)),
        (["python3", "-m", "pkg.bench", "-n", "3"], "module", "pkg.bench", ("-n", "3")),
        (["python", "scripts/bench.py", "x"], "script", "scripts/bench.py", ("x",)),
    ],
)
def test_workloads(command: list[str], kind: str, target: str, args: tuple[str, ...]) -> None:
    workload = workload_for(command)
    assert (workload.kind, workload.target, workload.args) == (kind, target, args)


@pytest.mark.parametrize("command", [["make", "bench"], ["python", "-c", "1"], ["python"]])
def test_workloads_that_are_not_python_are_refused(command: list[str]) -> None:
    with pytest.raises(UsageError, match="hotspots"):
        workload_for(command)


def test_what_counts_as_the_project() -> None:
    assert in_project("pkg/mod.py")
    assert in_project("src/pkg/mod.py")
    for outside in (
        "tests/test_mod.py",
        "pkg/tests/helpers.py",
        "test_mod.py",
        "pkg/mod_test.py",
        "conftest.py",
        ".venv/lib/python3.11/site-packages/x.py",
        "../elsewhere.py",
        "pkg/data.txt",
    ):
        assert not in_project(outside), outside


def test_code_imported_from_the_project_itself_is_ranked(tmp_path: Path) -> None:
    """An editable install (a `src/` layout) imports the project from where it lives, not from
    the copy the workload runs in: its functions are the project's all the same."""
    root = _project(tmp_path)
    (root / "editable.py").write_text(
        f"import sys\nsys.path.insert(0, {str(root)!r})\n"
        "from shop.prices import total_with_tax\n"
        "total_with_tax([float(i) for i in range(2000)])\n"
    )
    code, out, err = _lessonl("hotspots", "--json", "--", "python", "editable.py", cwd=root)
    assert code == 0, err
    hot = json.loads(out)[0]
    assert (hot["function"], hot["optimizable"]) == ("shop/prices.py:total_with_tax", True)
