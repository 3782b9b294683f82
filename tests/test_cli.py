"""The `lessonl` parser: every option of the main commands explains itself in --help."""

from __future__ import annotations

import argparse

import pytest

from lessonl.cli import build_parser


def _subcommand(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


@pytest.mark.parametrize("command", ["optimize", "evaluate", "bench"])
def test_every_option_has_help(command: str) -> None:
    silent = [
        a.option_strings[0]
        for a in _subcommand(command)._actions
        if a.option_strings and not a.help
    ]
    assert silent == [], f"{command}: options without help: {silent}"


def test_help_states_the_defaults() -> None:
    bench = _subcommand("bench").format_help()
    assert "default: these six" in bench and "bench-report/<suite>" in bench
    # every strategy is named, and the six default ones before the default's wording
    from lessonl.bench import strategies

    words = " ".join(bench.split())
    assert all(name in words for name in strategies.NAMES)
    assert words.index("default: these six") > max(words.index(n) for n in strategies.DEFAULT)
    for command in ("optimize", "evaluate"):
        assert "default: the one whose" in " ".join(_subcommand(command).format_help().split())
