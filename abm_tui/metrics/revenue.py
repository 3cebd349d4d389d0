"""Revenue outcomes of DESIGN §3 (the seeds' "Revenue" R): customers won, expansion, LTV, CAC, ROI,
TAM, win rate by quarter and why deals are lost — ABM and non-ABM side by side."""

from __future__ import annotations

from typing import Any

import numpy as np
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
    account ids of "abm" and "non_abm"; `avg_deal_size` and `sourced_pipeline` the funnel's own.
    Each deal and account is tagged with its group once (the funnel runs for every tier and owner)."""
    start = T - pd.Timedelta(days=params.period_days - 1)
    code = pd.Series(np.zeros(len(accounts), dtype=np.int8), index=accounts.index)  # 0: in no group
    for k, g in enumerate(GROUPS, start=1):
        code[groups[g]] = k
    names = np.array(["", *GROUPS])

    def group_of(ids: pd.Series | pd.Index) -> np.ndarray:
        return names[code.reindex(ids, fill_value=0).to_numpy()]

    won = opps.loc[
        opps["is_won"] & opps["close_date"].notna() & (opps["close_date"] <= T),
        ["account_id", "close_date", "marketing", "amount"],
    ]
    first_win = won.groupby("account_id")["close_date"].min()
    won_in_p = won[won["close_date"] >= start]
    won_group = group_of(won_in_p["account_id"])
    # reindex, not map: map on an empty datetime series fails in pandas 3.
    repeat = won_in_p["close_date"].to_numpy() > first_win.reindex(won_in_p["account_id"]).to_numpy()
    marketing = won_in_p["marketing"].to_numpy()
    amounts, won_ids = won_in_p["amount"].to_numpy(), won_in_p["account_id"].to_numpy()
    first_group, new_customer = group_of(first_win.index), (first_win >= start).to_numpy()
    spent = prorated_spend(spend, start, T)
    churn_base = _churn_base(accounts, opps, start)

    out: dict[str, Any] = {k: {} for k in PAIR_FIELDS}
    for g in GROUPS:
        mine = won_group == g
        new = int((new_customer & (first_group == g)).sum())
        at_start = churn_base[churn_base.index.isin(groups[g])]
        churned = at_start.notna() & (at_start <= T)
        churn = ratio(int(churned.sum()), len(at_start))
        lifetime = None if not churn else 1 / churn
        frequency = ratio(int(mine.sum()), len(np.unique(won_ids[mine])))
        ltv = product(avg_deal_size[g], frequency, lifetime)
        cost = spent[g]
        cac = None if cost is None else ratio(cost, new)
        out["new_customers"][g] = new
        out["repeat_wins"][g] = int((mine & repeat).sum())
        out["expansion_revenue"][g] = float(amounts[mine & repeat].sum())
        out["order_frequency"][g] = frequency
        out["churn_rate_by_group"][g] = churn
        out["customer_lifetime_years"][g] = lifetime
        out["ltv"][g] = ltv
        out["spend"][g] = cost
        out["cac"][g] = cac
        out["roi"][g] = None if cost is None else ratio(float(amounts[mine].sum()) - cost, cost)
        out["ltv_to_cac"][g] = ratio(ltv, cac)
        out["marketing_sourced_revenue"][g] = float(amounts[mine & marketing].sum())

    abm_churn = out["churn_rate_by_group"]["abm"]
    out["retention_rate"] = None if abm_churn is None else 1 - abm_churn
    abm_created = opps.loc[opps["account_id"].isin(groups["abm"]) & (opps["created_at"] >= start), "amount"]
    out["marketing_share_of_pipeline"] = ratio(sourced_pipeline, float(abm_created.sum()))
    closed = opps.loc[
        (opps["is_won"] | opps["is_lost"]) & opps["close_date"].notna() & (opps["close_date"] <= T),
        ["account_id", "close_date", "is_won"],
    ]
    out["win_rate_by_quarter"] = _win_rate_by_quarter(closed, group_of(closed["account_id"]), T)
    counts = lost_deals(opps, groups["abm"], T, params)["reason"].value_counts(sort=False)
    out["loss_reasons"] = {
        str(k): int(n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    }
    everyone = won_group != ""
    fit = (accounts["status"] != "dropped") & (accounts["icp_fit"].fillna(0) >= params.tam_min_fit)
    average = ratio(float(amounts[everyone].sum()), int(everyone.sum()))
    out["tam"] = None if average is None else average * int(fit.sum())
    return out


PAIR_FIELDS = (
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


def _churn_base(accounts: pd.DataFrame, opps: pd.DataFrame, start: pd.Timestamp) -> pd.Series:
    """The customers at the period's start (a win closed before it, not churned before it), with
    their churned_at: each group's churn is read from it (DESIGN §3 "Churn")."""
    won_before = opps.loc[opps["is_won"] & (opps["close_date"] < start), "account_id"].unique()
    churned_at = accounts["churned_at"]
    return churned_at[accounts.index.isin(won_before) & (churned_at.isna() | (churned_at >= start))]


def lost_deals(opps: pd.DataFrame, ids: pd.Index, T: pd.Timestamp, params: Params) -> pd.DataFrame:
    """The deals of the accounts `ids` lost in the period (id, account_id, close_date, amount, lost_reason)
    with their `reason` (trimmed; "(none given)")."""
    start = T - pd.Timedelta(days=params.period_days - 1)
    mask = opps["is_lost"] & (opps["close_date"] >= start) & (opps["close_date"] <= T)
    lost = opps.loc[
        mask & opps["account_id"].isin(ids), ["id", "account_id", "close_date", "amount", "lost_reason"]
    ]
    codes, given = pd.factorize(lost["lost_reason"])  # few distinct reasons: each trimmed once
    trimmed = np.array([str(r).strip() or NO_REASON for r in given] + [NO_REASON], dtype=object)
    return lost.assign(reason=trimmed[codes])  # code -1 (none given) picks the last


def _win_rate_by_quarter(closed: pd.DataFrame, group: np.ndarray, T: pd.Timestamp) -> list[dict]:
    """Win rate per calendar quarter, the four ending with `T`'s (oldest first), deals closed up to
    `T`; `group` tags each deal with its account's group."""
    quarter = closed["close_date"].dt.to_period("Q")
    won = closed["is_won"].to_numpy()
    rows = []
    for q in pd.period_range(end=T.to_period("Q"), periods=4, freq="Q"):
        in_q = (quarter == q).to_numpy()
        row: dict[str, Any] = {"quarter": f"{q.year}-Q{q.quarter}"}
        for g in GROUPS:
            mine = in_q & (group == g)
            row[g] = ratio(int((won & mine).sum()), int(mine.sum()))
        rows.append(row)
    return rows
