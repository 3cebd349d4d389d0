"""Movement and trend (DESIGN §3): the journey stages of today's active targets as of earlier dates,
computed with today's list and tiers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd

from abm_tui.domain import STAGES
from abm_tui.metrics.accounts import account_metrics
from abm_tui.metrics.dataset import DEFAULT_PARAMS, Dataset, Params, as_timestamp

TREND_WEEKS = 13


def stages_as_of(ds: Dataset, as_of: date | str | pd.Timestamp, params: Params = DEFAULT_PARAMS) -> pd.Series:
    """Every account's journey stage rank (index into STAGES) as of a date."""
    m = account_metrics(ds, as_timestamp(as_of), params, stage_velocity={}, engagement_data=False)
    return m["stage_rank"]


def movement(before: pd.Series, now: pd.Series, ids: pd.Index) -> dict[str, list[int]]:
    """The accounts `ids` whose stage rank went up (progressed), down (regressed) or stayed."""
    b, n = before.reindex(ids), now.reindex(ids)
    return {
        "progressed": [int(i) for i in ids[(n > b).to_numpy()]],
        "regressed": [int(i) for i in ids[(n < b).to_numpy()]],
        "unchanged": [int(i) for i in ids[(n == b).to_numpy()]],
    }


def stage_counts(ranks: pd.Series, ids: pd.Index) -> dict[str, int]:
    """Accounts of `ids` per stage (exactly that stage), in journey order."""
    counts = ranks.reindex(ids).value_counts()
    return {s: int(counts.get(i, 0)) for i, s in enumerate(STAGES)}


def trend_dates(T: pd.Timestamp, weeks: int = TREND_WEEKS) -> list[pd.Timestamp]:
    """The week ends T-84, T-77, …, T (oldest first)."""
    return [T - pd.Timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]


def trend(
    ds: Dataset,
    T: pd.Timestamp,
    ids: pd.Index,
    params: Params = DEFAULT_PARAMS,
    *,
    now: pd.Series | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict]:
    """Stage counts of the accounts `ids` as of each week end (oldest first); `now` may pass the
    stage ranks as of `T`, already computed."""
    out = []
    dates = trend_dates(T)
    for k, day in enumerate(dates):
        ranks = now if now is not None and day == T else stages_as_of(ds, day, params)
        out.append({"as_of": day.date().isoformat(), "stage_counts": stage_counts(ranks, ids)})
        if progress:
            progress(k + 1, len(dates))
    return out


def movement_and_trend(
    ds: Dataset,
    T: pd.Timestamp,
    since: date,
    ids: pd.Index,
    params: Params = DEFAULT_PARAMS,
    *,
    now: pd.Series,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """The funnel's `movement` (counts since `since`) and `trend` for the active targets `ids`;
    `now` are the stage ranks as of `T`."""
    moved = movement(stages_as_of(ds, since, params), now, ids)
    return {
        "movement": {"since": since.isoformat(), **{k: len(v) for k, v in moved.items()}},
        "trend": trend(ds, T, ids, params, now=now, progress=progress),
    }
