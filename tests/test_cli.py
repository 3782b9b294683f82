"""The `lessonl` parser: every option of the main commands explains itself in --help."""

from __future__ import annotations

import argparse

import pytest

from lessonl.cli import build_parser


def _subcommand(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


@pytest.mark.parametrize("command", ["optimize", "evaluate", "bench", "hotspots"])
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


@pytest.mark.parametrize("command", ["evaluate", "target", "lessons", "doctor"])
def test_commands_without_a_model_do_not_import_the_llm_sdks(command: str) -> None:
    """Importing openai and anthropic took about 3 s of every `evaluate` on a loaded machine
    (issue 26), though it never calls a model; they load only when a team is built."""
    import subprocess
    import sys

    code = (
        "import sys, lessonl.cli, lessonl.commands." + command + "\n"
        "print(sorted(m for m in ('openai', 'anthropic') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
