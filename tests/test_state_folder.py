"""`.lessonl/` damaged, read-only or full: one line with the fix, nothing lost (issue 30).

Everything runs the real `lessonl` command on a real bank. A read-only or full folder is a
real filesystem: a small tmpfs mounted over the folder (remounted read-only where needed),
because chmod does not stop root. Where mounting is not permitted the test is skipped and
says why.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeLLM
from loop_project import FILE, SAME, by_agent, make_project

from lessonl.bank import LessonBank
from lessonl.errors import StateProblem
from lessonl.harness.workspace import populate
from lessonl.lessons import Lesson
from lessonl.state import StateDir

LESSONL = Path(sys.executable).parent / "lessonl"
EXAMPLE = Path(__file__).parent.parent / "examples" / "cpp-histogram"


def _lessonl(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LESSONL), *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _lessons(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _lessonl(project, "lessons", "--project", str(project), *args)


def _one_line_error(r: subprocess.CompletedProcess[str], *words: str) -> str:
    """The command failed with exactly one `lessonl: ...` line on stderr naming `words`."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lessonl: "), r.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def _lesson(i: int, *, code: str = "") -> Lesson:
    return Lesson(
        id="",
        text=f"Lesson {i}: keeping the bins in a local array avoids reloads.",
        outcome="correct",
        speedup=1.5,
        language="cpp",
        target="histogram",
        function="histogram",
        code=code or f"int f() {{ return {i}; }}\n" * 20,
    )


def _fill(project: Path, n: int) -> list[str]:
    with LessonBank(StateDir(project).ensure().bank) as bank:
        return [bank.add(_lesson(i)).id for i in range(n)]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(EXAMPLE, root)
    return root


