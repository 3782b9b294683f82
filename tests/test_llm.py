"""lessonl.llm against the loopback fake server, through the real openai/anthropic SDK clients.

Retry timing is shortened with a RetryPolicy (base 10 ms) so the suite stays fast; the
Retry-After test checks a lower bound only, which noisy shared machines cannot break.
"""

from __future__ import annotations

import ast
import asyncio
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeError, FakeLLM, FakeRequest

from lessonl.config import AgentConfig, Config, parse_config
from lessonl.llm import (
    AuthError,
    ContextTooLong,
    MalformedResponse,
    MissingKey,
    RateLimited,
    SampleId,
    ServerError,
    Team,
    UnknownModel,
    Unreachable,
    build_team,
    pricing,
)
from lessonl.llm.retry import RetryPolicy, retry_after_seconds

FAST = RetryPolicy(max_retries=3, base_s=0.01, cap_s=0.05, connect_pause_s=0.05)
KEY = "sk-test-SECRET-0123456789abcdef"
MSG = [{"role": "user", "content": "make it fast please"}]


def _config(root: Path, *agents: dict[str, Any]) -> Config:
    return parse_config({"agents": list(agents)}, path=None, root=root)


def _openai_agent(fake: FakeLLM, **extra: Any) -> dict[str, Any]:
    agent = {
        "name": "a",
        "provider": "openai",
        "model": "gpt-4o",
        "base_url": fake.base_url,
        "api_key_env": "TEST_KEY",
    }
    return {**agent, **extra}


async def _team(
    root: Path,
    *agents: dict[str, Any],
    cache: bool = False,
    env: Mapping[str, str] | None = None,
) -> Team:
    return await build_team(
        _config(root, *agents),
        cache=cache,
        env={"TEST_KEY": KEY} if env is None else env,
        policy=FAST,
    )


async def _ask(team: Team, i: int = 0, sample: SampleId | None = None, **kw: Any) -> Any:
    return await team.agents[i].model.complete(
        MSG, temperature=kw.get("temperature", 0.2), max_tokens=100, sample=sample
    )


# --------------------------------------------------------------------------- basics


async def test_openai_completion_usage_cost_and_key_header(fake_llm: FakeLLM, tmp_path: Path):
    fake_llm.script("gpt-4o", "```cpp\nint f() { return 1; }\n```")
    async with await _team(tmp_path, _openai_agent(fake_llm, seed=7)) as team:
        c = await _ask(team)
    assert c.text.startswith("```cpp") and not c.cached
    assert (c.input_tokens, c.output_tokens) == (4, 8)  # fake: words in prompt / reply
    assert c.cost_usd == pytest.approx((4 * 2.50 + 8 * 10.00) / 1e6)
    (req,) = fake_llm.requests
    assert req.api_key == KEY and req.body["seed"] == 7 and req.body["temperature"] == 0.2
    assert req.body["max_tokens"] == 100 and req.prompt == MSG[0]["content"]


async def test_streaming_openai_gives_whole_text_and_usage(fake_llm: FakeLLM):
    from lessonl.llm.openai_provider import OpenAIModel

    text = "a long answer " * 20
    fake_llm.default = text
    model = OpenAIModel(
        agent="s",
        model="m",
        base_url=fake_llm.base_url,
        api_key=None,
        api_key_env=None,
        timeout_s=10,
        semaphore=asyncio.Semaphore(2),
        price=None,
        stream=True,
        policy=FAST,
    )
    try:
        c = await model.complete(MSG, temperature=0.0, max_tokens=50)
    finally:
        await model.aclose()
    assert c.text == text and c.output_tokens == 60 and c.input_tokens == 4
    assert c.cost_usd is None  # unknown model, no override: unknown, never 0
    assert fake_llm.requests[0].stream


