"""The `accounts` and `funnel` outputs of DESIGN §6 (field names are a contract)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from abm_tui.exporters.numbers import fmt_pct, money
from abm_tui.metrics.dataset import Dataset


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/NA → None, timestamps → ISO dates, numpy scalars → Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def accounts_records(ds: Dataset, metrics: pd.DataFrame, tier: int | None = None) -> list[dict[str, Any]]:
    acc = ds.accounts.set_index("id", drop=False)
    if tier is not None:
        acc = acc[acc["tier"] == tier]
    out = []
    for account_id, a in acc.sort_values(["name", "source_id"]).iterrows():
        m = metrics.loc[account_id]
        out.append(
            {
                "account_id": a["source_id"],
                "name": a["name"],
                "domain": _clean(a["domain"]),
                "is_target": bool(a["is_target"]),
                "tier": _clean(a["tier"]),
                "icp_fit": _clean(a["icp_fit"]),
                "status": a["status"],
                "stage": m["stage"],
                "score": int(m["score"]),
                "breadth": float(m["breadth"]),
                "depth": float(m["depth"]),
                "recency": float(m["recency"]),
                "active_stakeholders": int(m["active_stakeholders"]),
                "role_coverage": _clean(m["role_coverage"]),
                "buying_group_coverage": _clean(m["buying_group_coverage"]),
                "gaps": dict(m["gaps"]),
                "open_pipeline": float(m["open_pipeline"]),
                "first_engagement": _clean(m["first_engagement"]),
                "last_engagement": _clean(m["last_engagement"]),
                "agenda": list(m["agenda"]),
                "intent_score": _clean(m["intent_score"]),
                "surging_topics": list(m["surging_topics"]),
                "surging": bool(m["surging"]),
            }
        )
    return out


def accounts_table(records: list[dict[str, Any]], currency: str | None = None) -> str:
    """A plain-text table for `abm-tui accounts` without --json."""
    head = ("account", "tier", "fit", "stage", "score", "coverage", "pipeline", "last touch", "agenda")
    rows = [head]
    for r in records:
        rows.append(
            (
                r["name"][:32] + (" (dropped)" if r["status"] == "dropped" else ""),
                str(r["tier"] or "–"),
                str(r["icp_fit"] or "–"),
                r["stage"],
                str(r["score"]),
                fmt_pct(r["buying_group_coverage"]),
                money(r["open_pipeline"], currency),
                r["last_engagement"] or "–",
                ", ".join(r["agenda"]),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def funnel_text(f: dict[str, Any], currency: str | None = None, newest_data: bool = False) -> str:
    why = ", the newest data in this database (--as-of chooses another day)" if newest_data else ""
    lines = [f"Funnel as of {f['as_of']}{why} (active target accounts)"]
    for stage, n in f["stage_counts"].items():
        conv = f["conversion"].get(stage)
        lines.append(
            f"  {stage:<12}{n:>6}" + (f"   → next {fmt_pct(conv)}" if stage in f["conversion"] else "")
        )
    reach = ", ".join(f"Tier {t} {fmt_pct(v)}" for t, v in f["reach_by_tier"].items())
    lines += [
        f"Reach: {reach}",
        f"MQAs: {f['mqa_count']}",
        f"Marketing-sourced pipeline: {money(f['marketing_sourced_pipeline'], currency)}",
        f"Marketing-influenced pipeline: {money(f['marketing_influenced_pipeline'], currency)}",
        "Pipeline coverage: " + ("–" if f["pipeline_coverage"] is None else f"{f['pipeline_coverage']:.2f}×"),
        f"Win rate: ABM {fmt_pct(f['win_rate']['abm'])} vs non-ABM {fmt_pct(f['win_rate']['non_abm'])}",
        f"Avg deal size: ABM {money(f['avg_deal_size']['abm'], currency)} vs non-ABM {money(f['avg_deal_size']['non_abm'], currency)}",
        "Sales cycle: " + ("–" if f["sales_cycle_days"] is None else f"{f['sales_cycle_days']:.0f} days"),
        "Velocity: " + (", ".join(f"{s} {d:.0f}d" for s, d in f["velocity_days"].items()) or "–"),
        f"Churn: {fmt_pct(f['churn_rate'])}",
    ]
    return "\n".join(lines)
