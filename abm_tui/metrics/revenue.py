"""Revenue outcomes of DESIGN §3 (the seeds' "Revenue" R): customers won, expansion, LTV, CAC, ROI,
TAM, win rate by quarter and why deals are lost — ABM and non-ABM side by side."""

from __future__ import annotations

from typing import Any

import pandas as pd

from abm_tui.metrics.dataset import Params

GROUPS = ("abm", "non_abm")
NO_REASON = "(none given)"


def ratio(num: float | None, den: float | None) -> float | None:
    """A rate with nothing to divide by (or an unknown part) is None, never 0."""
    return None if num is None or not den else float(num) / float(den)


def product(*values: float | None) -> float | None:
    if any(v is None for v in values):
        return None
    out = 1.0
    for v in values:
        out *= v  # type: ignore[operator]
    return out


def prorated_spend(spend: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, float | None]:
    """Spend per program in the days `start` … `end`: each row's amount × its days in them / its days
    (both ends inclusive); None for a program with no row overlapping them (unknown is not zero)."""
    first = spend["period_start"].where(spend["period_start"] > start, start)
    last = spend["period_end"].where(spend["period_end"] < end, end)
    overlap = (last - first).dt.days + 1
    days = (spend["period_end"] - spend["period_start"]).dt.days + 1
    hit = (overlap > 0) & (days > 0)
    share = spend["amount"][hit] * overlap[hit] / days[hit]
    programs = spend["program"][hit]
    return {g: (float(share[programs == g].sum()) if (programs == g).any() else None) for g in GROUPS}


def churn_rate(
    accounts: pd.DataFrame, opps: pd.DataFrame, T: pd.Timestamp, start: pd.Timestamp
) -> float | None:
    """Customers at the period's start who churned in the period / customers at the period's start."""
    won_before = set(opps.loc[opps["is_won"] & (opps["close_date"] < start), "account_id"])
    churned_at = accounts["churned_at"]
    at_start = accounts[accounts.index.isin(won_before) & (churned_at.isna() | (churned_at >= start))]
    churned = at_start["churned_at"].notna() & (at_start["churned_at"] <= T)
    return ratio(int(churned.sum()), len(at_start))


def win_rate(closed: pd.DataFrame) -> float | None:
    return ratio(int(closed["is_won"].sum()), len(closed))


