"""Counting even numbers. The tests below only ever pass lists of integers: a rewrite that
breaks on floats (`v & 1`) reproduces every recorded call, and only inputs of a type the tests
never pass, such as a skeptic would choose, show that it is wrong."""


def count_even(values):
    """How many of the values are even (floats included: 4.0 is even, 4.5 is not)."""
    evens = []
    for v in values:
        if v % 2 == 0:
            evens = evens + [v]  # noqa: RUF005 (the slow original: a copy per even value)
    return len(evens)
