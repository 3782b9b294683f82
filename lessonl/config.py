"""Loading and validating `lessonl.toml` (or `[tool.lessonl]` in pyproject.toml).

The schema is the dataclasses below: each field's type annotation is the validation rule, so a
new option is one new field with a default. Validation is strict (unknown keys are errors)
because a misspelt `timeout_s` silently falling back to the default would make a run behave in
ways the user never asked for. Every error names the file, the key and what was expected, on
one line (see `ConfigError`).
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lessonl.errors import ConfigError

CONFIG_NAME = "lessonl.toml"
PROVIDERS = ("openai", "anthropic", "local")
LANGUAGES = ("c", "cpp", "python")
SANDBOX_MODES = ("auto", "required", "off")  # see lessonl.harness.isolation

_EXTENSION_LANGUAGE = {
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".py": "python",
}


def language_for_path(path: str | Path) -> str | None:
    """The language of a source file from its extension (`.h` counts as C), or None."""
    return _EXTENSION_LANGUAGE.get(Path(path).suffix.lower())


@dataclass(frozen=True)
class RunConfig:
    """`[run]`: the loop's parameters (paper defaults) and the run's budgets."""

    rounds: int = 4
    lessons_per_prompt: int = 4
    temperature: float = 0.2
    lesson_temperature: float = 0.2
    lesson_max_tokens: int = 250
    code_max_tokens: int = 2048
    # Budgets: None means unlimited. Hitting one stops the run cleanly with the best so far.
    max_wall_s: float | None = None
    max_tokens: int | None = None
    max_cost_usd: float | None = None
    cache: bool = True
    sequential: bool = False
    # Beyond the paper, off until measured to help: from round 2 on, agents rewrite the fastest
    # measurably faster variant so far instead of the original (see lessonl/loop.py).
    carry_forward: bool = False
    # The Python that runs an automatic target's tests (default: the project's .venv/venv,
    # else the one running LessonL); see lessonl/auto/project.py.
    interpreter: str | None = None
    # An automatic (Python) target's skeptic: before a variant can win or be carried forward, a
    # model is asked for inputs on which it may differ from the original, and both run on them
    # (lessonl/auto/skeptic.py). One model call per would-be winner; false turns it off.
    skeptic: bool = True
    # Sandbox for every command of every target (lessonl.harness.isolation): "auto" uses
    # bubblewrap when it works and says once when it does not, "required" makes that an error,
    # "off" runs commands unsandboxed. A target's own `sandbox` wins.
    sandbox: str = "auto"
    # The per-call timeout of the embedded local team, which has no [[agents]] entry to carry
    # one. Generous: on a loaded 2-core machine the 0.5B model wrote 1-1.5 tokens/s and read a
    # 1,700-token prompt in 80 s, so a 600-token answer takes some 8-10 minutes.
    local_timeout_s: float = 900.0
    # Extra arguments for the configure step of the automatic C/C++ target (`cmake -S ... -B
    # ...` or `meson setup ...`), e.g. ["-DWITH_TESTS=ON"], for a project that does not
    # configure without options. Part of the private folder's name, so changing them
    # configures afresh.
    configure_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgentConfig:
    """One `[[agents]]` entry: a model the team talks to."""

    name: str
    provider: str
    model: str = ""
    base_url: str | None = None
    api_key_env: str | None = None
    # Local provider: a GGUF file to serve instead of the bundled Qwen2.5-Coder-0.5B.
    model_path: str | None = None
    temperature: float | None = None
    seed: int | None = None
    emphasis: str | None = None
    price_in_per_mtok: float | None = None
    price_out_per_mtok: float | None = None
    timeout_s: float = 300.0
    max_retries: int = 4
    max_concurrency: int = 4


@dataclass(frozen=True)
class TargetConfig:
    """One `[[targets]]` entry: how to build, check and time variants of some files."""

    name: str
    files: tuple[str, ...]
    test: str
    bench: str
    build: str | None = None
    timeout_s: float = 60.0
    compare_output: bool = False
    # Sandbox limits for every command that runs generated code.
    cpu_limit_s: float | None = None  # default: timeout_s
    memory_mb: int = 4096
    file_size_mb: int = 512
    # Timing: interleaved pairs until the 95% CI half-width of the ratio is <= ci_target.
    min_pairs: int = 6  # the sign test needs 6 pairs for a 95% interval (stats.py)
    max_pairs: int = 40
    timing_budget_s: float = 60.0
    ci_target: float = 0.02
    # Paths (globs, relative to the root) never copied into variant build directories, e.g. a
    # benchmark's hidden reference solution.
    exclude: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    # None: the [run] sandbox setting. `network = true` lets sandboxed commands use the network
    # (e.g. a build that downloads); without it they get only a private loopback.
    sandbox: str | None = None
    network: bool = False
    # Paths (absolute, or relative to the root) that sandboxed commands may read although they
    # lie in a folder the sandbox hides (the real HOME, the project itself): the automatic
    # target's recording and the project's own interpreter, say. Read-only.
    readable: tuple[str, ...] = ()
    # Folders under {build} (relative) that the original's build leaves configured and built,
    # and that every variant's {build} starts from, times kept, so make or ninja rebuild only
    # what the variant's change reaches. Sandboxed only: there each variant's commands see its
    # copy at one fixed path (a build folder holds absolute paths); unsandboxed, ignored.
    reuse_build: tuple[str, ...] = ()

    @property
    def language(self) -> str | None:
        """The language of the target's first file with a known extension."""
        for name in self.files:
            lang = language_for_path(name)
            if lang:
                return lang
        return None