@contextlib.contextmanager
def _tmpfs(path: Path, size: str = "2m") -> Iterator[Path]:
    """A fresh tmpfs of `size` mounted at `path` (created), unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _read_only(path: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)


def _export_file(tmp_path: Path, n: int, *, code: str = "") -> Path:
    out = tmp_path / "in.jsonl"
    lines = []
    for i in range(n):
        lesson = _lesson(1000 + i, code=code)
        lesson.id = f"imp{i:05d}"
        lines.append(json.dumps(lesson.to_json()))
    out.write_text("\n".join(lines) + "\n")
    return out


# --------------------------------------------------------------------------- a damaged bank


def test_a_truncated_bank_is_read_then_moved_aside_and_salvaged(project: Path) -> None:
    _fill(project, 300)
    bank = StateDir(project).bank
    db = bank / "cache.db"
    size = db.stat().st_size
    with db.open("r+b") as fh:
        fh.truncate(size // 2)

    # Reading works, shows what reads, and says once what happened and what to do.
    r = _lessons(project, "list", "--json", "--limit", "1000")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    readable = len(json.loads(r.stdout))
    assert 50 < readable < 300
    assert "damaged" in r.stderr and "lessonl lessons recover" in r.stderr
    assert not list(bank.parent.glob("bank.damaged-*"))  # reading changes nothing
    assert _lessons(project, "search", "local array bins", "--json").returncode == 0

    r = _lessons(project, "recover", "--json")
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    aside = Path(done["moved_to"])
    assert done["damaged"] is True and done["recovered"] >= readable - 1
    assert (aside / "cache.db").stat().st_size == size // 2  # moved, never deleted

    r = _lessons(project, "list", "--json", "--limit", "1000")
    assert r.returncode == 0 and r.stderr == ""
    assert len(json.loads(r.stdout)) == done["recovered"]
    assert json.loads(_lessons(project, "recover", "--json").stdout) == {"damaged": False}


def test_a_garbled_bank_is_moved_aside_when_written_to(project: Path, tmp_path: Path) -> None:
    _fill(project, 3)
    db = StateDir(project).bank / "cache.db"
    with db.open("r+b") as fh:
        fh.write(b"this is not a database header")

    r = _lessons(project, "list")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert "damaged" in r.stderr and "no lessons" in r.stdout

    # A writing command moves it aside by itself (one warning) and carries on.
    r = _lessons(project, "import", str(_export_file(tmp_path, 2)), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["imported"] == 2
    assert "moved it to" in r.stderr and "Traceback" not in r.stderr
    (aside,) = StateDir(project).path.glob("bank.damaged-*")
    assert (aside / "cache.db").read_bytes().startswith(b"this is not a database header")
    assert len(json.loads(_lessons(project, "list", "--json").stdout)) == 2


def test_a_junk_record_is_skipped_and_named(project: Path) -> None:
    ids = _fill(project, 3)
    conn = sqlite3.connect(StateDir(project).bank / "cache.db")
    with conn:
        conn.execute("UPDATE Cache SET value = 'not json {' WHERE key = ?", (f"lesson:{ids[1]}",))
    conn.close()

    r = _lessons(project, "list", "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert {x["id"] for x in json.loads(r.stdout)} == {ids[0], ids[2]}
    assert ids[1] in r.stderr and f"lessonl lessons forget {ids[1]}" in r.stderr
    _one_line_error(_lessons(project, "show", ids[1]), ids[1], "damaged")

    r = _lessons(project, "forget", ids[1])
    assert r.returncode == 0, r.stderr
    r = _lessons(project, "list", "--json")
    assert r.stderr == "" and len(json.loads(r.stdout)) == 2


# --------------------------------------------------------------------------- read-only


def test_a_read_only_state_folder_reads_and_refuses_writes_in_one_line(
    project: Path, tmp_path: Path
) -> None:
    with _tmpfs(StateDir(project).path):
        ids = _fill(project, 3)
        _read_only(StateDir(project).path)

        r = _lessons(project, "list", "--json")
        assert r.returncode == 0, r.stderr
        assert {x["id"] for x in json.loads(r.stdout)} == set(ids)
        assert _lessons(project, "show", ids[0][:6]).returncode == 0
        assert _lessons(project, "search", "local array", "--json").returncode == 0
        out = tmp_path / "out.jsonl"
        assert _lessons(project, "export", str(out)).returncode == 0
        assert len(out.read_text().splitlines()) == 3

        fix = "writable"
        _one_line_error(_lessons(project, "import", str(_export_file(tmp_path, 1))), fix)
        _one_line_error(_lessons(project, "forget", ids[0]), fix)
        # `optimize` on this project: the same line, before any model is asked.
        _one_line_error(_lessonl(project, "optimize", "src/histogram.hpp:histogram"), fix)
        assert _lessons(project, "list", "--json").stdout.count('"id"') == 3


def test_a_read_only_project_is_one_line(tmp_path: Path) -> None:
    root = tmp_path / "ro"
    with _tmpfs(root):
        shutil.copytree(EXAMPLE, root, dirs_exist_ok=True)
        _read_only(root)
        line = _one_line_error(
            _lessonl(root, "optimize", "src/histogram.hpp:histogram"), "Read-only", ".lessonl"
        )
        assert "writable copy" in line
        _one_line_error(_lessons(root, "import", str(_export_file(tmp_path, 1))), "Read-only")
        r = _lessons(root, "list")  # nothing to read, nothing created
        assert r.returncode == 0 and "no lessons" in r.stdout


# --------------------------------------------------------------------------- a full disk


def test_a_full_state_folder_is_one_line_and_keeps_the_bank(project: Path, tmp_path: Path) -> None:
    with _tmpfs(StateDir(project).path, size="512k"):
        ids = _fill(project, 3)
        # Lessons whose code fills the folder: the import runs out of space part way.
        big = _export_file(tmp_path, 40, code="x" * 60_000)
        _one_line_error(_lessons(project, "import", str(big)), "free some disk space")
        r = _lessons(project, "list", "--json", "--limit", "100")
        assert r.returncode == 0, r.stderr
        assert set(ids) <= {x["id"] for x in json.loads(r.stdout)}

        # Copying the project into a build folder on the full disk: the same kind of line.
        (project / "big.bin").write_bytes(b"y" * 2**20)
        with pytest.raises(StateProblem, match=r"No space left on device.*free some disk space"):
            populate(project, StateDir(project).build / "v1", ["big.bin"])


def test_a_run_on_a_full_state_folder_is_one_line(tmp_path: Path, fake_llm: FakeLLM) -> None:
    """`[Errno 28] No space left on device` while copying the project was a traceback."""
    fake_llm.script_fn(by_agent({"alpha": SAME, "beta": SAME}))
    root = make_project(tmp_path, fake_llm, run="rounds = 1")
    state = StateDir(root).path
    with _tmpfs(state, size="1m"):
        _fill(root, 1)  # the bank opens: the run starts, then the copy finds no room
        filler = state / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
        # Room for the bank's journal, none for a copy of the project with its 2 MB data file.
        os.truncate(filler, max(0, filler.stat().st_size - 400_000))
        (root / "data.bin").write_bytes(b"d" * 2_000_000)
        r = _lessonl(root, "optimize", f"{FILE}:histogram")
        assert r.returncode == 2, r.stderr
        assert "Traceback" not in r.stderr
        last = r.stderr.strip().splitlines()[-1]
        assert last.startswith("lessonl: cannot copy the project into the build folder")
        assert "No space left on device" in last and "free some disk space" in last
        assert not fake_llm.requests  # nothing was spent on a run that could not build

        # With no room at all, SQLite cannot even open its journal ("disk I/O error"): still
        # the line that says the disk is full.
        os.unlink(root / "data.bin")
        with contextlib.suppress(OSError), (state / "more").open("wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
        r = _lessonl(root, "optimize", f"{FILE}:histogram")
        line = _one_line_error(r, "lesson bank", "free some disk space")
        assert "disk I/O error" in line or "full" in line


def _open_and_count(path: str, start: Any, out: Any) -> None:
    start.wait()
    with LessonBank(path) as bank:
        out.put(len(bank.all()))


def test_two_processes_find_a_damaged_bank_and_only_one_moves_it_aside(project: Path) -> None:
    """The second must not move the fresh bank the first just salvaged into."""
    _fill(project, 300)
    bank = StateDir(project).bank
    db = bank / "cache.db"
    with db.open("r+b") as fh:
        fh.truncate(db.stat().st_size // 2)
    ctx = mp.get_context("fork")
    start, out = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_open_and_count, args=(str(bank), start, out)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    counts = {out.get(timeout=5) for _ in procs}
    assert len(list(StateDir(project).path.glob("bank.damaged-*"))) == 1
    with LessonBank(bank, read_only=True) as fresh:
        assert counts == {len(fresh.all())} and 50 < len(fresh.all()) < 300
