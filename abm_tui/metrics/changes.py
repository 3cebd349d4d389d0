"""What changed for each account between an earlier date and the as-of date."""

from __future__ import annotations

from datetime import date

import pandas as pd

from abm_tui.metrics.accounts import INTENT_WEIGHTS, account_metrics
from abm_tui.metrics.dataset import DEFAULT_PARAMS, Dataset, Params, as_timestamp


def changes_since(
    ds: Dataset, since: date, as_of: date, params: Params = DEFAULT_PARAMS, now: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per account: new touches by role (days after `since` up to `as_of`), new and moved deals,
    and the change in score and buying-group coverage between the two dates.

    Columns: new_touches, touches_by_role (role → count), new_opportunities, moved_opportunities,
    score_before, score_delta, coverage_before, coverage_delta.
    """
    S, T = as_timestamp(since), as_timestamp(as_of)
    now = account_metrics(ds, T, params) if now is None else now
    before = account_metrics(ds, S, params)
    out = pd.DataFrame(index=now.index)

    e = ds.engagements[(ds.engagements["occurred_at"] > S) & (ds.engagements["occurred_at"] <= T)]
    roles = ds.contacts.set_index("id")["buying_role"]
    role = pd.Series(roles.reindex(e["contact_id"].astype("float64")).to_numpy(), index=e.index).fillna(
        "account"
    )
    counts = e.groupby([e["account_id"], role]).size()
    by_role: dict[int, dict[str, int]] = {}
    for (account_id, r), n in counts.items():
        by_role.setdefault(int(account_id), {})[str(r)] = int(n)
    out["new_touches"] = e.groupby("account_id").size().reindex(out.index).fillna(0).astype("int64")
    out["new_intent_points"] = (
        e["intent"]
        .map(INTENT_WEIGHTS)
        .groupby(e["account_id"])
        .sum()
        .reindex(out.index)
        .fillna(0)
        .astype("int64")
    )
    out["touches_by_role"] = [by_role.get(i, {}) for i in out.index]

    o = ds.opportunities
    created = o[(o["created_at"] > S) & (o["created_at"] <= T)]
    out["new_opportunities"] = (
        created.groupby("account_id").size().reindex(out.index).fillna(0).astype("int64")
    )
    sc = ds.stage_changes[(ds.stage_changes["entered_at"] > S) & (ds.stage_changes["entered_at"] <= T)]
    moved_ids = set(sc["opportunity_id"]) - set(created["id"])
    moved = o[o["id"].isin(moved_ids)]
    out["moved_opportunities"] = (
        moved.groupby("account_id").size().reindex(out.index).fillna(0).astype("int64")
    )

    out["score_before"] = before["score"].reindex(out.index)
    out["score_delta"] = now["score"] - out["score_before"]
    out["coverage_before"] = before["buying_group_coverage"].reindex(out.index)
    out["coverage_delta"] = now["buying_group_coverage"] - out["coverage_before"]
    return out
