"""Models and teams: the one interface the loop uses to talk to LLMs (docs/design.md).

`build_team(config)` picks the team (configured agents, else keys in the environment, else the
embedded local model), and each `Agent.model.complete(...)` returns a whole `Completion`.
Providers (openai_provider, anthropic_provider), retries (retry), prices (pricing), the
response cache (cache) and the local model server (local) live in their own modules.
"""

from lessonl.llm.errors import (
    AuthError,
    ContextTooLong,
    LLMError,
    LocalModelError,
    MalformedResponse,
    MissingKey,
    RateLimited,
    ServerError,
    UnknownModel,
    Unreachable,
)
from lessonl.llm.team import build_team
from lessonl.llm.types import Agent, Completion, Model, SampleId, Team

__all__ = [
    "Agent",
    "AuthError",
    "Completion",
    "ContextTooLong",
    "LLMError",
    "LocalModelError",
    "MalformedResponse",
    "MissingKey",
    "Model",
    "RateLimited",
    "SampleId",
    "ServerError",
    "Team",
    "UnknownModel",
    "Unreachable",
    "build_team",
]
