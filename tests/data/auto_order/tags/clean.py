"""Tag cleaning. The tests below only check WHICH tags come out, not their order: a rewrite
that loses the order passes them, and only the recorded calls can reject it."""


def unique_tags(tags):
    """Lower-cased tags without repeats, in order of first appearance."""
    seen = []
    for tag in tags:
        tag = tag.strip().lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen
