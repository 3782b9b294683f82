from evens.count import count_even


def test_count_even_small():
    assert count_even([]) == 0
    assert count_even([1, 2, 3, 4]) == 2
    assert count_even([-2, -1, 0]) == 2


def test_count_even_sizes():
    for n in (10, 300, 1500):
        values = [(i * 7919) % 1000 - 500 for i in range(n)]
        assert count_even(values) == sum(1 for v in values if v % 2 == 0)
