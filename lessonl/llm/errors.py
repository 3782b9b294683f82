"""Errors of the LLM layer: one-line, user-fixable, never carrying a key.

Each subclass names one thing the user can fix (a missing env var, a wrong key, a wrong model
name, a server that is down, ...). Messages name the agent, the provider and the URL, and the
*name* of the environment variable holding a key, never its value: servers sometimes echo part
of a key back in their error text (OpenAI's 401 does), so provider code passes every message
through `redact` before raising or logging it.
"""

from __future__ import annotations

from collections.abc import Iterable

from lessonl.errors import LessonLError


class LLMError(LessonLError):
    """A model call failed after retries, or a model cannot be set up."""

    exit_code = 1


class MissingKey(LLMError):
    """The environment variable that should hold an API key is not set."""

    exit_code = 2


class AuthError(LLMError):
    """The server refused the key (401) or the key lacks permission (403)."""


class UnknownModel(LLMError):
    """The server does not know the model name (404 / model_not_found)."""


class Unreachable(LLMError):
    """The server cannot be reached (refused connection, DNS failure, connect timeout)."""


class ContextTooLong(LLMError):
    """The prompt plus max_tokens exceeds the model's context window."""


class MalformedResponse(LLMError):
    """The server answered with something that is not a valid completion."""


class RateLimited(LLMError):
    """Still rate-limited (429) after every retry."""


class ServerError(LLMError):
    """Any other failure status (5xx after retries, an unexpected 4xx)."""


class LocalModelError(LLMError):
    """The embedded local model cannot be assembled, verified or started."""


class ModelServerDied(LocalModelError):
    """A model server that lessonl started itself has exited (a crash, a kill, out of memory).

    Every agent on that server would fail the same way, and retrying a dead process only wastes
    the user's time, so this error ends the run at once (`ends_run`) instead of making one agent
    sit out the round. The message names the signal or exit status and the tail of its log."""

    ends_run = True


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret (and any 8+ character prefix or suffix of it) replaced by ***."""
    for secret in secrets:
        if not secret or len(secret) < 8:
            continue
        text = text.replace(secret, "***")
        # Servers often echo a key abbreviated, e.g. "sk-abc12***...wxyz".
        text = text.replace(secret[:8], "***").replace(secret[-8:], "***")
    return text
