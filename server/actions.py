"""Code actions ("Optimize `NAME` with lessons", "Set up LessonL for this file") and set-up.

Code actions are answered on the server's event loop and must stay fast (the contract is well
under 200 ms, also while runs are going), so everything here is cheap: config discovery is a
few `stat`s, parsed configs are cached by (path, mtime, size), and the function list is cached
per document version. Offering happens only when the user invokes the menu
(`triggerKind == Invoked`): automatic requests fire on every cursor move and an "Optimize"
lightbulb on every function would be noise. A client older than LSP 3.17 sends no
`triggerKind` at all; its requests count as invoked (it has no automatic kind to tell apart),
or such an editor would never see the action.

Set-up never overwrites: it appends a fully commented `[[targets]]` skeleton (commented, so the
config stays valid until the user fills it in) to the project's lessonl.toml, creating the file if
needed, and does nothing but open the file when a target or skeleton for this file is already
there. A project configured through pyproject.toml's `[tool.lessonl]` gets the skeleton there
instead: a new lessonl.toml next to it would silently take precedence over that configuration.

Whether "Optimize" is offered is the run's own rule (`lessonl.run.plan`, which the CLI follows
too): a function of a file a target covers, or one the automatic target can judge (a Python
function in a project with tests: their recorded calls judge variants); otherwise set-up.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from lessonl.config import (
    CONFIG_NAME,
    AmbiguousTarget,
    Config,
    find_config_file,
    find_project_root,
    language_for_path,
    load_config_file,
)
from lessonl.errors import ConfigError, LessonLError, UsageError

from . import wire
from .edits import split_lines, units

log = logging.getLogger(__name__)

KIND = types.CodeActionKind.RefactorRewrite
OPTIMIZE_TITLE = "Optimize `{name}` with lessons"
SETUP_TITLE = "Set up LessonL for this file"


def uri_path(uri: str) -> Path | None:
    """The file system path of a `file:` URI, else None (untitled buffers, remote schemes)."""
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def require_path(uri: str) -> Path:
    path = uri_path(uri)
    if path is None:
        raise UsageError(f"{uri}: not a file on disk; save it in a project folder first")
    return path


class ConfigCache:
    """Parsed configs keyed by (path, mtime_ns, size): edits to lessonl.toml apply at once."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple[int, int], Config]] = {}

    def for_file(self, path: Path) -> Config | None:
        """The config governing `path`, None if there is none; raises ConfigError if broken."""
        cfg_file = find_config_file(path)
        if cfg_file is None:
            return None
        try:
            st = cfg_file.stat()
        except OSError as exc:
            raise ConfigError(f"{cfg_file}: cannot read: {exc.strerror}") from exc
        stamp = (st.st_mtime_ns, st.st_size)
        hit = self._cache.get(cfg_file)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        config = load_config_file(cfg_file)
        self._cache[cfg_file] = (stamp, config)
        return config


def run_kind(
    path: Path, function: str | None, config: Config | None
) -> tuple[str | None, list[str]]:
    """The kind of target a run on `function` of `path` would use (`hand-written`,
    `auto-python`, `auto-native`), None when it cannot start, and the covering targets to choose
    from when several do: `lessonl.run.plan` says, the rule the run itself and the CLI follow."""
    from lessonl import run

    try:
        planned = run.plan(run.RunRequest(file=path, function=function, config=config))
    except AmbiguousTarget as exc:
        return "hand-written", list(exc.names)
    except LessonLError:
        return None, []
    return planned.kind, []


@dataclass(frozen=True)
class Function:
    """A function the cursor is in: its qualified name and its LSP range."""

    name: str
    range: types.Range


