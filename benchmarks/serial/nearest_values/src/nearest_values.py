"""Nearest-value lookup."""


def nearest_values(values: list[int], queries: list[int]) -> list[int]:
    """For each query q, the element v of `values` minimising |v - q|, the smaller v on ties.
    `values` is non-empty and unsorted."""
    return [min(values, key=lambda v, q=q: (abs(v - q), v)) for q in queries]
