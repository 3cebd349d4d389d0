"""The target list's row, described once: the fields of `TargetRow` are the spec.

Each field says where its value lives: `Account()` — a column of `account`; `Metric(source)` — a stored
metric (table `accountmetric`), computed from the metrics frame's `source` column; `DERIVED` — worked
out when a row is read. From these come the SELECT the start-up reads with (`SELECT_LIST`), the
`accountmetric` table (`store.models`), the computed row (`review.targets.list_tuples`) and the decoding
into a `TargetRow` (`target_row`). To add a list column: one field here and a migration
(CONTRIBUTING.md: How to add a list column; a test checks the migrations agree).

How a value is stored and decoded (its kind) follows from its type — `int`, `float`, `bool`, `str`,
`date`, with `| None` when it may be missing — or is named for the few that need more: `version`,
`gaps` (a role → gap mapping) and `names` (a tuple of names).

Plain Python, and no `from __future__ import annotations` (the spec is read from the annotations at
import): the first screen imports this before SQLAlchemy and pandas.
"""

import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Annotated, Any, NamedTuple, get_args, get_origin


@dataclass(frozen=True)
class ListColumn:
    """Where one field of the list row is stored, and how."""

    table: str  # "a": the account's own column; "m": a stored metric; "": derived when read
    source: str = ""  # the metrics frame's column it is computed from (stored metrics only)
    kind: str = ""  # how it is encoded and decoded (filled in from the type when not given)
    column: str = ""  # the database column, when it differs from the field's name
    name: str = ""  # the field's name (filled in)
    nullable: bool = False  # filled in: the type allows None

    @property
    def db(self) -> str:
        return self.column or self.name


def Account(kind: str = "", column: str = "") -> ListColumn:
    return ListColumn("a", kind=kind, column=column)


def Metric(source: str, kind: str = "", column: str = "") -> ListColumn:
    return ListColumn("m", source, kind, column)


DERIVED = ListColumn("")


class TargetRow(NamedTuple):
    """One line of the target list (a named tuple: cheap to build for every account at start-up).

    The stored columns come first, the account's before the metrics'; the derived ones last."""

    id: Annotated[int, Account()]
    name: Annotated[str, Account()]
    domain: Annotated[str | None, Account()]
    tier: Annotated[int | None, Account()]
    is_target: Annotated[bool, Account()]
    status: Annotated[str, Account()]
    icp_fit: Annotated[int | None, Account()]
    owner_sales: Annotated[str | None, Account()]
    owner_marketing: Annotated[str | None, Account()]
    # The account row's version when read: decisions check it (optimistic concurrency).
    version: Annotated[int, Account("version")]
    # The account's version the metrics were computed for (stale when it differs).
    metric_version: Annotated[int, Metric("", "version", column="version")]
    stage: Annotated[str, Metric("stage")]
    score: Annotated[int, Metric("score")]
    is_mqa: Annotated[bool, Metric("is_mqa")]
    engaged_roles: Annotated[int | None, Metric("engaged_roles")]
    required_roles: Annotated[int, Metric("required_roles")]
    coverage: Annotated[float | None, Metric("buying_group_coverage")]
    top_gap: Annotated[str | None, Metric("top_gap")]
    gaps: Annotated[
        Mapping[str, str], Metric("gaps", "gaps")
    ]  # required role → missing / thin / silent / covered
    pipeline: Annotated[float, Metric("open_pipeline")]
    # What the funnel sums over its accounts (so it never reads the touches).
    influenced: Annotated[float, Metric("influenced_pipeline")]
    last_touch: Annotated[date | None, Metric("last_engagement")]
    agenda: Annotated[tuple[str, ...], Metric("agenda", "names")]  # the agenda rules that flag it
    intent_score: Annotated[float | None, Metric("intent_score")]  # the highest in the intent window
    surging_topics: Annotated[tuple[str, ...], Metric("surging_topics", "names")]
    # The score's inputs (the account screen explains the score with them).
    active_stakeholders: Annotated[int, Metric("active_stakeholders")]
    intent_points: Annotated[int, Metric("intent_points")]
    breadth: Annotated[float, Metric("breadth")]
    depth: Annotated[float, Metric("depth")]
    recency: Annotated[float, Metric("recency")]
    silent_roles: Annotated[frozenset[str], DERIVED]  # required roles with no contact engaged in the window
    search_text: Annotated[str, DERIVED]  # what a search looks in: the name in lower case, a tab, the domain

    def score_inputs(self) -> dict[str, float]:
        return {
            n: getattr(self, n)
            for n in ("active_stakeholders", "intent_points", "breadth", "depth", "recency")
        }

    @property
    def owners(self) -> str:
        return " / ".join(o for o in (self.owner_sales, self.owner_marketing) if o)

    @property
    def short_owners(self) -> str:
        """First names only: "James / Lotte"."""
        return " / ".join(o.split()[0] for o in (self.owner_sales, self.owner_marketing) if o)

    def days_since_last(self, as_of: date) -> int | None:
        return None if self.last_touch is None else (as_of - self.last_touch).days


