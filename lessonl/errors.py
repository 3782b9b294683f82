"""User-facing errors.

Every failure a user can act on (bad config, missing compiler, unreachable model server, ...)
is raised as a `LessonLError` subclass whose message is one line naming the problem and what to
do. The CLI prints `lessonl: <message>` on stderr and exits with `exit_code`; the language
server turns it into a request error. Anything else is a bug and keeps its traceback.

Every exception class of the project, where it lives, who raises it and who catches it (the
classes stay next to the code that raises them; this is the one map of them). "Top level"
means the two places every `LessonLError` ends up: `lessonl.cli.main` (one stderr line, exit
code) and the server's request wrappers (`server/wire.py`, a one-line request error).

User-facing, `LessonLError` and its subclasses:

- `ConfigError` (here, exit 2): `lessonl.config` (invalid lessonl.toml, unknown keys, and
  `check_run_value` for editor settings and CLI flags, through `lessonl.run.plan`, with
  `data.setting`), `bench.suite` (a problem folder that is not a valid
  problem), `server/actions.py` and `server/settings.py`. Caught at top level;
  `bench.runner.FATAL` stops a benchmark on it. Its subclass `AmbiguousTarget`
  (`lessonl.config`: several targets cover the file, none named) carries the names; the
  server turns it into a request error with `data.targets`, or asks the user which one.
- `UsageError` (here, exit 2): command arguments and what they name (commands/*, `run.plan`
  (a target that does not list the file, with `data.targets`; a Python file without tests
  or function), `loop`,
  `regions.find_function`, `bank` id prefixes, `harness` and `harness.workspace`, the server's
  optimize request). Top level; fatal to a benchmark.
- `EnvironmentProblem` (here, exit 2): `harness.require_tools` (a compiler is missing).
  Top level; fatal to a benchmark.
- `StateProblem` (here, exit 2): the state folder `.lessonl/` cannot be used: read-only, full,
  or a damaged lesson bank that could not be moved aside. Raised by `lessonl.state`
  (`state_problem` maps OSError and sqlite3 errors to it, with the fix), `lessonl.bank` and
  `harness.workspace` (copying the project into a build folder). Top level; fatal to a
  benchmark. A damaged bank that *can* be moved aside is not an error: `lessonl.bank` moves
  it aside, salvages what reads and logs one warning.
- `Cancelled` (here, exit 130): reserved for the contract's exit status; nothing raises it today.
  Cancellation travels as `asyncio.CancelledError` (runs, the server) or `KeyboardInterrupt`
  (caught by `cli.main`, exit 130).
- `Conflict` (here, exit 1): `commands/optimize.py` `--apply` when the file changed meanwhile.
  Top level.
- `BaselineError` (`lessonl.harness.harness`): the original does not build, pass its test or
  run its bench. `Harness.baseline` caches and re-raises it; the loop marks the run `failed`;
  `bench.runner` records the pair as failed and goes on.
- `SpliceError` (`lessonl.regions`): the model's answer lacks the target function. A model
  defect, not a user one: `lessonl.grading.grade` (used by the loop and every bench strategy)
  catches it and grades the variant `not_compilable` with its message.
- `LLMError` (`lessonl.llm.errors`, exit 1) and its subclasses `MissingKey` (exit 2),
  `AuthError`, `UnknownModel`, `Unreachable`, `ContextTooLong`, `MalformedResponse`,
  `RateLimited`, `ServerError`, `LocalModelError` and its subclass `ModelServerDied`: raised by
  the providers (`llm.retry.classify` maps SDK exceptions to them, after retries), `llm.team`
  (a missing key) and `llm.local` (the local model; `ModelServerDied` when the server we
  started exited). The loop records them against the agent (`AgentFailed`) and fails the run
  only when every agent of a round failed (a plain `LessonLError`), except an error with
  `ends_run` set (`ModelServerDied`), which `_turn` re-raises to stop the run at once;
  `commands/doctor.py` catches `MissingKey` and `LocalModelError` to report them as checks;
  `bench.runner.FATAL` stops a benchmark on those that would repeat on every pair.
- `WorkloadFailed` and `NoProjectFunctions` (`lessonl.hotspots`, exit 1): the profiled
  workload fails or hangs on the original code, or runs none of the project's functions.
  Top level.
- `BenchStopped` (`lessonl.bench.runner`): several pairs in a row failed. Top level.
- `RunInProgress` (`server/jobs.py`): a second run on a document that already has one. Returned
  to the editor as a request error.

Internal signals, never shown to a user:

- `BenchFailed` (`lessonl.harness.timing`, a plain `Exception`): a timed run gave no time.
  Caught in `lessonl.harness.harness`, which turns it into a `crashed`/`timeout` outcome (or a
  `BaselineError` for the original).
- `_BudgetHit` (`lessonl.loop`): a budget forbids another model call inside an agent's turn;
  caught in the same turn, which records "not asked".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class LessonLError(Exception):
    """An error the user can fix; `str(err)` is the whole one-line message."""

    exit_code: int = 2
    #: True when no other part of a run can succeed after this error (the model server every
    #: agent uses has died): the loop stops the run at once instead of letting one agent sit out.
    ends_run: bool = False

    def __init__(self, message: str, *, data: Mapping[str, Any] | None = None) -> None:
        # Collapse to one line: messages are shown in status bars and single stderr lines.
        super().__init__(" ".join(message.split()))
        #: What a front end may act on without reading the prose (the editor offers "Open
        #: Settings" for `setting`, a choice for `targets`); JSON-ready, empty when nothing.
        self.data: dict[str, Any] = dict(data or {})


class ConfigError(LessonLError):
    """lessonl.toml / [tool.lessonl] is missing, unreadable or invalid."""


class UsageError(LessonLError):
    """Bad command-line usage or arguments (a missing file, an unknown target, ...)."""


class EnvironmentProblem(LessonLError):
    """Something the machine lacks: a compiler, the local model, a free port, ..."""


class StateProblem(LessonLError):
    """`.lessonl/` is read-only, full or damaged; the message names the folder and the fix."""


class Cancelled(LessonLError):
    """The user cancelled the run (Ctrl-C or an editor cancel); partial results are kept."""

    exit_code = 130


class Conflict(LessonLError):
    """The user's file changed while we worked; we refuse to overwrite it."""

    exit_code = 1
