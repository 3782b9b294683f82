def unique_count(items):
    """Number of distinct values in `items` (quadratic: a list lookup per item)."""
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return len(seen)
