"""lessonl.atomic.write_text: whole files only, sensible modes, no litter."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lessonl.atomic import DEFAULT_MODE, write_text


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_readable_not_private(tmp_path: Path) -> None:
    path = write_text(tmp_path / "report.md", "# r\n")
    assert path.read_text(encoding="utf-8") == "# r\n"
    assert _mode(path) == DEFAULT_MODE  # not mkstemp's 0600


def test_replacing_keeps_the_files_mode_unless_told(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("old\n", encoding="utf-8")
    script.chmod(0o750)
    write_text(script, "new\n")
    assert script.read_text(encoding="utf-8") == "new\n" and _mode(script) == 0o750
    write_text(script, "newer\n", mode=0o600)
    assert _mode(script) == 0o600


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text("{}\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_text(path, "half \ud800 written")  # a lone surrogate cannot be encoded
    assert path.read_text(encoding="utf-8") == "{}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
