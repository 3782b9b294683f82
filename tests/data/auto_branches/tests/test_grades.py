from marks.grades import grade


def test_top_grades():
    assert grade(95) == "A"
    assert grade(80) == "B"
