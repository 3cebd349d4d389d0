"""Follow-ups that get done: the list the Follow-ups screen shows (plain data, no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from abm_tui.review.database import Database

VIEWS = ("open", "overdue", "mine", "done", "all")  # what the screen's v key cycles through


@dataclass(frozen=True)
class FollowUpRow:
    id: int
    account_id: int
    account: str
    text: str
    owner: str | None
    due: date | None
    done: bool

    def overdue(self, today: date) -> bool:
        return not self.done and self.due is not None and self.due < today

    def status(self, today: date) -> str:
        return "done" if self.done else "overdue" if self.overdue(today) else "open"


def follow_up_rows(db: Database) -> list[FollowUpRow]:
    """Every standing follow-up with its account's name."""
    from abm_tui.store.meetings import all_follow_ups
    from abm_tui.store.repo import account_names

    with db.session() as session:
        follows = all_follow_ups(session=session)
        names = account_names(session=session, ids={f.account_id for f in follows})
    return [
        FollowUpRow(
            f.id or 0,
            f.account_id,
            names.get(f.account_id, "?"),
            f.text,
            f.owner,
            f.due_date,
            f.done_at is not None,
        )
        for f in follows
    ]


def select(rows: list[FollowUpRow], view: str, today: date, me: set[str]) -> list[FollowUpRow]:
    """The rows of a view: overdue first, then by due date (none last); `me`: the names that are mine."""
    mine = {m.strip().lower() for m in me if m and m.strip()}
    keep = {
        "open": lambda r: not r.done,
        "overdue": lambda r: r.overdue(today),
        "mine": lambda r: not r.done and (r.owner or "").strip().lower() in mine,
        "done": lambda r: r.done,
        "all": lambda r: True,
    }[view]
    chosen = [r for r in rows if keep(r)]
    return sorted(chosen, key=lambda r: (r.done, not r.overdue(today), r.due or date.max, r.id))
