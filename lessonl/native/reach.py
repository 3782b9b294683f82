"""Whether a differential driver can call a C/C++ function, and what its writer must know.

The driver `#include`s the function's file and calls the function by name, so it reaches
free functions (`static` ones and those in anonymous namespaces too: they are in the same
translation unit), function templates (the driver instantiates them) and public member
functions of a class it can construct (methods of class templates too). It cannot reach, and
`check` refuses with one line before any model call (`lessonl.run.plan` and
`lessonl.native.prepare` both ask):

- constructors and destructors (no name to call: their work is measured through an object's
  life, which a hand-written target can time);
- operators (`operator==`, `operator()`, conversions), which are called by syntax, not name;
- private and protected member functions (a driver outside the class cannot call them;
  optimize the public method that does);
- lambdas (a variable holding a closure, not a function definition).

Whether a class is constructible is the driver writer's to find out: a driver that cannot
build one does not compile and is dropped with the compiler's reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lessonl import regions
from lessonl.errors import UsageError

_TARGETS = "write a [[targets]] entry (see the README's Configuration section)"
_INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


@dataclass(frozen=True)
class Reach:
    """The function as the driver's writer sees it."""

    info: regions.FunctionInfo
    template: bool  # a function template (a class template's method: `cls.template`)
    cls: regions.CClass | None  # a method's class, when its definition was found
    cls_elsewhere: bool = False  # found in a header the file includes, not in the file


def check(
    source: str,
    language: str,
    function: str,
    *,
    file: Path,
    include_dirs: Iterable[Path] = (),
    root: Path | None = None,
    missing_ok: bool = False,
) -> Reach | None:
    """The function `function` of `source` (the text of `file`) if a driver can call it, else
    `UsageError` with one line saying why not. The class of an out-of-line method is looked
    for in the file and the headers it includes (`"..."` includes, found beside the file or in
    `include_dirs`). `missing_ok`: None when there is no such function (the caller has not
    the project's flags yet, and leaves that error to the one who has)."""
    try:
        info = regions.find_function(source, language, function)
    except UsageError:
        name = regions.cpp_name(function, language).split("::")[-1]
        if re.search(rf"\b{re.escape(name)}\s*=\s*\[[^\]]*\]\s*\(", source):
            raise UsageError(
                f"{function} is a lambda: the automatic C/C++ target calls functions by name "
                "and does not optimize lambdas; make it a function, or optimize the function "
                "that holds it"
            ) from None
        declared = _declared_only(source, language, function, file, root)
        if declared is not None:
            raise UsageError(declared) from None
        if missing_ok:
            return None
        raise
    qualified = info.qualified_name
    short = info.name
    head = source.encode("utf-8")[info.start_byte : info.end_byte].decode("utf-8", "replace")
    if re.search(r"\boperator\b", head.split("{", 1)[0]):
        raise UsageError(
            f"{qualified} is an operator: the automatic C/C++ target calls functions and "
            f"methods by name, not operators; {_TARGETS}"
        )
    if "::" not in qualified:
        return Reach(info, info.kind == "template", None)
    owner = _plain(qualified.rsplit("::", 1)[0])  # `Box<T>::get` defined out of line
    cls, elsewhere = _find_class(owner, source, language, file, include_dirs)
    # `namespace geo { int geo(); }` is a function: a constructor is a class's (or, out of
    # line, `A::A`, whose class may be out of sight).
    named_for_owner = short == owner.split("::")[-1] and (
        cls is not None or info.kind != "function"
    )
    if short.startswith("~") or named_for_owner:
        what = "destructor" if short.startswith("~") else "constructor"
        raise UsageError(
            f"{qualified} is a {what}: the automatic C/C++ target does not optimize "
            f"constructors or destructors (a driver calls functions by name); {_TARGETS}"
        )
    if cls is None:
        # A namespace function (`geo::area`), or a class we could not see: the driver's
        # compile says whether it can call it.
        return Reach(info, info.kind == "template", None)
    access = cls.access.get(short, "public")
    if access != "public":
        raise UsageError(
            f"{qualified} is a {access} member of {cls.qualified_name}: a driver outside the "
            "class cannot call it; optimize the public method that calls it, or "
            f"{_TARGETS}"
        )
    # `template <class T> T Box<T>::get()` is the class template's member, not a template of
    # its own: the prompt says the class is to be instantiated.
    return Reach(info, info.kind == "template" and not cls.template, cls, elsewhere)


