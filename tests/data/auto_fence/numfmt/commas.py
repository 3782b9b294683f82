"""Number formatting whose docstring holds a Markdown fenced example, as real docstrings often
do: a reply's code block must not end at the docstring's own closing fence."""


def intcomma(value):
    """Converts an integer to a string containing commas every three digits.

    ```python
    >>> intcomma(1000000)
    '1,000,000'
    ```
    """
    text = str(int(value))
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    groups = []
    while len(text) > 3:
        groups.insert(0, text[-3:])
        text = text[:-3]
    groups.insert(0, text)
    return sign + ",".join(groups)
