"""The account screen's data: one account's rows, read through the account_id indexes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from abm_tui.review.call_next import Person, people, who_to_call
from abm_tui.review.database import Database
from abm_tui.review.rules import follow_up_text
from abm_tui.review.snapshot import AccountView, Snapshot
from abm_tui.review.targets import TargetRow

if TYPE_CHECKING:
    from abm_tui.metrics.dataset import Dataset


def account_view(db: Database, snap: Snapshot, account_id: int, meeting_id: int | None) -> AccountView | None:
    """The account screen's data: this account's rows only, read through the account_id indexes."""
    import pandas as pd
    from sqlmodel import Session

    from abm_tui.metrics.accounts import engagement_per_role, role_gaps
    from abm_tui.metrics.dataset import as_timestamp
    from abm_tui.metrics.opportunities import opportunities_as_of
    from abm_tui.store.repo import TABLES, account_details, load_dataset

    row = snap.row(account_id)
    if row is None:
        return None
    with Session(db.engine) as session:
        details = account_details(session=session, account_id=account_id)
        if details is None:
            return None
        session.expunge_all()
    tables = tuple(t for t in TABLES if t != "spend")  # spend is not per account
    ds, T = load_dataset(db.engine, ids={account_id}, tables=tables), as_timestamp(snap.as_of)
    per_role = engagement_per_role(ds, account_id, snap.as_of)
    gaps = role_gaps(ds, T, snap.params)[["role", "min_contacts", "contacts", "engaged", "gap"]]
    opps = opportunities_as_of(ds.opportunities, ds.stage_changes, T)
    names = {o.id: o.name for o in details["opportunities"]}
    money_in = {o.id: (o.currency or "").strip().upper() or snap.currency for o in details["opportunities"]}
    opp_rows = [
        {
            "name": names.get(o.id),
            "currency": money_in.get(o.id),
            "stage": o.current_stage,
            "amount": o.amount,
            "close_date": None if pd.isna(o.close_date) else o.close_date.date().isoformat(),
            "days_in_stage": None if pd.isna(o.days_in_stage) else int(o.days_in_stage),
            "outcome": "open" if o.is_open else "won" if o.is_won else "lost",
        }
        for o in _deal_order(opps).itertuples()
    ]
    changes, follow_ups = _since_last_meeting(db, snap, row, ds, meeting_id)
    s = ds.intent_signals
    s = s[(s["date"] <= T) & (s["date"] > T - pd.Timedelta(days=snap.params.intent_days))]
    s = s.sort_values(["date", "score", "topic"], ascending=[False, False, True], kind="stable")
    signals = tuple(
        (t, float(v), d.date()) for t, v, d in zip(s["topic"], s["score"], s["date"], strict=True)
    )
    return AccountView(
        row,
        details,
        row.score_inputs(),
        per_role,
        snap.as_of,
        gaps.to_dict("records"),
        opp_rows,
        snap.params.window_days,
        changes,
        follow_ups,
        signals,
        snap.params.intent_days,
        tuple(who_to_call(row.gaps, _people(db, account_id), snap.as_of)),
    )


def _people(db: Database, account_id: int) -> list[Person]:
    from abm_tui.store.repo import people_to_call

    with db.session() as session:
        return people(people_to_call(session=session, account_ids={account_id}).get(account_id, []))


def _since_last_meeting(
    db: Database, snap: Snapshot, row: TargetRow, ds: Dataset, meeting_id: int | None
) -> tuple[str, tuple[str, ...]]:
    from abm_tui.metrics.changes import changes_since
    from abm_tui.review.agenda import change_text
    from abm_tui.review.targets import metrics_frame
    from abm_tui.store import meetings

    account_id = row.id
    with db.session() as session:
        last = meetings.last_ended_meeting(session=session, before=meeting_id)
        follows = meetings.open_follow_ups(session=session, account_id=account_id)
        follow_ups = tuple(follow_up_text(f.text, f.owner, f.due_date) for f in follows)
    if last is None or last.started_at.date() >= snap.as_of:
        return "", follow_ups
    since = last.started_at.date()
    c = changes_since(ds, since, snap.as_of, snap.params, metrics_frame([row], snap.as_of))
    return f"Since the meeting of {since:%d %b}: " + change_text(c.loc[account_id]), follow_ups


def _deal_order(opps: Any) -> Any:
    """Open deals first, the next to close on top; then the closed ones, the latest first."""
    import pandas as pd

    open_ = opps[opps["is_open"]].sort_values(["close_date", "created_at"], na_position="last")
    closed = opps[~opps["is_open"]].sort_values(
        ["close_date", "created_at"], ascending=False, na_position="last"
    )
    return pd.concat([open_, closed])
