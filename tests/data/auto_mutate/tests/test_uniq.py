from seqtools.uniq import ordered_unique


def test_strings():
    assert ordered_unique("abracadabra") == ["a", "b", "r", "c", "d"]
    assert ordered_unique("") == []


def test_tuples():
    assert ordered_unique((3, 1, 3, 2, 1)) == [3, 1, 2]
    assert ordered_unique(("x",)) == ["x"]


def test_empty_list():
    assert ordered_unique([]) == []
