"""The automatic C/C++ target's project build, configured and built once by the original and
reused by every variant (`reuse_build`): real cmake, meson, make, ninja and ctest in the real
sandbox. What must hold: a variant is never judged by the original's objects (a wrong change to
a header is still caught by the project's test, even for the first variant, whose copy is
written before the original is built), and only what the change reaches is rebuilt."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from pathlib import Path

import pytest
from fakes import FakeLLM
from fakes.strategies import native_replies
from native_project import (
    DRIVER,
    FAST,
    FILE,
    FUNCTION,
    NEGATIVES,
    agent_config,
    make_project,
    variant,
)

from lessonl import native
from lessonl.config import TargetConfig, load_config
from lessonl.harness import Harness, Outcome, Project, isolation
from lessonl.llm import build_team
from lessonl.native import build as native_build
from lessonl.native import tests as native_tests
from lessonl.native.target import native_target

pytestmark = pytest.mark.skipif(
    not isolation.probe().ok, reason="bubblewrap cannot start a sandbox here"
)

OTHER = "tests/other.cpp"


def _cmake_project(tmp: Path) -> Path:
    """tests/data/native_cmake with a second translation unit in its test executable that does
    not include the header: the one a header change must not rebuild."""
    root = make_project(tmp)
    (root / OTHER).write_text("int lessonl_other() { return 1; }\n", encoding="utf-8")
    lists = root / "CMakeLists.txt"
    text = lists.read_text(encoding="utf-8")
    lists.write_text(
        text.replace(
            "add_executable(test_pairs tests/test_pairs.cpp)",
            f"add_executable(test_pairs tests/test_pairs.cpp {OTHER})",
        ),
        encoding="utf-8",
    )
    return root


def _gate_target(root: Path, rel: str, **changes: object) -> TargetConfig:
    """The automatic target of `rel` with the project's tests as its only judge (no driver:
    this is about the project's build), timed briefly."""
    found = native_build.discover(root, rel)
    gate = native_tests.find(root, found, [])
    assert gate is not None
    target = native_target("gate", rel, found, root, None, gate)
    return dataclasses.replace(target, min_pairs=2, max_pairs=2, timing_budget_s=2.0, **changes)


def _object(out: Path, name: str) -> Path:
    [path] = (out / "project").rglob(f"*{name}.o")
    return path


async def test_a_header_change_rebuilds_only_its_dependents_and_a_wrong_one_is_caught(
    tmp_path: Path,
) -> None:
    root = _cmake_project(tmp_path)
    target = _gate_target(root, FILE)
    assert target.reuse_build == ("project",)
    original = (root / FILE).read_text(encoding="utf-8")
    async with Harness(Project(root), target, run_id="t") as harness:
        # The first variant: its copy is written before the original is built, so its header
        # is older than the original's objects unless the harness makes it newer.
        ev = await harness.evaluate({FILE: variant(original, NEGATIVES)}, label="negatives")
        assert ev.outcome == Outcome.INCORRECT, ev.detail
        assert "expected 3, got" in (ev.detail or "")
        # ctest names its folder: as the user's {build}, not the sandbox's fixed path.
        assert "{build}/project" in (ev.detail or "") and "fixed" not in (ev.detail or "")
        ev = await harness.evaluate({FILE: variant(original, FAST)}, label="fast")
        assert ev.outcome == Outcome.CORRECT, ev.detail
        base, mine = harness.run_dir / "baseline" / "out", harness.run_dir / ev.id / "out"
        # Configured once, by the original; the variant only built.
        assert (base / "configure.log").is_file() and not (mine / "configure.log").exists()
        other = _object(mine, "other.cpp").stat().st_mtime_ns
        assert other == _object(base, "other.cpp").stat().st_mtime_ns  # not rebuilt
        tests = _object(mine, "test_pairs.cpp").stat().st_mtime_ns
        assert tests > _object(base, "test_pairs.cpp").stat().st_mtime_ns  # rebuilt
        # Two variants built and tested at once, each at the same fixed path in its own mount
        # namespace: each is judged by its own code.
        wrong, right = await asyncio.gather(
            harness.evaluate({FILE: variant(original, NEGATIVES)}, label="again"),
            harness.evaluate({FILE: variant(original, FAST)}, label="fast-again"),
        )
        assert wrong.outcome == Outcome.INCORRECT, wrong.detail
        assert right.outcome == Outcome.CORRECT, right.detail


async def test_without_the_sandbox_every_variant_configures_and_builds_its_own_folder(
    tmp_path: Path,
) -> None:
    root = _cmake_project(tmp_path)
    target = _gate_target(root, FILE, sandbox="off")
    original = (root / FILE).read_text(encoding="utf-8")
    async with Harness(Project(root), target, run_id="t") as harness:
        ev = await harness.evaluate({FILE: variant(original, FAST)}, label="fast")
        assert ev.outcome == Outcome.CORRECT, ev.detail
        mine = harness.run_dir / ev.id / "out"
        assert (mine / "configure.log").is_file()
        assert str(mine / "project") in (mine / "project" / "CMakeCache.txt").read_text(
            encoding="utf-8"
        )
        ev = await harness.evaluate({FILE: variant(original, NEGATIVES)}, label="negatives")
        assert ev.outcome == Outcome.INCORRECT, ev.detail


async def test_without_the_sandbox_the_verification_says_each_variant_builds_the_project(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = make_project(tmp_path, config=agent_config(fake_llm.base_url, 'sandbox = "off"'))
    fake_llm.script_fn(native_replies([DRIVER], lambda prompt: "no code"))
    config = load_config(root)
    team = await build_team(config, cache=False, env={"NO_KEY_NEEDED": "x"})
    try:
        made = await native.prepare(config, root / FILE, FUNCTION, generator_agent=team.agents[0])
    finally:
        await team.aclose()
    notes = made.verification["notes"]
    assert any(n.startswith("each variant configures and builds the whole project") for n in notes)
    assert not any("built once" in n for n in notes)


@pytest.mark.skipif(shutil.which("meson") is None, reason="meson is not installed")
async def test_a_meson_project_rebuilds_only_the_changed_unit(tmp_path: Path) -> None:
    root = make_project(tmp_path, "native_meson")
    rel = "src/clamp.c"
    target = _gate_target(root, rel)
    assert target.reuse_build == ("project",)
    original = (root / rel).read_text(encoding="utf-8")
    async with Harness(Project(root), target, run_id="t") as harness:
        ev = await harness.evaluate({rel: original.replace("v[i] <= hi", "v[i] < hi")}, label="w")
        assert ev.outcome == Outcome.INCORRECT, ev.detail
        ev = await harness.evaluate({rel: original + "\n"}, label="same")
        assert ev.outcome == Outcome.CORRECT, ev.detail
        base, mine = harness.run_dir / "baseline" / "out", harness.run_dir / ev.id / "out"
        assert not (mine / "configure.log").exists()
        other = _object(mine, "tests_test_clamp.c").stat().st_mtime_ns
        assert other == _object(base, "tests_test_clamp.c").stat().st_mtime_ns
        assert _object(mine, "src_clamp.c").stat().st_mtime_ns > (
            _object(base, "src_clamp.c").stat().st_mtime_ns
        )
