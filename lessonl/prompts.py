"""Every prompt LessonL sends, in one place (docs/method.md section 2: our wording, its structure).

* `optimize_prompt`: the code to rewrite, read-only context, and (from round 1, or round 0
  when seeded from the project bank) the selected lessons, numbered, each opened by its
  category in words. It warns that Code B may be worse than Code A and asks for strategies
  beyond the lessons, then asks for the complete function in one fenced block.
* `skeptic_prompt`: the original and a would-be winner side by side, asking for inputs on
  which they may differ (lessonl/auto/skeptic.py runs them on both).
* `lesson_prompt`: one per outcome, asking the agent that wrote the variant to explain the
  result in one or two sentences, with the evidence we have (speedup and its interval, the
  compiler's first errors, what differed, the time limit, the signal).

Each prompt is one user message; there is no chat history (docs/method.md section 1).

The last section holds the prompts of the strategies `lessonl bench` compares LessonL with
(chain of thought, Reflexion, Mixture-of-Agents, MapCoder).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from lessonl.fences import fenced
from lessonl.lessons import SIGNIFICANT_SPEEDUP, Lesson, category, verdict
from lessonl.regions import PromptContext, SpliceResult

_NAMES = {"c": "C", "cpp": "C++", "python": "Python"}
_FENCE_TAGS = {"c": "c", "cpp": "cpp", "python": "python"}
_COMPILED = {"c", "cpp"}

# Evidence longer than this is cut: the first lines of a compiler log say what matters, and a
# small model's context is precious.
DETAIL_MAX_LINES = 20
DETAIL_MAX_CHARS = 2000


class EvaluationLike(Protocol):
    """What the prompts read from a harness Evaluation (or `grading.NotBuilt`)."""

    @property
    def outcome(self) -> str: ...
    @property
    def speedup(self) -> float | None: ...
    @property
    def ci95(self) -> Sequence[float] | None: ...
    @property
    def detail(self) -> str | None: ...


def _lang(language: str) -> str:
    return _NAMES.get(language, language)


def _block(code: str, language: str) -> str:
    return fenced(code, _FENCE_TAGS.get(language, language))


def _clip(detail: str | None) -> str:
    text = (detail or "").strip()
    lines = text.splitlines()
    clipped = "\n".join(lines[:DETAIL_MAX_LINES])
    if len(clipped) > DETAIL_MAX_CHARS:
        clipped = clipped[:DETAIL_MAX_CHARS]
    if clipped != text:
        clipped += "\n[...]"
    return clipped


def _elsewhere(lesson: Lesson, function: str | None, file: str | None) -> str | None:
    """Where a lesson about other code than the target came from ("`top_words` in
    src/top_words.py"), or None when it is about the target (or its origin is unknown: lessons
    banked before lessons recorded their file)."""
    if file is None or not lesson.file or lesson.nearness(function, file) == 2:
        return None
    return f"`{lesson.function}` in {lesson.file}" if lesson.function else lesson.file


def _lesson_line(n: int, lesson: Lesson, elsewhere: str | None) -> str:
    opener = f"Lesson {n} {category(lesson.outcome, lesson.speedup, lesson.ci95)}"
    if elsewhere is not None:
        opener += f" (about {elsewhere}, not the code below)"
    if lesson.outcome == "correct" and lesson.speedup is not None:
        opener += f" (measured {lesson.speedup:.2f}x the speed of the original)"
    return f"{opener}. {' '.join(lesson.text.split())}"


def optimize_prompt(
    ctx: PromptContext,
    language: str,
    lessons: Sequence[Lesson],
    *,
    emphasis: str | None = None,
    seeded: bool = False,
    base_speedup: float | None = None,
    function: str | None = None,
    file: str | None = None,
) -> str:
    """The prompt asking an agent for a faster version of `ctx.code`.

    `seeded` says the lessons come from earlier runs on this project (round 0 of a new run),
    not from teammates working on this very code in this run. `base_speedup` (carry-forward)
    says `ctx.code` is already a verified rewrite that fast; without it the prompt is the
    paper's, word for word.

    `function` and `file` (project-relative) name the target, so that a lesson banked on other
    code is labelled with where it came from and the prompt says to borrow only ideas that fit.
    Measured on the local 0.5B model (benchmarks/results/lessons-local-2rounds), unlabelled
    lessons of other functions were taken as about this one: merge_intervals came back
    counting words, from the lessons of top_words. Lessons about the target itself are shown
    as the paper shows them.

    Long because the prompt is one template written in the order the model reads it (the
    paper's wording, word for word without the options); split, its text would be scattered.
    """
    lang = _lang(language)
    what = "file" if ctx.name is None else "function"
    parts: list[str] = [
        f"You are an expert {lang} performance engineer. Rewrite the {lang} {what} below so "
        "that it runs as fast as possible while giving exactly the same results as the "
        "original for every input."
    ]
    if ctx.context.strip():
        readonly = (
            "read-only, except for the function's own helpers named below"
            if ctx.name is not None and ctx.helpers
            else "read-only: do not return it"
        )
        parts.append(
            f"For reference, here is the rest of the file it belongs to ({readonly}):\n"
            + _block(ctx.context, language)
        )
    label = (
        "The file to optimize" if ctx.name is None else f"The function to optimize, `{ctx.name}`"
    )
    parts.append(f"{label}:\n" + _block(ctx.code, language))
    if base_speedup is not None:
        parts.append(
            f"This code is already the fastest verified rewrite so far: it runs "
            f"{base_speedup:.2f}x as fast as the original. Make it faster still."
        )

    if lessons:
        source = (
            "These lessons come from earlier optimization work on this project."
            if seeded
            else "These lessons were learned by a team of programmers optimizing this same code."
        )
        code_a = (
            "Code A is the original code"
            if base_speedup is None
            else "Code A is the code that was rewritten (the original or a faster rewrite)"
        )
        where = [_elsewhere(les, function, file) for les in lessons]
        lines = [
            _lesson_line(i + 1, les, w)
            for i, (les, w) in enumerate(zip(lessons, where, strict=True))
        ]
        parts.append(
            f"{source} In each lesson, {code_a} and Code B is a rewrite "
            "that was built, tested and timed. Code B may be worse than Code A: slower, "
            "incorrect, or not compiling at all. Learn from the failures as much as from the "
            "successes.\n\n" + "\n".join(lines)
        )
        if any(w is not None for w in where):
            parts.append(
                "A lesson marked as about other code was learned on a different function, "
                "which does something else: borrow its idea only where it fits the code "
                "below, and keep this code's own logic, names and results."
            )
        parts.append(
            "Use what these lessons teach, and also look for optimization strategies that go "
            "beyond them."
        )
    if emphasis:
        parts.append(emphasis.strip())

    if ctx.name is None:
        ask = (
            f"Return the complete new file in a single ```{_FENCE_TAGS.get(language, language)} "
            "fenced code block, keeping every function's name and signature that other code uses."
        )
    else:
        extra = "imports" if language == "python" else "#include lines or helper types"
        ask = (
            f"Return the complete optimized function `{ctx.name}` in a single "
            f"```{_FENCE_TAGS.get(language, language)} fenced code block, keeping its name and "
            f"signature unchanged. You may add helper functions and {extra} in the same block."
        )
        if ctx.helpers:
            names = ", ".join(f"`{h}`" for h in ctx.helpers)
            ask += (
                f" You may also rewrite `{ctx.name}`'s own helpers, {names} (the functions "
                f"of the file that only `{ctx.name}` uses): return each one you change, "
                "complete and under the same name, in the same block. Changes to any other "
                "existing function, type or global are ignored."
            )
        else:
            ask += (
                " Changes to the other existing functions, types or globals of the file are "
                "ignored."
            )
    if language in _COMPILED:
        ask += (
            " The code is built with the project's own compiler and flags, which you cannot "
            "change, so do not rely on different compiler flags."
        )
    else:
        ask += " Use only the standard library and the modules the file already imports."
    parts.append(ask)
    return "\n\n".join(parts) + "\n"


def _parts_note(parts: SpliceResult) -> str:
    """What of the answer ran, for the lesson prompt: the lesson must be about that code."""
    used = [p for p in parts.used if p.kind != "target"]
    lines: list[str] = []
    if used:
        what = {"helper": "rewritten helper", "new": "new", "include": "added"}
        lines.append(
            "Used from Code B besides the function itself: "
            + "; ".join(f"{what.get(p.kind, p.kind)} `{p.name}`" for p in used)
            + "."
        )
    if parts.ignored:
        lines.append(
            "NOT used from Code B (the file's original code ran instead, or nothing): "
            + "; ".join(f"`{p.name}`: {p.reason}" for p in parts.ignored)
            + ". The outcome below is of Code B without these parts; explain that outcome."
        )
    return "\n".join(lines)


def lesson_prompt(
    ctx: PromptContext,
    language: str,
    variant_code: str,
    evaluation: EvaluationLike,
    *,
    parts: SpliceResult | None = None,
    base_speedup: float | None = None,
) -> str:
    """The prompt asking the agent that wrote `variant_code` to explain its graded outcome.

    `parts` (from `regions.splice_parts`) says which parts of the answer were used: rewritten
    helpers join Code A in their original form, and parts that were not used are named, so
    the lesson explains the code that actually ran. `base_speedup` (carry-forward): Code A is
    a rewrite that ran that many times as fast as the original. The harness measures every
    variant against the original, so Code B against Code A is the ratio of the two, said as
    "about" because the two were timed in different pairs.

    Long because the prompt is one template written in the order the model reads it; split,
    its text would be scattered.
    """
    lang = _lang(language)
    same = (
        "Both were built with the same compiler and flags and run on the same machine."
        if language in _COMPILED
        else "Both were run with the same Python interpreter on the same machine."
    )
    code_a = ctx.code
    if parts is not None:
        for helper in parts.rewritten_helpers:
            code_a = code_a.rstrip("\n") + "\n\n" + helper.original
    who = (
        f"Code A is the original {lang} code."
        if base_speedup is None
        else f"Code A is the fastest verified rewrite so far of the original {lang} code: it "
        f"runs {base_speedup:.2f}x as fast as the original."
    )
    head = (
        f"{who} Code B is a rewrite of it meant to be faster.\n\n"
        f"Code A:\n{_block(code_a, language)}\n\nCode B:\n{_block(variant_code, language)}"
    )
    note = _parts_note(parts) if parts is not None else ""
    if note:
        head += "\n\n" + note
    outcome = evaluation.outcome
    detail = _clip(evaluation.detail)
    speedup = evaluation.speedup
    if outcome == "correct":
        interval = ""
        if evaluation.ci95 is not None and len(evaluation.ci95) == 2:
            lo, hi = evaluation.ci95
            interval = f" (95% confidence interval {lo:.2f}x to {hi:.2f}x)"
        s = speedup if speedup is not None else 1.0
        ci = evaluation.ci95 if evaluation.ci95 is not None and len(evaluation.ci95) == 2 else None
        ran = f"it ran {s:.2f}x as fast as Code A{interval}"
        if base_speedup is not None and base_speedup > 0:
            ran = (
                f"it ran {s:.2f}x as fast as the original{interval}, so about "
                f"{s / base_speedup:.2f}x as fast as Code A"
            )
            s = s / base_speedup
            if ci is not None:
                ci = (ci[0] / base_speedup, ci[1] / base_speedup)
        which = verdict(s, ci)
        if which == "faster":
            degree = "significantly" if s >= SIGNIFICANT_SPEEDUP else "slightly"
            body = (
                f"{same} Code B gave the same results as Code A and is {degree} faster: "
                f"{ran}.\n\nWhy is Code B faster than Code A?"
            )
        elif which == "slower":
            body = (
                f"{same} Code B gave the same results as Code A but is slower: "
                f"{ran}.\n\nWhy is Code B slower than Code A?"
            )
        else:
            body = (
                f"{same} Code B gave the same results as Code A, and timing found no measurable "
                f"difference in speed: {ran}, which is within the noise of the measurement."
                "\n\nWhy does Code B's change not make it measurably faster than Code A?"
            )
    elif outcome == "incorrect":
        what = f" What differed:\n{fenced(detail, '')}" if detail else ""
        body = (
            "Code B ran, but for the same input it did not give the same results as Code A."
            f"{what}\n\nWhy does Code B give different results from Code A for the same input?"
        )
    elif outcome == "not_compilable":
        build = "compile" if language in _COMPILED else "load"
        first = "compiler's" if language in _COMPILED else "interpreter's"
        errors = f" The {first} first error lines:\n{fenced(detail, '')}" if detail else ""
        body = f"Code B does not {build}.{errors}\n\nWhy does Code B not {build}?"
    elif outcome == "timeout":
        limit = f" ({detail})" if detail else ""
        body = (
            f"Code B did not finish within the time limit and was stopped{limit}.\n\n"
            "Why does Code B take so long (for example a loop that never ends, or a much worse "
            "algorithm)?"
        )
    elif outcome == "crashed":
        how = f" ({detail})" if detail else ""
        body = (
            f"Code B crashed when it ran{how}.\n\nWhy does Code B crash (for example an "
            "out-of-bounds access, a null pointer, unbounded recursion or too much memory)?"
        )
    else:
        body = f"Code B's outcome was: {outcome}. {detail}\n\nWhat explains this outcome?"
    tail = (
        "Answer in one or two sentences of plain prose, without code, phrased as a lesson "
        "another programmer could apply when optimizing this code."
    )
    return f"{head}\n\n{body}\n\n{tail}\n"


# ============================================================================================
# Benchmark strategies (`lessonl bench`): the prompts of the methods LessonL is compared with.
#
# Every code-writing call of every strategy is `optimize_prompt(ctx, language, ())` with the
# strategy's material below passed as its `emphasis`, so the task and the answer format are
# word for word the same across strategies; only the method differs.
# ============================================================================================

COT_EMPHASIS = (
    "Think step by step before writing any code. First, say in a few sentences what the code "
    "computes and its time and memory complexity. Second, list its performance bottlenecks: "
    "algorithmic complexity, redundant or repeated work, memory access patterns, allocations, "
    "branches, work the compiler cannot vectorize. Third, choose the optimizations that remove "
    "those bottlenecks without changing any result, including on edge cases. Only then write "
    "the code."
)


#: How many inputs the skeptic is asked for (the runner keeps at most 64 calls of them).
SKEPTIC_INPUTS = 30


def skeptic_prompt(
    original: str,
    candidate: str,
    qualname: str,
    samples: Sequence[str],
    error: str | None = None,
) -> str:
    """The skeptic (docs/method.md, "The skeptic"): the original and a would-be winner side by
    side, and a request for inputs on which they may behave differently, as the same
    `generate_inputs()` the input generator writes, so the runner's generator path runs them.
    It names the classes of inputs tests tend to miss, because a rewrite that passes every
    recorded call is wrong, when it is, exactly where the tests never looked. `error` is why
    the previous answer gave no usable inputs: the one second attempt shows it to the model."""
    shown = "\n".join(f"    {s}" for s in samples) or "    (none were recorded)"
    again = (
        f"\nYour previous generate_inputs() gave no usable inputs: {error}\nWrite a corrected "
        "one: complete, runnable code with concrete values (no `...` placeholders).\n"
        if error
        else ""
    )
    return f"""Your job is to find inputs on which the two Python functions below behave \
differently. The candidate is a faster rewrite of the original `{qualname}`; it already gives the
same results on every call recorded from the project's tests, so look where those tests do not:

- argument types the tests never pass (a list where they pass tuples or strings, a subclass,
  a generator, None, bytes instead of str, floats instead of ints, numpy-free custom objects);
- aliasing and mutation (does one of them change or keep a reference to an argument?);
- empty, single-element and large inputs (a few thousand elements at most);
- ties, duplicates, negative numbers, zero, NaN, very large or very small numbers;
- unicode, special characters, regular-expression metacharacters, groups in user patterns.

Original:
{_block(original, "python")}

Candidate:
{_block(candidate, "python")}

Calls recorded from the project's tests:
{shown}

Write a Python function `generate_inputs()` that returns a list of about {SKEPTIC_INPUTS} inputs,
each a pair `(args, kwargs)`: `args` a tuple of positional arguments (for a method, the
instance first), `kwargs` a dict; favour inputs on which you suspect a difference. It must be
deterministic (use `random.Random(1234)`, never the global random or the clock), do no I/O,
and finish within a second. You may import the standard library and the function's own
module.
{again}
Reply with one ```python fenced block containing only that code."""


def outcome_text(evaluation: EvaluationLike, language: str) -> str:
    """A variant's measured outcome in words, with the evidence (for feedback prompts)."""
    outcome = str(evaluation.outcome)
    detail = _clip(evaluation.detail)
    if outcome == "correct":
        s = evaluation.speedup if evaluation.speedup is not None else 1.0
        interval = ""
        if evaluation.ci95 is not None and len(evaluation.ci95) == 2:
            lo, hi = evaluation.ci95
            interval = f" (95% confidence interval {lo:.2f}x to {hi:.2f}x)"
        which = verdict(s, evaluation.ci95)
        if which == "same":
            return (
                f"It gave the same results as the original and ran {s:.2f}x as fast{interval}: "
                "no measurable difference from the original."
            )
        return (
            f"It gave the same results as the original and ran {s:.2f}x as fast{interval}, "
            f"so it is {which} than the original."
        )
    evidence = f"\n{fenced(detail, '')}" if detail else ""
    if outcome == "incorrect":
        return "It ran but gave different results from the original. What differed:" + evidence
    if outcome == "not_compilable":
        build = "compile" if language in ("c", "cpp") else "load"
        return f"It did not {build}. The first error lines:" + evidence
    if outcome == "timeout":
        return "It did not finish within the time limit and was stopped." + evidence
    if outcome == "crashed":
        return "It crashed when it ran." + evidence
    return f"Its outcome was: {outcome}." + evidence


def reflexion_reflect_prompt(
    ctx_code: str, language: str, attempt_code: str, evaluation: EvaluationLike
) -> str:
    """Reflexion's self-reflection: the actor explains its own graded attempt, in words, as a
    note to itself for the next trial (Shinn et al. 2023)."""
    lang = _lang(language)
    return (
        f"You were asked to make this {lang} code faster without changing its results:\n"
        f"{_block(ctx_code, language)}\n\nYour attempt:\n{_block(attempt_code, language)}\n\n"
        f"It was built, tested and timed on the same machine as the original. "
        f"{outcome_text(evaluation, language)}\n\n"
        "Reflect on this attempt in a few sentences: diagnose why it turned out this way, and "
        "state concretely what you will do differently in your next attempt. Do not write code.\n"
    )


def reflexion_emphasis(
    attempt_code: str, language: str, evaluation: EvaluationLike, reflections: Sequence[str]
) -> str:
    """The actor's next trial: its last attempt, the outcome and its own reflections."""
    notes = "\n".join(f"{i + 1}. {' '.join(r.split())}" for i, r in enumerate(reflections))
    return (
        f"Your previous attempt:\n{_block(attempt_code, language)}\n"
        f"{outcome_text(evaluation, language)}\n\n"
        f"Your reflections on your attempts so far (most recent last):\n{notes}\n\n"
        "Apply these reflections and write an improved version: if the previous attempt was "
        "correct and faster, build on it; otherwise fix what went wrong."
    )


def moa_aggregate_emphasis(proposals: Sequence[str], language: str) -> str:
    """Mixture-of-Agents' aggregate-and-synthesize step (Wang et al. 2024): the proposals of
    the previous layer, unranked and ungraded, to be critically merged into one answer."""
    shown = "\n\n".join(
        f"Proposal {i + 1}:\n{_block(p, language)}" for i, p in enumerate(proposals)
    )
    return (
        "Several programmers have each proposed a faster version of this code. Their proposals "
        "follow; some may be incorrect, fail to compile, or be slower than the original. "
        "Critically evaluate them and synthesize a single version that combines their sound "
        "ideas and avoids their mistakes, rather than copying one of them.\n\n" + shown
    )


def mapcoder_recall_prompt(ctx_code: str, language: str, k: int) -> str:
    """MapCoder's retrieval agent (Islam et al. 2024): the model recalls similar solved
    problems from its own memory, each with a plan and code."""
    lang = _lang(language)
    return (
        f"Here is some {lang} code that is to be made faster without changing its results:\n"
        f"{_block(ctx_code, language)}\n\n"
        f"Recall {k} relevant and distinct problems you know in which similar code was made "
        "faster (not this exact code). For each one write a heading `## Example N`, then: the "
        "problem in one or two sentences; the optimization technique that made it fast; a "
        "step-by-step plan of that optimization; and the optimized code in a fenced block.\n"
    )


