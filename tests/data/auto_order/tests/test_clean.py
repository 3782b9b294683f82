from tags.clean import unique_tags


def test_unique_tags_content():
    assert set(unique_tags(["b", "A", "a ", "c", "B"])) == {"a", "b", "c"}


def test_unique_tags_sizes():
    for n in (0, 3, 40):
        tags = [f"t{(i * 7) % 11}" for i in range(n)]
        assert len(unique_tags(tags)) == len(set(tags))
