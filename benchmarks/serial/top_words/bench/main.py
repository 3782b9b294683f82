"""Check and bench for top_words (exact comparison of (word, count) lists)."""

import random

import lessonl_bench as lb

lb.add_src_to_path()
from top_words import top_words  # noqa: E402

SEPARATORS = [" ", " ", " ", "  ", "\n", "\t"]


def oracle(text, k):
    counts = {}
    for word in text.lower().split():
        counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))
    return ranked[: max(k, 0)]


def random_text(rng: random.Random, words: int, vocabulary: int) -> str:
    vocab = ["".join(rng.choice("abcdeXYZ") for _ in range(rng.randint(1, 6))) for _ in range(vocabulary)]
    parts = []
    for _ in range(words):
        parts.append(rng.choice(vocab))
        parts.append(rng.choice(SEPARATORS))
    return "".join(parts)


def check_case(text, k, what):
    want = oracle(text, k)
    got = [tuple(x) for x in top_words(text, k)]
    if got != want:
        lb.fail(f"{what} length={len(text)} k={k}: got {lb.short(got, 80)}, expected {lb.short(want, 80)}")


def check(rng: random.Random) -> None:
    check_case("", 3, "empty text")
    check_case("   \n ", 2, "only whitespace")
    check_case("word", 1, "single word")
    check_case("b a c", 2, "all ties")
    check_case("Apple apple APPLE pear", 5, "case folding, k > distinct")
    check_case("z y z y x", 0, "k = 0")
    check_case("late early late early", 1, "tie broken alphabetically, not by first occurrence")
    for words in (5, 100, 3000):
        for vocabulary in (3, 40, 1000):
            for k in (1, 5, 50):
                check_case(random_text(rng, words, vocabulary), k, "random")


def bench(rng: random.Random) -> None:
    lb.time_reps(
        5,
        lambda: random_text(rng, 6000, 400),
        lambda text: tuple(top_words(text, 20)),
    )


lb.main(check, bench)