def mapcoder_plan_prompt(ctx_code: str, language: str, examples: str, k: int) -> str:
    """MapCoder's planning agent: plans for this problem, learned from the recalled examples,
    each with a confidence score used to order them."""
    lang = _lang(language)
    return (
        f"Here are examples of {lang} optimization problems with their plans and solutions:\n\n"
        f"{examples.strip()}\n\nNow the {lang} code to make faster without changing its "
        f"results (including on edge cases):\n{_block(ctx_code, language)}\n\n"
        f"Write {k} distinct step-by-step plans for optimizing this code, each drawing on the "
        "examples. Start each plan with a heading `## Plan N`, and end each plan with a line "
        "`Confidence: C`, where C is an integer from 0 to 100 saying how sure you are that the "
        "plan gives correct and faster code. Do not write code.\n"
    )


def mapcoder_code_emphasis(plan: str) -> str:
    """MapCoder's coding agent: turn the plan into code."""
    return f"Implement this plan:\n{plan.strip()}"


def mapcoder_debug_emphasis(
    plan: str, attempt_code: str, language: str, evaluation: EvaluationLike
) -> str:
    """MapCoder's debugging agent, fed by the harness instead of sample tests: fix a failing
    version, or, once it is correct, find what still limits its speed."""
    if str(evaluation.outcome) == "correct":
        task = (
            "It is correct. Find what still limits its speed and return a faster version that "
            "keeps it correct."
        )
    else:
        task = "Debug it: find the mistake and return a corrected version that is also fast."
    return (
        f"You are following this plan:\n{plan.strip()}\n\nYour implementation of it:\n"
        f"{_block(attempt_code, language)}\nIt was built, tested and timed against the original. "
        f"{outcome_text(evaluation, language)}\n\n{task}"
    )


