"""Test doubles that are real servers: `FakeLLM`, a loopback OpenAI/Anthropic HTTP server.

Inside pytest use the `fake_llm` fixture (tests/conftest.py). Outside pytest (benchmark scripts)
put the repository root on sys.path and `from tests.fakes import FakeLLM`.
"""

from .llm_server import FakeError, FakeLLM, FakeRequest, Reply

__all__ = ["FakeError", "FakeLLM", "FakeRequest", "Reply"]
