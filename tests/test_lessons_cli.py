"""`lessonl lessons ...` run as a real subprocess on a temporary project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lessonl.bank import LessonBank
from lessonl.lessons import PUBLIC_FIELDS, Lesson
from lessonl.state import StateDir

LESSONL = Path(sys.executable).parent / "lessonl"


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LESSONL), "lessons", "--project", str(project), *args],
        stdin=subprocess.DEVNULL,  # not a terminal, whatever runs the tests
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "lessonl.toml").write_text("[run]\nrounds = 1\n")
    return root


def _fill(project: Path) -> list[str]:
    with LessonBank(StateDir(project).ensure().bank) as bank:
        return [
            bank.add(
                Lesson(
                    id="",
                    text="Keeping the histogram bins in a local array avoids aliasing reloads.",
                    outcome="correct",
                    speedup=1.7,
                    ci95=(1.6, 1.8),
                    language="cpp",
                    target="hist",
                    function="add",
                    agent="qwen7b",
                    run_id="r1",
                    code="void add(int v) {}",
                )
            ).id,
            bank.add(
                Lesson(
                    id="",
                    text="Dropping the bounds check on the input made outputs differ.",
                    outcome="incorrect",
                    language="cpp",
                    target="hist",
                    function="add",
                    agent="qwen14b",
                    run_id="r1",
                    round=1,
                )
            ).id,
        ]


def test_list_on_empty_project_creates_nothing(project: Path) -> None:
    r = _run(project, "list", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
    assert not (project / ".lessonl").exists()


def test_list_show_search_forget_json(project: Path) -> None:
    first, second = _fill(project)
    r = _run(project, "list", "--json")
    assert r.returncode == 0, r.stderr
    records = json.loads(r.stdout)
    assert [x["id"] for x in records] == [second, first]  # newest first
    assert all(list(x) == list(PUBLIC_FIELDS) for x in records)
    assert records[1]["speedup"] == 1.7 and records[0]["speedup"] is None

    text = _run(project, "list")
    assert text.returncode == 0 and "significantly improves performance" in text.stdout
    assert "compromises equivalence" in text.stdout

    r = _run(project, "show", first[:6], "--json")
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["id"] == first and shown["code"] == "void add(int v) {}"
    assert shown["ci95"] == [1.6, 1.8]

    # A person reads rounds 1-based (as in the progress); the JSON keeps the 0-based field.
    r = _run(project, "show", second[:6])
    assert r.returncode == 0 and "r1 round 2," in r.stdout
    assert json.loads(_run(project, "show", second, "--json").stdout)["round"] == 1

    r = _run(project, "search", "bounds check input", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["id"] == second

    r = _run(project, "forget", second, "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == {"forgotten": second}
    assert [x["id"] for x in json.loads(_run(project, "list", "--json").stdout)] == [first]

    r = _run(project, "show", "nosuchid")
    assert r.returncode == 2
    assert r.stderr.startswith("lessonl: no lesson 'nosuchid'") and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1


def test_export_import_between_projects(project: Path, tmp_path: Path) -> None:
    ids = _fill(project)
    out = tmp_path / "team-lessons.jsonl"
    r = _run(project, "export", str(out), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["exported"] == 2
    assert len(out.read_text().splitlines()) == 2

    other = tmp_path / "other"
    other.mkdir()
    (other / "lessonl.toml").write_text("")
    r = _run(other, "import", str(out), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["imported"] == 2
    again = _run(other, "import", str(out))
    assert again.returncode == 0 and "imported 0 new lessons" in again.stdout
    listed = json.loads(_run(other, "list", "--json").stdout)
    assert sorted(x["id"] for x in listed) == sorted(ids)
    assert (other / ".lessonl" / ".gitignore").read_text() == "*\n"

    missing = _run(other, "import", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_show_prints_the_history_and_prune_drops_lessons_that_never_helped(project: Path):
    with LessonBank(StateDir(project).ensure().bank) as bank:
        dud = bank.add(Lesson(id="", text="Unrolling did not compile.", outcome="not_compilable"))
        good = bank.add(Lesson(id="", text="A set made it linear.", outcome="correct", speedup=9.0))
        for r in range(3):
            bank.record_votes([dud.id, good.id], [2.5, None], run_id="r1", round=r)
    shown = _run(project, "show", dud.id)
    assert shown.returncode == 0, shown.stderr
    assert "run r1 round 1: 2.50x, -" in shown.stdout and "run r1 round 3" in shown.stdout
    listed = _run(project, "list")
    assert "shown 3x, best reader 2.50x" in listed.stdout
    # The dud's readers beat it (2.5x > 1.0), so it helped; a dud nobody beat is pruned.
    with LessonBank(StateDir(project).bank) as bank:
        never = bank.add(Lesson(id="", text="Nothing useful.", outcome="incorrect"))
        for r in range(3):
            bank.record_votes([never.id], [None, 0.9], run_id="r2", round=r)
    pruned = _run(project, "prune", "--yes", "--json")
    assert pruned.returncode == 0, pruned.stderr
    out = json.loads(pruned.stdout)
    assert out["pruned"] == [never.id]
    assert json.loads(Path(out["kept_in"]).read_text())["id"] == never.id
    left = {les["id"] for les in json.loads(_run(project, "list", "--json").stdout)}
    assert left == {dud.id, good.id}


def _record(**changes: object) -> str:
    lesson = Lesson(
        id="imp1",
        text="Reserving the vector up front avoids repeated reallocation.",
        outcome="correct",
        speedup=1.4,
        language="cpp",
    )
    data = lesson.to_json()
    data.update(changes)
    return json.dumps(data)


def test_import_refuses_bad_records_by_line_and_imports_the_rest(
    project: Path, tmp_path: Path
) -> None:
    """A 1,000,000-character lesson went verbatim into the next prompt; NaN, -5, 1e308 and
    "klingon" were accepted; a non-UTF-8 file was a UnicodeDecodeError traceback."""
    path = tmp_path / "in.jsonl"
    lines = [
        _record(id="good1"),
        _record(id="long", text="A" * 1_000_000),
        _record(id="nan", factor=float("nan")),
        _record(id="uses", uses=-5),
        _record(id="huge", speedup=1e308),
        _record(id="klingon", language="klingon"),
        _record(id="code", text="```cpp\nint main() { return 0; }\n```"),
        "not json",
    ]
    path.write_bytes(
        "\n".join(lines).encode() + b"\n" + b'{"id": "\xff\xfe"}\n' + _record(id="good2").encode()
    )
    r = _run(project, "import", str(path), "--json")
    assert r.returncode == 1, r.stderr  # something was refused: a script notices
    out = json.loads(r.stdout)
    assert out["imported"] == 2
    reasons = {int(x.split(":")[1]): x.split(": ", 1)[1] for x in out["refused"]}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "1,000,000 characters" in reasons[2] and "at most 360" in reasons[2]
    assert "factor nan" in reasons[3]
    assert "uses -5" in reasons[4]
    assert "speedup 1e+308" in reasons[5]
    assert "'klingon'" in reasons[6]
    assert "not a lesson's prose" in reasons[7]
    assert "not a lesson record" in reasons[8]
    assert "not UTF-8" in reasons[9]
    listed = json.loads(_run(project, "list", "--json").stdout)
    assert {x["id"] for x in listed} == {"good1", "good2"}

    text = _run(project, "import", str(path))
    assert text.returncode == 1 and "Traceback" not in text.stderr
    assert f"lessonl: refused {path}:9: not UTF-8" in text.stderr
    assert "imported 0 new lessons" in text.stdout and "8 lines refused" in text.stdout

    # A file with no lesson at all (the wrong file): one error line.
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_bytes(b"\xff\xfe binary\n")
    r = _run(project, "import", str(wrong))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "no line of" in r.stderr and "not UTF-8" in r.stderr
    r = _run(project, "import", str(tmp_path))
    assert r.returncode == 2 and "is a directory" in r.stderr


def _prunable(project: Path) -> tuple[str, str]:
    with LessonBank(StateDir(project).ensure().bank) as bank:
        never = bank.add(Lesson(id="", text="Nothing useful.", outcome="incorrect", language="cpp"))
        unseen = bank.add(Lesson(id="", text="Never shown.", outcome="incorrect", language="cpp"))
        for r in range(3):
            bank.record_votes([never.id], [None], run_id="r", round=r)
    return never.id, unseen.id


@pytest.mark.parametrize("bad", ["-3", "0"])
def test_prune_refuses_a_min_uses_below_one(project: Path, bad: str) -> None:
    """`prune --min-uses -3` deleted every lesson never shown, with no way back."""
    never, unseen = _prunable(project)
    r = _run(project, "prune", "--min-uses", bad, "--yes")
    assert r.returncode == 2 and "--min-uses must be at least 1" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert {x["id"] for x in json.loads(_run(project, "list", "--json").stdout)} == {
        never,
        unseen,
    }


def test_prune_dry_runs_wants_yes_and_keeps_what_it_removed(project: Path) -> None:
    never, unseen = _prunable(project)
    dry = _run(project, "prune", "--dry-run", "--json")
    assert dry.returncode == 0 and json.loads(dry.stdout) == {"pruned": [], "would_prune": [never]}
    dry = _run(project, "prune", "--dry-run")
    assert "would prune 1 lessons" in dry.stdout and "Nothing useful." in dry.stdout

    asked = _run(project, "prune")  # not a terminal, no --yes: refuse, change nothing
    assert asked.returncode == 2 and "pass --yes" in asked.stderr
    assert len(json.loads(_run(project, "list", "--json").stdout)) == 2

    done = _run(project, "prune", "--yes")
    assert done.returncode == 0, done.stderr
    kept = next(StateDir(project).pruned.glob("pruned-*.jsonl"))
    assert str(kept) in done.stdout
    assert [x["id"] for x in json.loads(_run(project, "list", "--json").stdout)] == [unseen]
    back = _run(project, "import", str(kept), "--json")
    assert back.returncode == 0 and json.loads(back.stdout)["imported"] == 1
    assert {x["id"] for x in json.loads(_run(project, "list", "--json").stdout)} == {
        never,
        unseen,
    }


def test_list_refuses_a_limit_below_one(project: Path) -> None:
    _fill(project)
    for limit in ("-1", "0"):
        r = _run(project, "list", "--limit", limit)
        assert r.returncode == 2 and "--limit must be at least 1" in r.stderr


@pytest.mark.parametrize(("answer", "removed"), [("n", False), ("y", True)])
def test_prune_on_a_terminal_lists_and_asks(project: Path, answer: str, removed: bool) -> None:
    import os
    import pty

    never, unseen = _prunable(project)
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [str(LESSONL), "lessons", "--project", str(project), "prune"],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(master, f"{answer}\n".encode())
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert "Nothing useful." in err and "prune these 1 lessons? [y/N]" in err
    left = {x["id"] for x in json.loads(_run(project, "list", "--json").stdout)}
    if removed:
        assert proc.returncode == 0 and "pruned 1 lessons" in out
        assert left == {unseen}
    else:
        assert proc.returncode == 1 and "nothing pruned" in err
        assert left == {never, unseen}