_PLAN_HEAD = re.compile(r"^\s*#{1,4}\s*Plan\s*\d+\b.*$", re.I | re.M)
_CONFIDENCE = re.compile(r"confidence\s*[:=]?\s*(\d{1,3})", re.I)


def parse_plans(reply: str) -> list[tuple[str, int]]:
    """The (plan, confidence) pairs of a planning reply, most confident first (stable). A
    reply without `## Plan` headings is one plan; a missing confidence counts as 0."""
    heads = list(_PLAN_HEAD.finditer(reply))
    if heads:
        chunks = [
            reply[h.end() : heads[i + 1].start() if i + 1 < len(heads) else len(reply)]
            for i, h in enumerate(heads)
        ]
    else:
        chunks = [reply]
    plans: list[tuple[str, int]] = []
    for chunk in chunks:
        matches = list(_CONFIDENCE.finditer(chunk))
        confidence = min(100, int(matches[-1].group(1))) if matches else 0
        text = _CONFIDENCE.sub("", chunk).strip() if matches else chunk.strip()
        if text:
            plans.append((text, confidence))
    plans.sort(key=lambda p: -p[1])
    return plans


# --------------------------------------------------------------------------- native drivers

#: What every differential-driver prompt asks (and how the test fakes recognise it).
DRIVER_MARK = "differential driver"


