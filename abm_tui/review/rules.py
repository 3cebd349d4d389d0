"""The review rules of DESIGN §4 in words, in one place: a short label for the list's Agenda column
and a phrase for the account screen (the agenda's own reasons add the account's numbers)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class RuleWords(NamedTuple):
    """How one rule reads."""

    label: str  # the list's Agenda column
    phrase: str  # the account screen's "Needs a decision"


RULES: dict[str, RuleWords] = {
    "promote": RuleWords("promote?", "promote? (hot for its tier)"),
    "demote": RuleWords("demote/drop?", "demote or drop? (cold)"),
    "poor_fit": RuleWords("poor fit", "poor ICP fit"),
    "gap": RuleWords("gap", "a required role is missing on an open deal"),
    "stalled": RuleWords("stalled", "a deal is stalled"),
    "surge": RuleWords("surging", "surging intent while the buying group is quiet"),
    "add": RuleWords("add?", "fits and shows interest, but is not on the list"),
}


def and_list(words: list[str] | tuple[str, ...]) -> str:
    """'ERP', 'ERP and CRM', 'ERP, CRM and security'."""
    words = list(words)
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def follow_up_text(text: str, owner: str | None, due: date | None) -> str:
    """A follow-up in words, the same on the account screen and in the agenda."""
    return f"{text} ({owner or 'no owner'}" + (f", due {due:%d %b})" if due else ")")
