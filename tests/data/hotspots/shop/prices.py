"""A small project with one hot function, one cold one and a generator (for lessonl hotspots)."""


def total_with_tax(prices):
    """Hot: quadratic on purpose (membership tests on a list)."""
    seen = []
    total = 0.0
    for p in prices:
        if p not in seen:
            seen.append(p)
        total += p * 1.2
    return total


def label(price):
    """Cold: called once."""
    return f"{price:.2f} EUR"


def running(prices):
    """A generator: listed, but not optimizable."""
    acc = 0.0
    for p in prices:
        acc += p
        yield acc


class Basket:
    def __init__(self, prices):
        self.prices = prices

    def summary(self):
        return label(total_with_tax(self.prices)), list(running(self.prices))[-1]