@dataclass(frozen=True)
class DriverFacts:
    """What the driver's writer must know beyond the function's code (lessonl/native/reach.py):
    the rest of its file (the types its parameters use), that it is a template to instantiate
    or a method of `owner` (whose definition, when in another file, it is shown), and the
    language-standard flags the driver is compiled with."""

    context: str = ""  # the rest of the function's file, as the optimize prompt shows it
    template: bool = False  # a function template
    method: bool = False
    owner: str | None = None
    owner_template: bool = False  # the owner is a class template
    owner_text: str | None = None  # the owner's definition, when not in the function's file
    static: bool = False  # a static member function: called as `Owner::f(...)`, no object
    flags: str = ""


#: The most of a method's class shown to the driver's writer (its own file is shown in full).
_OWNER_CHARS = 6000


def _driver_facts(qualname: str, language: str, facts: DriverFacts) -> str:
    out = []
    if facts.context.strip():
        out.append(
            "The rest of its file, for the types and helpers it uses (read-only):\n\n"
            + _block(facts.context, language)
        )
    if facts.method and facts.static:
        out.append(
            f"`{qualname}` is a static member function: the program calls it as "
            f"`{qualname}(...)`, no object needed."
        )
    elif facts.method:
        owner = facts.owner or qualname.rsplit("::", 1)[0]
        out.append(
            f"`{qualname}` is a member function: the program constructs `{owner}` objects "
            "through their public constructors (varied contents, as for any input) and calls "
            "the method on them; print what it returns and, for a non-const method, the "
            "object's observable state after the call."
        )
        if facts.owner_text:
            shown = facts.owner_text
            if len(shown) > _OWNER_CHARS:
                shown = shown[:_OWNER_CHARS] + "\n// ... (rest of the class omitted)"
            out.append(f"The class, from another file (read-only):\n\n{_block(shown, language)}")
    if facts.template or facts.owner_template:
        what = "a template" if facts.template else "a member of a class template"
        out.append(
            f"`{qualname}` is {what}: the program instantiates it explicitly with the "
            "concrete types the project would use (for a numeric template, a floating-point "
            "type and an integer type, e.g. `f<double>(...)` and `f<long long>(...)`), and "
            "checks and times each instantiation."
        )
    if facts.flags:
        out.append(
            f"The program is compiled with the project's flags, {facts.flags}: write it in "
            "that language standard (e.g. under -std=c89, declarations at the top of blocks, "
            "no `//` comments, no `for (int i ...)`, and `lessonl_u64` for 64-bit integers)."
        )
    return "".join(f"\n{x}\n" for x in out)


