"""Making coverage.py and Hypothesis importable by the runner, which runs under the project's
interpreter with the standard library only (lessonl/auto/runner/strength.py).

Choice: LessonL depends on both; the runner gets a folder (`<recording>/support/`) of symbolic
links to LessonL's own installed copies of exactly those distributions (and what Hypothesis
needs), put first on the runner's sys.path by the `strengthen` and `verify` commands only.
Links, not LessonL's whole site-packages: that would put every LessonL dependency (numpy, ...)
ahead of the project's own versions. Only when the project's Python has LessonL's version
(major.minor): coverage's tracer is a compiled extension, and Hypothesis supports the
versions LessonL does. Otherwise the coverage is reported unavailable, with that reason, and
no property-based inputs are added: nothing is installed into the project's environment.

These commands run the ORIGINAL only, at preparation, on inputs no test chose: so they run in
the sandbox (lessonl/harness/isolation.py, as `[run] sandbox` says), writable only in the
recording's own folder, with the project's interpreter and LessonL's prefix (where the links
point) readable, like the model's input generator and `verify`. The variants' `check` and
`bench` never import either library, so the target's readable paths are unchanged.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
from pathlib import Path

#: Distributions the runner's `strengthen` imports (Hypothesis's own requirements included).
DISTRIBUTIONS = ("coverage", "hypothesis", "attrs", "sortedcontainers")


def version_of(python_version: str) -> str:
    return ".".join(python_version.split(".")[:2])


def same_python(project_version: str) -> bool:
    return version_of(project_version) == f"{sys.version_info[0]}.{sys.version_info[1]}"


def build(folder: Path) -> Path | None:
    """`folder` filled with links to the distributions' top-level packages; None when one of
    coverage and Hypothesis is not installed (LessonL installed without its dependencies)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in DISTRIBUTIONS:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            if name in ("coverage", "hypothesis"):
                return None
            continue  # not needed by this version of Hypothesis
        tops = {Path(str(f)).parts[0] for f in dist.files or ()}
        for top in sorted(tops):
            if top.endswith((".dist-info", ".egg-info", ".pth")) or top in ("..", "bin"):
                continue
            source = Path(str(dist.locate_file(top)))
            link = folder / top
            if source.exists() and not link.exists():
                os.symlink(source, link)
    return folder
