"""lessonl.relevance: the TF-IDF weighting it promises, and that it stays light to import.

Ranking quality on a realistic bank (and agreement with scikit-learn's TF-IDF, which it
replaced) is measured by benchmarks/relevance_quality.py, not asserted here.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from lessonl.relevance import scores, tokenize


def test_tokens_keep_identifiers_whole_and_split() -> None:
    assert tokenize("sum += countBins(raw_data[i]);") == [
        "sum",
        "countbins",
        "count",
        "bins",
        "raw_data",
        "raw",
        "data",
    ]


def test_scores_are_sublinear_tf_smoothed_idf_cosine() -> None:
    # Three texts (query first): df(alpha) = 2, df(beta) = df(gamma) = 1.
    idf_alpha, idf_beta = math.log(4 / 3) + 1, math.log(4 / 2) + 1
    q_alpha, q_beta = (1 + math.log(2)) * idf_alpha, idf_beta  # "alpha" twice in the query
    expected = q_alpha * idf_alpha / (math.hypot(q_alpha, q_beta) * idf_alpha)
    got = scores("alpha alpha beta", ["alpha", "gamma"])
    assert got == [pytest.approx(expected, rel=1e-12), 0.0]


def test_nothing_to_compare_scores_zero() -> None:
    assert scores("x", []) == []
    assert scores("", ["a lesson"]) == [0.0]
    assert scores("loop over bins", ["", "+ - *"]) == [0.0, 0.0]


def test_scoring_imports_nothing_heavy() -> None:
    """The bank and the language server score on their first selection or search: no import of
    scikit-learn, scipy or numpy may come with it."""
    code = (
        "import sys; from lessonl.relevance import scores; scores('int main', ['main loop']); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'numpy'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
