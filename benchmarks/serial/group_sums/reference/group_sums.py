"""Per-key totals of (key, value) records."""


def group_sums(records: list[tuple[str, float]]) -> dict[str, float]:
    """Total value per key; keys appear in order of first occurrence, values are summed in
    record order. Keys whose total is zero are kept. One pass with a dict (insertion-ordered)."""
    totals: dict[str, float] = {}
    get = totals.get
    for key, value in records:
        totals[key] = get(key, 0) + value
    return totals
