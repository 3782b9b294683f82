"""Per-key totals of (key, value) records (wrong on purpose: drops keys whose total is 0)."""


def group_sums(records: list[tuple[str, float]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for key, value in records:
        totals[key] = totals.get(key, 0) + value
    return {key: total for key, total in totals.items() if total}
