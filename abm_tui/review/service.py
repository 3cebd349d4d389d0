"""What the screens ask of the store and the metrics: snapshots to show, decisions to save.

Everything here runs in worker threads; it returns plain data and never touches widgets.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session

from abm_tui.metrics import Dataset, Params, account_metrics, funnel
from abm_tui.metrics.accounts import engagement_per_role, role_gaps
from abm_tui.metrics.dataset import as_timestamp
from abm_tui.metrics.opportunities import opportunities_as_of
from abm_tui.review.targets import TargetRow, build_rows
from abm_tui.store import decisions
from abm_tui.store.models import Decision
from abm_tui.store.repo import account_details, get_settings, load_dataset, resolve_as_of, set_setting


@dataclass(frozen=True)
class Snapshot:
    """Metrics of every account at one as-of date, as last loaded from the store."""

    as_of: date
    params: Params
    dataset: Dataset
    metrics: pd.DataFrame
    rows: list[TargetRow]
    settings: dict[str, str]

    def row(self, account_id: int) -> TargetRow | None:
        return next((r for r in self.rows if r.id == account_id), None)


@dataclass(frozen=True)
class AccountView:
    """Everything the account screen shows."""

    row: TargetRow
    details: dict[str, Any]
    metrics: pd.Series
    per_role: pd.DataFrame
    as_of: date
    gaps: list[dict[str, Any]]  # role, min_contacts, contacts, engaged, gap
    opportunities: list[dict[str, Any]]  # name, stage (as of T), amount, close_date, days_in_stage, outcome
    window_days: int = 90


class ReviewService:
    """The review's use cases over one database."""

    def __init__(self, engine: Engine, as_of: date | None = None):
        self.engine = engine
        self.as_of_override = as_of

    def load(self) -> Snapshot:
        with Session(self.engine) as session:
            settings = get_settings(session=session)
        as_of = resolve_as_of(settings, self.as_of_override)
        params = Params.from_settings(settings)
        ds = load_dataset(self.engine)
        metrics = account_metrics(ds, as_of, params)
        return Snapshot(as_of, params, ds, metrics, build_rows(ds.accounts, metrics), settings)

    def funnel(self, snap: Snapshot, tier: int | None = None, owner: str | None = None) -> dict[str, Any]:
        return funnel(snap.dataset, snap.as_of, snap.params, tier=tier, owner=owner, metrics=snap.metrics)

    def account_view(self, snap: Snapshot, account_id: int) -> AccountView | None:
        row = snap.row(account_id)
        if row is None:
            return None
        with Session(self.engine) as session:
            details = account_details(session=session, account_id=account_id)
            if details is None:
                return None
            session.expunge_all()
        ds, T = snap.dataset, as_timestamp(snap.as_of)
        per_role = engagement_per_role(ds, account_id, snap.as_of)
        gaps = role_gaps(ds, T, snap.params)
        gaps = gaps[gaps["account_id"] == account_id][["role", "min_contacts", "contacts", "engaged", "gap"]]
        opps = opportunities_as_of(
            ds.opportunities[ds.opportunities["account_id"] == account_id], ds.stage_changes, T
        )
        names = {o.id: o.name for o in details["opportunities"]}
        opp_rows = [
            {
                "name": names.get(o.id),
                "stage": o.current_stage,
                "amount": o.amount,
                "close_date": None if pd.isna(o.close_date) else o.close_date.date().isoformat(),
                "days_in_stage": None if pd.isna(o.days_in_stage) else int(o.days_in_stage),
                "outcome": "open" if o.is_open else "won" if o.is_won else "lost",
            }
            for o in opps.sort_values(["is_open", "created_at"], ascending=False).itertuples()
        ]
        return AccountView(row, details, snap.metrics.loc[account_id], per_role, snap.as_of,
                           gaps.to_dict("records"), opp_rows, snap.params.window_days)  # fmt: skip

    # -- decisions ---------------------------------------------------------------------------------

    def who(self) -> decisions.Who:
        with Session(self.engine) as session:
            name = get_settings(session=session).get("user_name")
        return decisions.Who(decided_by=name or getpass.getuser())

    def set_user_name(self, name: str) -> None:
        with Session(self.engine) as session:
            set_setting(session=session, key="user_name", value=name.strip())

    def retier(self, account_id: int, tier: int) -> Decision:
        with Session(self.engine) as session:
            return decisions.retier(session=session, account_id=account_id, tier=tier, who=self.who())

    def drop(self, account_id: int, reason: str) -> Decision:
        with Session(self.engine) as session:
            return decisions.drop(session=session, account_id=account_id, reason=reason, who=self.who())

    def restore(self, account_id: int) -> Decision:
        with Session(self.engine) as session:
            return decisions.restore(session=session, account_id=account_id, who=self.who())

    def note(self, account_id: int, text: str) -> Decision:
        with Session(self.engine) as session:
            return decisions.note(session=session, account_id=account_id, text=text, who=self.who())

    def undo(self) -> Decision:
        with Session(self.engine) as session:
            return decisions.undo(session=session, who=self.who())
