def prefix_max(values):
    """out[i] = max(values[: i + 1]) (quadratic: every prefix is scanned again)."""
    return [max(values[: i + 1]) for i in range(len(values))]
