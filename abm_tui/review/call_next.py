"""Who to call next: for each gap in an account's buying group, the person to reach or the titles to
look for (DESIGN §3 gaps; the titles come from the title-role rules' `look_for`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from abm_tui.importers.roles import look_for


@dataclass(frozen=True)
class Person:
    """A contact as the call list needs it."""

    role: str
    name: str | None
    title: str | None
    email: str | None
    phone: str | None
    last_touch: date | None


def people(rows: list[tuple]) -> list[Person]:
    """`store.repo.people_to_call` rows as persons (the last touch as a day)."""
    return [
        Person(role, name, title, email, phone, _day(last)) for role, name, title, email, phone, last in rows
    ]


def _day(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def role_words(role: str) -> str:
    return role.replace("_", " ")


def who_to_call(gaps: Mapping[str, str], people: list[Person], as_of: date) -> list[str]:
    """One line per gap, in the buying group's order: a silent role → its contact touched last (name,
    title, e-mail, phone, days since); a missing or thin one → the titles to look for."""
    out = []
    for role, gap in gaps.items():
        if gap == "silent":
            mine = [p for p in people if p.role == role]
            if not mine:
                continue
            p = max(mine, key=lambda p: (p.last_touch or date.min, bool(p.phone), p.name or ""))
            reach = " · ".join(x for x in (p.email, p.phone) if x) or "no e-mail or phone on file"
            since = f"last touch {(as_of - p.last_touch).days} d ago" if p.last_touch else "never touched"
            who = p.name or "(no name)"
            title = f" ({p.title})" if p.title else ""
            out.append(f"{role_words(role).capitalize()} silent: call {who}{title} · {reach} · {since}")
        elif gap in ("missing", "thin"):
            titles = ", ".join(look_for().get(role, ())) or "the role's usual titles"
            what = "find one" if gap == "missing" else "find another"
            out.append(f"{role_words(role).capitalize()} {gap}: {what}, look for {titles}")
    return out
