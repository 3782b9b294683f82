"""Order-keeping de-duplication. The project's tests pass only strings, tuples and an empty
list: a rewrite that skips copying its input "when it is already a list" empties a caller's
list, and no recorded call can show it (issue 29)."""


def ordered_unique(items):
    """The distinct items of `items` in order of first appearance, as a new list."""
    pending = list(items)
    pending.reverse()
    seen = set()
    out = []
    while pending:
        item = pending.pop()
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
