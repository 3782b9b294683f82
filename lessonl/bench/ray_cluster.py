"""`lessonl bench --ray [ADDRESS]`: the problem x strategy pairs as Ray tasks on a cluster.

The driver (this module, in the `lessonl bench` process) does what `runner.run_plan` does for a
local run, with the pairs fanned out:
- the store is the same: pairs finished under `--report` (by a local or a Ray run with the same
  settings) are skipped, and each pair that finishes is written there by the driver the moment
  its task returns, so nodes need no shared file system and Ctrl-C keeps what finished;
- every other pair is one Ray task needing the custom resource `timing: 1`. Each node offers
  `timing: 1` (`ray start --resources='{"timing": 1}'`; a local instance started by `--ray`
  without ADDRESS gets it automatically), so a node runs one pair at a time: two timings never
  overlap on a node and builds of another pair never load it while it times. The task builds and
  times on its node (ray_task.py); its result records the node id and host name, and its speedup
  is a ratio of that node's times only;
- API keys reach the tasks' environment without appearing in task arguments or Ray's logs:
  the agents' configs carry only the names of the variables; the values the teams need are
  one object in Ray's object store that each task reads by reference and sets in its
  environment for the pair (ray_task.py says why not the runtime env's `env_vars`: Ray logs
  those verbatim). A key the team needs but the driver lacks fails at once with the local run's
  message. The non-secret `LESSONL_*` settings of the driver go in the runtime env.

Faults:
- a worker or node that dies mid-pair: Ray re-runs the task, on any node with a free `timing`
  slot, up to `MAX_PAIR_RETRIES` times; after that the pair is an `error` (not stored, a rerun
  retries it) and counts toward `runner.MAX_CONSECUTIVE_ERRORS` as locally;
- a fatal error (runner.FATAL: a rejected key, an unknown model, a missing compiler) may belong
  to one node (a node without g++), so the pair is tried again on each other node in turn; when
  it has failed that way on every node, the run stops with that error, as a local run would;
- Ctrl-C (or a fatal error, or a stop) cancels every task and keeps the stored pairs
  (`cancel_all`): a queued pair never starts; a running one is interrupted (`ray.cancel`
  without force) and unwinds as a local run does on Ctrl-C, its build, test or timing command
  killed and reaped and its working copy removed (ray_task.py), in about a second; a pair
  still running after `CANCEL_GRACE_S` has its worker killed (`force=True`). The driver waits
  for every task to end before it disconnects, so nothing of the run keeps running after
  `lessonl bench` exits (130, one line);
- a worker killed mid-pair (by Ray's force, the OOM killer, a dead node) leaves its working
  copies in its node's temporary folder; they are claimed by the worker's pid, so the next pair
  on that machine removes them (runner.prune_stale_copies), and so does the driver's end for
  its own machine (a local Ray, or a driver on a node).

Scaling to N nodes: the driver holds the store, the suite and the keys; nodes share nothing
but Ray (problems travel as archives of a few kB, results as JSON of a few kB). Each node needs
lessonl with the same extras and version, the problems' compilers and interpreters, and its own
`timing` slot; throughput grows with the number of nodes up to the number of pairs, since pairs
are independent and a node times only its own. Ray's own cost, measured on one 2-core machine
(6 Python problems, strategy `single`, 1 round, fake model): 140 s with `--ray` (a local Ray
started by the run) against 145 s locally, i.e. within the machine's noise, of which about 10 s
is starting Ray and its first worker.

Progress: the same observer as a local run; a pair's start and end lines are printed together
when its task returns (pairs finish in any order), preceded by the messages it produced.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lessonl.bench import strategies
from lessonl.bench.metrics import ERROR, ProblemResult
from lessonl.bench.ray_task import Secrets, pack_problem, run_pair_task
from lessonl.bench.runner import (
    BenchPlan,
    Observer,
    finish_pair,
    look_up,
    prune_stale_copies,
)
from lessonl.bench.suite import Problem
from lessonl.config import AgentConfig
from lessonl.errors import EnvironmentProblem, LessonLError, UsageError

#: The one line `--ray` prints when Ray is not installed.
RAY_MISSING = "--ray needs Ray, which is not installed: pip install 'lessonl[ray]'"
#: The custom resource each node offers once: one pair (so one timing) at a time per node.
TIMING_RESOURCE = "timing"
#: Re-runs of a pair whose worker or node died (Ray's task retries on system failures).
MAX_PAIR_RETRIES = 2
#: How long cancelled pairs get to unwind (and force-killed workers to go) before the driver
#: moves on: a pair's own clean-up takes well under a second.
CANCEL_GRACE_S = 5.0
#: Environment variable prefixes forwarded to the tasks besides the team's key variables.
FORWARDED_PREFIXES = ("LESSONL_",)


def import_ray() -> Any:
    """The `ray` module, or a one-line `EnvironmentProblem` naming the extra."""
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise EnvironmentProblem(RAY_MISSING) from None


def effective_team(plan: BenchPlan, problem: Problem) -> tuple[AgentConfig, ...]:
    """The agents a local run of `problem` would use, decided on the driver (a node has neither
    the driver's user team file nor necessarily its keys to choose from)."""
    from lessonl.llm.team import choose_agents

    return choose_agents(problem.config, plan.team, os.environ)[0]


def team_keys(teams: Sequence[Sequence[AgentConfig]]) -> dict[str, str]:
    """The API keys the teams need, by variable name (raising the local run's `MissingKey` for
    one that is not set)."""
    from lessonl.llm.team import resolve_key

    keys: dict[str, str] = {}
    for team in teams:
        for agent in team:
            key, name = resolve_key(agent, os.environ)
            if key is not None and name is not None:
                keys[name] = key
    return keys


def settings_env(keys: dict[str, str]) -> dict[str, str]:
    """The driver's `LESSONL_*` settings for the runtime env; never a key variable."""
    return {
        name: value
        for name, value in os.environ.items()
        if name.startswith(FORWARDED_PREFIXES) and name not in keys
    }


@dataclass
class _Pair:
    strategy: str
    problem: Problem
    settings: str
    archive: Any  # the problem's ObjectRef
    team: tuple[AgentConfig, ...]
    warm: list[dict[str, Any]] | None = None  # lessonl_transfer: its bank's lessons
    fatal_on: dict[str, str] = field(default_factory=dict)  # node id -> fatal message


def _fatal_error(info: dict[str, str], where: str) -> LessonLError:
    """The `LessonLError` a task reported, as its own class when it can be rebuilt."""
    message = info["message"] + where
    try:
        cls = getattr(importlib.import_module(info["module"]), info["type"])
        if isinstance(cls, type) and issubclass(cls, LessonLError):
            return cls(message)
    except (ImportError, AttributeError, TypeError):
        pass
    return LessonLError(message)


def timing_nodes(ray: Any) -> list[str]:
    """Ids of the live nodes that offer the timing resource."""
    return [
        n["NodeID"]
        for n in ray.nodes()
        if n.get("Alive") and n.get("Resources", {}).get(TIMING_RESOURCE, 0) >= 1
    ]


def connect(ray: Any, address: str | None, env: dict[str, str]) -> str:
    """`ray.init` for the run; returns how to describe the cluster in one line."""
    # log_to_driver off: Ray would copy workers' and raylets' output to this process's stdout,
    # which `--json` keeps to one JSON object; what a pair says comes back with its result, and
    # the rest is in the nodes' Ray logs and the dashboard.
    common: dict[str, Any] = {
        "runtime_env": {"env_vars": env},
        "logging_level": "WARNING",
        "log_to_driver": False,
    }
    try:
        if address:
            ray.init(address=address, **common)
        else:
            # RAY_ADDRESS set: that cluster; else a local instance with one timing slot.
            joined = bool(os.environ.get("RAY_ADDRESS"))
            ray.init(**common, **({} if joined else {"resources": {TIMING_RESOURCE: 1}}))
    except ConnectionError as exc:
        raise UsageError(
            f"cannot reach the Ray cluster at {address or os.environ.get('RAY_ADDRESS')}: "
            f"{' '.join(str(exc).split())[:200]}; check --ray ADDRESS (e.g. auto or host:6379)"
        ) from None
    nodes = timing_nodes(ray)
    if not nodes:
        ray.shutdown()
        raise UsageError(
            f"no node of the Ray cluster offers the {TIMING_RESOURCE!r} resource; start each "
            f"node with: ray start ... --resources='{{\"{TIMING_RESOURCE}\": 1}}'"
        )
    return f"ray: {len(nodes)} node(s) with a {TIMING_RESOURCE!r} slot"


def run_plan_ray(
    plan: BenchPlan,
    observer: Observer,
    address: str | None,
    notice: Callable[[str], None] = lambda _line: None,
) -> dict[str, list[ProblemResult]]:
    """Run (or load) every pair of `plan` on Ray; results per strategy, in suite order.

    `lessonl_transfer` pairs (runner.py's module docstring) are submitted once no `lessonl`
    pair is pending any more, each with its warm lessons in its task's arguments."""
    ray = import_ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    plan, note = plan.with_sources()
    if note is not None:
        notice(note)
    found: dict[tuple[str, str], ProblemResult] = {}
    todo: list[_Todo] = []
    for strategy in plan.run_order():
        if strategy == strategies.TRANSFER:
            continue  # their settings depend on the lessonl pairs' lessons: `_release_transfer`
        for problem in plan.problems:
            settings, _, stored = look_up(plan, strategy, problem)
            if stored is not None:
                found[(strategy, problem.name)] = stored
                observer.pair_started(strategy, problem.name)
                observer.pair_finished(stored, skipped=True)
            else:
                todo.append(_Todo(strategy, problem, settings))
    waiting = plan.transfer
    if waiting and not any(t.strategy == strategies.SOURCE for t in todo):
        todo += _release_transfer(plan, found, observer)  # every lessonl pair is stored
        waiting = False
    if todo or waiting:
        needed = list(plan.problems) if waiting else [t.problem for t in todo]
        teams = {p.name: effective_team(plan, p) for p in needed}
        keys = team_keys(list(teams.values()))  # a missing key fails here, before Ray
        # Ray's driver prints the errors the cluster pushes ("(raylet) A worker died ...") on
        # sys.stdout, whatever log_to_driver says; `--json` keeps stdout to one JSON object, so
        # while Ray runs they go to stderr beside the progress lines.
        with contextlib.redirect_stdout(sys.stderr):
            notice(connect(ray, address, settings_env(keys)))
            try:
                secrets_box = [ray.put(Secrets(keys))]  # by reference: see ray_task.py
                _run_pairs(
                    ray,
                    NodeAffinitySchedulingStrategy,
                    plan,
                    observer,
                    todo,
                    waiting,
                    teams,
                    found,
                    secrets_box,
                )
            finally:
                ray.shutdown()
                # A local Ray's nodes are this machine: copies that force-killed workers left.
                prune_stale_copies()
    return {
        s: [found[(s, p.name)] for p in plan.problems if (s, p.name) in found]
        for s in plan.strategies
    }


@dataclass
class _Todo:
    """A pair to run: its settings fingerprint and, for `lessonl_transfer`, its warm lessons."""

    strategy: str
    problem: Problem
    settings: str
    warm: list[dict[str, Any]] | None = None


def _release_transfer(
    plan: BenchPlan, found: dict[tuple[str, str], ProblemResult], observer: Observer
) -> list[_Todo]:
    """With every `lessonl` pair in `found`: the `lessonl_transfer` pairs to run (those stored
    with the same warm lessons are put in `found` and reported as skipped)."""
    sources = [found.get((strategies.SOURCE, p.name)) for p in plan.problems]
    out: list[_Todo] = []
    for problem in plan.problems:
        settings, warm, stored = look_up(plan, strategies.TRANSFER, problem, sources)
        if stored is not None:
            found[(strategies.TRANSFER, problem.name)] = stored
            observer.pair_started(strategies.TRANSFER, problem.name)
            observer.pair_finished(stored, skipped=True)
        else:
            out.append(_Todo(strategies.TRANSFER, problem, settings, warm))
    return out


def _run_pairs(
    ray: Any,
    affinity: Any,
    plan: BenchPlan,
    observer: Observer,
    todo: list[_Todo],
    waiting: bool,
    teams: dict[str, tuple[AgentConfig, ...]],
    found: dict[tuple[str, str], ProblemResult],
    secrets_box: list[Any],
) -> None:
    """Submit `todo`, collect every result; `waiting`: the `lessonl_transfer` pairs follow
    once no `lessonl` pair is pending.

    Long because its nested helpers (archive, submit, collect) share the driver's maps of
    pending tasks and uploaded problems; apart they would pass them all around.
    """
    task = ray.remote(run_pair_task)
    archives: dict[str, Any] = {}
    pending: dict[Any, _Pair] = {}

    def archive(problem: Problem) -> Any:
        if problem.name not in archives:
            archives[problem.name] = ray.put(pack_problem(problem.path))
        return archives[problem.name]

    def submit(pair: _Pair, node: str | None = None) -> None:
        options: dict[str, Any] = {
            "name": f"{pair.strategy}/{pair.problem.name}",  # the dashboard's and ps's label
            "num_cpus": 1,
            "resources": {TIMING_RESOURCE: 1},
            "max_retries": MAX_PAIR_RETRIES,
            "retry_exceptions": False,
        }
        if node is not None:
            options["scheduling_strategy"] = affinity(node_id=node, soft=False)
        ref = task.options(**options).remote(
            pair.archive, pair.strategy, plan.rounds, pair.team, secrets_box, pair.warm
        )
        pending[ref] = pair

    def submit_all(items: list[_Todo]) -> None:
        for t in items:
            team = teams[t.problem.name]
            submit(_Pair(t.strategy, t.problem, t.settings, archive(t.problem), team, t.warm))

    submit_all(todo)
    failed_in_a_row = 0
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            ref = ready[0]
            pair = pending.pop(ref)
            try:
                out = ray.get(ref)
            except ray.exceptions.RayTaskError:
                raise  # a bug in the task: its traceback, as a local run would show
            except ray.exceptions.RayError as exc:  # the worker or its node died, retries spent
                out = {"result": None, "messages": [], "fatal": None, "crash": exc}
            if out.get("fatal"):
                node = out.get("node") or "?"
                pair.fatal_on[node] = out["fatal"]["message"]
                untried = [n for n in timing_nodes(ray) if n not in pair.fatal_on]
                if untried:
                    observer.message(
                        f"{pair.strategy} on {pair.problem.name} failed on node {node[:12]} "
                        f"({out['fatal']['message']}); trying node {untried[0][:12]}"
                    )
                    submit(pair, untried[0])
                    continue
                n = len(pair.fatal_on)
                where = f" (on every node of the Ray cluster: {n})" if n > 1 else ""
                raise _fatal_error(out["fatal"], where)
            observer.pair_started(pair.strategy, pair.problem.name)
            for text in out.get("messages", []):
                observer.message(text)
            if out.get("result") is not None:
                result = ProblemResult.from_json(out["result"])
            else:
                crash = out["crash"]
                result = ProblemResult(
                    problem=pair.problem.name,
                    strategy=pair.strategy,
                    category=pair.problem.category,
                    language=pair.problem.language,
                    outcome=ERROR,
                    error=f"its Ray worker died {MAX_PAIR_RETRIES + 1} times "
                    f"({type(crash).__name__}); a rerun tries it again",
                )
                observer.message(f"{pair.strategy} on {pair.problem.name} failed: {result.error}")
            found[(pair.strategy, pair.problem.name)] = result
            failed_in_a_row = finish_pair(plan, result, pair.settings, observer, failed_in_a_row)
            if waiting and not any(p.strategy == strategies.SOURCE for p in pending.values()):
                submit_all(_release_transfer(plan, found, observer))
                waiting = False
    finally:  # Ctrl-C, a fatal error, a stop: nothing keeps running
        cancel_all(ray, list(pending))


def cancel_all(ray: Any, refs: list[Any]) -> None:
    """Cancel the tasks of `refs` and wait until none runs (see "Faults" above).

    First the way Ctrl-C stops a local run: a running pair is interrupted and unwinds (its
    build, test or timing command killed and reaped, its working copy removed; ray_task.py);
    a queued one never starts. A pair still running after `CANCEL_GRACE_S` (or at a second
    Ctrl-C) has its worker killed (force), and its copy is left for `prune_stale_copies`.
    Every result is then read, so Ray prints no "unhandled error" for a cancelled task."""
    if not refs:
        return
    for ref in refs:
        ray.cancel(ref, force=False)
    stuck = refs
    try:
        _, stuck = ray.wait(refs, num_returns=len(refs), timeout=CANCEL_GRACE_S)
    finally:  # a second Ctrl-C ends the waiting, not the cancelling
        for ref in stuck:
            ray.cancel(ref, force=True)
        if stuck:
            ray.wait(stuck, num_returns=len(stuck), timeout=CANCEL_GRACE_S)
        for ref in refs:
            with contextlib.suppress(ray.exceptions.RayError):
                ray.get(ref, timeout=0)
