"""Portfolio metrics of DESIGN §3 "Portfolio (funnel overview)"."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from abm_tui.metrics.accounts import STAGES, account_metrics, active_target_mask
from abm_tui.metrics.dataset import DEFAULT_PARAMS, Dataset, Params, as_timestamp
from abm_tui.metrics.opportunities import opportunities_as_of, velocity
from abm_tui.metrics.revenue import ratio, revenue_outcomes


def mean_or_none(values: pd.Series) -> float | None:
    return None if values.empty else float(values.mean())


def owner_mask(accounts: pd.DataFrame, owner: str | None) -> pd.Series:
    if not owner:
        return pd.Series(True, index=accounts.index)
    return (accounts["owner_sales"] == owner) | (accounts["owner_marketing"] == owner)


def groups(acc: pd.DataFrame, tier: int | None, owner: str | None) -> tuple[pd.Index, pd.Index]:
    """The ids of the ABM group (active targets, of the tier and owner when given) and of the non-ABM
    one (every other account of the owner), from accounts indexed by id. Indexes: `isin` hashes them
    in C (a Python set would be rebuilt per call)."""
    mine = owner_mask(acc, owner)
    active = active_target_mask(acc)
    abm = active & mine
    if tier is not None:
        abm &= acc["tier"] == tier
    return acc.index[abm.fillna(False)], acc.index[~active & mine]


def funnel(
    ds: Dataset,
    as_of: date | str,
    params: Params = DEFAULT_PARAMS,
    *,
    tier: int | None = None,
    owner: str | None = None,
    metrics: pd.DataFrame | None = None,
    opportunities: pd.DataFrame | None = None,
    with_velocity: bool = True,
) -> dict[str, Any]:
    """Every portfolio metric at `as_of`, for active target accounts (optionally one tier / owner).

    `metrics` may pass a precomputed `account_metrics` frame and `opportunities` the deals as of
    `as_of` (`opportunities_as_of`): both are the same for every tier and owner. Rates with a zero
    denominator are None. `with_velocity=False`: `ds` holds no stage changes, "velocity_days" is None
    (`abm_velocity` gives it from them).
    """
    T = as_timestamp(as_of)
    m = account_metrics(ds, T, params) if metrics is None else metrics
    acc = ds.accounts.set_index("id", drop=False)
    abm_ids, non_abm_ids = groups(acc, tier, owner)
    targets = m.loc[m.index.isin(abm_ids)]

    ranks = targets["stage_rank"]
    stage_counts = {s: int((ranks == i).sum()) for i, s in enumerate(STAGES)}
    at_or_beyond = [int((ranks >= i).sum()) for i in range(len(STAGES))]
    conversion = {STAGES[i]: ratio(at_or_beyond[i + 1], at_or_beyond[i]) for i in range(len(STAGES) - 1)}

    reached = targets["last_engagement"].notna() & (targets["days_since_last"] < params.window_days)
    tiers = acc.loc[targets.index, "tier"]
    reach_by_tier = {str(t): ratio(reached[tiers == t].sum(), (tiers == t).sum()) for t in (1, 2, 3)}

    period_start = T - pd.Timedelta(days=params.period_days - 1)
    opps = (
        opportunities_as_of(ds.opportunities, ds.stage_changes, T) if opportunities is None else opportunities
    )
    in_abm = opps["account_id"].isin(abm_ids)
    created_in_period = opps["created_at"] >= period_start
    # Each mask picks the columns it needs (`.loc[mask, columns]`): copying whole deal rows cost most.
    sourced = opps.loc[in_abm & created_in_period & opps["marketing"], "amount"].sum()
    influenced = targets["influenced_pipeline"].sum()  # per account: `account_metrics`

    quarter = T.to_period("Q")
    open_abm = opps.loc[in_abm & opps["is_open"], ["close_date", "amount"]]
    in_quarter = open_abm["close_date"].dt.to_period("Q") == quarter
    target_amount = params.sales_target_quarter
    coverage = ratio(open_abm.loc[in_quarter, "amount"].sum(), target_amount or 0)

    closed_in_period = (opps["is_won"] | opps["is_lost"]) & (opps["close_date"] >= period_start)
    closed_in_period &= opps["close_date"] <= T
    win_rate, deal_size = {}, {}
    for group, ids in (("abm", abm_ids), ("non_abm", non_abm_ids)):
        closed = opps.loc[closed_in_period & opps["account_id"].isin(ids), ["is_won", "amount"]]
        won = closed[closed["is_won"]]
        win_rate[group] = ratio(len(won), len(closed))
        deal_size[group] = ratio(won["amount"].sum(), len(won))

    won_abm = opps.loc[closed_in_period & in_abm & opps["is_won"], ["close_date", "created_at"]]
    cycle = mean_or_none((won_abm["close_date"] - won_abm["created_at"]).dt.days)
    vel = abm_velocity(ds.stage_changes, opps, abm_ids, T, params) if with_velocity else None

    revenue = revenue_outcomes(
        accounts=acc,
        opps=opps,
        spend=ds.spend,
        groups={"abm": abm_ids, "non_abm": non_abm_ids},
        T=T,
        params=params,
        avg_deal_size=deal_size,
        sourced_pipeline=float(sourced),
    )
    return {
        "as_of": T.date().isoformat(),
        "stage_counts": stage_counts,
        "conversion": conversion,
        "reach_by_tier": reach_by_tier,
        "mqa_count": int(targets["is_mqa"].sum()),
        "marketing_sourced_pipeline": float(sourced),
        "marketing_influenced_pipeline": float(influenced),
        "pipeline_coverage": coverage,
        "win_rate": win_rate,
        "avg_deal_size": deal_size,
        "sales_cycle_days": cycle,
        "velocity_days": vel,
        "churn_rate": revenue["churn_rate_by_group"]["abm"],
        **revenue,
        "intent_surging": int(targets["surging"].sum()),
    }


def abm_velocity(
    stage_changes: pd.DataFrame, opps: pd.DataFrame, abm_ids: pd.Index, T: pd.Timestamp, params: Params
) -> dict[str, float]:
    """The funnel's stage velocity: over the stage changes of the ABM group's deals (`opps`: as of `T`)."""
    abm_opp_ids = opps.loc[opps["account_id"].isin(abm_ids), "id"]
    return velocity(stage_changes[stage_changes["opportunity_id"].isin(abm_opp_ids)], T, params.period_days)
