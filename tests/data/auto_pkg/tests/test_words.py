import pytest
from textkit import Counter, dedupe, normalize


def test_dedupe_small():
    assert dedupe(["the", "cat", "the", "hat"]) == ["the", "cat", "hat"]


@pytest.mark.parametrize("n", [0, 1, 5, 50, 200])
def test_dedupe_sizes(n):
    words = [f"w{i % 7}" for i in range(n)]
    assert len(dedupe(words)) == min(n, 7)


def test_dedupe_rejects_none():
    with pytest.raises(TypeError):
        dedupe(None)


def test_normalize():
    words = ["The", "cat", "HAT"]
    assert normalize(words) == 2
    assert words == ["the", "cat", "hat"]


def test_counter():
    c = Counter()
    assert c.add(["a", "b", "a"]) == 2
    assert c.add(["c"]) == 3
