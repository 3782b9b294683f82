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
from lessonl.hotspots_view import function_sha256

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


def _error(err: str) -> str:
    """The one error line; the only other line on stderr is the "profiling ..." notice."""
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("profiling `"), err
    assert lines[1].startswith("lessonl: "), err
    return lines[1]


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
    assert kept["timestamp"]
    # Each kept entry carries the hash of the text that was profiled, so the editor's lens
    # shows a CLI profile's numbers exactly while that function is unchanged.
    text = (root / "shop" / "prices.py").read_text()
    stamped = kept["functions"][0].pop("source_sha256")
    assert stamped == function_sha256(text, "python", "total_with_tax")
    assert [{k: v for k, v in e.items() if k != "source_sha256"} for e in kept["functions"]] == (
        entries
    )
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
    line = _error(err)
    assert "Traceback" not in err
    assert "`python fails.py` fails on the original code (exit status 1)" in line
    assert "the workload broke on purpose" in line
    assert not (root / ".lessonl" / "hotspots" / "latest.json").exists()


def test_failing_tests_are_not_ranked(tmp_path: Path) -> None:
    root = _project(tmp_path)
    test = root / "tests" / "test_prices.py"
    test.write_text(test.read_text().replace('"1.00 EUR"', '"1.00 USD"'))
    code, out, err = _lessonl("hotspots", cwd=root)
    assert code == 1 and out == ""
    assert "fails on the original code" in _error(err)


def test_a_hanging_workload_times_out_in_one_line(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, _out, err = _lessonl(
        "hotspots", "--timeout-s", "2", "--", "python", "hangs.py", cwd=root, timeout=60
    )
    assert code == 1
    assert "did not finish within 2 s" in _error(err)


def test_a_workload_that_runs_no_project_code_says_so(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "idle.py").write_text("import json\njson.dumps([1, 2])\n")
    code, _out, err = _lessonl("hotspots", "--", "python", "idle.py", cwd=root)
    assert code == 1
    assert "ran none of the project's functions" in _error(err)


@pytest.mark.parametrize(
    ("command", "kind", "target", "args"),
    [
        ([], "module", "pytest", ("-q", "-p", "no:cacheprovider")),
        (["pytest", "tests/perf"], "module", "pytest", ("tests/perf",)),
        (["python3", "-m", "pkg.bench", "-n", "3"], "module", "pkg.bench", ("-n", "3")),
        (["python", "scripts/bench.py", "x"], "script", "scripts/bench.py", ("x",)),
        (["./build/bench", "-n", "3"], "native", "./build/bench", ("-n", "3")),
        (["make", "bench"], "native", "make", ("bench",)),
    ],
)
def test_workloads(command: list[str], kind: str, target: str, args: tuple[str, ...]) -> None:
    workload = workload_for(command)
    assert (workload.kind, workload.target, workload.args) == (kind, target, args)


@pytest.mark.parametrize("command", [["python", "-c", "1"], ["python"]])
def test_python_workloads_other_than_a_script_or_module_are_refused(command: list[str]) -> None:
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


def test_each_kind_of_function_is_named_and_judged() -> None:
    from lessonl.hotspots import _definitions

    source = """import functools


class Shelf:
    @functools.cache
    def weight(self):
        return 1

    async def fetch(self):
        return 2


def outer(xs):
    def inner(x):
        return x + 1

    return sorted(xs, key=lambda x: -x), inner
"""
    found = _definitions(source)
    weight = found[("weight", 5)]  # the decorator's line: the code object's first line
    assert found[("weight", 6)] == weight
    assert (weight.qualname, weight.why_not) == ("Shelf.weight", None)
    assert found[("Shelf", 4)].why_not == "a class body"
    assert "async" in (found[("fetch", 9)].why_not or "")
    assert found[("outer", 13)].why_not is None
    inner = found[("inner", 14)]
    assert inner.qualname == "outer.inner" and "nested" in (inner.why_not or "")
    assert found[("<lambda>", 17)].qualname == "outer.<lambda>"
    assert "lambda" in (found[("<lambda>", 17)].why_not or "")


def test_pytest_missing_from_the_interpreter_is_one_line_with_the_fix(tmp_path: Path) -> None:
    root = _project(tmp_path)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    code, out, err = _lessonl("hotspots", cwd=root)
    assert code == 1 and out == ""
    line = _error(err)
    assert "pytest is not installed in" in line and "-m pip install pytest" in line
    assert ".venv" in err  # the project's own interpreter was chosen
