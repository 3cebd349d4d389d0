"""Per-account metrics (DESIGN §3 "Per account") and the agenda rules (§4)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from abm_tui.domain import BUYING_ROLES, STAGES
from abm_tui.metrics.dataset import DEFAULT_PARAMS, Dataset, Params, as_timestamp
from abm_tui.metrics.intent import intent_by_account
from abm_tui.metrics.opportunities import opportunities_as_of, velocity

INTENT_WEIGHTS = {"strategic": 3, "mid": 2, "light": 1}
ROLE_ORDER = BUYING_ROLES  # gaps and stakeholders are listed in this order
GAP_SEVERITY = {"missing": 0, "thin": 1, "silent": 2, "covered": 3}
AGENDA_RULES = ("promote", "demote", "poor_fit", "gap", "stalled", "surge", "add")


def round_half_up(x: float) -> int:
    # round(…, 9) first so 40·0.6 = 24.000000000000004 or 7/30·30 = 6.999… land on the intended value.
    return math.floor(round(x, 9) + 0.5)


def window_engagements(ds: Dataset, T: pd.Timestamp, days: int) -> pd.DataFrame:
    """Engagements on the days `T-days+1 … T`."""
    e = ds.engagements
    return e[(e["occurred_at"] <= T) & (e["occurred_at"] > T - pd.Timedelta(days=days))]


def active_target_mask(accounts: pd.DataFrame) -> pd.Series:
    return accounts["is_target"] & (accounts["status"] == "active")


def role_gaps(ds: Dataset, T: pd.Timestamp, params: Params) -> pd.DataFrame:
    """One row per (account, required role of its tier): contacts, engaged contacts, gap."""
    acc = ds.accounts[["id", "tier"]].dropna(subset=["tier"]).astype({"tier": "int64"})
    req = acc.merge(ds.requirements, on="tier").rename(columns={"id": "account_id"})
    counts = ds.contacts.groupby(["account_id", "buying_role"]).size().rename("contacts")
    win = window_engagements(ds, T, params.window_days).dropna(subset=["contact_id"])
    engaged_ids = win["contact_id"].astype("int64").unique()
    engaged = ds.contacts[ds.contacts["id"].isin(engaged_ids)]
    engaged_counts = engaged.groupby(["account_id", "buying_role"]).size().rename("engaged")
    key = pd.MultiIndex.from_arrays([req["account_id"], req["role"]])
    req["contacts"] = counts.reindex(key).fillna(0).astype("int64").to_numpy()
    req["engaged"] = engaged_counts.reindex(key).fillna(0).astype("int64").to_numpy()
    req["gap"] = np.select(
        [req["contacts"] == 0, req["contacts"] < req["min_contacts"], req["engaged"] == 0],
        ["missing", "thin", "silent"],
        "covered",
    )
    req["role_rank"] = req["role"].map({r: i for i, r in enumerate(ROLE_ORDER)}).fillna(len(ROLE_ORDER))
    return req.sort_values(["account_id", "role_rank"], kind="stable").reset_index(drop=True)


def account_metrics(
    ds: Dataset,
    as_of: date | str,
    params: Params = DEFAULT_PARAMS,
    *,
    stage_velocity: dict[str, float] | None = None,
    engagement_data: bool | None = None,
) -> pd.DataFrame:
    """Every per-account metric of DESIGN §3 at `as_of`, one row per account, indexed by account id.

    `stage_velocity` (the portfolio's mean days per stage) and `engagement_data` (whether the database
    holds any engagement at all; the "demote" rule needs some, DESIGN §4) may be passed when `ds` holds
    only some accounts: then they describe the whole database, not the accounts given.

    Columns: active_stakeholders, intent_points, breadth, depth, recency, score, required_roles, identified_roles,
    engaged_roles, role_coverage, buying_group_coverage, gaps (role → gap), engaged_by_role, top_gap, stage,
    open_pipeline, open_opportunities, influenced_pipeline, first_engagement, last_engagement, days_since_last, intent_score,
    surging_topics, surging, agenda.
    """
    T = as_timestamp(as_of)
    acc = ds.accounts.set_index("id", drop=False)
    out = pd.DataFrame(index=acc.index)

    upto = ds.engagements[ds.engagements["occurred_at"] <= T]
    scores = engagement_scores(window_engagements(ds, T, params.window_days), out.index, T)
    out[list(scores.columns)] = scores

    first = upto.groupby("account_id")["occurred_at"].min()
    last = upto.groupby("account_id")["occurred_at"].max()
    out["first_engagement"] = first.reindex(out.index)
    out["last_engagement"] = last.reindex(out.index)
    out["days_since_last"] = (T - out["last_engagement"]).dt.days

    _coverage(out, ds, T, params)
    intent = intent_by_account(ds.intent_signals, out.index, T, params)
    out[list(intent.columns)] = intent
    if engagement_data is None:
        engagement_data = len(ds.engagements) > 0
    _pipeline_and_stage(out, ds, acc, T, params, stage_velocity, engagement_data)
    return out


def engagement_scores(win: pd.DataFrame, index: pd.Index, T: pd.Timestamp) -> pd.DataFrame:
    """The engagement score and its parts for the accounts `index`, from their touches in the window
    (`win`): active_stakeholders, breadth, intent_points, depth, recency, score (DESIGN §3)."""
    out = pd.DataFrame(index=index)
    active = win.dropna(subset=["contact_id"]).groupby("account_id")["contact_id"].nunique()
    weight = win["intent"].map(INTENT_WEIGHTS).fillna(0).groupby(win["account_id"]).sum()
    last_in_window = win.groupby("account_id")["occurred_at"].max()
    out["active_stakeholders"] = active.reindex(index).fillna(0).astype("int64")
    out["breadth"] = np.minimum(1.0, out["active_stakeholders"] / 5)
    out["intent_points"] = weight.reindex(index).fillna(0).astype("int64")
    out["depth"] = np.minimum(1.0, out["intent_points"] / 30)
    days_last_window = (T - last_in_window.reindex(index)).dt.days
    out["recency"] = (0.5 ** (days_last_window / 30)).fillna(0.0)
    raw = 40 * out["breadth"] + 30 * out["depth"] + 30 * out["recency"]
    out["score"] = [round_half_up(x) for x in raw]
    return out


def _coverage(out: pd.DataFrame, ds: Dataset, T: pd.Timestamp, params: Params) -> None:
    gaps = role_gaps(ds, T, params)
    g = gaps.groupby("account_id")
    required = g.size()
    identified = (gaps["contacts"] >= gaps["min_contacts"]).groupby(gaps["account_id"]).sum()
    engaged = (gaps["engaged"] > 0).groupby(gaps["account_id"]).sum()
    out["required_roles"] = required.reindex(out.index).fillna(0).astype("int64")
    out["identified_roles"] = identified.reindex(out.index).astype("Int64")
    out["engaged_roles"] = engaged.reindex(out.index).astype("Int64")
    has_req = out["required_roles"] > 0
    out["role_coverage"] = (out["identified_roles"] / out["required_roles"]).where(has_req).astype("Float64")
    out["buying_group_coverage"] = (
        (out["engaged_roles"] / out["required_roles"]).where(has_req).astype("Float64")
    )

    gap_map: dict[int, dict[str, str]] = {}
    engaged_map: dict[int, dict[str, int]] = {}
    top: dict[int, str | None] = {}
    for account_id, role, gap, n in zip(gaps["account_id"], gaps["role"], gaps["gap"], gaps["engaged"]):
        gap_map.setdefault(account_id, {})[role] = gap
        engaged_map.setdefault(account_id, {})[role] = int(n)
    for account_id, roles in gap_map.items():
        worst = min(roles.items(), key=lambda kv: GAP_SEVERITY[kv[1]])  # first role wins a tie
        top[account_id] = None if worst[1] == "covered" else f"{worst[0]} {worst[1]}"
    out["gaps"] = [gap_map.get(i, {}) for i in out.index]
    out["engaged_by_role"] = [engaged_map.get(i, {}) for i in out.index]  # engaged contacts per required role
    out["top_gap"] = [top.get(i) for i in out.index]


def _pipeline_and_stage(
    out: pd.DataFrame,
    ds: Dataset,
    acc: pd.DataFrame,
    T: pd.Timestamp,
    params: Params,
    stage_velocity: dict[str, float] | None,
    engagement_data: bool,
) -> None:
    opps = opportunities_as_of(ds.opportunities, ds.stage_changes, T)
    open_opps = opps[opps["is_open"]]
    out["open_pipeline"] = open_opps.groupby("account_id")["amount"].sum().reindex(out.index).fillna(0.0)
    out["open_opportunities"] = (
        open_opps.groupby("account_id").size().reindex(out.index).fillna(0).astype("int64")
    )
    influenced = influenced_deals(opps, ds.engagements, T, params)
    out["influenced_pipeline"] = (
        influenced.groupby("account_id")["amount"].sum().reindex(out.index).fillna(0.0)
    )
    won_accounts = set(opps.loc[opps["is_won"], "account_id"])
    churned = acc["churned_at"].notna() & (acc["churned_at"] <= T)
    is_customer = out.index.isin(won_accounts) & ~churned.to_numpy()
    has_open = (out["open_opportunities"] > 0).to_numpy()
    bgc = out["buying_group_coverage"].astype("float64").fillna(-1.0)
    is_mqa = (out["score"] >= params.mqa_score) & (bgc >= params.mqa_coverage)
    reached = out["last_engagement"].notna() & (out["days_since_last"] < params.window_days)
    out["is_mqa"] = is_mqa
    out["stage"] = np.select(
        [is_customer, has_open, is_mqa, out["score"] >= params.engaged_score, reached],
        ["customer", "opportunity", "mqa", "engaged", "reached"],
        "target",
    )
    out["stage_rank"] = out["stage"].map({s: i for i, s in enumerate(STAGES)}).astype("int64")

    # Agenda rules (§4) apply to active target accounts, but for `add`: active accounts off the list.
    target = active_target_mask(acc).to_numpy()
    off_list = (~acc["is_target"] & (acc["status"] != "dropped")).to_numpy()
    tier = acc["tier"].astype("float64").to_numpy()
    icp = acc["icp_fit"].astype("float64").to_numpy()
    score = out["score"].to_numpy()
    has_open_tier3 = has_open & (tier == 3)
    quiet = out["days_since_last"].isna().to_numpy() | (
        out["days_since_last"].to_numpy() >= params.demote_quiet_days
    )
    missing = np.array(["missing" in g.values() for g in out["gaps"]], dtype=bool)
    vel = stage_velocity if stage_velocity is not None else portfolio_velocity(ds, T, params)
    usual_days = open_opps["current_stage"].map(vel).astype("float64")
    stalled_ids = set(open_opps.loc[open_opps["days_in_stage"] > 2 * usual_days, "account_id"])
    rules = {
        "promote": (np.isin(tier, (2, 3)) & (score >= params.promote_score)) | has_open_tier3,
        "demote": np.isin(tier, (1, 2)) & (score < params.demote_score) & quiet & engagement_data,
        "poor_fit": ~np.isnan(icp) & (icp <= params.poor_fit_max),
        "gap": (tier == 1) & has_open & missing,
        "stalled": out.index.isin(stalled_ids),
        "surge": out["surging"].to_numpy() & (bgc.to_numpy() < params.surge_coverage),  # null coverage is -1
    }
    flags = np.column_stack([rules[name] & target for name in AGENDA_RULES if name != "add"])
    add = off_list & (icp >= params.add_min_fit) & (out["surging"].to_numpy() | (score >= params.add_score))
    flags = np.column_stack([flags, add])
    out["agenda"] = [[AGENDA_RULES[j] for j in np.flatnonzero(row)] for row in flags]


def influenced_deals(
    opps: pd.DataFrame, engagements: pd.DataFrame, T: pd.Timestamp, params: Params
) -> pd.DataFrame:
    """The deals of `opps` created in the period `T-period_days+1 … T` whose account had ≥1 engagement
    in the `influence_days` days up to the deal's created_at (DESIGN §3 "Marketing-influenced")."""
    start = T - pd.Timedelta(days=params.period_days - 1)
    created = opps[(opps["created_at"] >= start) & (opps["created_at"] <= T)]
    if created.empty:
        return created
    e = engagements.loc[engagements["account_id"].isin(created["account_id"]), ["account_id", "occurred_at"]]
    pairs = created[["id", "account_id", "created_at"]].merge(e, on="account_id")
    lag = (pairs["created_at"] - pairs["occurred_at"]).dt.days
    hit = pairs.loc[(lag >= 0) & (lag < params.influence_days), "id"]
    return created[created["id"].isin(hit)]


