"""Anthropic's Messages API through the official async client.

Same shape as the OpenAI provider (retries in retry.py, per-call timeout, shared semaphore).
Anthropic takes no seed, and the Messages API of the SDK we pin (anthropic 2.x) no longer
accepts `temperature` (current Claude models fix their own sampling), so neither is sent: agents
on Anthropic are diversified by model and emphasis. The temperature still enters the cache
key. The system role, if a caller ever sends one, goes to `system`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import anthropic

from lessonl.llm import pricing
from lessonl.llm.errors import MalformedResponse
from lessonl.llm.retry import CallContext, RetryPolicy, with_retries
from lessonl.llm.types import Completion, SampleId

DEFAULT_ANTHROPIC_URL = "https://api.anthropic.com"
CONNECT_TIMEOUT_S = 5.0


class AnthropicModel:
    """A `Model` over the Anthropic Messages API (plain, or streamed with `stream=True`)."""

    provider = "anthropic"

    def __init__(
        self,
        *,
        agent: str,
        model: str,
        base_url: str | None,
        api_key: str | None,
        api_key_env: str | None,
        timeout_s: float,
        semaphore: asyncio.Semaphore,
        price: tuple[float, float] | None,
        stream: bool = False,
        policy: RetryPolicy | None = None,
        timeout_setting: str | None = None,
    ) -> None:
        self.model = model
        self.base_url = (base_url or DEFAULT_ANTHROPIC_URL).rstrip("/")
        self.stream, self.price = stream, price
        self.policy = policy or RetryPolicy()
        self._semaphore = semaphore
        self._ctx = CallContext(
            agent,
            "anthropic",
            model,
            self.base_url,
            api_key_env,
            api_key,
            timeout_s=timeout_s,
            timeout_setting=timeout_setting or f"timeout_s of agent {agent!r} in [[agents]]",
        )
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key or "not-needed",
            base_url=self.base_url,
            timeout=anthropic.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
            max_retries=0,
        )

    def identity(self) -> dict[str, Any]:
        return {"provider": self.provider, "base_url": self.base_url, "model": self.model}

    async def complete(
        self,
        messages: Sequence[dict[str, str]],
        *,
        temperature: float,
        max_tokens: int,
        sample: SampleId | None = None,
    ) -> Completion:
        system = "\n\n".join(m["content"] for m in messages if m.get("role") == "system")
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "messages": [
                {"role": m["role"], "content": m["content"]}
                for m in messages
                if m.get("role") != "system"
            ],
        }
        if system:
            params["system"] = system

        async def once() -> Completion:
            async with self._semaphore:
                if self.stream:
                    async with self._client.messages.stream(**params) as stream:
                        message = await stream.get_final_message()
                else:
                    message = await self._client.messages.create(**params)
            return self._completion(message)

        return await with_retries(once, self._ctx, self.policy)

    def _completion(self, message: Any) -> Completion:
        blocks = getattr(message, "content", None)
        if blocks is None:
            raise MalformedResponse(f"{self._ctx.where()}: malformed response (no content)")
        text = "".join(getattr(b, "text", "") for b in blocks if getattr(b, "type", "") == "text")
        usage = getattr(message, "usage", None)
        t_in = int(getattr(usage, "input_tokens", 0) or 0)
        t_out = int(getattr(usage, "output_tokens", 0) or 0)
        return Completion(
            text=text,
            input_tokens=t_in,
            output_tokens=t_out,
            cost_usd=pricing.cost(self.price, t_in, t_out),
            model=getattr(message, "model", None) or self.model,
        )

    async def aclose(self) -> None:
        await self._client.close()
