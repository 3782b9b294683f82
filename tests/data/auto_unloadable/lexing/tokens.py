"""Token types like pygments' `_TokenType`: any attribute makes a sub-type (`Token.Name.Builtin`),
so pickle's lookup of `__setstate__` on a loaded token type gets a new token type instead of an
AttributeError. The types pickle, but loading them raises
"TypeError: 'TokenType' object is not callable": recorded calls cannot be replayed, though
nothing about them depends on a fixture."""


class TokenType(tuple):
    parent = None

    def __getattr__(self, name):
        new = TokenType((*self, name))
        new.parent = self  # an instance __dict__: pickle saves it and must set it back
        return new


Token = TokenType()
Name = Token.Name
Keyword = Token.Keyword


def text_of(tokens, kind):
    """The values of the tokens of type `kind` (or a sub-type of it), joined by spaces."""
    out = ""
    for ttype, value in tokens:
        if ttype[: len(kind)] == kind:
            if out:
                out = out + " "
            out = out + value
    return out
