"""Most frequent words (wrong on purpose: Counter.most_common breaks ties by first occurrence,
not alphabetically)."""

from collections import Counter


def top_words(text: str, k: int) -> list[tuple[str, int]]:
    if k <= 0:
        return []
    return Counter(text.lower().split()).most_common(k)