#: Where a function declared in a header is looked for (its definition in a source file).
_SOURCES = (".c", ".cc", ".cpp", ".cxx", ".c++")
_SKIP = {".lessonl", ".git", "build", "node_modules", ".venv"}
_MAX_FILES = 5000


def check_early(root: Path, file: Path, function: str, source: str | None = None) -> None:
    """`check` before the project's flags are known (plan time, the hotspot list): the file's
    text (`source`, an editor's unsaved buffer, else read), its language from its suffix (a
    `.h` may be either: C++ reads both), the usual include folders; a name not found is left
    to `prepare`, and an unreadable file to whoever reads it next and says why."""
    try:
        text = source if source is not None else file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    check(
        text,
        "c" if file.suffix == ".c" else "cpp",
        function,
        file=file,
        include_dirs=[root, root / "include"],
        root=root,
        missing_ok=True,
    )


def _declared_only(
    source: str, language: str, function: str, file: Path, root: Path | None
) -> str | None:
    """The one line for a function this file declares but defines elsewhere (the usual
    header and source split): where its definition is, as the FILE:FUNCTION to give. A method
    its class here declares but no source defines says so too."""
    if root is None:
        return None
    wanted = regions.cpp_name(function, language)
    owner, _, member = wanted.rpartition("::")
    grammar = "cpp" if language == "c" else language
    cls = None
    if owner:
        classes = regions.c_classes(source, grammar)
        cls = next(
            (c for c in classes if _matches(c.qualified_name, owner) and member in c.access), None
        )
    elif not re.search(rf"\b{re.escape(member)}\s*\(", source):
        return None  # not declared here either: the usual "no function" error
    if owner and cls is None:
        return None
    here = _relative(file, root)
    for path in _project_sources(root):
        if path.resolve() == file.resolve():
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if member not in text:
            continue
        try:
            info = regions.find_function(text, "c" if path.suffix == ".c" else "cpp", wanted)
        except UsageError:
            continue
        there = _relative(path, root)
        return (
            f"{info.qualified_name} is declared in {here} and defined in {there}: optimize "
            f"{there}:{info.qualified_name}"
        )
    if cls is None:
        return None
    return (
        f"{cls.qualified_name}::{member} is declared in {here} but defined in none of the "
        "project's C/C++ sources; give the file that defines it (FILE:FUNCTION)"
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _project_sources(root: Path) -> Iterable[Path]:
    """The project's C/C++ source files, in a stable order, skipping build and state folders
    without walking into them (a big checkout's `build/` can hold more than the sources)."""
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith("."))
        for name in sorted(files):
            if Path(name).suffix in _SOURCES:
                seen += 1
                if seen > _MAX_FILES:
                    return
                yield Path(folder) / name


def _plain(name: str) -> str:
    """`ns::Box<T>` without its template arguments: `ns::Box`."""
    while True:
        shorter = re.sub(r"<[^<>]*>", "", name)
        if shorter == name:
            return name
        name = shorter


def _matches(cls: str, owner: str) -> bool:
    return cls == owner or cls.endswith("::" + owner) or owner.endswith("::" + cls)


def _find_class(
    owner: str, source: str, language: str, file: Path, include_dirs: Iterable[Path]
) -> tuple[regions.CClass | None, bool]:
    """`owner`'s definition in `source`, else in the headers it includes (one level); and
    whether it came from a header."""
    found = [c for c in regions.c_classes(source, language) if _matches(c.qualified_name, owner)]
    if found:
        return found[0], False
    folders = [file.parent, *include_dirs]
    for name in _INCLUDE.findall(source):
        header = next((d / name for d in folders if (d / name).is_file()), None)
        if header is None:
            continue
        try:
            text = header.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        hits = [c for c in regions.c_classes(text, "cpp") if _matches(c.qualified_name, owner)]
        if hits:
            return hits[0], True
    return None, False


def include_dirs(flags: Iterable[str]) -> list[Path]:
    """The `-I`/`-iquote`/`-isystem` folders of a compile's flags (absolute, as `Build` keeps
    them)."""
    out: list[Path] = []
    words = list(flags)
    for i, word in enumerate(words):
        for option in ("-I", "-iquote", "-isystem"):
            if word == option and i + 1 < len(words):
                out.append(Path(words[i + 1]))
            elif word.startswith(option) and len(word) > len(option):
                out.append(Path(word[len(option) :]))
    return out
