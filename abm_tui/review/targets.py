"""Rows of the target list and the filters/sort over them — plain data, no Textual."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from abm_tui.metrics.accounts import STAGES

# Tier filter values, in the order the `t` key cycles through them.
TIER_CHOICES: tuple[str, ...] = ("targets", "1", "2", "3", "none", "all")
TIER_LABELS = {"targets": "targets", "1": "Tier 1", "2": "Tier 2", "3": "Tier 3", "none": "not on list",
               "all": "all accounts"}  # fmt: skip
GAP_CHOICES: tuple[str | None, ...] = (None, "missing", "thin", "silent", "any")
SORT_COLUMNS: tuple[str, ...] = ("tier", "name", "icp_fit", "stage", "score", "coverage", "top_gap", "pipeline",
                                 "last_touch", "owners")  # fmt: skip


@dataclass(frozen=True)
class TargetRow:
    """One line of the target list."""

    id: int
    name: str
    domain: str | None
    tier: int | None
    is_target: bool
    status: str
    icp_fit: int | None
    stage: str
    score: int
    engaged_roles: int | None
    required_roles: int
    coverage: float | None
    top_gap: str | None
    gaps: dict[str, str]
    pipeline: float
    last_touch: date | None
    owner_sales: str | None
    owner_marketing: str | None
    agenda: tuple[str, ...]
    version: int = 1  # the account row's version when read: decisions check it (optimistic concurrency)

    @property
    def owners(self) -> str:
        return " / ".join(o for o in (self.owner_sales, self.owner_marketing) if o)

    @property
    def short_owners(self) -> str:
        """First names only: "James / Lotte"."""
        return " / ".join(o.split()[0] for o in (self.owner_sales, self.owner_marketing) if o)


@dataclass(frozen=True)
class TargetQuery:
    """What the target list shows: search, filters and sort."""

    search: str = ""
    tier: str = "targets"
    stage: str | None = None
    gap: str | None = None
    owner: str | None = None
    agenda_only: bool = False
    show_dropped: bool = False
    ids: frozenset[int] | None = field(default=None)  # exact accounts, e.g. from a funnel count
    ids_label: str | None = None
    sort: str = "tier"
    descending: bool = False

    def with_(self, **changes: Any) -> TargetQuery:
        return replace(self, **changes)

    def labels(self) -> list[str]:
        """The active filters in words, for the header."""
        out = []
        if self.ids is not None:
            out.append(self.ids_label or f"{len(self.ids)} selected")
        if self.tier != "targets":
            out.append(TIER_LABELS[self.tier])
        if self.stage:
            out.append(f"stage {self.stage}")
        if self.gap:
            out.append("any gap" if self.gap == "any" else f"gap {self.gap}")
        if self.owner:
            out.append(f"owner {self.owner}")
        if self.agenda_only:
            out.append("needs a decision")
        if self.show_dropped:
            out.append("incl. dropped")
        if self.search:
            out.append(f'"{self.search}"')
        return out


def build_rows(accounts: pd.DataFrame, metrics: pd.DataFrame) -> list[TargetRow]:
    acc = accounts.set_index("id", drop=False)
    m = metrics.reindex(acc.index)
    rows = []
    for (i, a), (_, x) in zip(acc.iterrows(), m.iterrows()):
        last = x["last_engagement"]
        rows.append(
            TargetRow(
                id=int(i),
                name=a["name"],
                domain=None if pd.isna(a["domain"]) else a["domain"],
                tier=None if pd.isna(a["tier"]) else int(a["tier"]),
                is_target=bool(a["is_target"]),
                status=a["status"],
                icp_fit=None if pd.isna(a["icp_fit"]) else int(a["icp_fit"]),
                stage=x["stage"],
                score=int(x["score"]),
                engaged_roles=None if pd.isna(x["engaged_roles"]) else int(x["engaged_roles"]),
                required_roles=int(x["required_roles"]),
                coverage=None if pd.isna(x["buying_group_coverage"]) else float(x["buying_group_coverage"]),
                top_gap=x["top_gap"] if isinstance(x["top_gap"], str) else None,
                gaps=dict(x["gaps"]),
                pipeline=float(x["open_pipeline"]),
                last_touch=None if pd.isna(last) else last.date(),
                owner_sales=None if pd.isna(a["owner_sales"]) else a["owner_sales"],
                owner_marketing=None if pd.isna(a["owner_marketing"]) else a["owner_marketing"],
                agenda=tuple(x["agenda"]),
                version=int(a["version"]) if "version" in a and not pd.isna(a["version"]) else 1,
            )
        )
    return rows


def _in_scope(row: TargetRow, q: TargetQuery) -> bool:
    """Tier scope and dropped flag: what the header's 'of N' counts."""
    if row.status == "dropped" and not q.show_dropped:
        return False
    if q.tier == "targets":
        return row.is_target
    if q.tier == "none":
        return not row.is_target
    if q.tier == "all":
        return True
    return row.is_target and row.tier == int(q.tier)


def _matches(row: TargetRow, q: TargetQuery) -> bool:
    if q.ids is not None and row.id not in q.ids:
        return False
    if q.stage and row.stage != q.stage:
        return False
    if q.gap:
        values = set(row.gaps.values())
        if q.gap == "any" and not values - {"covered"}:
            return False
        if q.gap != "any" and q.gap not in values:
            return False
    if q.owner and q.owner not in (row.owner_sales, row.owner_marketing):
        return False
    if q.agenda_only and not row.agenda:
        return False
    if q.search:
        needle = q.search.lower()
        if needle not in row.name.lower() and needle not in (row.domain or ""):
            return False
    return True


def _sort_key(column: str):
    stage_rank = {s: i for i, s in enumerate(STAGES)}
    keys = {
        "tier": lambda r: (r.tier is None, r.tier or 0, -r.score),
        "name": lambda r: r.name.lower(),
        "icp_fit": lambda r: (r.icp_fit is None, -(r.icp_fit or 0)),
        "stage": lambda r: -stage_rank[r.stage],
        "score": lambda r: -r.score,
        "coverage": lambda r: (r.coverage is None, -(r.coverage or 0)),
        "top_gap": lambda r: (r.top_gap is None, r.top_gap or ""),
        "pipeline": lambda r: -r.pipeline,
        "last_touch": lambda r: (r.last_touch is None, -(r.last_touch.toordinal() if r.last_touch else 0)),
        "owners": lambda r: r.owners.lower(),
    }
    return keys[column]


def select_rows(rows: list[TargetRow], q: TargetQuery) -> tuple[list[TargetRow], int]:
    """The rows to show, sorted, and how many are in scope before the filters."""
    scoped = [r for r in rows if _in_scope(r, q)]
    shown = [r for r in scoped if _matches(r, q)]
    shown.sort(key=lambda r: r.name.lower())
    shown.sort(key=_sort_key(q.sort), reverse=q.descending)
    return shown, len(scoped)


def owners_of(rows: list[TargetRow]) -> list[str]:
    return sorted({o for r in rows for o in (r.owner_sales, r.owner_marketing) if o})