@pytest.mark.parametrize("stream", [False, True])
async def test_anthropic_path(fake_llm: FakeLLM, stream: bool):
    from lessonl.llm.anthropic_provider import AnthropicModel

    fake_llm.script("claude-haiku-4-5", "hello from claude")
    model = AnthropicModel(
        agent="c",
        model="claude-haiku-4-5",
        base_url=fake_llm.anthropic_base_url,
        api_key=KEY,
        api_key_env="ANTHROPIC_API_KEY",
        timeout_s=10,
        semaphore=asyncio.Semaphore(2),
        price=pricing.resolve("claude-haiku-4-5"),
        stream=stream,
        policy=FAST,
    )
    messages = [{"role": "system", "content": "be brief"}, *MSG]
    try:
        c = await model.complete(messages, temperature=0.2, max_tokens=64)
    finally:
        await model.aclose()
    assert c.text == "hello from claude" and c.model == "claude-haiku-4-5"
    assert (c.input_tokens, c.output_tokens) == (6, 3)
    assert c.cost_usd == pytest.approx((6 * 1.0 + 3 * 5.0) / 1e6)
    (req,) = fake_llm.requests
    assert req.provider == "anthropic" and req.stream == stream
    assert req.api_key == KEY and req.body["system"] == "be brief"
    assert [m["role"] for m in req.messages] == ["user"]


# --------------------------------------------------------------------------- retries


async def test_retry_then_success_on_500_drop_and_malformed(fake_llm: FakeLLM, tmp_path: Path):
    fake_llm.fail_next(1, "server_error")
    fake_llm.fail_next(1, "drop")
    fake_llm.fail_next(1, "malformed")
    async with await _team(tmp_path, _openai_agent(fake_llm)) as team:
        c = await _ask(team)
    assert c.text == "OK"
    assert [r.fault for r in fake_llm.requests] == ["server_error", "drop", "malformed", None]


async def test_retry_after_is_honoured(fake_llm: FakeLLM, tmp_path: Path):
    fake_llm.fail_next(1, "rate_limit", retry_after=0.6)
    async with await _team(tmp_path, _openai_agent(fake_llm)) as team:
        started = time.monotonic()
        await _ask(team)
        elapsed = time.monotonic() - started
    # Backoff alone would wait <= 50 ms here; only Retry-After explains 0.6 s.
    assert elapsed >= 0.55
    assert len(fake_llm.requests) == 2


async def test_rate_limited_after_all_retries(fake_llm: FakeLLM, tmp_path: Path):
    fake_llm.fail_next(10, "rate_limit")
    async with await _team(tmp_path, _openai_agent(fake_llm)) as team:
        with pytest.raises(RateLimited, match="rate-limited"):
            await _ask(team)
    assert len(fake_llm.requests) == FAST.max_retries + 1


async def test_malformed_after_all_retries(fake_llm: FakeLLM, tmp_path: Path):
    fake_llm.fail_next(10, "malformed")
    async with await _team(tmp_path, _openai_agent(fake_llm)) as team:
        with pytest.raises(MalformedResponse, match="malformed response"):
            await _ask(team)


async def test_refused_connection_fails_fast_naming_the_url(tmp_path: Path):
    fake = FakeLLM().start()
    fake.stop()  # the port is now closed: connections are refused
    async with await _team(tmp_path, _openai_agent(fake)) as team:
        started = time.monotonic()
        with pytest.raises(Unreachable) as err:
            await _ask(team)
        assert time.monotonic() - started < 5
    assert fake.base_url in str(err.value) and "\n" not in str(err.value)


async def test_per_call_timeout(fake_llm: FakeLLM, tmp_path: Path):
    fake_llm.delay_s = 6.0  # far beyond the timeout, so a loaded machine cannot blur the two
    async with await _team(tmp_path, _openai_agent(fake_llm, timeout_s=0.2)) as team:
        started = time.monotonic()
        with pytest.raises(ServerError, match="per-call timeout") as err:
            await _ask(team)
        assert time.monotonic() - started < 4  # two tries of 0.2 s, not the 6 s answer
    assert len(fake_llm.requests) == 1 + FAST.timeout_retries
    # The advice names the key this agent's timeout comes from.
    assert "timeout of 0.2 s; raise timeout_s of agent 'a' in [[agents]]" in str(err.value)


def test_the_embedded_teams_timeout_is_a_run_setting(tmp_path: Path):
    """The embedded team has no [[agents]] entry: its per-call timeout is [run]
    local_timeout_s, with a default for a loaded 2-core machine, validated like the others."""
    from lessonl.config import load_config
    from lessonl.errors import ConfigError

    (tmp_path / "lessonl.toml").write_text("[run]\nlocal_timeout_s = 1200\n")
    assert load_config(tmp_path).run.local_timeout_s == 1200.0
    (tmp_path / "lessonl.toml").write_text("[run]\nrounds = 1\n")
    assert load_config(tmp_path).run.local_timeout_s >= 600
    (tmp_path / "lessonl.toml").write_text("[run]\nlocal_timeout_s = 0\n")
    with pytest.raises(ConfigError, match=r"local_timeout_s: expected a positive finite"):
        load_config(tmp_path)


