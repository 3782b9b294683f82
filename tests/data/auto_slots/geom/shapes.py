"""Objects with `__slots__` and their own `__eq__`, and a pure predicate over them: recorded
calls and the inputs derived from them must still judge a correct rewrite correct."""


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    def __hash__(self):
        return hash((self.x, self.y))

    def __repr__(self):
        return f"Point({self.x}, {self.y})"


class Box:
    __slots__ = ("high", "low")

    def __init__(self, low, high):
        self.low = low
        self.high = high

    def __eq__(self, other):
        return isinstance(other, Box) and (self.low, self.high) == (other.low, other.high)


def inside(box, point):
    """Whether `point` lies in `box`, edges included."""
    if point.x < box.low.x:
        return False
    if point.x > box.high.x:
        return False
    if point.y < box.low.y:
        return False
    if point.y > box.high.y:  # noqa: SIM103 (one branch per edge: the coverage counts them)
        return False
    return True
