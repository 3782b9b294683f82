"""Order-preserving de-duplication."""

from collections.abc import Hashable


def dedupe(items: list[Hashable]) -> list[Hashable]:
    """The items without repeats, each kept where it first occurs, in the original order."""
    result: list[Hashable] = []
    for item in items:
        if item not in result:
            result.append(item)
    return result