# What a derived field is worked out from (Python over the stored row `t`, by the stored names).
DERIVED_FROM = {
    "silent_roles": "parse_gaps(t[{gaps}])[1]",
    "search_text": "t[{name}].lower() + '\\t' + (t[{domain}] or '')",
}
KIND_OF_TYPE = {int: "int", float: "float", bool: "bool", str: "text", date: "date"}


def _spec() -> tuple[ListColumn, ...]:
    spec = []
    for name, hint in TargetRow.__annotations__.items():
        base, where = get_args(hint)[0], get_args(hint)[1]
        nullable = isinstance(base, types.UnionType) and type(None) in get_args(base)
        if nullable:
            (base,) = [a for a in get_args(base) if a is not type(None)]
        kind = where.kind or KIND_OF_TYPE.get(get_origin(base) or base, "")
        if where.table and not kind:
            raise TypeError(f"TargetRow.{name}: say how a {base} is stored (a kind)")
        spec.append(replace(where, name=name, kind=kind, nullable=nullable))
    return tuple(spec)


FIELDS = _spec()
COLUMNS = tuple(c for c in FIELDS if c.table)  # the stored row, in order
NAMES = tuple(c.name for c in COLUMNS)
INDEX = {name: i for i, name in enumerate(NAMES)}
METRIC_PART = tuple(c.db for c in COLUMNS if c.table == "m")  # accountmetric's columns after account_id
SELECT_LIST = "SELECT " + ", ".join(f"{c.table}.{c.db}" for c in COLUMNS)
ACCOUNT_VERSION, METRIC_VERSION = INDEX["version"], INDEX["metric_version"]


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


NAMES_SEPARATOR = "\x1f"  # names (topics) may hold commas


@lru_cache(maxsize=4096)
def parse_names(text: str | None) -> tuple[str, ...]:
    return tuple(text.split(NAMES_SEPARATOR)) if text else ()


# Stored value → the row's value, by kind (kinds not listed are kept as stored).
DECODE: dict[str, Callable[[Any], Any]] = {
    "bool": bool,
    "version": lambda v: v or 1,
    "date": as_date,
    "gaps": lambda text: parse_gaps(text)[0],
    "names": parse_names,
}


def _row_builder() -> Callable[[tuple], TargetRow]:
    """`target_row`, written out from the spec once (as `collections.namedtuple` writes its class):
    one call per row with each column decoded in place, as fast as hand-written code."""
    names: dict[str, Any] = {"TargetRow": TargetRow, "parse_gaps": parse_gaps}
    args = []
    for c in FIELDS:
        if not c.table:
            args.append(DERIVED_FROM[c.name].format(**INDEX))
        elif c.kind in DECODE:
            names[f"decode_{c.kind}"] = DECODE[c.kind]
            args.append(f"decode_{c.kind}(t[{INDEX[c.name]}])")
        else:
            args.append(f"t[{INDEX[c.name]}]")
    return eval(f"lambda t: TargetRow({', '.join(args)})", names)


target_row = _row_builder()
target_row.__doc__ = "A list row as stored (`COLUMNS`, in order) as a `TargetRow`."
