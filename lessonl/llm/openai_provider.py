"""Any OpenAI-compatible chat-completions server: OpenAI, vLLM, Ollama, llama.cpp, LM Studio,
and our own embedded local model.

One `AsyncOpenAI` client per agent (its connection pool is cheap), the SDK's retries off (see
retry.py), a per-call timeout with a short connect timeout (so a dead host fails in seconds),
and a semaphore shared by every agent on the same server to cap concurrent calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import openai

from lessonl.llm import pricing
from lessonl.llm.errors import MalformedResponse
from lessonl.llm.retry import CallContext, RetryPolicy, with_retries
from lessonl.llm.types import Completion, SampleId

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
CONNECT_TIMEOUT_S = 5.0


class OpenAIModel:
    """A `Model` over the OpenAI chat-completions API.

    `stream=True` reads the answer as server-sent events (usage from the final chunk); the
    result is the same whole `Completion` either way. `seed` is sent when set (servers that
    honour it, like llama.cpp, then sample reproducibly).
    """

    provider = "openai"

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
        seed: int | None = None,
        stream: bool = False,
        policy: RetryPolicy | None = None,
        timeout_setting: str | None = None,
        liveness: Callable[..., None] | None = None,
    ) -> None:
        self.model = model
        # For a server we started ourselves (the embedded model): raises ModelServerDied when
        # its process has exited, so a crash reads as a crash, not as "cannot connect".
        self._liveness = liveness
        self.base_url = (base_url or DEFAULT_OPENAI_URL).rstrip("/")
        self.seed, self.stream, self.price = seed, stream, price
        self.policy = policy or RetryPolicy()
        self._semaphore = semaphore
        self._ctx = CallContext(
            agent,
            "openai",
            model,
            self.base_url,
            api_key_env,
            api_key,
            timeout_s=timeout_s,
            timeout_setting=timeout_setting or f"timeout_s of agent {agent!r} in [[agents]]",
        )
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed",  # local servers ignore it; the SDK wants a string
            base_url=self.base_url,
            timeout=openai.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
            max_retries=0,
        )

    def identity(self) -> dict[str, Any]:
        """What makes this model's answers differ, for the cache key (never the key)."""
        return {
            "provider": self.provider,
            "base_url": self.base_url,
            "model": self.model,
            "seed": self.seed,
        }

    async def complete(
        self,
        messages: Sequence[dict[str, str]],
        *,
        temperature: float,
        max_tokens: int,
        sample: SampleId | None = None,
    ) -> Completion:
        async def once() -> Completion:
            async with self._semaphore:
                if self._liveness is not None:
                    self._liveness()
                try:
                    if self.stream:
                        return await self._streamed(messages, temperature, max_tokens)
                    return await self._plain(messages, temperature, max_tokens)
                except openai.APIConnectionError:
                    # A connection that broke because the server died: say that, not "retry".
                    if self._liveness is not None:
                        await asyncio.to_thread(self._liveness, grace_s=1.0)
                    raise

        return await with_retries(once, self._ctx, self.policy)

    def _params(
        self, messages: Sequence[dict[str, str]], temperature: float, max_tokens: int
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        if self.seed is not None:
            params["seed"] = self.seed
        return params

    async def _plain(
        self, messages: Sequence[dict[str, str]], temperature: float, max_tokens: int
    ) -> Completion:
        response = await self._client.chat.completions.create(
            **self._params(messages, temperature, max_tokens)
        )
        if not getattr(response, "choices", None):
            raise MalformedResponse(f"{self._ctx.where()}: malformed response (no choices)")
        text = response.choices[0].message.content
        if text is None:
            raise MalformedResponse(f"{self._ctx.where()}: malformed response (no text)")
        usage = response.usage
        t_in = usage.prompt_tokens if usage else 0
        t_out = usage.completion_tokens if usage else 0
        return self._completion(text, t_in, t_out, response.model)

    async def _streamed(
        self, messages: Sequence[dict[str, str]], temperature: float, max_tokens: int
    ) -> Completion:
        stream = await self._client.chat.completions.create(
            **self._params(messages, temperature, max_tokens),
            stream=True,
            stream_options={"include_usage": True},
        )
        parts: list[str] = []
        t_in = t_out = 0
        model = self.model
        async with stream:
            async for chunk in stream:
                model = chunk.model or model
                if chunk.choices:
                    delta = chunk.choices[0].delta
                    if delta is not None and delta.content:
                        parts.append(delta.content)
                if chunk.usage:
                    t_in, t_out = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
        return self._completion("".join(parts), t_in, t_out, model)

    def _completion(self, text: str, t_in: int, t_out: int, model: str | None) -> Completion:
        return Completion(
            text=text,
            input_tokens=int(t_in or 0),
            output_tokens=int(t_out or 0),
            cost_usd=pricing.cost(self.price, int(t_in or 0), int(t_out or 0)),
            model=model or self.model,
        )

    async def aclose(self) -> None:
        await self._client.close()


__all__ = ["DEFAULT_OPENAI_URL", "OpenAIModel"]
