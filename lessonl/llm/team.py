"""Choosing and building the team (docs/contracts.md, `[[agents]]`: the team).

In order of what the machine offers: the `[[agents]]` of the config (or the `agents` passed in,
e.g. `lessonl bench --team`); else API keys found in the environment (ANTHROPIC_API_KEY,
OPENAI_API_KEY); else the embedded local model, three agents on the one model diversified by
temperature, seed and an emphasis each. `Team.description` is the one line the CLI prints to
say which team was chosen and why.

Keys are read from `env` (default `os.environ`) by the *name* in `api_key_env`; a missing key is
reported before any request is made. Agents on the same server share one semaphore (the
smallest `max_concurrency` among them; 1 for the local model, which serves one request at a
time), and every agent's model is wrapped by the response cache unless `cache=False`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from lessonl.config import AgentConfig, Config, parse_agents_file
from lessonl.llm import local, pricing
from lessonl.llm.cache import CachedModel, ResponseCache
from lessonl.llm.errors import MissingKey
from lessonl.llm.types import Agent, Model, Team
from lessonl.state import StateDir

if TYPE_CHECKING:  # the SDKs load only when a team is built: `evaluate` never needs them
    from lessonl.llm.anthropic_provider import AnthropicModel
    from lessonl.llm.openai_provider import OpenAIModel
    from lessonl.llm.retry import RetryPolicy

DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}

#: Emphases that push three agents on one model toward different kinds of speedup.
EMPHASES = (
    "algorithmic complexity: look for a better algorithm or data structure first",
    "memory access patterns: locality, contiguous layouts, fewer allocations and copies",
    "constant factors: tighter inner loops, fewer branches, cheaper operations",
)

LOCAL_TEAM = tuple(
    AgentConfig(
        name=f"local-{tag}",
        provider="local",
        model=local.MODEL_ALIAS,
        temperature=temperature,
        seed=seed,
        emphasis=emphasis,
        max_concurrency=1,
    )
    for tag, temperature, seed, emphasis in zip(
        ("complexity", "memory", "constants"), (0.2, 0.5, 0.8), (11, 22, 33), EMPHASES, strict=True
    )
)

# Chat models that accept `temperature` and `max_tokens` (OpenAI's gpt-5 reasoning family
# rejects both). Users pick any other model in [[agents]].
_ANTHROPIC = ("claude-sonnet-4-6", "claude-haiku-4-5")
_OPENAI = ("gpt-4.1", "gpt-4.1-mini", "gpt-4o-mini")


def key_team(env: Mapping[str, str]) -> tuple[AgentConfig, ...]:
    """Three hosted agents from whichever keys are set (empty if none)."""
    has_a, has_o = bool(env.get("ANTHROPIC_API_KEY")), bool(env.get("OPENAI_API_KEY"))
    if has_a and has_o:
        picks = [("anthropic", _ANTHROPIC[0]), ("openai", _OPENAI[0]), ("openai", _OPENAI[1])]
    elif has_a:
        picks = [("anthropic", _ANTHROPIC[0]), ("anthropic", _ANTHROPIC[1])]
        picks.append(("anthropic", _ANTHROPIC[0]))
    elif has_o:
        picks = [("openai", m) for m in _OPENAI]
    else:
        return ()
    team: list[AgentConfig] = []
    for i, (provider, model) in enumerate(picks):
        name = f"{model}-{i + 1}" if sum(m == model for _, m in picks) > 1 else model
        team.append(
            AgentConfig(
                name=name,
                provider=provider,
                model=model,
                api_key_env=DEFAULT_KEY_ENV[provider],
                emphasis=EMPHASES[i],
            )
        )
    return tuple(team)


def user_team_file(env: Mapping[str, str]) -> Path:
    """The user-level team file: `$XDG_CONFIG_HOME/lessonl/config.toml`, else
    `~/.config/lessonl/config.toml` (set up a team once, not per repository)."""
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "lessonl" / "config.toml"


def choose_agents(
    config: Config,
    agents: Sequence[AgentConfig] | None,
    env: Mapping[str, str],
    source: str | None = None,
) -> tuple[tuple[AgentConfig, ...], str]:
    """The agent configs to use and why (the reason part of `Team.description`)."""
    if agents:
        return tuple(agents), source or "the given team"
    if config.agents:
        where = config.path.name if config.path else "the configuration"
        return config.agents, f"[[agents]] in {where}"
    user = user_team_file(env)
    if user.is_file():
        return parse_agents_file(user), f"[[agents]] in {user} (the project configures none)"
    found = key_team(env)
    if found:
        names = " and ".join(k for k in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY") if env.get(k))
        return found, f"{names} in the environment (no [[agents]] configured)"
    return LOCAL_TEAM, (
        f"the embedded local model {local.MODEL_NAME} (no [[agents]] configured and no "
        "ANTHROPIC_API_KEY or OPENAI_API_KEY in the environment)"
    )


def resolve_key(agent: AgentConfig, env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(key, env var name) for `agent`; raises MissingKey when a needed key is absent.

    A key is needed when `api_key_env` names one, or when talking to the providers' own hosted
    APIs (no base_url). A self-hosted server without `api_key_env` needs none.
    """
    if agent.provider == "local":
        return None, None
    name = agent.api_key_env
    if name is None and agent.base_url is None:
        name = DEFAULT_KEY_ENV[agent.provider]
    if name is None:
        return None, None
    value = env.get(name)
    if not value:
        raise MissingKey(
            f"agent {agent.name!r} ({agent.provider} model {agent.model!r}) needs an API key "
            f"in the environment variable {name}, which is not set; export {name}=... or "
            "change api_key_env in [[agents]]"
        )
    return value, name


