"""User-facing errors.

Every failure a user can act on (bad config, missing compiler, unreachable model server, ...)
is raised as a `LessonLError` subclass whose message is one line naming the problem and what to
do. The CLI prints `lessonl: <message>` on stderr and exits with `exit_code`; the language
server turns it into a request error. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class LessonLError(Exception):
    """An error the user can fix; `str(err)` is the whole one-line message."""

    exit_code: int = 2
    #: True when no other part of a run can succeed after this error (the model server every
    #: agent uses has died): the loop stops the run at once instead of letting one agent sit out.
    ends_run: bool = False

    def __init__(self, message: str) -> None:
        # Collapse to one line: messages are shown in status bars and single stderr lines.
        super().__init__(" ".join(message.split()))


class ConfigError(LessonLError):
    """lessonl.toml / [tool.lessonl] is missing, unreadable or invalid."""


class UsageError(LessonLError):
    """Bad command-line usage or arguments (a missing file, an unknown target, ...)."""


class EnvironmentProblem(LessonLError):
    """Something the machine lacks: a compiler, the local model, a free port, ..."""


class Cancelled(LessonLError):
    """The user cancelled the run (Ctrl-C or an editor cancel); partial results are kept."""

    exit_code = 130


class Conflict(LessonLError):
    """The user's file changed while we worked; we refuse to overwrite it."""

    exit_code = 1