def test_retry_after_header_forms():
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


# --------------------------------------------------------------------------- clear errors


async def test_401_names_the_env_var_never_the_key(
    fake_llm: FakeLLM, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    fake_llm.api_key = "the-right-key"
    fake_llm.fail_next(1, "rate_limit")  # a retry is logged too: it must not leak the key
    async with await _team(tmp_path, _openai_agent(fake_llm)) as team:
        with pytest.raises(AuthError) as err:
            await _ask(team)
    message = str(err.value)
    assert "TEST_KEY" in message and "401" in message
    assert KEY not in message and KEY[:8] not in message
    assert KEY not in caplog.text and KEY[:8] not in caplog.text


async def test_missing_key_names_the_env_var(fake_llm: FakeLLM, tmp_path: Path):
    with pytest.raises(MissingKey, match="TEST_KEY"):
        await _team(tmp_path, _openai_agent(fake_llm), env={})
    assert fake_llm.requests == []


async def test_unknown_model_and_context_too_long(fake_llm: FakeLLM, tmp_path: Path):
    fake_llm.models = {"gpt-4o"}

    def too_long(req: FakeRequest) -> str:
        raise FakeError(
            400, "This model's maximum context length is 8 tokens", code="context_length_exceeded"
        )

    fake_llm.script("gpt-4o", too_long)
    agents = (_openai_agent(fake_llm), _openai_agent(fake_llm, name="b", model="no-such-model"))
    async with await _team(tmp_path, *agents) as team:
        with pytest.raises(ContextTooLong, match="context window"):
            await _ask(team, 0)
        with pytest.raises(UnknownModel, match="no-such-model"):
            await _ask(team, 1)
    assert len(fake_llm.requests) == 2  # neither was retried


# --------------------------------------------------------------------------- cache


async def test_cache_hit_makes_no_request_and_samples_stay_distinct(
    fake_llm: FakeLLM, tmp_path: Path
):
    fake_llm.script_fn(lambda req: f"answer {req.index}")
    s1 = SampleId(run_id="r1", round=0, agent="a", purpose="code")
    s2 = SampleId(run_id="r1", round=0, agent="b", purpose="code")
    async with await _team(tmp_path, _openai_agent(fake_llm), cache=True) as team:
        first = await _ask(team, sample=s1)
        again = await _ask(team, sample=s1)
        other = await _ask(team, sample=s2)
        hotter = await _ask(team, sample=s1, temperature=0.9)
    assert (first.text, first.cached) == ("answer 0", False)
    assert (again.text, again.cached, again.cost_usd) == ("answer 0", True, 0.0)
    assert other.text == "answer 1" and hotter.text == "answer 2"
    assert len(fake_llm.requests) == 3
    # A new team on the same project (a re-run) replays from disk with no request at all.
    async with await _team(tmp_path, _openai_agent(fake_llm), cache=True) as team:
        replay = await _ask(team, sample=s1)
    assert replay.cached and replay.text == "answer 0" and len(fake_llm.requests) == 3
    # cache=False asks again.
    async with await _team(tmp_path, _openai_agent(fake_llm), cache=False) as team:
        assert not (await _ask(team, sample=s1)).cached
    assert len(fake_llm.requests) == 4


async def test_corrupt_cache_degrades_to_no_cache(
    fake_llm: FakeLLM, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    cache_dir = tmp_path / ".lessonl" / "cache"
    cache_dir.mkdir(parents=True)
    (cache_dir / "cache.db").write_bytes(b"this is not a sqlite database" * 100)
    async with await _team(tmp_path, _openai_agent(fake_llm), cache=True) as team:
        a = await _ask(team, sample=SampleId("r", 0, "a", "code"))
        b = await _ask(team, sample=SampleId("r", 0, "a", "code"))
    assert not a.cached and not b.cached and len(fake_llm.requests) == 2
    assert "cache" in caplog.text and "without the cache" in caplog.text


# --------------------------------------------------------------------------- cost, concurrency


async def test_costs_sum_and_unknown_price_is_none(fake_llm: FakeLLM, tmp_path: Path):
    agents = (
        _openai_agent(fake_llm, name="known"),
        _openai_agent(fake_llm, name="unknown", model="my-own-model"),
        _openai_agent(
            fake_llm,
            name="priced",
            model="my-own-model",
            price_in_per_mtok=1.0,
            price_out_per_mtok=2.0,
        ),
    )
    async with await _team(tmp_path, *agents) as team:
        results = [await _ask(team, i) for i in range(3)]
    known, unknown, priced = results
    assert unknown.cost_usd is None
    assert priced.cost_usd == pytest.approx((4 * 1.0 + 1 * 2.0) / 1e6)
    total = sum(c.cost_usd for c in (known, priced) if c.cost_usd is not None)
    assert total == pytest.approx((4 * 2.5 + 1 * 10.0) / 1e6 + (4 * 1.0 + 1 * 2.0) / 1e6)


def test_price_table_prefix_match():
    assert pricing.lookup("gpt-4o-2024-08-06") == pricing.PRICES["gpt-4o"]
    assert pricing.lookup("gpt-4o-mini-2024-07-18") == pricing.PRICES["gpt-4o-mini"]
    assert pricing.lookup("claude-haiku-4-5-20251001") == pricing.PRICES["claude-haiku-4-5"]
    assert pricing.lookup("Qwen/Qwen2.5-Coder-7B-Instruct") is None
    assert pricing.resolve("whatever", 1.0, None) is None
    assert pricing.resolve("qwen", free=True) == (0.0, 0.0)


async def test_agents_run_concurrently_within_the_provider_limit(fake_llm: FakeLLM, tmp_path: Path):
    fake_llm.delay_s = 1.0
    wide = [_openai_agent(fake_llm, name=f"w{i}", max_concurrency=3) for i in range(3)]
    async with await _team(tmp_path, *wide) as team:
        started = time.monotonic()
        await asyncio.gather(*(_ask(team, i) for i in range(3)))
        parallel = time.monotonic() - started
    # Serial would be >= 3 s; the 1.5 s of slack are for a loaded machine.
    assert fake_llm.max_in_flight == 3 and parallel < 2.5
    fake_llm.clear()
    narrow = [_openai_agent(fake_llm, name=f"n{i}", max_concurrency=1) for i in range(3)]
    async with await _team(tmp_path, *narrow) as team:
        await asyncio.gather(*(_ask(team, i) for i in range(3)))
    assert fake_llm.max_in_flight == 1


# --------------------------------------------------------------------------- team choice


async def test_default_team_from_keys_in_environment(tmp_path: Path):
    root = Config(path=None, root=tmp_path)
    async with await build_team(root, env={"OPENAI_API_KEY": KEY}, cache=False) as team:
        assert len(team.agents) == 3 and "OPENAI_API_KEY" in team.description
        assert all(a.config.provider == "openai" for a in team.agents)
        assert len({a.emphasis for a in team.agents}) == 3
        assert KEY not in team.description
    given = [AgentConfig(name="x", provider="openai", model="m", base_url="http://127.0.0.1:9/v1")]
    async with await build_team(root, agents=given, env={}, cache=False) as team:
        assert [a.name for a in team.agents] == ["x"] and "given team" in team.description


async def test_fake_server_serves_concurrently(fake_llm: FakeLLM):
    """The benchmark relies on this: delays overlap instead of adding up."""
    import openai

    fake_llm.delay_s = 1.0
    client = openai.AsyncOpenAI(base_url=fake_llm.base_url, api_key="x", max_retries=0)
    started = time.monotonic()
    await asyncio.gather(
        *(client.chat.completions.create(model="m", messages=MSG) for _ in range(3))
    )
    await client.close()
    assert time.monotonic() - started < 2.5 and fake_llm.max_in_flight == 3


def test_the_llm_layer_does_not_import_the_harness() -> None:
    """The local model server shares process hygiene (`lessonl.process`) with the harness, not
    the harness itself (whose package pulls in numpy and the timing machinery). Read from the
    source rather than by importing: the SDK imports would cost seconds per run."""
    offenders = []
    for path in sorted(Path(pricing.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("lessonl.harness")]
    assert offenders == []
