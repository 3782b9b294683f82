"""Why a Python function cannot be judged automatically; each one line with what to do."""

from __future__ import annotations

from lessonl.errors import EnvironmentProblem, LessonLError


class AutoTargetError(LessonLError):
    """The automatic target cannot judge this function (see the subclasses)."""


class UnsupportedFunction(AutoTargetError):
    """Generators, async functions, properties and closures are not supported yet."""


class TestsFailOnOriginal(AutoTargetError):
    """The project's tests fail before any change: nothing trustworthy to compare against."""

    __test__ = False  # not a pytest test class, whatever its name


class NothingReachesFunction(AutoTargetError):
    """No test calls the function (or every call was left out): nothing can judge a variant."""


class CannotRecord(AutoTargetError):
    """Calls were made but none could be kept (unpicklable or huge values), or the recording
    run itself failed."""


class PytestMissing(EnvironmentProblem):
    """The project's interpreter has no pytest."""
