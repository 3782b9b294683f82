"""Shared pytest fixtures.

`fake_llm`: a fresh loopback fake LLM server (tests/fakes/llm_server.py) per test, on a free
127.0.0.1 port. Point clients at `fake_llm.base_url` (OpenAI style, `.../v1`) or
`fake_llm.anthropic_base_url`; a lessonl.toml for a subprocess can use
`base_url = "<fake_llm.base_url>"`. Everything it served is in `fake_llm.requests`.

`local_model` marker: tests that need the embedded model (the `local` extra) are skipped, with
the reason, when llama-cpp-python or the model packages are absent.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakes import FakeLLM

# Timing runs take a machine-wide lock (lessonl/harness/timing.py). The suite's own runs need
# mutual exclusion only among themselves: a lock private to this test session keeps them from
# queueing behind unrelated lessonl runs on the same machine (subprocesses inherit it).
# tests/data holds small projects with their own tests (some failing on purpose): they are
# run by the tests, never collected as part of this suite.
collect_ignore = ["data"]

os.environ.setdefault(
    "LESSONL_TIMING_LOCK", os.path.join(tempfile.mkdtemp(prefix="lessonl-tests-"), "timing.lock")
)


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A started FakeLLM whose default reply is "OK"; stopped after the test."""
    with FakeLLM() as fake:
        yield fake


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    marked = [item for item in items if item.get_closest_marker("local_model")]
    if not marked:
        return
    from lessonl.llm.local import local_extra_missing

    reason = local_extra_missing()
    if reason:
        skip = pytest.mark.skip(reason=f"local model extra absent: {reason}")
        for item in marked:
            item.add_marker(skip)
