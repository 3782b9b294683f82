"""Order-preserving de-duplication."""

from collections.abc import Hashable


def dedupe(items: list[Hashable]) -> list[Hashable]:
    """The items without repeats, each kept where it first occurs, in the original order.
    dict keys keep insertion order and the first insertion wins: O(n) with hashing."""
    return list(dict.fromkeys(items))
