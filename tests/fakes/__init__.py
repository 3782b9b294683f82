"""Test doubles that are real servers: `FakeLLM`, a loopback OpenAI/Anthropic HTTP server.

Inside pytest use the `fake_llm` fixture (tests/conftest.py). Outside pytest (benchmark scripts)
put the repository root on sys.path and `from tests.fakes import FakeLLM`.

`fakes.harness.FakeHarness` is the one in-process double: a harness that grades variants by a
script instead of compiling them, for tests of the loop's logic (see its docstring).
"""

from .llm_server import FakeError, FakeLLM, FakeRequest, Reply

__all__ = ["FakeError", "FakeLLM", "FakeRequest", "Reply"]
