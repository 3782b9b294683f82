"""The editor's path to the automatic C/C++ target: the language server's optimize request on
a CMake header without a `[[targets]]` entry goes through the same front door as the CLI
(lessonl.run), the team writing the driver and the variant, real cmake, ctest and g++ judging,
the native skeptic attacking the winner. Uses tests/test_server.py's client on another project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes.strategies import native_replies
from lessonl_server import wire
from lessonl_server.actions import ConfigCache
from native_project import DRIVER, FAST, FILE, FUNCTION, SKEPTIC_PROGRAM, make_project
from test_server import Client, client, open_doc  # noqa: F401 (the client fixture)


@pytest.fixture
def project(tmp_path: Path, fake_llm: Any) -> Path:
    """tests/data/native_cmake with a one-agent team on the fake LLM and no target."""
    fake_llm.script_fn(
        native_replies([DRIVER], lambda prompt: f"```cpp\n{FAST}```", [SKEPTIC_PROGRAM] * 4)
    )
    return make_project(
        tmp_path,
        config=(
            '[run]\nrounds = 1\ncache = false\n\n[[agents]]\nname = "fake"\nprovider = "openai"\n'
            f'model = "fake-coder"\nbase_url = "{fake_llm.base_url}"\n'
            'api_key_env = "LESSONL_TEST_KEY"\nmax_retries = 0\n'
        ),
    )


@pytest.mark.skipif(
    hasattr(ConfigCache, "for_run"),
    reason="this server chooses targets by its own rule (ConfigCache.for_run), not lessonl.run's "
    "plan(): it runs once the server goes through the engine's door (h25s, on main)",
)
async def test_optimize_a_header_function_without_a_target_from_the_editor(
    client: Client,  # noqa: F811
    project: Path,
) -> None:
    original = (project / FILE).read_text(encoding="utf-8")
    unsaved = original + "\n// only in the buffer\n"
    uri = open_doc(client, project / FILE, text=unsaved)
    result = await client.protocol.send_request_async(
        wire.OPTIMIZE, {"uri": uri, "version": 1, "function": FUNCTION}
    )
    assert result["newText"] is not None, (result["summary"], result["report"])
    assert "sort" in result["newText"] and "// only in the buffer" in result["newText"]
    report = result["report"]
    assert report["verification"]["kind"] == "native"
    attacked = [v for r in report["rounds"] for v in r["variants"] if "skeptic" in v]
    assert attacked and attacked[0]["skeptic"]["status"] == "passed"
    assert (project / FILE).read_text(encoding="utf-8") == original  # disk untouched
