"""Coverage of a hand-written Python target's function under the target's own test (issue 29).

An automatic target measures how much of the function its recorded calls run
(lessonl/auto/runner/strength.py); a `[[targets]]` entry is judged by its `test` command, and
that test is as weak or strong as the lines it runs. So once, on the original (the harness's
baseline copy, in the same sandbox, environment and limits as the test), the test command is
run again under coverage.py and the function's own body is measured the same way
(`strength.summarize`, `span_in_source`).

Which test commands: without shell syntax, whose first word is `{python}` or a Python
executable (a name like `python`, `python3`, `python3.12`, or a path ending in one), followed
by a script or `-m module` (interpreter options such as `-X` would be taken by coverage, so
they are not measured). The leading Python is replaced by `<that Python> -m coverage run`.
coverage.py is LessonL's own: `{python}` is LessonL's interpreter; another Python of the same
version gets LessonL's copy through PYTHONPATH (lessonl/harness/support.py); any other case is
not measured. Never fatal: where it cannot be measured, the reason is returned for the
report's `verification.notes`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lessonl.auto.runner.strength import span_in_source, summarize
from lessonl.harness.sandbox import needs_shell

_PYTHON_NAME = re.compile(r"^python(\d+(\.\d+)?)?$")
RC_NAME = "lessonl-coverage.rc"
DATA_NAME = "lessonl-coverage.data"


@dataclass(frozen=True)
class Plan:
    """How to run the test under coverage: the command, and whether the test's Python needs
    LessonL's copy of coverage.py on its PYTHONPATH (not for `{python}`, which is LessonL's)."""

    command: str
    support: bool


def plan(test: str) -> Plan | str:
    """The coverage command for `test`, or why it cannot be measured."""
    if needs_shell(test):
        return "the target's test command uses the shell"
    try:
        words = shlex.split(test)
    except ValueError:
        return "the target's test command cannot be split into words"
    if not words:
        return "the target has no test command"
    first, rest = words[0], words[1:]
    if first != "{python}" and not _PYTHON_NAME.match(os.path.basename(first)):
        return "the target's test command does not start with {python} or a Python executable"
    if not rest or (rest[0].startswith("-") and rest[0] != "-m"):
        return "the target's test command passes options to Python before its script"
    support = False
    if first != "{python}":
        exe = shutil.which(first)
        if exe is None:
            return f"{first} not found"
        # Even a link to LessonL's own executable is another environment (a venv's python
        # is one): it gets LessonL's coverage.py through PYTHONPATH, whatever it has.
        version = _version(exe)
        ours = f"{sys.version_info[0]}.{sys.version_info[1]}"
        if version != ours:
            return (
                f"{first} is Python {version or '(unknown version)'}, LessonL's coverage.py "
                f"runs on {ours}"
            )
        support = True
    # Quoted words are split back by `expand`, which then fills in the placeholders.
    command = shlex.join([first, "-m", "coverage", "run", "--rcfile={build}/" + RC_NAME, *rest])
    return Plan(command, support)


def _version(exe: str) -> str | None:
    try:
        done = subprocess.run(
            [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def write_rc(out: Path, source: Path) -> Path:
    """The run's coverage settings, in the copy's `{build}` folder: the project's own coverage
    configuration must not change what is measured, and its data must not land in the tree."""
    data = out / DATA_NAME
    (out / RC_NAME).write_text(
        f"[run]\nbranch = True\ndata_file = {data}\ninclude = {source}\n", encoding="utf-8"
    )
    return data


def span(text: str, function: str | None) -> tuple[int, int] | str:
    """Lines measured: the function's own body, or the whole file when no function is chosen."""
    if function is None:
        return 1, max(1, len(text.splitlines()))
    try:
        found = span_in_source(text, function)
    except SyntaxError as exc:
        return f"the file does not parse: {exc.msg}"
    return found if found is not None else f"{function} is not defined at the top of the file"


def read(data: Path, source: Path, first: int, last: int) -> dict[str, Any] | str:
    """The figures (strength.py's shape) from the test run's data file, or why there are none."""
    import coverage

    if not data.is_file():
        return "the test wrote no coverage data (it may not run the file in its own process)"
    cov = coverage.Coverage(data_file=str(data), config_file=False, branch=True)
    try:
        cov.load()
        if not cov.get_data().measured_files():
            return "the test never ran the target's file"
        return summarize(cov, first, last)
    except coverage.exceptions.CoverageException as exc:
        return f"coverage data could not be read: {exc}"
