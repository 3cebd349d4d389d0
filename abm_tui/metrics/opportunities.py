"""Opportunities as they stood on the as-of date, and stage velocity."""

from __future__ import annotations

import numpy as np
import pandas as pd


def deal_states(opps: pd.DataFrame, T: pd.Timestamp) -> pd.DataFrame:
    """Opportunities created by `T`, with `is_open`/`is_won`/`is_lost` at `T` (an opportunity closed
    after `T` was still open on `T`), `marketing` (sourced by marketing) and a missing amount as 0: what
    the funnel needs of them."""
    o = opps[opps["created_at"] <= T].copy()
    closed_by_T = o["close_date"].isna() | (o["close_date"] <= T)
    o["is_won"] = (o["outcome"] == "won") & closed_by_T
    o["is_lost"] = (o["outcome"] == "lost") & closed_by_T
    o["is_open"] = ~(o["is_won"] | o["is_lost"])
    o["amount"] = o["amount"].fillna(0.0)
    o["marketing"] = o["source"] == "marketing"  # marketing-sourced
    return o


def opportunities_as_of(opps: pd.DataFrame, stage_changes: pd.DataFrame, T: pd.Timestamp) -> pd.DataFrame:
    """Opportunities created by `T`, with `is_open`/`is_won`/`is_lost` at `T`, current stage and days in it.

    An opportunity closed after `T` was still open on `T`; its stage on `T` is the last
    stage change entered by `T` (its created_at and recorded stage when it has none).
    """
    o = deal_states(opps, T)
    sc = stage_changes[stage_changes["entered_at"] <= T]
    last = sc.sort_values(["opportunity_id", "entered_at"], kind="stable").groupby("opportunity_id").tail(1)
    last = last.set_index("opportunity_id")
    # reindex, not map: map on an empty datetime series fails in pandas 3.
    o["current_stage"] = pd.Series(last["stage"].reindex(o["id"]).to_numpy(), index=o.index).fillna(
        o["stage"]
    )
    entered = pd.Series(last["entered_at"].reindex(o["id"]).to_numpy(), index=o.index).fillna(o["created_at"])
    o["stage_entered_at"] = entered
    o["days_in_stage"] = np.where(o["is_open"], (T - entered).dt.days, np.nan)
    return o


def stage_stays(stage_changes: pd.DataFrame, T: pd.Timestamp) -> pd.DataFrame:
    """Closed stays: a stage change followed by a later one of the same opportunity, which ends it."""
    sc = stage_changes[stage_changes["entered_at"] <= T]
    sc = sc.sort_values(["opportunity_id", "entered_at"], kind="stable")
    ended = sc.groupby("opportunity_id")["entered_at"].shift(-1)
    position = sc.groupby("opportunity_id").cumcount()
    stays = sc.assign(ended_at=ended, position=position).dropna(subset=["ended_at"])
    return stays.assign(days=(stays["ended_at"] - stays["entered_at"]).dt.days)


def velocity(stage_changes: pd.DataFrame, T: pd.Timestamp, period_days: int) -> dict[str, float]:
    """Mean days per stage over stays that ended in the period `T-period_days+1 … T`."""
    stays = stage_stays(stage_changes, T)
    start = T - pd.Timedelta(days=period_days - 1)
    stays = stays[stays["ended_at"] >= start]
    by_stage = stays.groupby("stage", sort=False)
    # Pipeline order: stages that come earlier in an opportunity's history first.
    order = by_stage["position"].mean().sort_values(kind="stable").index
    means = by_stage["days"].mean().reindex(order)
    return {str(k): float(v) for k, v in means.items()}
