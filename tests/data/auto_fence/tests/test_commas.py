from numfmt.commas import intcomma


def test_intcomma():
    assert intcomma(1000000) == "1,000,000"
    assert intcomma(-1234) == "-1,234"
    assert intcomma(12) == "12"
    for n in (0, 999, 1000, 10**12):
        assert intcomma(n).replace(",", "") == str(n)
