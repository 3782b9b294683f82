"""Retries with exponential backoff and jitter, and the mapping of SDK failures to LLMErrors.

We turn the SDKs' own retries off (`max_retries=0`) and retry here, for three reasons: one
policy for both SDKs, a refused connection must fail within seconds (the SDKs would back off
for a while on it too), and the behaviour is testable against the fake server.

What is retried: 429 (honouring Retry-After / retry-after-ms, capped), 408, 409, 5xx and 529,
dropped or reset connections, malformed bodies, and timeouts (timeouts only `timeout_retries`
times, since each one already cost a whole per-call timeout). A refused connection is retried
`connect_retries` times after a short pause (a server restarting), then reported as
`Unreachable` with the URL. Everything else (401/403, 404, context too long, other 4xx) fails
at once: retrying cannot fix it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import anthropic
import httpx2
import openai
import pydantic

from lessonl.llm.errors import (
    AuthError,
    ContextTooLong,
    LLMError,
    MalformedResponse,
    RateLimited,
    ServerError,
    UnknownModel,
    Unreachable,
    redact,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

_STATUS_ERRORS = (openai.APIStatusError, anthropic.APIStatusError)
_CONNECTION_ERRORS = (openai.APIConnectionError, anthropic.APIConnectionError)
_TIMEOUT_ERRORS = (openai.APITimeoutError, anthropic.APITimeoutError)
_MALFORMED_ERRORS = (
    openai.APIResponseValidationError,
    anthropic.APIResponseValidationError,
    json.JSONDecodeError,
    pydantic.ValidationError,
)
_CONTEXT_RE = re.compile(
    r"context.{0,20}(length|window|limit)|too long|exceeds? (the )?(context|maximum)|"
    r"maximum context|max_tokens.{0,40}(exceed|too large)",
    re.IGNORECASE,
)
_MODEL_RE = re.compile(r"model.{0,80}(does not exist|not found|unknown|invalid)", re.IGNORECASE)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Defaults suit hosted APIs; tests pass small `base_s`."""

    max_retries: int = 4
    base_s: float = 1.0
    cap_s: float = 30.0
    max_retry_after_s: float = 120.0
    connect_retries: int = 1
    connect_pause_s: float = 0.5
    timeout_retries: int = 1

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (0-based): capped exponential, jittered to
        50-100% so that agents rate-limited together do not retry in lockstep."""
        ceiling = min(self.cap_s, self.base_s * (2**attempt))
        return ceiling * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class CallContext:
    """Who is calling what, for error messages. `key` is only used to redact messages."""

    agent: str
    provider: str
    model: str
    url: str
    key_env: str | None
    key: str | None = field(default=None, repr=False)
    # The per-call timeout, and the setting a user raises for this agent: `timeout_s` of its
    # [[agents]] entry, or `[run] local_timeout_s` for the embedded team, which has no entry.
    timeout_s: float | None = None
    timeout_setting: str = "timeout_s in [[agents]]"

    def where(self) -> str:
        return f"agent {self.agent!r} ({self.provider} model {self.model!r} at {self.url})"


class Retryable:
    """A failure worth another try; `error` is raised if the tries run out."""

    def __init__(self, error: LLMError, *, kind: str, retry_after: float | None = None) -> None:
        self.error, self.kind, self.retry_after = error, kind, retry_after


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date), else None."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        import datetime as _dt

        when = parsedate_to_datetime(value)
        return max(0.0, (when - _dt.datetime.now(when.tzinfo or _dt.UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _is_connect_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, httpx2.ConnectError | httpx2.ConnectTimeout | ConnectionRefusedError):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"]
    return str(getattr(exc, "message", "") or exc)


def classify(exc: BaseException, ctx: CallContext) -> LLMError | Retryable | None:
    """Map an SDK exception to a final LLMError or a Retryable; None if it is not an API
    failure at all (a bug, which then keeps its traceback)."""
    secrets = (ctx.key,)
    where = ctx.where()
    if isinstance(exc, _STATUS_ERRORS):
        status = int(exc.status_code)
        msg = redact(" ".join(_server_message(exc).split())[:300], secrets)
        code = ""
        if isinstance(exc.body, dict):
            err = exc.body.get("error")
            if isinstance(err, dict):
                code = str(err.get("code") or "")
        if status in (401, 403):
            # Never quote the server's text here: OpenAI's 401 echoes part of the key.
            if ctx.key_env:
                fix = f"check the key in the environment variable {ctx.key_env}"
            else:
                fix = "the server wants an API key: set api_key_env in [[agents]]"
            what = "rejected the API key" if status == 401 else "refused access with this key"
            return AuthError(f"{where}: the server {what} ({status}); {fix}")
        if status == 404 or code == "model_not_found" or (status == 400 and _MODEL_RE.search(msg)):
            return UnknownModel(
                f"{where}: model {ctx.model!r} not found ({status}: {msg}); check the model "
                "name, and that an OpenAI-compatible base_url ends in /v1"
            )
        if status in (400, 413) and (code == "context_length_exceeded" or _CONTEXT_RE.search(msg)):
            return ContextTooLong(
                f"{where}: prompt too long for the model's context window ({msg}); optimize a "
                "smaller function or use a model with a larger context"
            )
        if status == 429:
            return Retryable(
                RateLimited(
                    f"{where}: still rate-limited (429) after retries ({msg}); wait and retry, "
                    "or lower max_concurrency for this agent"
                ),
                kind="rate_limit",
                retry_after=retry_after_seconds(exc.response.headers),
            )
        if status in (408, 409) or status >= 500:
            return Retryable(
                ServerError(f"{where}: server error {status} after retries ({msg})"),
                kind="server",
                retry_after=retry_after_seconds(exc.response.headers),
            )
        return ServerError(f"{where}: request refused ({status}: {msg})")
    if isinstance(exc, _TIMEOUT_ERRORS):
        return Retryable(
            ServerError(
                f"{where}: no answer within the per-call timeout"
                f"{f' of {ctx.timeout_s:g} s' if ctx.timeout_s else ''}; raise "
                f"{ctx.timeout_setting}"
            ),
            kind="timeout",
        )
    if isinstance(exc, _CONNECTION_ERRORS):
        if _is_connect_failure(exc):
            return Retryable(
                Unreachable(
                    f"cannot connect to {ctx.url} for agent {ctx.agent!r}; start the server "
                    "or fix base_url"
                ),
                kind="connect",
            )
        return Retryable(
            Unreachable(f"{where}: connection dropped repeatedly; check the server"),
            kind="drop",
        )
    if isinstance(exc, _MALFORMED_ERRORS):
        detail = redact(" ".join(str(exc).split())[:200], secrets)
        return Retryable(
            MalformedResponse(f"{where}: malformed response ({detail}); check the server"),
            kind="malformed",
        )
    return None


async def with_retries(
    call: Callable[[], Awaitable[T]], ctx: CallContext, policy: RetryPolicy
) -> T:
    """Run `call` until it succeeds, a final error occurs, or the policy's tries run out."""
    attempt = 0
    by_kind: dict[str, int] = {}
    while True:
        try:
            return await call()
        except LLMError:
            raise
        except Exception as exc:
            outcome = classify(exc, ctx)
            if outcome is None:
                raise
            if isinstance(outcome, LLMError):
                raise outcome from None
            used = by_kind.get(outcome.kind, 0)
            limit = {
                "connect": policy.connect_retries,
                "timeout": policy.timeout_retries,
            }.get(outcome.kind, policy.max_retries)
            if used >= limit or attempt >= policy.max_retries:
                raise outcome.error from None
            if outcome.kind == "connect":
                delay = policy.connect_pause_s
            elif outcome.retry_after is not None:
                delay = min(outcome.retry_after, policy.max_retry_after_s)
            else:
                delay = policy.backoff(attempt)
            log.warning(
                "%s: %s; retry %d/%d in %.1fs",
                ctx.where(),
                outcome.kind.replace("_", " "),
                attempt + 1,
                policy.max_retries,
                delay,
            )
            by_kind[outcome.kind] = used + 1
            attempt += 1
            await asyncio.sleep(delay)