def portfolio_velocity(ds: Dataset, as_of: date | str, params: Params = DEFAULT_PARAMS) -> dict[str, float]:
    """Mean days per stage over the active target accounts' stays that ended in the period."""
    acc = ds.accounts.set_index("id", drop=False)
    return velocity(_target_stage_changes(ds, acc), as_timestamp(as_of), params.period_days)


def _target_stage_changes(ds: Dataset, acc: pd.DataFrame) -> pd.DataFrame:
    target_ids = acc.loc[active_target_mask(acc), "id"]
    opp_ids = ds.opportunities.loc[ds.opportunities["account_id"].isin(target_ids), "id"]
    return ds.stage_changes[ds.stage_changes["opportunity_id"].isin(opp_ids)]


def engagement_per_role(ds: Dataset, account_id: int, as_of: date | str, weeks: int = 13) -> pd.DataFrame:
    """Weighted engagement per buying role per week for the last `weeks` weeks (oldest first).

    Week 0 is the 7 days ending on `T`. Account-level touches appear under the role "account".
    """
    T = as_timestamp(as_of)
    e = ds.engagements[ds.engagements["account_id"] == account_id]
    e = e[(e["occurred_at"] <= T) & (e["occurred_at"] > T - pd.Timedelta(days=7 * weeks))]
    roles = ds.contacts.set_index("id")["buying_role"]
    # (as objects: the nullable contact ids of touches that all lack one map to nullable integers)
    role = e["contact_id"].map(roles).astype(object).fillna("account")
    week = weeks - 1 - (T - e["occurred_at"]).dt.days // 7
    weight = e["intent"].map(INTENT_WEIGHTS).fillna(0)
    table = weight.groupby([role, week]).sum().unstack(fill_value=0)
    table = table.reindex(columns=range(weeks), fill_value=0)
    table.columns = [T - pd.Timedelta(days=7 * (weeks - 1 - w) + 6) for w in range(weeks)]
    order = [r for r in (*ROLE_ORDER, "account") if r in table.index]
    return table.reindex(order)
