"""Prices of well-known hosted models, in USD per million tokens (input, output).

Kept small on purpose: a price we are not sure of is worse than none, because a budget
(`max_cost_usd`) would then stop a run at the wrong moment. Unknown price -> cost None, never 0.
Users override per agent with `price_in_per_mtok` / `price_out_per_mtok`. Dated snapshots
("gpt-4o-2024-08-06", "claude-sonnet-4-5-20250929") match their family by longest prefix.
Figures are the providers' list prices for standard (non-batch) use as of late 2025; newer
models are left out until someone checks their price (they report cost None).
"""

from __future__ import annotations

PRICES: dict[str, tuple[float, float]] = {
    # OpenAI
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    # Anthropic
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-sonnet-4-5": (3.00, 15.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-opus-4-1": (15.00, 75.00),
    "claude-opus-4-5": (5.00, 25.00),
}


def lookup(model: str) -> tuple[float, float] | None:
    """The (input, output) price of `model` by exact name, else by longest known prefix."""
    name = model.lower().rsplit("/", 1)[-1]
    if name in PRICES:
        return PRICES[name]
    best = max((k for k in PRICES if name.startswith(k + "-")), key=len, default=None)
    return PRICES[best] if best else None


def resolve(
    model: str, price_in: float | None = None, price_out: float | None = None, *, free: bool = False
) -> tuple[float, float] | None:
    """The price to charge: per-agent overrides first, then the table; `free` for local models
    (known to cost nothing). None when either half is unknown."""
    if free and price_in is None and price_out is None:
        return (0.0, 0.0)
    table = lookup(model)
    p_in = price_in if price_in is not None else (table[0] if table else None)
    p_out = price_out if price_out is not None else (table[1] if table else None)
    if p_in is None or p_out is None:
        return None
    return (p_in, p_out)


def cost(price: tuple[float, float] | None, input_tokens: int, output_tokens: int) -> float | None:
    if price is None:
        return None
    return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000
