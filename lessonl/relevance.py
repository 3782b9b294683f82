"""Relevance of lesson texts to a piece of code: TF-IDF cosine similarity, in plain Python.

The paper scored relevance with CodeBERT [CLS] vectors; TF-IDF needs no model download and
scores a bank of a hundred lessons in milliseconds, which matters because selection runs every
round. It is the same weighting scikit-learn's `TfidfVectorizer(sublinear_tf=True)` computes
(tf = 1 + ln(count), smoothed idf = ln((1 + n) / (1 + df)) + 1, unit-length vectors), written
out here because that is all we used of scikit-learn and scipy (about 200 MB installed, a second
or more to import). `benchmarks/relevance_quality.py` checks the rankings agree with it and
measures both on a realistic bank.

Tokens are identifiers and words, with snake_case and camelCase split as well as kept whole, so
a lesson that says "the inner loop over `bins`" meets code that uses `bins[i]`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


def tokenize(text: str) -> list[str]:
    """Lower-case identifiers, plus their snake/camel parts (single letters dropped)."""
    out: list[str] = []
    for word in _WORD.findall(text):
        low = word.lower()
        if len(low) > 1:
            out.append(low)
        parts = [p.lower() for piece in word.split("_") for p in _CAMEL.findall(piece)]
        if len(parts) > 1:
            out.extend(p for p in parts if len(p) > 1)
    return out


def scores(query: str, documents: Sequence[str]) -> list[float]:
    """Cosine similarity of each document to `query` in a TF-IDF space fit on all of them.

    Returns zeros when there is nothing to compare (no documents, or no tokens at all).
    """
    if not documents:
        return []
    counts = [Counter(tokenize(text)) for text in (query, *documents)]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    n = len(counts)
    idf = {term: math.log((1 + n) / (1 + d)) + 1.0 for term, d in df.items()}
    vectors = [{t: (1.0 + math.log(k)) * idf[t] for t, k in c.items()} for c in counts]
    q = vectors[0]
    q_norm = _norm(q)
    out = []
    for doc in vectors[1:]:
        dot = sum(w * doc[t] for t, w in q.items() if t in doc)
        out.append(dot / (q_norm * _norm(doc)) if dot else 0.0)
    return out


def overlap(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' token sets (`tokenize`), 0.0 to 1.0.

    For telling rewordings of one lesson apart from different lessons: unlike the TF-IDF
    cosine, it does not depend on which other texts are in the pool."""
    x, y = set(tokenize(a)), set(tokenize(b))
    return len(x & y) / len(x | y) if x | y else 1.0


def _norm(vector: dict[str, float]) -> float:
    return math.sqrt(sum(w * w for w in vector.values()))
