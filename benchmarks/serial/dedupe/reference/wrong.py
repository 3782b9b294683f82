"""Order-preserving de-duplication (wrong on purpose: keeps each item at its LAST occurrence)."""

from collections.abc import Hashable


def dedupe(items: list[Hashable]) -> list[Hashable]:
    return list(reversed(dict.fromkeys(reversed(items))))
