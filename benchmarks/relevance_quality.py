"""How well `lessonl.relevance` ranks lessons, on a realistic bank; and how fast it does it.

Selection (docs/method.md section 3) fills part of every prompt with the lessons most relevant
to the code being optimized, and `lessons search` ranks by the same score, so a scorer must put
the lessons written about *this* code first. The bank is `relevance_lessons.py`: three lessons
per problem of benchmarks/serial (84), written like the agents' lessons, some naming the code's
identifiers and some only the idea or the failure.

Two tasks, each over every problem:
- `select`: the query is the problem's function as the loop passes it (`regions.prompt_context`
  code), the pool the lessons of the same language (as `LessonBank.select` and `.relevant`
  filter them). Relevant: the problem's own 3 lessons (gain 2) and those of problems of the same
  category (gain 1).
- `search`: the query is the problem's one-line description (what a user types into
  `lessons search`), the pool every lesson.

Figures per scorer: top-1 (share of queries whose first lesson is one of its own), MRR of the
first own lesson, recall@4 (own lessons among the first 4: k = lessons_per_prompt), nDCG@4 with
the gains above. If scikit-learn is installed, the TF-IDF that LessonL used before
(`TfidfVectorizer(sublinear_tf=True)` with our tokenizer, cosine) is scored too, with the
agreement of the two: same first lesson, overlap of the first 4, Spearman correlation of the
whole ranking. Then the time per call (the 66-lesson C++ pool, and a 1,000-lesson pool) and the
first call in a fresh interpreter, import included.

    .venv/bin/python benchmarks/relevance_quality.py
    .venv/bin/pip install scikit-learn && .venv/bin/python benchmarks/relevance_quality.py
"""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from relevance_lessons import LESSONS

from lessonl import regions, relevance
from lessonl.bench.suite import Problem, discover

SUITE = Path(__file__).resolve().parent / "serial"
K = 4
Scorer = Callable[[str, Sequence[str]], list[float]]


@dataclass(frozen=True)
class Doc:
    problem: str
    category: str
    language: str
    text: str


@dataclass(frozen=True)
class Query:
    problem: str
    category: str
    text: str
    pool: tuple[Doc, ...]


def sklearn_scores(query: str, documents: Sequence[str]) -> list[float]:
    """The scorer LessonL shipped before its own TF-IDF (scikit-learn), kept for comparison."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    if not documents:
        return []
    vectorizer = TfidfVectorizer(
        tokenizer=relevance.tokenize, lowercase=False, token_pattern=None, sublinear_tf=True
    )
    try:
        matrix = vectorizer.fit_transform([query, *documents])
    except ValueError:
        return [0.0] * len(documents)
    return [float(s) for s in cosine_similarity(matrix[0], matrix[1:])[0]]


def build(problems: Sequence[Problem]) -> tuple[list[Query], list[Query], list[Doc]]:
    by_name = {p.name: p for p in problems}
    missing = sorted(set(by_name) ^ set(LESSONS))
    if missing:
        sys.exit(f"relevance_lessons.py and the suite disagree on: {', '.join(missing)}")
    docs = [
        Doc(name, by_name[name].category, by_name[name].language, text)
        for name in by_name
        for text in LESSONS[name]
    ]
    select, search = [], []
    for p in problems:
        source = (p.path / p.file).read_text(encoding="utf-8")
        code = regions.prompt_context(source, p.language, p.function).code
        same_language = tuple(d for d in docs if d.language == p.language)
        select.append(Query(p.name, p.category, code, same_language))
        search.append(Query(p.name, p.category, p.description, tuple(docs)))
    return select, search, docs


def ranking(scorer: Scorer, q: Query) -> list[int]:
    """Pool indices best first; ties keep pool order (the bank breaks them by age)."""
    sims = scorer(q.text, [d.text for d in q.pool])
    return sorted(range(len(q.pool)), key=lambda i: -sims[i])


def gain(q: Query, d: Doc) -> int:
    return 2 if d.problem == q.problem else 1 if d.category == q.category else 0


def quality(queries: Sequence[Query], ranks: Sequence[list[int]]) -> dict[str, float]:
    top1 = mrr = recall = ndcg = 0.0
    for q, order in zip(queries, ranks, strict=True):
        own = [i for i, d in enumerate(q.pool) if d.problem == q.problem]
        position = next(n for n, i in enumerate(order) if q.pool[i].problem == q.problem)
        top1 += position == 0
        mrr += 1 / (position + 1)
        recall += sum(q.pool[i].problem == q.problem for i in order[:K]) / min(K, len(own))
        dcg = sum(gain(q, q.pool[i]) / math.log2(n + 2) for n, i in enumerate(order[:K]))
        ideal = sorted((gain(q, d) for d in q.pool), reverse=True)[:K]
        ndcg += dcg / sum(g / math.log2(n + 2) for n, g in enumerate(ideal))
    n = len(queries)
    return {"top-1": top1 / n, "MRR": mrr / n, f"recall@{K}": recall / n, f"nDCG@{K}": ndcg / n}


def spearman(a: list[int], b: list[int]) -> float:
    pos_b = {item: n for n, item in enumerate(b)}
    n = len(a)
    d2 = sum((r - pos_b[item]) ** 2 for r, item in enumerate(a))
    return 1 - 6 * d2 / (n * (n * n - 1))


def agreement(ours: Sequence[list[int]], theirs: Sequence[list[int]]) -> dict[str, float]:
    n = len(ours)
    return {
        "same top-1": sum(a[0] == b[0] for a, b in zip(ours, theirs, strict=True)) / n,
        f"top-{K} overlap": sum(
            len(set(a[:K]) & set(b[:K])) / K for a, b in zip(ours, theirs, strict=True)
        )
        / n,
        "Spearman": statistics.mean(spearman(a, b) for a, b in zip(ours, theirs, strict=True)),
    }


def per_call_ms(scorer: Scorer, query: str, pool: Sequence[str], repeat: int) -> float:
    scorer(query, pool)  # warm: imports, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        scorer(query, pool)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def first_call_ms(setup: str) -> float:
    """A fresh interpreter's first call, import included (median of 3). `setup` defines `f`."""
    code = (
        "import time; t = time.perf_counter(); "
        f"{setup}; f('int main() {{}}', ['a lesson about main', 'another']); "
        "print((time.perf_counter() - t) * 1000)"
    )
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        runs.append(float(out.stdout))
    return statistics.median(runs)


