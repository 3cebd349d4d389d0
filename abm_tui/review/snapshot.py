"""The data the screens show, as plain values: the list's snapshot and one account's view.

A `Snapshot` is every account's list metrics at one as-of date; it never changes once made (a
decision makes a new one, `with_rows`), but it keeps the list orders it has sorted in a `ListCache`
so a keystroke filters rather than sorts again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from abm_tui.domain import Params
from abm_tui.review.targets import TargetQuery, TargetRow, in_scope, order_key, resort, sort_rows
from abm_tui.store.metric_cache import State

if TYPE_CHECKING:
    import pandas as pd

ScopeKey = tuple[str, bool, str, bool]  # sort, descending, tier scope, show dropped


class ListCache:
    """The orders a snapshot has sorted its rows in, and the rows of the last scope asked for."""

    def __init__(self, orders: dict[tuple[str, bool], list[TargetRow]] | None = None) -> None:
        self.orders: dict[tuple[str, bool], list[TargetRow]] = orders or {}
        self.scope_key: ScopeKey | None = None
        self.scope_rows: list[TargetRow] = []


def has_engagement(settings: dict[str, str]) -> bool:
    """Whether the database holds any engagement (recorded by each import; unknown counts as yes)."""
    return settings.get("data.engagements") != "false"


@dataclass(frozen=True, repr=False)
class Snapshot:
    """Every account's list metrics at one as-of date, as last loaded from the store."""

    as_of: date
    params: Params
    rows: list[TargetRow]
    settings: dict[str, str]
    velocity: dict[str, float] = field(default_factory=dict)  # portfolio days per stage (for "stalled")
    by_id: dict[int, TargetRow] = field(default_factory=dict, repr=False)
    targets: int | None = None  # set on a first page only: how many targets the whole list has
    cache: ListCache = field(default_factory=lambda: ListCache(), compare=False)

    @property
    def complete(self) -> bool:
        """False for the first page of a long list, shown while every account is read."""
        return self.targets is None

    def __post_init__(self) -> None:
        if not self.by_id:
            self.by_id.update((r.id, r) for r in self.rows)

    def __repr__(self) -> str:  # short: Textual names workers after their arguments
        return f"Snapshot(as_of={self.as_of}, {len(self.rows):,} accounts)"

    def row(self, account_id: int) -> TargetRow | None:
        return self.by_id.get(account_id)

    @property
    def currency(self) -> str | None:
        """The currency amounts are shown in (the `currency` setting, else the deals')."""
        from abm_tui.exporters.numbers import currency_of

        return currency_of(self.settings)

    @property
    def has_engagement(self) -> bool:
        """False while the database holds no engagement at all (scores then mean nothing yet)."""
        return has_engagement(self.settings)

    def with_rows(self, changed: list[TargetRow]) -> Snapshot:
        """This snapshot with these rows replaced (or added): a decision changes a row, not the list,
        so the kept orders are patched rather than sorted again."""
        new = {r.id: r for r in changed}
        old = [self.by_id[i] for i in new if i in self.by_id]
        rows = [new.get(r.id, r) for r in self.rows]
        rows += sorted((r for i, r in new.items() if i not in self.by_id), key=lambda r: r.id)
        cache = ListCache({k: resort(v, order_key(*k), old, changed) for k, v in self.cache.orders.items()})
        if self.cache.scope_key is not None:  # the list on screen: patched the same way
            sort, descending, tier, show_dropped = key = self.cache.scope_key
            q = TargetQuery(tier=tier, show_dropped=show_dropped, sort=sort, descending=descending)
            cache.scope_key = key
            cache.scope_rows = resort(
                self.cache.scope_rows, order_key(sort, descending), in_scope(old, q), in_scope(changed, q)
            )
        return replace(self, rows=rows, by_id={**self.by_id, **new}, cache=cache)

    def ordered(self, sort: str = "tier", descending: bool = False) -> list[TargetRow]:
        """The rows in a list order (sorted once per snapshot and order, then kept)."""
        orders = self.cache.orders
        if (sort, descending) not in orders:
            orders[(sort, descending)] = sort_rows(self.rows, sort, descending)
        return orders[(sort, descending)]

    def scoped(self, q: TargetQuery) -> list[TargetRow]:
        """The rows of `q`'s scope in its order: kept for the last scope asked (and patched by
        `with_rows`), so a keystroke of a search only filters."""
        key = (q.sort, q.descending, q.tier, q.show_dropped)
        if self.cache.scope_key != key:
            self.cache.scope_key = key
            self.cache.scope_rows = in_scope(self.ordered(q.sort, q.descending), q)
        return self.cache.scope_rows

    @property
    def state(self) -> State:
        return State(self.as_of, self.params.key(), self.velocity)


@dataclass(frozen=True)
class AccountView:
    """Everything the account screen shows."""

    row: TargetRow
    details: dict[str, Any]
    metrics: dict[str, float]  # the score's inputs (`TargetRow.score_inputs`)
    per_role: pd.DataFrame
    as_of: date
    gaps: list[dict[str, Any]]  # role, min_contacts, contacts, engaged, gap
    opportunities: list[
        dict[str, Any]
    ]  # name, currency, stage (as of T), amount, close_date, days_in_stage, outcome
    window_days: int = 90
    changes: str = ""  # since the last meeting
    follow_ups: tuple[str, ...] = ()
    # Intent in the window: (topic, score, date), newest first.
    signals: tuple[tuple[str, float, date], ...] = ()
    intent_days: int = 14
    call_next: tuple[str, ...] = ()  # who to call for each gap (review/call_next.py)
