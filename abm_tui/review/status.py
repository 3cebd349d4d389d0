"""What the header says about the data: which database, whether it is the demo, the as-of date and
why, and what the data cannot show yet (no engagements, several currencies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from abm_tui.exporters.numbers import currency_note


@dataclass(frozen=True)
class DataStatus:
    """The header's words for one snapshot."""

    title: str  # "abm-tui — maven.sqlite" (+ " · demo data")
    as_of: str  # "as of Sun 31 Dec 2017, the newest data"
    notes: tuple[str, ...]  # what the data cannot show yet, and the way on


def data_status(database: str, settings: dict[str, str], as_of: date, from_data: bool) -> DataStatus:
    demo = settings.get("data.demo") == "true"
    title = f"abm-tui — {database}" + (" · demo data" if demo else "")
    when = f"as of {as_of:%a %d %b %Y}" + (", the newest data" if from_data else "")
    notes = []
    if settings.get("data.engagements") == "false":
        notes.append(
            "No engagement data yet: scores, reach and stages need touches — import an engagements.csv "
            "(web visits, e-mails, meetings; README: The generic CSV format)."
        )
    money = currency_note(settings)
    if money:
        notes.append(f"Amounts: {money}.")
    return DataStatus(title, when, tuple(notes))
