"""The funnel screen's numbers, each with the exact accounts behind it (so no number is a dead end)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from abm_tui.domain import STAGES
from abm_tui.exporters.numbers import fmt_pct, money
from abm_tui.review.snapshot import Snapshot

if TYPE_CHECKING:
    import pandas as pd

    from abm_tui.review.movement import Movement


@dataclass(frozen=True)
class FunnelLine:
    """One number on the funnel screen; `ids` are the accounts it counts (None: not an account count)."""

    label: str
    value: str
    ids: frozenset[int] | None = None
    heading: bool = False


def scope_frame(
    metrics: pd.DataFrame, accounts: pd.DataFrame, tier: int | None, owner: str | None
) -> pd.DataFrame:
    """What the funnel counts — active target accounts in the tier/owner filter (`metrics.funnel.groups`)
    — as their rows of the metrics frame (indexed by id) with their `tier` (`accounts`: indexed by id)."""
    from abm_tui.metrics.funnel import groups

    abm, _ = groups(accounts, tier, owner)
    return metrics.loc[abm].assign(tier=accounts.loc[abm, "tier"].to_numpy())


def stage_counts_by_tier(scope: pd.DataFrame, tier: int | None) -> dict[int, dict[str, int]]:
    """The funnel's accounts (`scope`: its metrics frame rows, with their tier) per journey stage for
    each tier in scope: the funnel's `stage_counts` per tier, without three more funnels."""
    counted = scope.groupby(["tier", "stage_rank"]).size()
    return {
        t: {s: int(counted.get((t, i), 0)) for i, s in enumerate(STAGES)}
        for t in (1, 2, 3)
        if tier in (None, t)
    }


def funnel_lines(
    snap: Snapshot,
    f: dict[str, Any],
    scope: pd.DataFrame,
    lost: dict[str, frozenset[int]] | None = None,
) -> list[FunnelLine]:
    """The numbers of funnel `f`, each with the accounts behind it (`scope`: the metrics frame's rows of
    the funnel's accounts, indexed by id, with their `tier`; `lost`: the accounts behind each loss
    reason). What moved comes separately (`movement_lines`): it takes longer to work out."""
    ids = scope.index.to_numpy()

    def accounts(mask: Any) -> frozenset[int]:
        return frozenset(ids[mask].tolist())

    rank = scope["stage_rank"].to_numpy()
    tiers = scope["tier"].to_numpy(dtype="float64", na_value=float("nan"))
    touched = (scope["days_since_last"] < snap.params.window_days).to_numpy()  # none: NaN, not touched
    lines = [FunnelLine("Journey stage", "accounts  → next", heading=True)]
    for i, stage in enumerate(STAGES):
        conv = f["conversion"].get(stage)
        nxt = "" if stage not in f["conversion"] else f"  → {fmt_pct(conv)}"
        lines.append(FunnelLine(f"  {stage}", f"{f['stage_counts'][stage]}{nxt}", accounts(rank == i)))
    lines.append(FunnelLine("Reach (touched in window)", "", heading=True))
    for t in (1, 2, 3):
        hit = accounts((tiers == t) & touched)
        reach = fmt_pct(f["reach_by_tier"][str(t)])
        lines.append(FunnelLine(f"  Tier {t}", f"{reach} ({len(hit)}/{int((tiers == t).sum())})", hit))
    mqa = accounts(scope["is_mqa"].to_numpy(dtype=bool))
    with_pipeline = accounts((scope["open_pipeline"] > 0).to_numpy())
    cov = f["pipeline_coverage"]
    cur = snap.currency
    lines += [
        FunnelLine("Pipeline", "", heading=True),
        FunnelLine("  MQAs", str(f["mqa_count"]), mqa),
        FunnelLine("  Accounts with open pipeline", str(len(with_pipeline)), with_pipeline),
        FunnelLine("  Coverage of quarter target", "–" if cov is None else f"{cov:.2f}× (bar 3×)"),
        FunnelLine("  Marketing-sourced (365 d)", money(f["marketing_sourced_pipeline"], cur)),
        FunnelLine("  Marketing-influenced (365 d)", money(f["marketing_influenced_pipeline"], cur)),
        FunnelLine("ABM vs non-ABM (365 d)", "", heading=True),
        FunnelLine("  Win rate", f"{fmt_pct(f['win_rate']['abm'])} vs {fmt_pct(f['win_rate']['non_abm'])}"),
        FunnelLine(
            "  Avg deal size",
            f"{money(f['avg_deal_size']['abm'], cur)} vs {money(f['avg_deal_size']['non_abm'], cur)}",
        ),
        FunnelLine("Speed and retention", "", heading=True),
        FunnelLine(
            "  Sales cycle", "–" if f["sales_cycle_days"] is None else f"{f['sales_cycle_days']:.0f} days"
        ),
        FunnelLine("  Churn", fmt_pct(f["churn_rate"])),
    ]
    surging = accounts(scope["surging"].to_numpy(dtype=bool))  # accounts with a surging topic
    lines += [FunnelLine(f"Intent (last {snap.params.intent_days} d)", "", heading=True)]
    lines += [FunnelLine("  Surging targets", f"{f['intent_surging']:,}", surging)]
    lines += revenue_lines(f, cur, snap.params.tam_min_fit)
    lines += [FunnelLine("Why ABM deals are lost (365 d)", "deals", heading=True)]
    if not f["loss_reasons"]:
        lines.append(FunnelLine("  no deal lost", ""))
    for reason, n in list(f["loss_reasons"].items())[:6]:
        lines.append(FunnelLine(f"  {reason}", f"{n:,}", (lost or {}).get(reason, frozenset())))
    return lines


