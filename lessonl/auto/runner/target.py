"""Finding the function under test inside the project copy, and swapping it for a recorder.

Kinds: plain functions and methods (instance, static and class methods). Generators, async
functions, properties and nested functions (closures) are refused with a message; `Unsupported`
carries it to the CLI, which prints it as the one line LessonL shows the user.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any


class Unsupported(Exception):
    """The function cannot be judged this way; the message says why and what to do."""


@dataclass(frozen=True)
class Spec:
    """Where the function lives, relative to the project copy the command runs in."""

    root: Path
    file: str  # the module's path relative to root
    qualname: str  # "func" or "Class.method"
    import_root: str  # folder (relative to root) that must be on sys.path: "." or "src"
    module: str  # dotted module name, e.g. "pkg.core"

    def add_to_path(self) -> None:
        """Put the copy's import root first, so the variant is imported, not an installed copy
        of the project (an editable install would otherwise point at the user's tree)."""
        for entry in (self.root, self.root / self.import_root):
            text = str(entry.resolve())
            if text in sys.path:
                sys.path.remove(text)
            sys.path.insert(0, text)


def load_module(spec: Spec) -> ModuleType:
    try:
        module = importlib.import_module(spec.module)
    except Exception as exc:  # the project's own import error, reported as such
        why = f"cannot import {spec.module} from {spec.file}: {type(exc).__name__}: {exc}"
        if isinstance(exc, ImportError) or type(exc).__name__ == "PackageNotFoundError":
            why += (  # a dependency, or the project's own metadata, missing where it runs
                "; is the project installed in the interpreter its tests run with? (install "
                "it there, e.g. `pip install -e .`, or set [run] interpreter)"
            )
        raise Unsupported(why) from exc
    where = Path(getattr(module, "__file__", "") or "").resolve()
    expected = (spec.root / spec.file).resolve()
    if where != expected:
        raise Unsupported(
            f"importing {spec.module} loaded {where}, not {expected}; another copy of the "
            "project shadows it on sys.path (set [run] interpreter or add a [[targets]] entry)"
        )
    return module


def owner_of(module: ModuleType, qualname: str) -> tuple[Any, str]:
    """(the module or class holding the function, its attribute name)."""
    parts = qualname.split(".")
    if "<locals>" in parts:
        raise Unsupported(f"{qualname} is a nested function (closure); not supported yet")
    owner: Any = module
    for part in parts[:-1]:
        owner = getattr(owner, part, None)
        if owner is None or not inspect.isclass(owner):
            raise Unsupported(f"{qualname}: {part} is not a class of {module.__name__}")
    return owner, parts[-1]


def raw_function(owner: Any, name: str, qualname: str) -> Callable[..., Any]:
    """The callable that receives exactly the recorded arguments (self or cls included)."""
    found = owner.__dict__.get(name) if inspect.isclass(owner) else getattr(owner, name, None)
    if found is None:
        raise Unsupported(f"{qualname} is not defined")
    if isinstance(found, staticmethod | classmethod):
        found = found.__func__
    if isinstance(found, property):
        raise Unsupported(f"{qualname} is a property; not supported yet (optimize its getter)")
    if not callable(found):
        raise Unsupported(f"{qualname} is not a function")
    check_kind(found, qualname)
    return found  # type: ignore[no-any-return]


def check_kind(fn: Callable[..., Any], qualname: str) -> None:
    if inspect.isasyncgenfunction(fn) or inspect.iscoroutinefunction(fn):
        raise Unsupported(f"{qualname} is an async function; not supported yet")
    if inspect.isgeneratorfunction(fn):
        raise Unsupported(f"{qualname} is a generator; not supported yet")


def install(owner: Any, name: str, replacement: Callable[..., Any]) -> None:
    """Put `replacement` where the function was, keeping a static/class method's wrapper."""
    value: Any = replacement
    if inspect.isclass(owner):
        current = owner.__dict__.get(name)
        if isinstance(current, staticmethod | classmethod):
            value = type(current)(replacement)
    setattr(owner, name, value)


def rebind_references(original: Any, replacement: Any) -> int:
    """Point every module-level name bound to `original` at `replacement`.

    A package's `__init__` that does `from .core import func`, or a test module imported
    before the recorder was installed, holds its own reference; without this its calls would
    go unrecorded. Returns how many names were rebound."""
    count = 0
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for key, value in list(namespace.items()):
            if value is original:
                namespace[key] = replacement
                count += 1
    return count


class Wrapped:
    """The function replaced by `wrap(raw)` where it is defined and wherever a module bound it.

    `install` is called again after pytest collected the tests (a test module imported since
    holds its own reference), so it loads the function once and rebinds every time. The
    recorder and the timing inside tests both wrap the function this way."""

    def __init__(self, spec: Spec, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]):
        self.spec = spec
        self.wrap = wrap
        self.raw: Callable[..., Any] | None = None
        self.wrapper: Callable[..., Any] | None = None

    def install(self) -> None:
        if self.raw is None:
            module = load_module(self.spec)
            owner, name = owner_of(module, self.spec.qualname)
            raw = raw_function(owner, name, self.spec.qualname)
            self.raw, self.wrapper = raw, self.wrap(raw)
            install(owner, name, self.wrapper)
        rebind_references(self.raw, self.wrapper)