def native_driver_prompt(
    code: str,
    qualname: str,
    language: str,
    preamble: str,
    error: str | None = None,
    facts: DriverFacts | None = None,
) -> str:
    """Ask for the program that checks and times a C/C++ function without a hand-written
    harness (lessonl/native/driver.py). `error` is why the previous attempt was dropped: the
    one second attempt shows it to the model."""
    again = (
        f"\nYour previous driver was dropped: {error}\nWrite a corrected one.\n" if error else ""
    )
    about = _driver_facts(qualname, language, facts or DriverFacts())
    return f"""Write a {DRIVER_MARK} for the {_lang(language)} function `{qualname}` below: a
small program that calls it on many inputs, so that faster rewrites of it can be checked
against the original's output and timed.

{_block(code, language)}
{about}
The program must start with exactly these lines (they make `{qualname}` and LessonL's helpers
visible; do not copy the function):

{_block(preamble, language)}

Its `main(int argc, char **argv)`:
- generates inputs deterministically (a fixed-seed generator you write, never rand() seeded by
  the clock): edge cases (empty, one element, duplicates, negative values, extremes) and a few
  larger inputs (thousands of elements at most);
- without arguments, calls the function on each input and prints each result on its own line
  in a canonical form (integers with %lld, doubles with lessonl_print_double(x)), and nothing
  else that could vary between runs (no addresses, no times);
- when `lessonl_timing(argc, argv)` is true, prints no results: it builds one large input,
  then 5 times copies it fresh and runs `LESSONL_TIMED(...)` around the calls only (enough
  calls that one timed region takes at least 10 ms), passing each result to
  `lessonl_sink_u64`, `lessonl_sink_double` or `lessonl_sink_ptr` so the calls are not
  optimized away;
- frees what it allocates, reads no files, uses no threads, and returns 0.
{again}
Reply with one ```{_FENCE_TAGS.get(language, language)} fenced block containing the whole
program."""


