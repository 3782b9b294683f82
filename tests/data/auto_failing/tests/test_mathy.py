from mathy import mean


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_mean_is_wrong_on_purpose():
    assert mean([1, 2]) == 2  # fails on the original
