"""The target list's row, described once: which columns it has, where each is stored, how it is encoded.

A row of the list is the account's own columns followed by its stored metrics (`AccountMetric`).
From `COLUMNS` come the SELECT the start-up reads with (`metric_cache`), the metric columns that
are stored (`METRIC_PART`), the computed row (`review.targets.list_tuples`, which fills each column
from the metrics frame by its `source` and `kind`) and the screens' row (`review.targets.target_row`,
which decodes by `kind`). To add a list column: one entry here, a migration for its `AccountMetric`
column, and its `TargetRow` field (CONTRIBUTING.md: How to add a list column; a test checks all four
agree). Plain Python: the first screen imports this before SQLAlchemy and pandas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class ListColumn:
    """One column of the list row."""

    name: str  # its name in the row (and the `TargetRow` field it becomes)
    table: str  # "a": the account's own column; "m": a stored metric (`AccountMetric`)
    kind: str = "value"  # how it is encoded and decoded: see ENCODE / DECODE
    source: str = ""  # the metrics frame's column it is computed from (stored metrics only)
    column: str = ""  # the database column, when it differs from `name`

    @property
    def db(self) -> str:
        return self.column or self.name


COLUMNS: tuple[ListColumn, ...] = (
    ListColumn("id", "a"),
    ListColumn("name", "a"),
    ListColumn("domain", "a"),
    ListColumn("tier", "a", "int"),
    ListColumn("is_target", "a", "bool"),
    ListColumn("status", "a"),
    ListColumn("icp_fit", "a", "int"),
    ListColumn("owner_sales", "a"),
    ListColumn("owner_marketing", "a"),
    ListColumn("version", "a", "version"),
    # The metrics' version: the account's version they were computed for (stale when it differs).
    ListColumn("metric_version", "m", "version", column="version"),
    ListColumn("stage", "m", "value", "stage"),
    ListColumn("score", "m", "int", "score"),
    ListColumn("is_mqa", "m", "bool", "is_mqa"),
    ListColumn("engaged_roles", "m", "int", "engaged_roles"),
    ListColumn("required_roles", "m", "int", "required_roles"),
    ListColumn("coverage", "m", "float", "buying_group_coverage"),
    ListColumn("top_gap", "m", "text", "top_gap"),
    ListColumn("gaps", "m", "gaps", "gaps"),
    ListColumn("pipeline", "m", "float", "open_pipeline"),
    ListColumn("last_touch", "m", "date", "last_engagement"),
    ListColumn("agenda", "m", "names", "agenda"),
    ListColumn("score_parts", "m", "parts", "active_stakeholders"),
)
NAMES = tuple(c.name for c in COLUMNS)
INDEX = {name: i for i, name in enumerate(NAMES)}
ACCOUNT_PART = tuple(c.db for c in COLUMNS if c.table == "a")
METRIC_PART = tuple(c.db for c in COLUMNS if c.table == "m")  # AccountMetric's columns after account_id
SELECT_LIST = "SELECT " + ", ".join(f"{c.table}.{c.db}" for c in COLUMNS)
ACCOUNT_VERSION, METRIC_VERSION = INDEX["version"], INDEX["metric_version"]
# Fields a `TargetRow` has beyond the stored ones: worked out from them when a row is read.
DERIVED = ("silent_roles", "search_text")


def as_date(value: Any) -> date | None:
    """SQLite hands dates back as text, PostgreSQL as dates."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@lru_cache(maxsize=4096)
def parse_gaps(text: str | None) -> tuple[Mapping[str, str], frozenset[str]]:
    """'decision_maker:covered:2,champion:missing:0' → ({role: gap}, roles with nobody engaged).

    Few distinct texts occur, so each is parsed once and its (read-only) mapping shared."""
    gaps, silent = {}, set()
    for part in (text or "").split(","):
        if part:
            role, gap, engaged = part.split(":")
            gaps[role] = gap
            if engaged == "0":
                silent.add(role)
    return MappingProxyType(gaps), frozenset(silent)


@lru_cache(maxsize=256)
def parse_names(text: str | None) -> tuple[str, ...]:
    return tuple(text.split(",")) if text else ()


# Stored value → the row's value, by kind (kinds not listed are kept as stored).
DECODE: dict[str, Callable[[Any], Any]] = {
    "bool": bool,
    "version": lambda v: v or 1,
    "date": as_date,
    "gaps": lambda text: parse_gaps(text)[0],
    "names": parse_names,
}
