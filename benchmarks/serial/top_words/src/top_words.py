"""Most frequent words of a text."""


def top_words(text: str, k: int) -> list[tuple[str, int]]:
    """The k most frequent words (split on whitespace, lowercased) with their counts, most
    frequent first, equal counts in alphabetical order. Fewer when there are fewer words."""
    words = text.lower().split()
    counts = [(word, words.count(word)) for word in set(words)]
    counts.sort(key=lambda wc: (-wc[1], wc[0]))
    return counts[:k]