def native_skeptic_prompt(
    original: str, candidate: str, qualname: str, language: str, preamble: str
) -> str:
    """The skeptic for a C/C++ function (lessonl/native/skeptic.py): like `skeptic_prompt`, but
    the inputs come as a program shaped like the differential driver, which LessonL runs
    against the original and the candidate and compares (sanitized)."""
    return f"""Your job is to find inputs on which the two {_lang(language)} functions below \
behave differently. The candidate is a faster rewrite of the original `{qualname}`; it already
gives the same results as the original on the inputs of LessonL's checking program and
passes the project's tests, so look where those do not:

- sizes the checks may skip: empty, one element, sizes around powers of two and loop-unrolling
  boundaries (3, 4, 5, 7, 8, 9, 15, 16, 17, 63, 64, 65), and a few thousand elements;
- ties, duplicates, negative numbers, zero, INT_MIN/INT_MAX and overflow boundaries, NaN,
  infinities, denormals, very large or very small values;
- aliasing (the same buffer passed twice), unusual argument values the callers may pass.

Original:
{_block(original, language)}

Candidate:
{_block(candidate, language)}

Write a small program that starts with exactly these lines:

{_block(preamble, language)}

and whose `main` calls `{qualname}` on about {SKEPTIC_INPUTS} such inputs, generated
deterministically (no clock, no rand() seeded by time), printing each result on its own line
(integers with %lld, doubles with lessonl_print_double(x)) and nothing that varies between
runs. LessonL runs it once against each function and compares the output. It must free what it
allocates, read no files, use no threads, finish within a second and return 0. Reply with one
```{_FENCE_TAGS.get(language, language)} fenced block containing the whole program."""