class _ProviderArgs(TypedDict):
    """The constructor arguments OpenAIModel and AnthropicModel share (typed, so that passing
    them as `**common` is checked against both signatures)."""

    agent: str
    model: str
    base_url: str | None
    api_key: str | None
    api_key_env: str | None
    timeout_s: float
    semaphore: asyncio.Semaphore
    price: tuple[float, float] | None
    policy: RetryPolicy


async def build_team(
    config: Config,
    *,
    agents: Sequence[AgentConfig] | None = None,
    cache: bool = True,
    env: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
    source: str | None = None,
) -> Team:
    """Build the team for a run (see the module docstring for how it is chosen).

    `cache` is ANDed with `[run] cache` of the config, so `cache = false` there always wins.
    `policy` (an extension of the design.md signature) overrides retry timing, for tests;
    `source` names where `agents` came from, for the description (e.g. a --team file).

    Long because every model is built in one loop sharing the concurrency slot per server,
    the local server's leases and the closers that a half-built team releases on failure.
    """
    from lessonl.llm.anthropic_provider import AnthropicModel
    from lessonl.llm.openai_provider import OpenAIModel
    from lessonl.llm.retry import RetryPolicy

    env = os.environ if env is None else env
    chosen, why = choose_agents(config, agents, env, source)
    keys = {a.name: resolve_key(a, env) for a in chosen}  # all missing keys before any work
    # The embedded team has no [[agents]] entry: its timeout is [run] local_timeout_s.
    embedded = chosen is LOCAL_TEAM
    team = Team(agents=[], description="")
    try:
        response_cache: ResponseCache | None = None
        if cache and config.run.cache:
            response_cache = ResponseCache(StateDir(config.root).ensure().cache)
            team.closers.append(_closer_sync(response_cache.close))
        leases: dict[Path, local.LocalServerLease] = {}
        semaphores: dict[tuple[str, str], asyncio.Semaphore] = {}
        limits: dict[tuple[str, str], int] = {}
        for a in chosen:
            slot = (a.provider, a.base_url or a.model_path or "")
            limits[slot] = min(limits.get(slot, a.max_concurrency), a.max_concurrency)
        for a in chosen:
            key, key_env = keys[a.name]
            slot = (a.provider, a.base_url or a.model_path or "")
            model: OpenAIModel | AnthropicModel
            if a.provider == "local":
                path = (
                    local.check_gguf(Path(a.model_path).expanduser())
                    if a.model_path
                    else await asyncio.to_thread(local.ensure_model)
                )
                path = path.resolve()
                if path not in leases:
                    alias = a.model or (local.MODEL_ALIAS if not a.model_path else path.stem)
                    leases[path] = await local.acquire(path, alias=alias)
                    team.closers.append(_closer_sync(leases[path].release))
                lease = leases[path]
                sem = semaphores.setdefault(slot, asyncio.Semaphore(1))
                model = lease.client(
                    a.name,
                    timeout_s=config.run.local_timeout_s if embedded else a.timeout_s,
                    timeout_setting="local_timeout_s under [run]" if embedded else None,
                    semaphore=sem,
                    price=pricing.resolve(
                        a.model, a.price_in_per_mtok, a.price_out_per_mtok, free=True
                    ),
                    seed=a.seed,
                    policy=policy or RetryPolicy(max_retries=a.max_retries),
                )
            else:
                sem = semaphores.setdefault(slot, asyncio.Semaphore(limits[slot]))
                price = pricing.resolve(a.model, a.price_in_per_mtok, a.price_out_per_mtok)
                common: _ProviderArgs = {
                    "agent": a.name,
                    "model": a.model,
                    "base_url": a.base_url,
                    "api_key": key,
                    "api_key_env": key_env,
                    "timeout_s": a.timeout_s,
                    "semaphore": sem,
                    "price": price,
                    "policy": policy or RetryPolicy(max_retries=a.max_retries),
                }
                if a.provider == "anthropic":
                    model = AnthropicModel(**common)
                else:
                    model = OpenAIModel(**common, seed=a.seed)
            team.closers.append(model.aclose)
            wrapped: Model = CachedModel(model, response_cache) if response_cache else model
            team.agents.append(
                Agent(
                    name=a.name,
                    model=wrapped,
                    emphasis=a.emphasis,
                    temperature=a.temperature,
                    seed=a.seed,
                    config=a,
                )
            )
    except BaseException:
        await team.aclose()
        raise
    team.description = _describe(team.agents, why)
    return team


def _describe(agents: Sequence[Agent], why: str) -> str:
    members = ", ".join(
        f"{a.name} ({a.config.provider} {a.config.model or 'default'})" for a in agents
    )
    return f"{len(agents)} agent{'s' if len(agents) != 1 else ''} from {why}: {members}"


def _closer_sync(fn: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        fn()

    return close
