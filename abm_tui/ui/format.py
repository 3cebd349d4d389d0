"""Small display helpers shared by the screens."""

from __future__ import annotations

from datetime import date

from rich.text import Text

from abm_tui.exporters import numbers

GAP_STYLE = {"missing": "bold red", "thin": "yellow", "silent": "magenta", "covered": "green"}
STAGE_STYLE = {
    "target": "dim",
    "reached": "",
    "engaged": "cyan",
    "mqa": "bold cyan",
    "opportunity": "bold yellow",
    "customer": "bold green",
}


def money(x: float | None, currency: str | None = None) -> str:
    return numbers.money(x, currency)


def days_ago(d: date | None, as_of: date) -> str:
    if d is None:
        return "never"
    n = (as_of - d).days
    return "today" if n == 0 else f"{n} d ago"


def score_text(score: int) -> Text:
    style = "bold green" if score >= 60 else "green" if score >= 40 else "yellow" if score >= 20 else "red"
    return Text(f"{score:>3}", style=style)


def role_name(role: str) -> str:
    return role.replace("_", " ")
