from shop.prices import Basket, label


def test_summary():
    basket = Basket([float(i) for i in range(3000)])
    text, last = basket.summary()
    assert text.endswith("EUR")
    assert last == sum(range(3000))


def test_label():
    assert label(1) == "1.00 EUR"