@dataclass(frozen=True)
class ProblemConfig:
    """`[problem]`: metadata of a benchmark problem (see `lessonl bench`)."""

    category: str
    function: str
    description: str = ""


class AmbiguousTarget(ConfigError):
    """Several targets cover the file and none was named. The message is front-end neutral
    (the CLI names one with `--target`, an editor offers a choice); `names` lets a front end
    offer the choice itself."""

    def __init__(self, where: str, file: str, covering: list[TargetConfig]) -> None:
        self.names = tuple(t.name for t in covering)
        super().__init__(
            f"{where}: several targets cover {file} ({', '.join(self.names)}); choose the one "
            "to use by its name",
            data={"targets": list(self.names)},
        )


@dataclass(frozen=True)
class Config:
    """A loaded project configuration. `root` is the project root (see `find_project_root`)."""

    path: Path | None
    root: Path
    run: RunConfig = field(default_factory=RunConfig)
    agents: tuple[AgentConfig, ...] = ()
    targets: tuple[TargetConfig, ...] = ()
    problem: ProblemConfig | None = None

    def target(self, name: str | None = None, *, file: Path | None = None) -> TargetConfig:
        """The target to use: by name, else the one covering `file`, else the only one."""
        if not self.targets:
            raise ConfigError(
                f"{self._where()}: no [[targets]] defined; add one with files, test and bench "
                "(see the README's Configuration section)"
            )
        if name is not None:
            for t in self.targets:
                if t.name == name:
                    return t
            known = ", ".join(t.name for t in self.targets)
            raise ConfigError(f"{self._where()}: no target named {name!r} (known: {known})")
        if file is not None:
            covering = self.targets_for(file)
            if len(covering) == 1:
                return covering[0]
            if len(covering) > 1:
                raise AmbiguousTarget(self._where(), self.relative(file), covering)
            rel = self.relative(file)
            raise ConfigError(
                f"{self._where()}: no target lists {rel} in its files; add it to a "
                "[[targets]] files list"
            )
        if len(self.targets) == 1:
            return self.targets[0]
        raise ConfigError(f"{self._where()}: several targets defined; pick one with --target")

    def targets_for(self, file: Path) -> list[TargetConfig]:
        """Targets whose `files` include `file` (absolute or relative to the root)."""
        rel = self.relative(file)
        return [t for t in self.targets if rel in {Path(f).as_posix() for f in t.files}]

    def relative(self, file: Path) -> str:
        """`file` relative to the root, as a POSIX string (absolute if outside the root)."""
        p = Path(file)
        if not p.is_absolute():
            p = (Path.cwd() / p).resolve()
        try:
            return p.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return p.as_posix()

    def _where(self) -> str:
        return str(self.path) if self.path else str(self.root / CONFIG_NAME)


# --------------------------------------------------------------------------- discovery


def git_root(start: Path) -> Path | None:
    """The top of the git checkout holding `start`, or None."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=start,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def find_config_file(start: Path) -> Path | None:
    """The nearest lessonl.toml, or pyproject.toml with [tool.lessonl], at or above `start`."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue  # somebody else's broken pyproject is not our config
            if "lessonl" in data.get("tool", {}):
                return pyproject
    return None


def find_project_root(start: Path) -> Path:
    """The folder holding the config file, else the git root, else `start`'s folder."""
    cfg = find_config_file(start)
    if cfg is not None:
        return cfg.parent
    folder = start.resolve()
    if folder.is_file():
        folder = folder.parent
    return git_root(folder) or folder


def load_config(start: Path, *, required: bool = True) -> Config:
    """Find and load the configuration governing `start` (a file or folder).

    With `required=False` a project without a config file gets the defaults (no targets),
    which is enough for `lessonl doctor` and the lesson commands.
    """
    path = find_config_file(start)
    if path is None:
        if required:
            raise ConfigError(
                f"no {CONFIG_NAME} found at or above {start}; create one with a [[targets]] "
                "entry (see the README's Configuration section)"
            )
        return Config(path=None, root=find_project_root(start))
    return load_config_file(path)


