"""`common` is deliberately slow (a list membership test per item), so a rewrite can win."""


def common(a, b):
    """The items of `a` that are also in `b`, in `a`'s order (repeats kept)."""
    return [x for x in a if x in b]
