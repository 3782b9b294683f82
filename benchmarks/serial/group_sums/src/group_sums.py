"""Per-key totals of (key, value) records."""


def group_sums(records: list[tuple[str, float]]) -> dict[str, float]:
    """Total value per key; keys appear in order of first occurrence, values are summed in
    record order. Keys whose total is zero are kept."""
    keys: list[str] = []
    for key, _ in records:
        if key not in keys:
            keys.append(key)
    return {key: sum(value for k, value in records if k == key) for key in keys}
