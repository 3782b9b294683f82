"""Word helpers. `dedupe` is deliberately slow (quadratic), so a rewrite can win."""


def dedupe(words):
    """The words without repeats, each kept at its first occurrence, in order."""
    out = []
    for word in words:
        if word not in out:
            out.append(word)
    return out


def normalize(words):
    """Lower-case every word in place; returns how many changed."""
    changed = 0
    for i, word in enumerate(words):
        low = word.lower()
        if low != word:
            words[i] = low
            changed += 1
    return changed


class Counter:
    """Counts words seen so far."""

    def __init__(self):
        self.counts = {}

    def add(self, words):
        for word in words:
            self.counts[word] = self.counts.get(word, 0) + 1
        return len(self.counts)