def load_config_file(path: Path) -> Config:
    """Parse and validate one config file (lessonl.toml or a pyproject.toml)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("lessonl", {})
        prefix = "tool.lessonl."
    else:
        prefix = ""
    return parse_config(data, path=path, root=path.parent, prefix=prefix)


def parse_config(
    data: dict[str, Any], *, path: Path | None, root: Path, prefix: str = ""
) -> Config:
    """Validate an already-parsed TOML table into a `Config`."""
    where = str(path) if path else "config"
    allowed = {"run", "agents", "targets", "problem"}
    for key in data:
        if key not in allowed:
            raise ConfigError(
                f"{where}: unknown key {prefix}{key!r}; expected one of "
                f"{', '.join(sorted(allowed))}"
            )
    run = _build(RunConfig, data.get("run", {}), where, f"{prefix}run")
    agents = tuple(
        _build(AgentConfig, a, where, f"{prefix}agents[{i}]")
        for i, a in enumerate(_array(data, "agents", where, prefix))
    )
    targets = tuple(
        _build(TargetConfig, t, where, f"{prefix}targets[{i}]")
        for i, t in enumerate(_array(data, "targets", where, prefix))
    )
    problem = (
        _build(ProblemConfig, data["problem"], where, f"{prefix}problem")
        if "problem" in data
        else None
    )
    _check_semantics(run, agents, targets, where, prefix)
    return Config(path=path, root=root, run=run, agents=agents, targets=targets, problem=problem)


def parse_agents_file(path: Path) -> tuple[AgentConfig, ...]:
    """A team file (`lessonl bench --team`): only `[[agents]]`, same schema as lessonl.toml."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read team file: {exc}") from exc
    for key in data:
        if key != "agents":
            raise ConfigError(f"{path}: unknown key {key!r}; a team file holds only [[agents]]")
    cfg = parse_config(data, path=path, root=path.parent)
    if not cfg.agents:
        raise ConfigError(f"{path}: no [[agents]] in team file")
    return cfg.agents


