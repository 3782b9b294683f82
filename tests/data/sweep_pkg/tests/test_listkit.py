import pytest
from listkit import common, dedupe


def test_dedupe_small():
    assert dedupe(["the", "cat", "the", "hat"]) == ["the", "cat", "hat"]


@pytest.mark.parametrize("n", [0, 1, 5, 50, 300])
def test_dedupe_sizes(n):
    words = [f"w{i % 11}" for i in range(n)]
    assert dedupe(words) == [f"w{i}" for i in range(min(n, 11))]


def test_common_small():
    assert common([3, 1, 2, 3], [3, 2]) == [3, 2, 3]


@pytest.mark.parametrize("n", [0, 1, 7, 60, 300])
def test_common_sizes(n):
    a = list(range(n))
    assert common(a, a[::2]) == a[::2]
