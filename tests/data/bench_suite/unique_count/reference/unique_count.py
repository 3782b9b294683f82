def unique_count(items):
    """Number of distinct values in `items`."""
    return len(set(items))
