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
