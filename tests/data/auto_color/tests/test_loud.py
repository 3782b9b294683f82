from shout.loud import shout


def test_shout():
    for text in ("a", "hello", "Mixed Case"):
        assert shout(text) == text.upper() + "!"


def test_shout_says_it_is_loud():
    assert shout("x") == "X!"
    assert "loud" in (shout.__doc__ or ""), "shout's docstring must say it is loud"
