"""What moved (DESIGN §3 "Movement and trend") for the funnel screen and the meeting: the journey stages
of today's active targets as of earlier days, computed with today's list and tiers.

Each earlier day is every account's stage worked out again as of that day (`metrics.movement.Stages`,
over the portfolio read once), so this runs in a worker with progress; the stages are kept per
snapshot, and the tier and owner filters only choose among them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from abm_tui.domain import STAGES
from abm_tui.review.database import Database
from abm_tui.review.snapshot import Snapshot
from abm_tui.review.targets import funnel_scope

if TYPE_CHECKING:
    import pandas as pd

    from abm_tui.review.loading import Progress


@dataclass(frozen=True)
class Movement:
    """Movement since a day and the 13-week trend, for the accounts in one scope."""

    since: date
    progressed: frozenset[int]
    regressed: frozenset[int]
    unchanged: frozenset[int]
    trend: list[dict]  # {as_of: ISO date, stage_counts: {stage: accounts}}, oldest first

    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in ("progressed", "regressed", "unchanged")}

    def words(self) -> str:
        """'since 3 Nov: 12 progressed, 3 regressed, 180 unchanged'."""
        c = self.counts()
        return (
            f"since {self.since:%-d %b}: {c['progressed']:,} progressed, {c['regressed']:,} regressed, "
            f"{c['unchanged']:,} unchanged"
        )


class MovementDesk:
    """Stage ranks of every account as of the days movement and trend need, per snapshot."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._ranks: tuple[Snapshot, dict[date, pd.Series]] | None = None

    def forget(self) -> None:
        """The data changed (an import, a new day): work it out again next time."""
        with self._lock:
            self._ranks = None

    def since(self, as_of: date) -> date:
        """The default start: the last ended meeting's day before `as_of`, else 28 days before."""
        from abm_tui.store.meetings import movement_since

        with self.db.session() as session:
            return movement_since(session=session, as_of=as_of)

    def movement(
        self,
        snap: Snapshot,
        tier: int | None = None,
        owner: str | None = None,
        since: date | None = None,
        progress: Progress | None = None,
        *,
        with_trend: bool = True,
    ) -> Movement:
        """Movement since `since` (default `self.since`); with the trend unless `with_trend` is false
        (one earlier day to compute instead of thirteen)."""
        import pandas as pd

        from abm_tui.metrics.dataset import as_timestamp
        from abm_tui.metrics.movement import movement, stage_counts, trend_dates

        since = since or self.since(snap.as_of)
        T = as_timestamp(snap.as_of)
        days = [since, *(d.date() for d in trend_dates(T)[:-1] if with_trend)]
        ranks = self._ranks_as_of(snap, days, progress)
        now = pd.Series({r.id: STAGES.index(r.stage) for r in snap.rows}, dtype="int64")
        ids = pd.Index([r.id for r in funnel_scope(snap.rows, tier, owner)], dtype="int64")
        moved = movement(ranks[since], now, ids)
        trend = [
            {"as_of": d.date().isoformat(), "stage_counts": stage_counts(ranks.get(d.date(), now), ids)}
            for d in (trend_dates(T) if with_trend else [])
        ]
        return Movement(
            since,
            progressed=frozenset(moved["progressed"]),
            regressed=frozenset(moved["regressed"]),
            unchanged=frozenset(moved["unchanged"]),
            trend=trend,
        )

    def _ranks_as_of(
        self, snap: Snapshot, days: list[date], progress: Progress | None
    ) -> dict[date, pd.Series]:
        import pandas as pd

        from abm_tui.metrics.movement import Stages
        from abm_tui.review.targets import accounts_frame

        with self._lock:
            if self._ranks is None or self._ranks[0] is not snap:
                self._ranks = (snap, {})
            known = self._ranks[1]
            todo = [d for d in dict.fromkeys(days) if d not in known]
            if todo:
                data = self.db.portfolio()
                stages = Stages(replace(data, accounts=accounts_frame(snap.rows, data.accounts)), snap.params)
                for k, day in enumerate(todo):
                    if progress:
                        progress(k, len(todo))
                    known[day] = stages.as_of(pd.Timestamp(day))
            return known
