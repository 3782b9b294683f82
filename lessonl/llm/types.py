"""The seam between the loop and the models (docs/design.md, "lessonl.llm").

The loop only ever calls `Model.complete` with one user message and gets a whole text back;
providers, retries, the cache and the local server are all behind it. `Team` owns whatever
must be closed (SDK clients, the cache, a reference to the shared local server).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from lessonl.config import AgentConfig

log = logging.getLogger(__name__)


@dataclass
class Usage:
    """Tokens and money spent (a run's, a benchmark pair's), counted where a model is called,
    so it lives beside the model types. `cost_usd` is None as soon as one call's price is
    unknown: a partial sum would look like a real total."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    calls: int = 0

    def add(self, input_tokens: int, output_tokens: int, cost_usd: float | None) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.calls += 1
        if cost_usd is None or self.cost_usd is None:
            self.cost_usd = None
        else:
            self.cost_usd += cost_usd

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def to_json(self) -> dict[str, Any]:
        cost = None if self.cost_usd is None else round(self.cost_usd, 6)
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": cost,
        }


@dataclass(frozen=True)
class Completion:
    """A model's whole answer. `cost_usd` is None when the price is unknown (never a fake 0);
    a cache hit has `cached=True` and costs 0 (nothing was paid for it this time)."""

    text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    model: str
    cached: bool = False


@dataclass(frozen=True)
class SampleId:
    """Which sample of a run this call is. Part of the cache key, so re-running a run replays
    it exactly while two agents (or two rounds) asking the same prompt stay distinct."""

    run_id: str
    round: int
    agent: str
    purpose: str  # "code", "lesson", ...


@runtime_checkable
class Model(Protocol):
    async def complete(
        self,
        messages: Sequence[dict[str, str]],
        *,
        temperature: float,
        max_tokens: int,
        sample: SampleId | None = None,
    ) -> Completion: ...


@dataclass
class Agent:
    """One team member: a model plus what makes it different from its teammates."""

    name: str
    model: Model
    emphasis: str | None
    temperature: float | None
    seed: int | None
    config: AgentConfig


@dataclass
class Team:
    """The agents of a run and one line saying which team was chosen and why.

    `aclose()` releases everything the team holds (idempotent); a Team is also an async
    context manager. Closers run in reverse order of registration.
    """

    agents: list[Agent]
    description: str
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _closed: bool = False

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        errors: list[BaseException] = []
        for closer in reversed(self.closers):
            try:
                await closer()
            except Exception as exc:  # keep closing the rest, then report the first
                errors.append(exc)
        if errors:
            raise errors[0]

    async def __aenter__(self) -> Team:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