def movement_lines(movement: Movement | None) -> list[FunnelLine]:
    """'Movement since 3 Nov' and a count per direction, each opening its accounts."""
    if movement is None:  # as many lines as the result: the cursor stays on its number when it comes
        return [
            FunnelLine("Movement", "working it out…", heading=True),
            *(FunnelLine(f"  {key}", "…") for key in ("progressed", "regressed", "unchanged")),
        ]
    out = [FunnelLine(f"Movement since {movement.since:%-d %b}", "accounts", heading=True)]
    for key in ("progressed", "regressed", "unchanged"):
        ids = getattr(movement, key)
        out.append(FunnelLine(f"  {key}", f"{len(ids):,}", ids))
    return out


def revenue_lines(f: dict[str, Any], cur: str | None, tam_min_fit: int) -> list[FunnelLine]:
    """The revenue outcomes, ABM vs non-ABM (DESIGN §3), in words."""

    def pair(key: str, show) -> str:
        return f"{show(f[key]['abm'])} vs {show(f[key]['non_abm'])}"

    def amount(x: float | None) -> str:
        return "–" if x is None else money(x, cur) if x else "0"

    def times(x: float | None) -> str:
        return "–" if x is None else f"{x:.1f}×"

    def number(x: float | None) -> str:
        return "–" if x is None else f"{x:,.1f}".removesuffix(".0")

    lines = [
        FunnelLine("Revenue (365 d)", "ABM vs non-ABM", heading=True),
        FunnelLine("  New customers", pair("new_customers", number)),
        FunnelLine("  Repeat wins", pair("repeat_wins", number)),
        FunnelLine("  Expansion revenue", pair("expansion_revenue", amount)),
        FunnelLine("  Order frequency", pair("order_frequency", number)),
        FunnelLine("  Customer lifetime (y)", pair("customer_lifetime_years", number)),
        FunnelLine("  LTV", pair("ltv", amount)),
    ]
    if f["spend"]["abm"] is None and f["spend"]["non_abm"] is None:
        lines.append(FunnelLine("  import spend.csv to see CAC and ROI", ""))
    else:
        lines += [
            FunnelLine("  Spend", pair("spend", amount)),
            FunnelLine("  CAC", pair("cac", amount)),
            FunnelLine("  ROI", pair("roi", fmt_pct)),
            FunnelLine("  LTV:CAC", pair("ltv_to_cac", times)),
        ]
    lines += [
        FunnelLine("  Marketing-sourced revenue", pair("marketing_sourced_revenue", amount)),
        FunnelLine("  Retention", fmt_pct(f["retention_rate"])),
        FunnelLine("  Marketing share of pipeline", fmt_pct(f["marketing_share_of_pipeline"])),
        FunnelLine(f"  TAM (fit ≥ {tam_min_fit} × avg deal)", amount(f["tam"])),
    ]
    return lines


def headline(f: dict[str, Any], movement: Movement | None, cur: str | None) -> list[str]:
    """What moved and the revenue in two sentences: the meeting's header and the minutes open with them."""
    out = []
    if movement is not None:
        out.append(f"Moved {movement.words()}.")
    win = f["win_rate"]
    parts = [f"win rate ABM {fmt_pct(win['abm'])} vs non-ABM {fmt_pct(win['non_abm'])}"]
    cov = f["pipeline_coverage"]
    parts.append("pipeline coverage –" if cov is None else f"pipeline coverage {cov:.2f}× (bar 3×)")
    roi = f["roi"]
    if roi["abm"] is not None or roi["non_abm"] is not None:
        parts.append(f"ROI ABM {fmt_pct(roi['abm'])} vs non-ABM {fmt_pct(roi['non_abm'])}")
    out.append("Revenue (365 d): " + " · ".join(parts) + ".")
    return out