def _array(data: dict[str, Any], key: str, where: str, prefix: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: {prefix}{key}: expected an array of tables ([[{key}]])")
    return value


def _check_semantics(
    run: RunConfig,
    agents: tuple[AgentConfig, ...],
    targets: tuple[TargetConfig, ...],
    where: str,
    prefix: str,
) -> None:
    def fail(key: str, msg: str) -> None:
        raise ConfigError(f"{where}: {prefix}{key}: {msg}")

    for run_field in dataclasses.fields(RunConfig):
        problem = _run_range(run_field.name, getattr(run, run_field.name))
        if problem:
            fail(f"run.{run_field.name}", problem)
    names: set[str] = set()
    for i, a in enumerate(agents):
        if a.provider not in PROVIDERS:
            fail(
                f"agents[{i}].provider",
                f"expected one of {', '.join(PROVIDERS)}, got {a.provider!r}",
            )
        if a.provider != "local" and not a.model:
            fail(f"agents[{i}].model", "expected the model name for this provider")
        if a.name in names:
            fail(f"agents[{i}].name", f"duplicate agent name {a.name!r}")
        names.add(a.name)
        if a.timeout_s <= 0:
            fail(f"agents[{i}].timeout_s", f"expected a positive number, got {a.timeout_s}")
        if a.max_retries < 0 or a.max_concurrency < 1:
            fail(f"agents[{i}]", "max_retries must be >= 0 and max_concurrency >= 1")
    tnames: set[str] = set()
    for i, t in enumerate(targets):
        if t.name in tnames:
            fail(f"targets[{i}].name", f"duplicate target name {t.name!r}")
        tnames.add(t.name)
        if not t.files:
            fail(f"targets[{i}].files", "expected at least one file path")
        for f in t.files:
            if Path(f).is_absolute() or ".." in Path(f).parts:
                fail(f"targets[{i}].files", f"expected paths inside the project root, got {f!r}")
        for key in ("timeout_s", "timing_budget_s", "ci_target"):
            if getattr(t, key) <= 0:
                fail(f"targets[{i}].{key}", f"expected a positive number, got {getattr(t, key)}")
        if t.cpu_limit_s is not None and t.cpu_limit_s <= 0:
            fail(f"targets[{i}].cpu_limit_s", f"expected a positive number, got {t.cpu_limit_s}")
        if t.memory_mb < 16 or t.file_size_mb < 1:
            fail(f"targets[{i}]", "memory_mb must be >= 16 and file_size_mb >= 1")
        if t.sandbox is not None and t.sandbox not in SANDBOX_MODES:
            fail(
                f"targets[{i}].sandbox",
                f"expected one of {', '.join(SANDBOX_MODES)}, got {t.sandbox!r}",
            )
        for folder in t.reuse_build:
            parts = Path(folder).parts
            if not parts or Path(folder).is_absolute() or ".." in parts or "{" in folder:
                fail(
                    f"targets[{i}].reuse_build",
                    f'expected folders relative to {{build}} (e.g. "project"), got {folder!r}',
                )
        if t.min_pairs < 2 or t.max_pairs < t.min_pairs:
            fail(f"targets[{i}].min_pairs", "expected 2 <= min_pairs <= max_pairs")


def _run_range(key: str, value: Any) -> str | None:
    """What is wrong with an already well-typed `[run]` value, else None (the one place the
    ranges of `[run]` are written down; `check_run_value` applies them to editor settings)."""
    if value is None:
        return None
    if key == "configure_args":
        # They become words of the gate's build command, whose {placeholders} the harness fills.
        bad = [a for a in value if not a or "{" in a or "}" in a]
        return f"expected non-empty arguments without braces, got {bad[0]!r}" if bad else None
    if key == "rounds" or key in ("lesson_max_tokens", "code_max_tokens"):
        return None if value >= 1 else f"expected an integer >= 1, got {value}"
    if key == "lessons_per_prompt":
        return None if value >= 0 else f"expected an integer >= 0, got {value}"
    if key in ("temperature", "lesson_temperature"):
        return None if 0 <= value <= 2 else f"expected a number between 0 and 2, got {value}"
    if key in ("max_wall_s", "max_tokens", "max_cost_usd", "local_timeout_s"):
        # `value > 0` is False for NaN; infinity is no budget at all (leave the key out).
        ok = value > 0 and math.isfinite(value)
        return None if ok else f"expected a positive finite number, got {value}"
    if key == "sandbox" and value not in SANDBOX_MODES:
        return f"expected one of {', '.join(SANDBOX_MODES)}, got {value!r}"
    return None


def check_run_value(key: str, value: Any, where: str, *, fix: str = "fix the setting") -> Any:
    """One `[run]` value from outside lessonl.toml (an editor setting, a CLI flag), validated
    exactly as lessonl.toml's own: the type from `RunConfig`'s annotation, the range from
    `_run_range`. Returns the value coerced (an integer for a float field becomes a float);
    raises a one-line `ConfigError` "WHERE: expected ..., got ...; FIX" whose `data.setting`
    is the `[run]` key and `data.name` WHERE (the flag or setting the user gave)."""
    hints = typing.get_type_hints(RunConfig)
    if key not in hints:
        raise ValueError(f"{key!r} is not a [run] key")  # a caller's bug, not the user's
    data = {"setting": key, "name": where}
    try:
        coerced = _coerce(value, hints[key], where, key)
    except ConfigError:
        raise ConfigError(
            f"{where}: expected {_describe(hints[key])}, got {value!r}; {fix}", data=data
        ) from None
    problem = _run_range(key, coerced)
    if problem:
        raise ConfigError(f"{where}: {problem}; {fix}", data=data)
    return coerced


# --------------------------------------------------------------------------- schema machinery


def _build(cls: type, table: Any, where: str, key: str) -> Any:
    """Instantiate dataclass `cls` from a TOML table, checking keys and types."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: {key}: expected a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for name, value in table.items():
        if name not in fields:
            raise ConfigError(
                f"{where}: unknown key {key}.{name}; expected one of {', '.join(fields)}"
            )
        kwargs[name] = _coerce(value, hints[name], where, f"{key}.{name}")
    for name, f in fields.items():
        if (
            name not in kwargs
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ):
            raise ConfigError(f"{where}: {key}: missing required key {name!r}")
    return cls(**kwargs)


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is tuple:
        inner = _describe(typing.get_args(tp)[0])
        return f"an array of {inner.split(' ', 1)[-1]}s"  # "a string" -> "strings"
    if origin is dict:
        return "a table of strings"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        tp, str(tp)
    )


def _coerce(value: Any, tp: Any, where: str, key: str) -> Any:
    def bad() -> ConfigError:
        return ConfigError(f"{where}: {key}: expected {_describe(tp)}, got {value!r}")

    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        for option in options:
            try:
                return _coerce(value, option, where, key)
            except ConfigError:
                continue
        raise bad()
    if origin is tuple:
        if not isinstance(value, list):
            raise bad()
        (inner,) = {a for a in typing.get_args(tp) if a is not Ellipsis}
        return tuple(_coerce(v, inner, where, key) for v in value)
    if origin is dict:
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise bad()
        return dict(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise bad()
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad()
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad()
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise bad()
        return value
    raise bad()