SKLEARN_FIRST_CALL = (
    "from sklearn.feature_extraction.text import TfidfVectorizer; "
    "from sklearn.metrics.pairwise import cosine_similarity; "
    "from lessonl.relevance import tokenize; "
    "f = lambda q, d: cosine_similarity(*(lambda m: (m[0], m[1:]))(TfidfVectorizer("
    "tokenizer=tokenize, lowercase=False, token_pattern=None).fit_transform([q, *d])))"
)


def row(name: str, figures: dict[str, float]) -> str:
    return f"  {name:<22}" + "  ".join(f"{k} {v:.3f}" for k, v in figures.items())


def main() -> None:
    select, search, docs = build(discover(SUITE))
    scorers: dict[str, Scorer] = {"lessonl.relevance": relevance.scores}
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("(scikit-learn not installed: only lessonl.relevance is scored)")
    else:
        scorers["sklearn TF-IDF"] = sklearn_scores
    print(f"bank: {len(docs)} lessons over {len(select)} problems; k = {K}")
    for task, queries in (
        ("select (query: the function's code)", select),
        ("search (query: the problem's description)", search),
    ):
        print(task)
        ranks = {name: [ranking(s, q) for q in queries] for name, s in scorers.items()}
        for name, r in ranks.items():
            print(row(name, quality(queries, r)))
        if len(ranks) == 2:
            print(row("agreement", agreement(*ranks.values())))
    cpp = next(q for q in select if q.pool[0].language == "cpp")
    pool = [d.text for d in cpp.pool]
    big = [f"{t} ({n})" for n in range(math.ceil(1000 / len(docs))) for t in (d.text for d in docs)]
    print("time per call (median)")
    for name, s in scorers.items():
        small_ms = per_call_ms(s, cpp.text, pool, 200)
        big_ms = per_call_ms(s, cpp.text, big[:1000], 20)
        print(f"  {name:<22}{len(pool)} lessons {small_ms:.2f} ms  1000 lessons {big_ms:.1f} ms")
    print("first call in a fresh interpreter, import included (median of 3)")
    ms = first_call_ms("from lessonl.relevance import scores as f")
    print(f"  {'lessonl.relevance':<22}{ms:.0f} ms")
    if "sklearn TF-IDF" in scorers:
        print(f"  {'sklearn TF-IDF':<22}{first_call_ms(SKLEARN_FIRST_CALL):.0f} ms")


if __name__ == "__main__":
    main()
