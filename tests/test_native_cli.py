"""The automatic C/C++ target through the front door (lessonl.run) as a user runs it: the real
CLI in a subprocess on a CMake project without a `[[targets]]` entry, the team (the fake LLM
server) writing the driver and the variants, real cmake, ctest and g++ judging them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from fakes import FakeLLM
from fakes.strategies import native_replies
from native_project import DRIVER, FAST, FILE, FUNCTION, SKEPTIC_PROGRAM, agent_config, make_project

from lessonl.config import load_config


def _lessonl(*args: str, cwd: Path, timeout: float = 600) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "lessonl", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "NO_KEY_NEEDED": "x"},
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_optimize_a_header_function_without_a_target_proposes_the_fast_variant(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, config=agent_config(fake_llm.base_url, "rounds = 1"))
    original = (root / FILE).read_text(encoding="utf-8")
    fake_llm.script_fn(
        native_replies([DRIVER], lambda prompt: f"```cpp\n{FAST}```", [SKEPTIC_PROGRAM] * 4)
    )
    code, out, err = _lessonl("optimize", f"{FILE}:{FUNCTION}", "--json", cwd=root)
    assert code == 0, err
    report = json.loads(out)
    assert report["verification"]["kind"] == "native"
    assert report["best"] is not None, out
    assert report["best"]["speedup"] > 3
    assert "sort" in report["best"]["new_text"]
    # The lines the front door says: the automatic target, then what judges the variants.
    assert f"no [[targets]] entry covers {FILE}" in err
    assert "compiled with" in err
    attacked = [v for r in report["rounds"] for v in r["variants"] if "skeptic" in v]
    assert attacked and attacked[0]["skeptic"]["status"] == "passed"
    assert (root / FILE).read_text(encoding="utf-8") == original  # proposed, not applied


def test_target_prints_an_entry_that_loads_back_and_says_where_the_driver_is(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, config=agent_config(fake_llm.base_url))
    fake_llm.script_fn(native_replies([DRIVER], lambda prompt: "no code"))
    code, out, err = _lessonl("target", f"{FILE}:{FUNCTION}", cwd=root)
    assert code == 0, err
    assert "the driver is saved as .lessonl/native/drivers/" in err
    saved = err.split("the driver is saved as ", 1)[1].split(" ", 1)[0]
    assert (root / saved).is_file()
    entry = tomllib.loads(out)["targets"][0]
    assert entry["files"] == [FILE]
    # Committed into lessonl.toml, the entry is the target a later run uses by the one rule.
    (root / "lessonl.toml").write_text(
        agent_config(fake_llm.base_url) + "\n" + out, encoding="utf-8"
    )
    config = load_config(root)
    assert config.target(None, file=root / FILE).name == entry["name"]
