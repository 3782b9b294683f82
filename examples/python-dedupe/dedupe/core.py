"""Removing duplicates from a list while keeping the first occurrence of each item.

This version is deliberately slow but correct: `item not in seen` scans a list, so the whole
function is quadratic. It is the starting point for
`lessonl optimize examples/python-dedupe/dedupe/core.py:dedupe`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable


def dedupe(items: Iterable[Hashable]) -> list[Hashable]:
    """The items in their original order, each kept only at its first occurrence."""
    seen: list[Hashable] = []
    result: list[Hashable] = []
    for item in items:
        if item not in seen:
            seen.append(item)
            result.append(item)
    return result
