"""Money and rates in words, for tables, screens and minutes (plain Python: the first screen uses it)."""

from __future__ import annotations


def fmt_money(x: float | None) -> str:
    if x is None:
        return "–"
    if abs(x) >= 1_000_000_000:
        return f"{x / 1_000_000_000:.1f}B"
    if abs(x) >= 1_000_000:
        return f"{x / 1_000_000:.1f}M"
    if abs(x) >= 1_000:
        return f"{x / 1_000:.0f}k"
    return f"{x:.0f}"


def fmt_pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.0f} %"


SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹"}


def money(x: float | None, currency: str | None = None) -> str:
    """`€76k`, `$1.2M`, `76k CHF`; a plain number while the currency is unknown."""
    if not x:
        return "–"
    if not currency:
        return fmt_money(x)
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{fmt_money(x)}" if symbol else f"{fmt_money(x)} {currency}"


def currencies(settings: dict[str, str]) -> list[tuple[str, int]]:
    """The deals' currencies with their counts, most used first (recorded by each import)."""
    out = []
    for part in (settings.get("data.currencies") or "").split(","):
        code, _, n = part.partition(":")
        if code:
            out.append((code, int(n or 0)))
    return out


def currency_of(settings: dict[str, str]) -> str | None:
    """The currency amounts are shown in: the `currency` setting, else the deals' (the most used one)."""
    chosen = (settings.get("currency") or "").strip().upper()
    if chosen:
        return chosen
    found = currencies(settings)
    return found[0][0] if found else None


def mixed_currencies(settings: dict[str, str]) -> str | None:
    """A warning when the deals are in more than one currency: their sums mix them."""
    found = currencies(settings)
    if len(found) < 2:
        return None
    parts = ", ".join(f"{code} {n:,}" for code, n in found)
    return f"deals in {len(found)} currencies ({parts}): sums add them as one"