class FunctionIndex:
    """Functions of open documents, parsed once per (uri, version)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[int | None, str, list[Any]]] = {}

    def functions(self, uri: str, version: int | None, source: str, language: str) -> list[Any]:
        from lessonl.regions import list_functions

        hit = self._cache.get(uri)
        if hit is not None and version is not None and hit[0] == version and hit[1] == language:
            return hit[2]
        found = list_functions(source, language)
        self._cache[uri] = (version, language, found)
        return found

    def forget(self, uri: str) -> None:
        self._cache.pop(uri, None)

    def at(
        self,
        uri: str,
        version: int | None,
        source: str,
        language: str,
        line: int,
        encoding: str = types.PositionEncodingKind.Utf16,
    ) -> Function | None:
        """The innermost function whose lines contain `line`."""
        containing = [
            f
            for f in self.functions(uri, version, source, language)
            if f.start_line <= line <= f.end_line
        ]
        if not containing:
            return None
        best = min(containing, key=lambda f: (f.end_line - f.start_line, -f.start_line))
        lines = split_lines(source)
        last = lines[best.end_line] if best.end_line < len(lines) else ""
        end_char = units(last.rstrip("\r\n"), encoding)
        rng = types.Range(
            start=types.Position(line=best.start_line, character=0),
            end=types.Position(line=best.end_line, character=end_char),
        )
        return Function(name=best.qualified_name, range=rng)


def _kind_wanted(only: Sequence[str] | None) -> bool:
    """Whether `context.only` admits refactor.rewrite ("refactor" does, "quickfix" does not)."""
    if not only:
        return True
    return any(o == KIND or KIND.startswith(f"{o}.") for o in only)


def code_actions(
    params: types.CodeActionParams,
    *,
    source: str,
    version: int | None,
    configs: ConfigCache,
    index: FunctionIndex,
    disabled_support: bool,
    encoding: str = types.PositionEncodingKind.Utf16,
) -> list[types.CodeAction] | None:
    """The actions for one `textDocument/codeAction` request (see the module docstring)."""
    ctx = params.context
    automatic = ctx.trigger_kind == types.CodeActionTriggerKind.Automatic
    if automatic or not _kind_wanted(ctx.only):
        return None
    uri = params.text_document.uri
    path = uri_path(uri)
    if path is None:
        return None
    language = language_for_path(path)
    if language is None:
        return None
    try:
        config = configs.for_file(path)
    except LessonLError as exc:
        # A broken lessonl.toml: say so in the menu (greyed out with the reason) rather than
        # silently offering nothing or offering to append to a file that does not parse.
        if not disabled_support:
            log.warning("no code actions for %s: %s", path.name, exc)
            return None
        return [
            types.CodeAction(
                title="Optimize with lessons",
                kind=KIND,
                disabled=types.CodeActionDisabled(reason=str(exc)),
            )
        ]
    setup = types.CodeAction(
        title=SETUP_TITLE,
        kind=KIND,
        command=types.Command(title=SETUP_TITLE, command=wire.CMD_SETUP, arguments=[{"uri": uri}]),
    )
    function = index.at(uri, version, source, language, params.range.start.line, encoding)
    # Ask the run's own rule about the function here (or, outside any function, the file's
    # first one: whether the file can be optimized at all decides between nothing and set-up).
    probe = (
        function.name
        if function is not None
        else _first_function(index, uri, version, source, language)
    )
    kind, covering = run_kind(path, probe, config)
    if kind is None:
        return [setup]
    if function is None:
        return None
    title = OPTIMIZE_TITLE.format(name=function.name)
    argument: dict[str, Any] = {
        "uri": uri,
        "version": version,
        "function": function.name,
        "range": wire.to_json(function.range),
    }
    if len(covering) > 1:  # the client chooses one (VS Code: a quick pick) and sends `target`
        argument["targets"] = covering
    optimize = types.CodeAction(
        title=title,
        kind=KIND,
        command=types.Command(title=title, command=wire.CMD_OPTIMIZE, arguments=[argument]),
    )
    # The automatic target judges a function no entry covers; set-up stays offered for writing
    # a target by hand.
    return [optimize] if kind == "hand-written" else [optimize, setup]


def _first_function(
    index: FunctionIndex, uri: str, version: int | None, source: str, language: str
) -> str | None:
    found = index.functions(uri, version, source, language)
    return found[0].qualified_name if found else None


# --------------------------------------------------------------------------- set-up


@dataclass(frozen=True)
class SetupResult:
    """Where the skeleton is (or the existing target that made one unnecessary)."""

    config_path: Path
    line: int  # 0-based first line to reveal
    end_line: int  # 0-based last line to reveal
    appended: bool


_COMMANDS = {
    "cpp": (
        'build = "g++ -O2 -std=c++17 -o {build}/bench bench/bench.cpp"   # optional',
        'test = "{build}/bench check"     # exit status 0 means correct',
        'bench = "{build}/bench time"     # what gets timed; printing LESSONL_TIME_S=<s> '
        "times only the kernel",
    ),
    "c": (
        'build = "gcc -O2 -o {build}/bench bench/bench.c"   # optional',
        'test = "{build}/bench check"     # exit status 0 means correct',
        'bench = "{build}/bench time"     # what gets timed; printing LESSONL_TIME_S=<s> '
        "times only the kernel",
    ),
    "python": (
        'test = "{python} -m pytest -q tests"   # exit status 0 means correct',
        'bench = "{python} bench.py"            # what gets timed; printing LESSONL_TIME_S=<s> '
        "times only the kernel",
    ),
}


def skeleton(rel: str, language: str, *, table: str = "targets") -> list[str]:
    """The commented `[[targets]]` block for `rel` (lines without terminators)."""
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in Path(rel).stem) or "target"
    body = [
        f"[[{table}]]",
        f'name = "{name}"',
        f"files = [{json.dumps(rel)}]",  # a JSON string is a valid TOML basic string
        *_COMMANDS[language],
        "timeout_s = 60",
    ]
    intro = [
        f"# LessonL target for {rel}: uncomment the lines below and adjust the commands.",
        "# Commands run at the root of a private copy of the project; {build} is its output",
        "# folder and {python} the interpreter LessonL runs under. See the README's",
        "# Configuration section.",
    ]
    return intro + [f"# {line}" for line in body]


def write_skeleton(file: Path) -> SetupResult:
    """Append a commented target for `file` to the project's config (never overwriting).

    Blocking (file I/O and possibly `git rev-parse`): call it through `asyncio.to_thread`.
    """
    language = language_for_path(file)
    if language is None:
        raise UsageError(f"{file.name}: LessonL handles C, C++ and Python files only")
    cfg_file = find_config_file(file)
    if cfg_file is not None and cfg_file.name == "pyproject.toml":
        target_path, table = cfg_file, "tool.lessonl.targets"
    else:
        root = cfg_file.parent if cfg_file is not None else find_project_root(file)
        target_path, table = root / CONFIG_NAME, "targets"
    root = target_path.parent
    try:
        rel = file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = file.name
    existing = target_path.read_text(encoding="utf-8") if target_path.exists() else None
    if existing is not None:
        line = _mention(existing, rel)
        if line is not None:
            return SetupResult(target_path, line=line, end_line=line, appended=False)
    block = skeleton(rel, language, table=table)
    if existing is None:
        header = ["# LessonL configuration (see the README's Configuration section).", ""]
        with target_path.open("x", encoding="utf-8") as fh:  # "x": never clobber a racing file
            fh.write("\n".join([*header, *block]) + "\n")
        first = len(header)
    else:
        if not existing or existing.endswith("\n\n"):
            sep = ""
        else:
            sep = "\n" if existing.endswith("\n") else "\n\n"
        with target_path.open("a", encoding="utf-8") as fh:
            fh.write(sep + "\n".join(block) + "\n")
        first = (existing + sep).count("\n")
    return SetupResult(target_path, line=first, end_line=first + len(block) - 1, appended=True)


def _mention(text: str, rel: str) -> int | None:
    """Line naming `rel` in quotes (a target's or a skeleton's `files` entry), else None."""
    for i, line in enumerate(text.splitlines()):
        if f'"{rel}"' in line or f"'{rel}'" in line:
            return i
    return None
