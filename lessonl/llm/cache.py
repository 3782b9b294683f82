"""The response cache: re-running a run replays it exactly and costs nothing.

diskcache in `<root>/.lessonl/cache/` (safe across threads and processes). The key is a hash
of everything that makes an answer differ: provider, base_url, model, seed, the messages, the
sampling parameters and the sample identity (run, round, agent, purpose). Two agents asking the
same prompt, or one agent in two rounds, therefore stay distinct samples; the same run replayed
hits every entry. API keys are not part of the key (they do not change the answer).

The cache is an optimization, never a reason to fail a run: a corrupt, locked or unwritable
cache logs one warning and the run carries on uncached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

import diskcache

from lessonl.llm.types import Completion, Model, SampleId

log = logging.getLogger(__name__)

#: Bump when the stored value's shape changes, so old entries are simply missed.
SCHEMA = 1
_FAILURES = (sqlite3.Error, OSError, diskcache.Timeout, ValueError, TypeError, KeyError)


class _Identified(Model, Protocol):
    def identity(self) -> dict[str, Any]: ...


class ResponseCache:
    """A fault-tolerant wrapper around one diskcache directory, shared by a team."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._cache: diskcache.Cache | None = None
        try:
            # A short SQLite timeout: a cache locked by someone else must not stall agents.
            self._cache = diskcache.Cache(str(self.directory), timeout=2)
        except _FAILURES as exc:
            self._disable(exc)

    @property
    def enabled(self) -> bool:
        return self._cache is not None

    def _disable(self, exc: BaseException) -> None:
        log.warning(
            "LLM response cache at %s unusable (%s: %s); continuing without the cache "
            "(delete the folder to reset it)",
            self.directory,
            type(exc).__name__,
            exc,
        )
        cache, self._cache = self._cache, None
        if cache is not None:
            with contextlib.suppress(*_FAILURES):
                cache.close()

    def get(self, key: str) -> Completion | None:
        if self._cache is None:
            return None
        try:
            value = self._cache.get(key)
        except _FAILURES as exc:
            self._disable(exc)
            return None
        if value is None:
            return None
        try:
            data = json.loads(value)
            return Completion(
                text=str(data["text"]),
                input_tokens=int(data["input_tokens"]),
                output_tokens=int(data["output_tokens"]),
                cost_usd=0.0,
                model=str(data["model"]),
                cached=True,
            )
        except _FAILURES:
            log.warning("LLM response cache: unreadable entry %s ignored", key[:12])
            return None

    def put(self, key: str, completion: Completion) -> None:
        if self._cache is None:
            return
        value = json.dumps(
            {
                "text": completion.text,
                "input_tokens": completion.input_tokens,
                "output_tokens": completion.output_tokens,
                "model": completion.model,
            }
        )
        try:
            self._cache.set(key, value)
        except _FAILURES as exc:
            self._disable(exc)

    def close(self) -> None:
        if self._cache is not None:
            try:
                self._cache.close()
            except _FAILURES as exc:
                log.warning("LLM response cache: close failed (%s)", exc)
            self._cache = None


def cache_key(
    identity: dict[str, Any],
    messages: Sequence[dict[str, str]],
    *,
    temperature: float,
    max_tokens: int,
    sample: SampleId | None,
) -> str:
    payload = {
        "schema": SCHEMA,
        "model": identity,
        "messages": [dict(m) for m in messages],
        "temperature": temperature,
        "max_tokens": max_tokens,
        "sample": asdict(sample) if sample is not None else None,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class CachedModel:
    """A `Model` that answers from the cache when it can and records what it had to ask."""

    def __init__(self, inner: _Identified, cache: ResponseCache) -> None:
        self.inner, self.cache = inner, cache

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    async def complete(
        self,
        messages: Sequence[dict[str, str]],
        *,
        temperature: float,
        max_tokens: int,
        sample: SampleId | None = None,
    ) -> Completion:
        key = cache_key(
            self.inner.identity(),
            messages,
            temperature=temperature,
            max_tokens=max_tokens,
            sample=sample,
        )
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        completion = await self.inner.complete(
            messages, temperature=temperature, max_tokens=max_tokens, sample=sample
        )
        self.cache.put(key, completion)
        return completion
