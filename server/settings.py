"""Editor settings: `initializationOptions` and the `lessonl` section of `workspace/configuration`.

Only per-run knobs live in the editor (rounds, lessons per prompt, budgets); targets and agents
belong to the project's lessonl.toml so that the CLI and every editor agree on them, and API keys
arrive through the server's environment only (never settings, which editors sync and log).

Precedence, lowest first: lessonl.toml's `[run]`, then `initializationOptions`, then the
`workspace/configuration` answer for the document being optimized (so a folder-level setting in
VS Code wins). A value of null or an absent key means "keep what the lower layer said".
Bad values are user-fixable, so they raise `ConfigError` naming the setting and the expected type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lessonl.errors import ConfigError

if TYPE_CHECKING:
    from lessonl.loop import RunOptions

SECTION = "lessonl"

# wire name -> (field name, kind); kind "int" means a positive integer (0 allowed for lessons).
_FIELDS: dict[str, tuple[str, str]] = {
    "rounds": ("rounds", "int>=1"),
    "lessonsPerPrompt": ("lessons_per_prompt", "int>=0"),
    "maxWallSeconds": ("max_wall_s", "number>0"),
    "maxCostUsd": ("max_cost_usd", "number>0"),
}


@dataclass(frozen=True)
class Settings:
    """The editor's overrides of `[run]`; None keeps lessonl.toml's value."""

    rounds: int | None = None
    lessons_per_prompt: int | None = None
    max_wall_s: float | None = None
    max_cost_usd: float | None = None

    @classmethod
    def from_wire(cls, data: Any, *, source: str) -> Settings:
        """Parse a settings object as an editor sends it (camelCase keys).

        Accepts either the section itself (`{"rounds": 2}`) or an object holding it under
        `lessonl` (`{"lessonl": {"rounds": 2}}`): VS Code extensions commonly pass the whole
        configuration as initializationOptions, other clients the section. Unknown keys are
        ignored, because the same section also holds settings only the extension reads
        (`lessonl.interpreter`, ...).
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: expected an object of lessonl settings, got {data!r}")
        if isinstance(data.get(SECTION), Mapping):
            data = data[SECTION]
        values: dict[str, Any] = {}
        for wire, (name, kind) in _FIELDS.items():
            value = data.get(wire)
            if value is None:
                continue
            values[name] = _check(value, kind, f"{source}: lessonl.{wire}")
        return cls(**values)

    def merged(self, override: Settings) -> Settings:
        """`override`'s set values on top of ours."""
        changes = {k: v for k, v in override.__dict__.items() if v is not None}
        return replace(self, **changes)

    def run_options(self) -> RunOptions:
        """The loop's per-run overrides (imported lazily: the loop pulls in the LLM SDKs)."""
        from lessonl.loop import RunOptions

        return RunOptions(
            rounds=self.rounds,
            lessons_per_prompt=self.lessons_per_prompt,
            max_wall_s=self.max_wall_s,
            max_cost_usd=self.max_cost_usd,
        )


def _check(value: Any, kind: str, where: str) -> int | float:
    if kind.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ConfigError(f"{where}: expected an integer, got {value!r}; fix the setting")
        number = int(value)
        low = 1 if kind == "int>=1" else 0
        if number < low:
            raise ConfigError(f"{where}: expected an integer >= {low}, got {number}")
        return number
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: expected a positive number, got {value!r}; fix the setting")
    if value <= 0:
        raise ConfigError(f"{where}: expected a positive number, got {value}")
    return float(value)
