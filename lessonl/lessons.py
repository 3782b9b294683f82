"""Lesson records: what an agent learned from one graded variant (docs/method.md section 3).

A `Lesson` keeps the public record fields of docs/contracts.md (`id, text, outcome, speedup,
language, target, function, agent, run_id, round, factor, uses, created`) plus what we need
internally: the speedup's confidence interval, the variant's code, a fingerprint of the source
it was written against, the effectiveness votes, the user's accept/reject counts and the model.

`category()` is the one place that turns an outcome and speedup into the words the prompts and
the CLI use ("significantly improves performance", ...), so they never disagree. Faster and
slower come from the speedup's interval by the rule the winner is chosen by
(`harness.stats.measurably_faster` / `measurably_slower`), not from the point estimate: a
0.9999x [0.987, 1.009] result is "no measurable difference", and a lesson asked to explain why
it was slower would explain noise.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from lessonl.config import LANGUAGES
from lessonl.harness.stats import measurably_faster, measurably_slower

OUTCOMES = ("correct", "incorrect", "not_compilable", "timeout", "crashed")

# Speedup at or above which a correct variant counts as "significantly" faster (docs/method.md 2),
# and at or above which speedup x factor makes a lesson an exploitation pick (docs/method.md 3).
SIGNIFICANT_SPEEDUP = 1.1

# The fields `lessons list --json` prints, in order (docs/contracts.md).
PUBLIC_FIELDS = (
    "id",
    "text",
    "outcome",
    "speedup",
    "language",
    "target",
    "function",
    "agent",
    "run_id",
    "round",
    "factor",
    "uses",
    "created",
)


#: The longest lesson text we keep (about two sentences): prompts carry k of them every call.
LESSON_MAX_CHARS = 360

_FENCE = re.compile(r"```.*?(```|\Z)", re.S)
_LONG_INLINE = re.compile(r"`[^`\n]{40,}`")
_CODE_LINE = re.compile(r"^(\s{4,}|\t)|[;{}]\s*$")
_LABEL = re.compile(r"^\s*(\*\*)?(lesson|answer|explanation)(\*\*)?\s*:\s*", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`])")


def prose(text: str, *, max_chars: int = LESSON_MAX_CHARS) -> str:
    """A model's answer to the lesson prompt, reduced to what a lesson is: one or two sentences
    of prose. Fenced code blocks, long inline code and code-shaped lines are dropped (the
    variant's code is kept in the lesson's `code` field anyway), a leading "Lesson:" label goes,
    and the rest is cut to two sentences and `max_chars`, at a word boundary. Without this a
    lesson was whatever the model answered, and prompts carried whole functions as lessons."""
    text = _FENCE.sub(" ", text)
    text = _LONG_INLINE.sub("(code)", text)
    lines = [line for line in text.splitlines() if line.strip() and not _CODE_LINE.search(line)]
    flat = _LABEL.sub("", " ".join(" ".join(lines).split()))
    flat = flat.replace("**", "")
    sentences = _SENTENCE_END.split(flat)
    short = " ".join(sentences[:2]).strip()
    if len(short) > max_chars:
        cut = short[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:")
        short = cut + "…"
    return short


_REFUSAL = re.compile(
    r"^\W*(i\s+(cannot|can't|can not|am unable|won't|will not)|i'm\s+(sorry|unable|not able)"
    r"|sorry\b|as an ai\b|unfortunately,?\s+i\b)",
    re.I,
)


def is_refusal(text: str) -> bool:
    """Whether a model's answer opens by declining ("I cannot help with that."): not a lesson,
    and no reader should be shown it as one."""
    return bool(_REFUSAL.match(text))


def normal_text(text: str) -> str:
    """The key under which two lessons say the same thing: up to case, spacing, punctuation."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def now_iso() -> str:
    """UTC timestamp, microsecond precision, ISO 8601 with a Z (sorts as text)."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def verdict(speedup: float | None, ci95: Sequence[float] | None) -> str:
    """ "faster", "slower" or "same" (no measurable difference) for a correct result.

    With an interval, the winner's rule decides (module docstring). Without one (a record
    imported from a version that kept only the point estimate) the point estimate is all there
    is, and only a gain at least `SIGNIFICANT_SPEEDUP` or a loss beyond the same factor counts.
    """
    if ci95 is not None and len(ci95) == 2:
        if measurably_faster(ci95):
            return "faster"
        return "slower" if measurably_slower(ci95) else "same"
    if speedup is None:
        return "same"
    if speedup >= SIGNIFICANT_SPEEDUP:
        return "faster"
    return "slower" if speedup <= 1 / SIGNIFICANT_SPEEDUP else "same"


def category(outcome: str, speedup: float | None, ci95: Sequence[float] | None = None) -> str:
    """The lesson's category in words, as the optimize prompt opens each lesson with it; a
    correct one by `verdict` (the interval, as the winner is chosen)."""
    if outcome == "correct":
        which = verdict(speedup, ci95)
        if which == "faster":
            significant = speedup is not None and speedup >= SIGNIFICANT_SPEEDUP
            return f"{'significantly' if significant else 'slightly'} improves performance"
        if which == "slower":
            return "makes the code slower"
        return "makes no measurable difference to performance"
    return {
        "incorrect": "compromises equivalence",
        "not_compilable": "does not compile",
        "timeout": "times out",
        "crashed": "crashes",
    }.get(outcome, outcome.replace("_", " "))


@dataclass
class Lesson:
    """One banked lesson. `id` is empty until `LessonBank.add` assigns a unique one.

    `factor` is the effectiveness factor: the mean of every vote in `votes` (1.0 before any);
    `uses` counts the rounds in which the lesson was shown to the team.
    """

    id: str
    text: str
    outcome: str
    speedup: float | None = None
    language: str = ""
    target: str = ""
    function: str | None = None
    agent: str = ""
    run_id: str = ""
    round: int = 0
    factor: float = 1.0
    uses: int = 0
    created: str = field(default_factory=now_iso)
    ci95: tuple[float, float] | None = None
    code: str = ""
    source_fingerprint: str = ""
    votes: list[float] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    model: str = ""
    #: The file the lesson's variant rewrote (project-relative), to prefer lessons of the same
    #: file when choosing what to show.
    file: str = ""
    #: One entry per round that showed the lesson: {"run_id", "round", "speedups"} with the
    #: correct speedups (None for a failed variant) of the agents who read it.
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def category(self) -> str:
        return category(self.outcome, self.speedup, self.ci95)

    @property
    def helped(self) -> bool:
        """Whether the lesson ever helped: a reader beat its speedup (a 1.1 vote), a user
        accepted a proposal it led to, or it carries a significant win of its own."""
        won = self.outcome == "correct" and (self.speedup or 0.0) >= SIGNIFICANT_SPEEDUP
        return won or self.accepted > 0 or any(v > 1.0 for v in self.votes)

    def nearness(self, function: str | None, file: str | None) -> int:
        """How close the lesson's code is to a target `function` of `file`: 2 the same function,
        1 another part of the same file, 0 elsewhere or unknown (no `file` on either side). The
        bank shows nearer lessons first; the prompt labels the others with where they came from.
        """
        if not file or self.file != file:
            return 0
        return 2 if self.function == function else 1

    @property
    def score(self) -> float | None:
        """speedup x factor, the exploitation key of selection; None without a speedup."""
        return None if self.speedup is None else self.speedup * self.factor

    def to_json(self) -> dict[str, Any]:
        """Every field, JSON-ready (the export format); public fields first."""
        data = asdict(self)
        data["ci95"] = list(self.ci95) if self.ci95 is not None else None
        ordered = {k: data[k] for k in PUBLIC_FIELDS}
        ordered.update({k: v for k, v in data.items() if k not in ordered})
        return ordered

    def public_json(self) -> dict[str, Any]:
        """The record of `lessons list --json` (docs/contracts.md)."""
        data = self.to_json()
        return {k: data[k] for k in PUBLIC_FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Lesson:
        """Inverse of `to_json`; unknown keys are ignored (newer exports stay importable).

        Raises ValueError/TypeError on a malformed record; callers turn that into a user error.
        """
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        for required in ("id", "text", "outcome"):
            if not isinstance(kwargs.get(required), str):
                raise ValueError(f"field {required!r} missing or not a string")
        ci = kwargs.get("ci95")
        if ci is not None:
            lo, hi = ci
            kwargs["ci95"] = (float(lo), float(hi))
        if kwargs.get("speedup") is not None:
            kwargs["speedup"] = float(kwargs["speedup"])
        kwargs["votes"] = [float(v) for v in kwargs.get("votes") or []]
        kwargs["history"] = [dict(h) for h in kwargs.get("history") or [] if isinstance(h, dict)]
        lesson = cls(**kwargs)
        lesson.factor = float(lesson.factor)
        lesson.round = int(lesson.round)
        lesson.uses = int(lesson.uses)
        return lesson


#: Bounds of a lesson record that did not come from our own loop (`lessons import`): the
#: loop's own lessons always satisfy them. A speedup beyond MAX_SPEEDUP is a measuring error
#: (the largest seen on a real benchmark was about 2,000x); the factor is a mean of 0.9 and
#: 1.1 votes; code is the variant's source file, and no source file we optimize is near 1 MB.
MAX_SPEEDUP = 1e5
MAX_CODE_CHARS = 1_000_000
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _number(value: object, name: str, low: float, high: float) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return f"{name} {value!r} is not a finite number"
    if not low <= value <= high:
        return f"{name} {value!r} is outside [{low:g}, {high:g}]"
    return None


def record_problem(lesson: Lesson) -> str | None:
    """Why `lesson` could not have been made by our loop (then it is refused), or None.

    The same rules the loop's lessons follow: a short prose text (what `prose` keeps, at most
    LESSON_MAX_CHARS), a known outcome and language, numbers finite and in range. Without
    them an imported 1,000,000-character "lesson" went verbatim into every prompt."""
    if not _ID.match(lesson.id):
        return f"id {lesson.id[:20]!r} is not a lesson id (letters, digits, - and _)"
    text = lesson.text
    if not text.strip():
        return "text is empty"
    if len(text) > LESSON_MAX_CHARS:
        return f"text is {len(text):,} characters; a lesson has at most {LESSON_MAX_CHARS}"
    if prose(text) != " ".join(text.split()):
        return "text is not a lesson's prose (code, or more than two sentences)"
    if lesson.outcome not in OUTCOMES:
        return f"outcome {lesson.outcome!r} is not one of {', '.join(OUTCOMES)}"
    if lesson.language not in LANGUAGES:
        return f"language {lesson.language!r} is not one of {', '.join(LANGUAGES)}"
    checks = [
        _number(lesson.factor, "factor", 0.9, 1.1),
        _number(lesson.uses, "uses", 0, 10**9),
        _number(lesson.round, "round", 0, 10**6),
        _number(lesson.accepted, "accepted", 0, 10**9),
        _number(lesson.rejected, "rejected", 0, 10**9),
    ]
    if lesson.speedup is not None:
        checks.append(_number(lesson.speedup, "speedup", 0.0, MAX_SPEEDUP))
    if lesson.ci95 is not None:
        checks += [_number(v, "ci95", 0.0, MAX_SPEEDUP) for v in lesson.ci95]
    checks += [_number(v, "vote", 0.9, 1.1) for v in lesson.votes]
    problem = next((c for c in checks if c is not None), None)
    if problem is not None:
        return problem
    if len(lesson.code) > MAX_CODE_CHARS:
        return f"code is {len(lesson.code):,} characters; at most {MAX_CODE_CHARS:,}"
    for name in ("target", "agent", "run_id", "model", "file", "created", "source_fingerprint"):
        value = getattr(lesson, name)
        if not isinstance(value, str) or len(value) > 500:
            return f"{name} is not a short string"
    if lesson.function is not None and (
        not isinstance(lesson.function, str) or len(lesson.function) > 500
    ):
        return "function is not a short string"
    return None
