"""A function whose tests reach two of its five outcomes: the recorded calls cover a part of
its branches, and the inputs derived from them (other integers) must cover the rest."""


def grade(score):
    """The letter for a 0-100 score; a score out of range is an error."""
    if score < 0 or score > 100:
        raise ValueError(f"score out of range: {score}")
    if score >= 90:
        return "A"
    if score >= 75:
        return "B"
    if score >= 50:
        return "C"
    return "F"
