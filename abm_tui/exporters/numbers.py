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


def currencies(settings: dict[str, str]) -> tuple[list[tuple[str, int]], int]:
    """The deals' currencies with their counts, most used first, and how many deals have none
    (recorded by each import as `data.currencies`, e.g. "EUR:240,USD:5,:7")."""
    found, without = [], 0
    for part in (settings.get("data.currencies") or "").split(","):
        code, sep, n = part.rpartition(":")
        if not sep:
            continue
        if code:
            found.append((code, int(n or 0)))
        else:
            without += int(n or 0)
    return found, without


def currency_of(settings: dict[str, str]) -> str | None:
    """The currency amounts are shown in: the `currency` setting, else the deals' (the most used one)."""
    chosen = (settings.get("currency") or "").strip().upper()
    if chosen:
        return chosen
    found, _ = currencies(settings)
    return found[0][0] if found else None


def currency_note(settings: dict[str, str]) -> str | None:
    """What the screens must say about the amounts: several currencies summed, deals without one."""
    found, without = currencies(settings)
    shown = currency_of(settings)
    none = f"{without:,} deal{'s' if without != 1 else ''} without one" if without else ""
    if len(found) >= 2:
        parts = ", ".join(f"{code} {n:,}" for code, n in found)
        extra = f" and {none}" if none else ""
        return f"deals in {len(found)} currencies ({parts}){extra}: sums add them as one"
    if without and settings.get("currency"):
        return None  # the pair chose the currency: every amount is in it
    if without and shown:
        return f"{none}: shown in {shown}"
    if without:
        return "the deals have no currency: amounts are shown without one (palette: Set the currency)"
    return None
