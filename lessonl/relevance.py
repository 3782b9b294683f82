"""Relevance of lesson texts to a piece of code: TF-IDF cosine similarity (scikit-learn).

The paper scored relevance with CodeBERT [CLS] vectors; TF-IDF needs no model download and
scores a few hundred lessons in about a millisecond, which matters because selection runs every
round (scikit-learn itself takes about a second to import, so it is imported on first use).
Tokens are identifiers and words, with snake_case and camelCase split as well as kept whole, so
a lesson that says "the inner loop over `bins`" meets code that uses `bins[i]`.
"""

from __future__ import annotations

import re
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
    # Imported here: scikit-learn takes about a second to import, which every `lessonl`
    # command and the language server would otherwise pay at start-up.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    vectorizer = TfidfVectorizer(
        tokenizer=tokenize, lowercase=False, token_pattern=None, sublinear_tf=True
    )
    try:
        matrix = vectorizer.fit_transform([query, *documents])
    except ValueError:  # empty vocabulary: no identifiers anywhere
        return [0.0] * len(documents)
    sims = cosine_similarity(matrix[0], matrix[1:])[0]
    return [float(s) for s in sims]
