from geom.shapes import Box, Point, inside

BOX = Box(Point(0, 0), Point(4, 3))


def test_inside():
    assert inside(BOX, Point(1, 1))
    assert inside(BOX, Point(4, 3))


def test_outside():
    assert not inside(BOX, Point(-1, 1))
    assert not inside(BOX, Point(5, 1))
    assert not inside(BOX, Point(1, -2))
    assert not inside(BOX, Point(1, 9))
