from lexing.tokens import Keyword, Name, text_of


def test_text_of():
    tokens = [(Keyword, "def"), (Name.Function, "f"), (Name, "x"), (Keyword, "return")]
    assert text_of(tokens, Keyword) == "def return"
    assert text_of(tokens, Name) == "f x"
    assert text_of([], Name) == ""


def test_text_of_many():
    tokens = [(Name if i % 3 else Keyword, f"w{i}") for i in range(2000)]
    assert text_of(tokens, Keyword).split() == [f"w{i}" for i in range(0, 2000, 3)]