def revenue_outcomes(
    *,
    accounts: pd.DataFrame,
    opps: pd.DataFrame,
    spend: pd.DataFrame,
    groups: dict[str, pd.Index],
    T: pd.Timestamp,
    params: Params,
    avg_deal_size: dict[str, float | None],
    sourced_pipeline: float,
) -> dict[str, Any]:
    """The revenue figures of the funnel (field names as in `funnel --json`).

    `accounts` is indexed by id; `opps` are the deals as of `T` (`opportunities_as_of`); `groups` the
    account ids of "abm" and "non_abm"; `avg_deal_size` and `sourced_pipeline` the funnel's own."""
    start = T - pd.Timedelta(days=params.period_days - 1)
    won = opps[opps["is_won"] & opps["close_date"].notna() & (opps["close_date"] <= T)]
    first_win = won.groupby("account_id")["close_date"].min()
    won_in_p = won[won["close_date"] >= start]
    # reindex, not map: map on an empty datetime series fails in pandas 3.
    repeat = won_in_p["close_date"].to_numpy() > first_win.reindex(won_in_p["account_id"]).to_numpy()
    closed = opps[(opps["is_won"] | opps["is_lost"]) & opps["close_date"].notna() & (opps["close_date"] <= T)]
    spent = prorated_spend(spend, start, T)

    out: dict[str, Any] = {
        k: {}
        for k in (
            "new_customers",
            "repeat_wins",
            "expansion_revenue",
            "order_frequency",
            "churn_rate_by_group",
            "customer_lifetime_years",
            "ltv",
            "spend",
            "cac",
            "roi",
            "ltv_to_cac",
            "marketing_sourced_revenue",
        )
    }
    for g in GROUPS:
        ids = groups[g]
        mine = won_in_p["account_id"].isin(ids)
        new = int(((first_win >= start) & first_win.index.isin(ids)).sum())
        churn = churn_rate(accounts.loc[accounts.index.isin(ids)], opps, T, start)
        lifetime = None if not churn else 1 / churn
        frequency = ratio(int(mine.sum()), won_in_p.loc[mine, "account_id"].nunique())
        ltv = product(avg_deal_size[g], frequency, lifetime)
        cac = ratio(spent[g], new) if spent[g] is not None else None
        won_amount = float(won_in_p.loc[mine, "amount"].sum())
        out["new_customers"][g] = new
        out["repeat_wins"][g] = int((mine & repeat).sum())
        out["expansion_revenue"][g] = float(won_in_p.loc[mine & repeat, "amount"].sum())
        out["order_frequency"][g] = frequency
        out["churn_rate_by_group"][g] = churn
        out["customer_lifetime_years"][g] = lifetime
        out["ltv"][g] = ltv
        out["spend"][g] = spent[g]
        out["cac"][g] = cac
        cost = spent[g]
        out["roi"][g] = None if cost is None else ratio(won_amount - cost, cost)
        out["ltv_to_cac"][g] = ratio(ltv, cac)
        out["marketing_sourced_revenue"][g] = float(
            won_in_p.loc[mine & (won_in_p["source"] == "marketing"), "amount"].sum()
        )

    abm_churn = out["churn_rate_by_group"]["abm"]
    out["retention_rate"] = None if abm_churn is None else 1 - abm_churn
    abm_created = opps[opps["account_id"].isin(groups["abm"]) & (opps["created_at"] >= start)]
    out["marketing_share_of_pipeline"] = ratio(sourced_pipeline, float(abm_created["amount"].sum()))
    out["win_rate_by_quarter"] = _win_rate_by_quarter(closed, groups, T)
    lost = closed[
        closed["is_lost"] & (closed["close_date"] >= start) & closed["account_id"].isin(groups["abm"])
    ]
    reasons = lost["lost_reason"].where(lost["lost_reason"].notna(), "").astype(str).str.strip()
    counts = reasons.replace("", NO_REASON).value_counts(sort=False)
    out["loss_reasons"] = {
        str(k): int(n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    }
    everyone = won_in_p["account_id"].isin(groups["abm"].union(groups["non_abm"]))
    fit = accounts[(accounts["status"] != "dropped") & (accounts["icp_fit"].fillna(0) >= params.tam_min_fit)]
    average = ratio(float(won_in_p.loc[everyone, "amount"].sum()), int(everyone.sum()))
    out["tam"] = None if average is None else average * len(fit)
    return out


def lost_deals(opps: pd.DataFrame, ids: pd.Index, T: pd.Timestamp, params: Params) -> pd.DataFrame:
    """The deals of the accounts `ids` lost in the period, with their `reason` (trimmed; "(none given)")."""
    start = T - pd.Timedelta(days=params.period_days - 1)
    lost = opps[opps["is_lost"] & (opps["close_date"] >= start) & (opps["close_date"] <= T)]
    lost = lost[lost["account_id"].isin(ids)]
    reason = lost["lost_reason"].where(lost["lost_reason"].notna(), "").astype(str).str.strip()
    return lost.assign(reason=reason.replace("", NO_REASON))


def _win_rate_by_quarter(closed: pd.DataFrame, groups: dict[str, pd.Index], T: pd.Timestamp) -> list[dict]:
    """Win rate per calendar quarter, the four ending with `T`'s (oldest first), deals closed up to `T`."""
    quarter = closed["close_date"].dt.to_period("Q")
    rows = []
    for q in pd.period_range(end=T.to_period("Q"), periods=4, freq="Q"):
        in_q = closed[quarter == q]
        row: dict[str, Any] = {"quarter": f"{q.year}-Q{q.quarter}"}
        for g in GROUPS:
            row[g] = win_rate(in_q[in_q["account_id"].isin(groups[g])])
        rows.append(row)
    return rows
