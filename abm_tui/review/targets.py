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


def _values(series: pd.Series, convert=None) -> list:
    """A column as Python values, None for missing (column-wise: 100,000 rows in milliseconds)."""
    values = series.astype(object).where(series.notna(), None).tolist()
    return values if convert is None else [None if v is None else convert(v) for v in values]


def build_rows(accounts: pd.DataFrame, metrics: pd.DataFrame) -> list[TargetRow]:
    acc = accounts.set_index("id", drop=False)
    m = metrics.reindex(acc.index)
    last = m["last_engagement"]
    version = acc["version"] if "version" in acc else pd.Series(1, index=acc.index)
    columns = zip(
        acc.index.tolist(),
        _values(acc["name"]),
        _values(acc["domain"]),
        _values(acc["tier"], int),
        acc["is_target"].astype(bool).tolist(),
        _values(acc["status"]),
        _values(acc["icp_fit"], int),
        _values(m["stage"]),
        m["score"].astype(int).tolist(),
        _values(m["engaged_roles"], int),
        m["required_roles"].astype(int).tolist(),
        _values(m["buying_group_coverage"], float),
        [g if isinstance(g, str) else None for g in m["top_gap"].tolist()],
        m["gaps"].tolist(),
        m["open_pipeline"].astype(float).tolist(),
        _values(last.dt.date if len(last) else last),
        _values(acc["owner_sales"]),
        _values(acc["owner_marketing"]),
        m["agenda"].tolist(),
        _values(version, int),
    )
    return [
        TargetRow(
            id=int(i),
            name=name,
            domain=domain,
            tier=tier,
            is_target=target,
            status=status,
            icp_fit=fit,
            stage=stage,
            score=score,
            engaged_roles=engaged,
            required_roles=required,
            coverage=coverage,
            top_gap=top_gap,
            gaps=dict(gaps),
            pipeline=pipeline,
            last_touch=last_touch,
            owner_sales=sales,
            owner_marketing=marketing,
            agenda=tuple(agenda),
            version=ver or 1,
        )
        for (
            i,
            name,
            domain,
            tier,
            target,
            status,
            fit,
            stage,
            score,
            engaged,
            required,
            coverage,
            top_gap,
            gaps,
            pipeline,
            last_touch,
            sales,
            marketing,
            agenda,
            ver,
        ) in columns
    ]


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
