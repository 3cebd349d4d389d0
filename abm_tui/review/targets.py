"""Rows of the target list and the filters/sort over them — plain data, no Textual."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from datetime import date
from operator import itemgetter
from typing import Any

from abm_tui.domain import STAGES
from abm_tui.store.list_row import COLUMNS, NAMES, NAMES_SEPARATOR, TargetRow, target_row

# Tier filter values, in the order the `t` key cycles through them.
TIER_CHOICES: tuple[str, ...] = ("targets", "1", "2", "3", "none", "all")
TIER_LABELS = {
    "targets": "targets",
    "1": "Tier 1",
    "2": "Tier 2",
    "3": "Tier 3",
    "none": "not on list",
    "all": "all accounts",
}
GAP_CHOICES: tuple[str | None, ...] = (None, "missing", "thin", "silent", "any")
SORT_COLUMNS: tuple[str, ...] = (
    "tier",
    "name",
    "icp_fit",
    "stage",
    "score",
    "coverage",
    "top_gap",
    "pipeline",
    "last_touch",
    "owners",
)


@dataclass(frozen=True)
class TargetQuery:
    """What the target list shows: search, filters and sort."""

    search: str = ""
    tier: str = "targets"
    stage: str | None = None
    gap: str | None = None
    owner: str | None = None
    agenda_only: bool = False
    surging_only: bool = False  # accounts whose intent signals surge
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
        if self.surging_only:
            out.append("surging")
        if self.show_dropped:
            out.append("incl. dropped")
        if self.search:
            out.append(f'"{self.search}"')
        return out


def _values(series, convert=None) -> list:
    """A column as Python values, None for missing (column-wise: far cheaper than row by row)."""
    values = series.astype(object).where(series.notna(), None).tolist()
    return values if convert is None else [None if v is None else convert(v) for v in values]


def list_tuples(accounts, metrics) -> list[tuple]:
    """Computed metrics as list rows (`store.list_row.COLUMNS`; the metric version is the account's),
    for `target_row` and for the metric store (`metric_cache.replace_all`)."""
    import pandas as pd

    acc = accounts.set_index("id", drop=False)
    m = metrics.reindex(acc.index)
    version = acc["version"] if "version" in acc else pd.Series(1, index=acc.index)
    values: dict[str, list] = {}
    for c in COLUMNS:
        if c.kind == "version":
            values[c.name] = [v or 1 for v in _values(version, int)]
        elif c.table == "a":
            values[c.name] = _encode(acc[c.name], c.kind)
        else:
            values[c.name] = _encode(m[c.source], c.kind, m)
    values["id"] = [int(i) for i in values["id"]]
    return list(zip(*(values[n] for n in NAMES), strict=True))


def _encode(series, kind: str, m: Any = None) -> list:
    """A frame column as stored values of its kind (see `store.list_row`)."""
    if kind == "int":
        return _values(series, int)
    if kind == "float":
        return _values(series, float)
    if kind == "bool":
        return series.astype(bool).tolist()
    if kind == "text":
        return [v if isinstance(v, str) else None for v in series.tolist()]
    if kind == "date":
        return _values(series.dt.date if len(series) else series)
    if kind == "names":
        return [NAMES_SEPARATOR.join(v) for v in series.tolist()]
    if kind == "gaps":  # role:gap:engaged contacts, for each required role
        return [
            ",".join(f"{role}:{gap}:{engaged.get(role, 0)}" for role, gap in required.items())
            for required, engaged in zip(series.tolist(), m["engaged_by_role"].tolist())
        ]
    return _values(series)


def build_rows(accounts, metrics) -> list[TargetRow]:
    """The list rows of freshly computed metrics."""
    return [target_row(t) for t in list_tuples(accounts, metrics)]


def row_columns(rows: list[TargetRow], *names: str) -> list[list]:
    """Columns of the rows (built column-wise, for the same reason)."""
    return [list(map(itemgetter(TargetRow._fields.index(n)), rows)) for n in names]


def _datetimes(values) -> Any:
    """Dates (or None) as a datetime64[ns] array, through their ordinals (pandas parses date objects
    one by one)."""
    import numpy as np

    epoch = date(1970, 1, 1).toordinal()
    days = np.fromiter((epoch - 1 if d is None else d.toordinal() for d in values), dtype=np.int64)
    out = (days - epoch).astype("datetime64[D]").astype("datetime64[ns]")
    out[days == epoch - 1] = np.datetime64("NaT")
    return out


def metrics_frame(rows: list[TargetRow], as_of: date):
    """The `account_metrics` columns the funnel and the change report read, rebuilt from list rows."""
    import pandas as pd

    ids, stage, score, is_mqa, coverage, pipeline, influenced, last, topics = row_columns(
        rows,
        "id",
        "stage",
        "score",
        "is_mqa",
        "coverage",
        "pipeline",
        "influenced",
        "last_touch",
        "surging_topics",
    )
    rank = {s: i for i, s in enumerate(STAGES)}
    last_touch = pd.Series(_datetimes(last))
    return pd.DataFrame(
        {
            "stage": stage,
            "stage_rank": [rank[s] for s in stage],
            "score": score,
            "is_mqa": is_mqa,
            "buying_group_coverage": pd.array(coverage, dtype="Float64"),
            "open_pipeline": pipeline,
            "influenced_pipeline": influenced,
            "last_engagement": last_touch.to_numpy(),
            "days_since_last": (pd.Timestamp(as_of) - last_touch).dt.days.to_numpy(),
            "surging": [bool(t) for t in topics],
        },
        index=pd.Index(ids, dtype="int64"),
    )


def accounts_frame(rows: list[TargetRow], churned):
    """The accounts table as the metrics read it, from list rows (`churned`: a frame of id, churned_at)."""
    import numpy as np
    import pandas as pd

    ids, name, domain, tier, is_target, status, icp_fit, sales, marketing = row_columns(
        rows,
        "id",
        "name",
        "domain",
        "tier",
        "is_target",
        "status",
        "icp_fit",
        "owner_sales",
        "owner_marketing",
    )
    index = pd.Index(ids, dtype="int64")
    churned_at = churned.set_index("id")["churned_at"].reindex(index)  # datetime64, NaT: not churned
    df = pd.DataFrame(
        {
            "id": index.to_numpy(),
            "source_id": pd.Series(None, index=range(len(ids)), dtype="object"),
            "name": pd.Series(name, dtype=object),
            "domain": pd.Series(domain, dtype=object),
            "is_target": np.array(is_target, dtype=bool),
            "tier": pd.array(tier, dtype="Int64"),
            "icp_fit": pd.array(icp_fit, dtype="Int64"),
            "status": pd.Series(status, dtype=object),
            "churned_at": churned_at.to_numpy(),
            "owner_sales": pd.Series(sales, dtype=object),
            "owner_marketing": pd.Series(marketing, dtype=object),
        }
    )
    return df  # the columns and dtypes of `metrics.dataset.frame("accounts")`, built as such


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
    if q.surging_only and not row.surging_topics:
        return False
    return True  # the search is matched by `select_rows`


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


class _Descending:
    """Orders its value the other way round (names stay A→Z inside a descending sort)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value


def order_key(sort: str, descending: bool = False):
    """The list's order as one key: the column (either way), then the name A→Z, then the id."""
    key = _sort_key(sort)
    if descending:
        return lambda r: (_Descending(key(r)), r.name.lower(), r.id)
    return lambda r: (key(r), r.name.lower(), r.id)


def sort_rows(rows: list[TargetRow], sort: str, descending: bool = False) -> list[TargetRow]:
    return sorted(rows, key=order_key(sort, descending))


def resort(ordered: list[TargetRow], key, old: list[TargetRow], new: list[TargetRow]) -> list[TargetRow]:
    """`ordered` (sorted by `key`) with the `old` rows taken out and the `new` ones put in their place:
    a decision re-sorts one row, not 100,000."""
    out = list(ordered)
    for row in old:
        i = bisect.bisect_left(out, key(row), key=key)
        if i < len(out) and out[i].id == row.id:
            del out[i]
    for row in new:
        bisect.insort(out, row, key=key)
    return out


def in_scope(ordered: list[TargetRow], q: TargetQuery) -> list[TargetRow]:
    """The rows of the query's tier scope (dropped ones only if asked), in the given order."""
    return [r for r in ordered if _in_scope(r, q)]


def select_rows(
    scoped: list[TargetRow], q: TargetQuery, limit: int | None = None
) -> tuple[list[TargetRow], int, int]:
    """From the scope's rows in the query's order (`in_scope`): the first `limit` rows that match the
    filters and search, how many match, and how many are in scope (one pass over the rows)."""
    matched = scoped
    if q.search:
        needle = q.search.lower()
        matched = [r for r in scoped if needle in r.search_text]
    if q.ids is not None or q.stage or q.gap or q.owner or q.agenda_only or q.surging_only:
        matched = [r for r in matched if _matches(r, q)]
    return matched[:limit] if limit is not None else matched, len(matched), len(scoped)


def funnel_scope(rows: list[TargetRow], tier: int | None, owner: str | None) -> list[TargetRow]:
    """Active target accounts in the tier/owner filter: what the funnel counts."""
    return [
        r
        for r in rows
        if r.is_target
        and r.status == "active"
        and (tier is None or r.tier == tier)
        and (owner is None or owner in (r.owner_sales, r.owner_marketing))
    ]


def owners_of(rows: list[TargetRow]) -> list[str]:
    return sorted({o for r in rows for o in (r.owner_sales, r.owner_marketing) if o})
