"""The funnel screen's data: its numbers from the list rows and the deals, never the touches.

Each account's part that needs the touches (its marketing-influenced pipeline) is stored with its list
row; the deals, the spend and the churn dates are read once (`Database.deals`). The frames built from a
snapshot's rows are kept, and patched where a decision changed a few rows rather than built again; each
tier's and owner's numbers are worked out once per snapshot. The stage velocity reads every stage
change, so it comes separately, after the numbers (`velocity`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from abm_tui.review.database import Database
from abm_tui.review.funnel_view import FunnelLine, funnel_lines, scope_frame, stage_counts_by_tier
from abm_tui.review.snapshot import Snapshot

if TYPE_CHECKING:
    import pandas as pd

    from abm_tui.metrics.dataset import Dataset

PATCH_AT_MOST = 1_000  # changed rows patched into the kept frames; more are built again


@dataclass(frozen=True)
class FunnelView:
    """What the funnel screen paints for one snapshot, tier and owner."""

    total: dict[str, Any]  # `metrics.funnel` but "velocity_days" (None)
    per_tier: dict[int, dict[str, int]]  # accounts per stage for each tier in scope
    lines: list[FunnelLine]


@dataclass(frozen=True)
class Inputs:
    """A snapshot's funnel data: accounts (in row order) and deals, metrics frame, deals as of its day."""

    snap: Snapshot
    ds: Dataset
    metrics: pd.DataFrame
    opps: pd.DataFrame

    @cached_property
    def accounts_by_id(self) -> pd.DataFrame:
        return self.ds.accounts.set_index("id", drop=False)


class FunnelDesk:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.RLock()  # the warm-up and the funnel screen may ask at once
        self._inputs: Inputs | None = None
        self._results: dict[tuple[str, int | None, str | None], Any] = {}  # for `_inputs.snap`

    def forget(self) -> None:
        """The data changed (an import, a new day): read the deals again next time."""
        with self._lock:
            self._inputs, self._results = None, {}

    def funnel(self, snap: Snapshot, tier: int | None = None, owner: str | None = None) -> dict[str, Any]:
        """The funnel metrics of `snap` but its stage velocity (None; see `velocity`)."""
        from abm_tui.metrics import funnel

        def work(i: Inputs) -> dict[str, Any]:
            return funnel(
                i.ds,
                snap.as_of,
                snap.params,
                tier=tier,
                owner=owner,
                metrics=i.metrics,
                opportunities=i.opps,
                with_velocity=False,
            )

        return self._once(snap, ("funnel", tier, owner), work)

    def view(self, snap: Snapshot, tier: int | None = None, owner: str | None = None) -> FunnelView:
        """The numbers with the accounts behind each, and the accounts per stage of each tier."""

        def work(i: Inputs) -> FunnelView:
            total = self.funnel(snap, tier, owner)
            scope = scope_frame(i.metrics, i.accounts_by_id, tier, owner)
            lines = funnel_lines(snap, total, scope, self.lost_by_reason(snap, tier, owner))
            return FunnelView(total, stage_counts_by_tier(scope, tier), lines)

        return self._once(snap, ("view", tier, owner), work)

    def lost_by_reason(
        self, snap: Snapshot, tier: int | None, owner: str | None
    ) -> dict[str, frozenset[int]]:
        """The accounts behind each loss reason of the funnel (its ABM deals lost in the period)."""
        from abm_tui.metrics.dataset import as_timestamp
        from abm_tui.metrics.funnel import groups
        from abm_tui.metrics.revenue import lost_deals

        def work(i: Inputs) -> dict[str, frozenset[int]]:
            abm, _ = groups(i.accounts_by_id, tier, owner)
            lost = lost_deals(i.opps, abm, as_timestamp(snap.as_of), snap.params)
            return {str(k): frozenset(int(a) for a in g) for k, g in lost.groupby("reason")["account_id"]}

        return self._once(snap, ("lost", tier, owner), work)

    def velocity(self, snap: Snapshot, tier: int | None = None, owner: str | None = None) -> dict[str, float]:
        """The funnel's stage velocity: over every stage change of its deals (the portfolio's read)."""
        from abm_tui.metrics.dataset import as_timestamp
        from abm_tui.metrics.funnel import abm_velocity, groups

        i = self.inputs(snap)
        abm, _ = groups(i.accounts_by_id, tier, owner)
        stage_changes = self.db.portfolio().stage_changes
        return abm_velocity(stage_changes, i.opps, abm, as_timestamp(snap.as_of), snap.params)

    def _once(self, snap: Snapshot, key: tuple, work) -> Any:
        with self._lock:
            i = self.inputs(snap)
            if key not in self._results:
                self._results[key] = work(i)
            return self._results[key]

    def inputs(self, snap: Snapshot) -> Inputs:
        """`snap`'s funnel data, kept while it is the latest snapshot asked about."""
        from abm_tui.metrics.dataset import as_timestamp
        from abm_tui.metrics.opportunities import deal_states
        from abm_tui.review.targets import accounts_frame, metrics_frame

        with self._lock:
            kept = self._inputs
            if kept is not None and kept.snap is snap:
                return kept
            self._results = {}
            changed = _changed_positions(kept.snap, snap) if kept is not None else None
            if kept is not None and changed is not None and len(changed) <= PATCH_AT_MOST:
                rows = [snap.rows[p] for p in changed]
                accounts = _patched(kept.ds.accounts, changed, accounts_frame(rows, kept.ds.accounts))
                ds, opps = replace(kept.ds, accounts=accounts), kept.opps
                metrics = _patched(kept.metrics, changed, metrics_frame(rows, snap.as_of))
            else:
                data = self.db.deals()
                ds = replace(data, accounts=accounts_frame(snap.rows, data.accounts))
                opps = deal_states(ds.opportunities, as_timestamp(snap.as_of))
                metrics = metrics_frame(snap.rows, snap.as_of)
            self._inputs = Inputs(snap, ds, metrics, opps)
            return self._inputs


def _changed_positions(before: Snapshot, after: Snapshot) -> list[int] | None:
    """Where `after`'s rows are other objects than `before`'s (a decision's: `Snapshot.with_rows` keeps
    the others); None when the two cannot be compared row for row."""
    if len(before.rows) != len(after.rows) or (before.as_of, before.params) != (after.as_of, after.params):
        return None
    return [p for p, (a, b) in enumerate(zip(before.rows, after.rows, strict=True)) if a is not b]


def _patched(frame: pd.DataFrame, positions: list[int], part: pd.DataFrame) -> pd.DataFrame:
    """`frame` (a row per list row, in row order) with its rows at `positions` replaced by `part`'s
    (same columns and dtypes): a copy, column by column."""
    out = frame.copy()
    for j in range(len(frame.columns)):
        out.iloc[positions, j] = part.iloc[:, j].to_numpy()
    return out
