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

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from lessonl.config import check_run_value
from lessonl.errors import ConfigError

if TYPE_CHECKING:
    from lessonl.run import Overrides

SECTION = "lessonl"

#: Editor setting (wire name, camelCase) -> the `[run]` key it overrides. Only the names live
#: here: types and ranges are `RunConfig`'s, checked by `lessonl.config.check_run_value`, the
#: same rules lessonl.toml is held to. The extension's package.json declares exactly these
#: (tests/test_server_units.py checks it).
WIRE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "rounds": "rounds",
        "lessonsPerPrompt": "lessons_per_prompt",
        "maxWallSeconds": "max_wall_s",
        "maxCostUsd": "max_cost_usd",
    }
)


@dataclass(frozen=True)
class Settings:
    """The editor's overrides of `[run]`, by `[run]` key; a key absent keeps lessonl.toml's."""

    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, data: Any, *, source: str) -> Settings:
        """Parse a settings object as an editor sends it (camelCase keys).

        Accepts either the section itself (`{"rounds": 2}`) or an object holding it under
        `lessonl` (`{"lessonl": {"rounds": 2}}`): VS Code extensions commonly pass the whole
        configuration as initializationOptions, other clients the section. Unknown keys are
        ignored, because the same section also holds settings only the extension reads
        (`lessonl.interpreter`, ...).
        """
        return cls.from_layers([(data, source)])

    @classmethod
    def from_layers(cls, layers: list[tuple[Any, str]]) -> Settings:
        """Settings objects, lowest first (see the module docstring), overlaid before any value
        is checked: a bad value that a higher layer replaces (a setting the user has fixed since
        the server started with it in initializationOptions) does not fail the run."""
        chosen: dict[str, tuple[Any, str]] = {}
        for data, source in layers:
            section = _section(data, source)
            for wire in WIRE_NAMES:
                if section.get(wire) is not None:
                    chosen[wire] = (section[wire], source)
        return cls(
            {
                WIRE_NAMES[wire]: check_run_value(
                    WIRE_NAMES[wire], value, f"{source}: {SECTION}.{wire}"
                )
                for wire, (value, source) in chosen.items()
            }
        )

    def merged(self, override: Settings) -> Settings:
        """`override`'s set values on top of ours."""
        return Settings({**self.values, **override.values})

    def run_options(self) -> Overrides:
        """The run's per-run overrides, each named by the setting that gave it."""
        from lessonl.run import Overrides

        wire_of = {key: wire for wire, key in WIRE_NAMES.items()}
        return Overrides.of(
            {k: (v, f"settings: {SECTION}.{wire_of[k]}") for k, v in self.values.items()},
            fix="fix the setting",
        )


def _section(data: Any, source: str) -> Mapping[str, Any]:
    """The `lessonl` section of a settings object (itself, or under `lessonl`)."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected an object of lessonl settings, got {data!r}")
    if isinstance(data.get(SECTION), Mapping):
        return cast("Mapping[str, Any]", data[SECTION])
    return data
