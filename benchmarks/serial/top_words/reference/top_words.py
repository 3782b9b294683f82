"""Most frequent words of a text."""

import heapq
from collections import Counter


def top_words(text: str, k: int) -> list[tuple[str, int]]:
    """The k most frequent words (split on whitespace, lowercased) with their counts, most
    frequent first, equal counts in alphabetical order. Fewer when there are fewer words.
    One counting pass (Counter), then a bounded heap selection of k items."""
    if k <= 0:
        return []
    counts = Counter(text.lower().split())
    return heapq.nsmallest(k, counts.items(), key=lambda wc: (-wc[1], wc[0]))
