from itertools import accumulate


def prefix_max(values):
    """out[i] = max(values[: i + 1])."""
    return list(accumulate(values, max))
