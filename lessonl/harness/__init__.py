"""Build, check and time variants of a target's files (docs/method.md section 5).

`Harness` is the entry point (see harness.py); `Evaluation` and `Outcome` are its results;
`require_tools` checks that the programs a target needs (e.g. g++) exist, for the CLI and the
loop to call before a run.
"""

from lessonl.harness.harness import BaselineError, Costs, Harness, Project, require_tools
from lessonl.harness.outcomes import Evaluation, Outcome

__all__ = [
    "BaselineError",
    "Costs",
    "Evaluation",
    "Harness",
    "Outcome",
    "Project",
    "require_tools",
]
