"""`dedupe` is deliberately slow (a list membership test per word), so a rewrite can win."""


def dedupe(words):
    """The words without repeats, each kept at its first occurrence, in order."""
    out = []
    for word in words:
        if word not in out:
            out.append(word)
    return out
