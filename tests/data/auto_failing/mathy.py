"""A module whose own tests fail before any change: LessonL must refuse to optimize it."""


def mean(values):
    return sum(values) / len(values)
