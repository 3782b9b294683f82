def shout(text):
    """The text, loud: upper-cased, with an exclamation mark."""
    out = ""
    for ch in text:
        out += ch.upper()
    return out + "!"
