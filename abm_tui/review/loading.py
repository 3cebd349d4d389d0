"""Loading the list: the stored metrics when they are current, every account's recomputed when not,
one account's after a decision. Runs in worker threads; returns snapshots, never touches widgets."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date

from abm_tui.domain import Params
from abm_tui.review.database import Database
from abm_tui.review.snapshot import Snapshot, has_engagement
from abm_tui.store import metric_cache
from abm_tui.store.list_row import ACCOUNT_VERSION, METRIC_VERSION, target_row
from abm_tui.store.metric_cache import State

# Accounts computed at a time when every metric is recomputed: bounds the memory (at 100,000 accounts
# chunks of 20,000 peaked 36 MB higher for 0.2 s less; smaller ones saved no more).
CHUNK = 10_000
FIRST_PAGE_FROM = 5_000  # lists this long show their first page before every account is read
PAGE = 200  # rows a first page must hold (the list screen shows this many)
Progress = Callable[[int, int], None]
Page = Callable[["Snapshot"], None]


class ListLoader:
    """Snapshots of one database's list, and the latest one (`current`)."""

    def __init__(self, db: Database, as_of: date | None, on_recompute: Callable[[], None]) -> None:
        self.db = db
        self.as_of_override = as_of
        self.on_recompute = on_recompute  # every account recomputed: what was read for them is stale
        self.current: Snapshot | None = None  # the latest snapshot, kept under `_lock`
        self._lock = threading.Lock()

    def load(self, progress: Progress | None = None, page: Page | None = None) -> Snapshot:
        """Every account's list row. When they are all to be recomputed (after an import, on a new day),
        `page` gets the first `PAGE` rows of the default list as soon as those are known."""
        with self._lock:
            self.current = self._load(progress, page)
            return self.current

    def first_page(self, size: int) -> Snapshot | None:
        """The first `size` rows of the default list (targets by tier), straight from the stored metrics
        of a long list; None when those are stale or the list is short (`load` is as quick)."""
        # sqlite3 or psycopg straight away, before SQLAlchemy is imported; None: missing, new or at an
        # older schema (then `load` goes through the store).
        conn = metric_cache.connect_current_url(self.db.url)
        if conn is None:
            return None
        try:
            settings, as_of, params, state = self._stored_state(conn)
            if state is None:
                return None
            if metric_cache.count_accounts(conn) < FIRST_PAGE_FROM:
                return None
            page = metric_cache.read_first_page(conn, size)
        finally:
            conn.close()
        if page is None:
            return None
        rows, targets = page
        return Snapshot(
            as_of, params, [target_row(t) for t in rows], settings, state.velocity, targets=targets
        )

    def after_decision(self, account_ids: set[int]) -> Snapshot:
        """The snapshot with these accounts recomputed (decisions are applied one after the other)."""
        with self._lock:
            self.current = (
                self._load(None, None) if self.current is None else self.refresh(self.current, account_ids)
            )
            return self.current

    def _stored_state(self, conn) -> tuple[dict[str, str], date, Params, State | None]:
        """Settings, as-of date and parameters, and what the stored metrics were computed for: None
        when they were computed for another day or other parameters (or not at all)."""
        settings = metric_cache.read_settings(conn)
        as_of = metric_cache.resolve_as_of(settings, self.as_of_override)
        params = Params.from_settings(settings)
        state = metric_cache.read_state(conn)
        if state is not None and (state.as_of, state.params_key) != (as_of, params.key()):
            state = None
        return settings, as_of, params, state

    def _load(self, progress: Progress | None, page: Page | None) -> Snapshot:
        """The stored metrics when they are for this as-of date and these parameters (accounts changed
        since, by another window or a crash, are recomputed); else every account's, recomputed."""
        conn = self.db.read_connection()
        try:
            settings, as_of, params, state = self._stored_state(conn)
            if state is None:  # what the stored rows say is stale: only the tiers are read
                accounts = metric_cache.read_tiers(conn)
            else:
                listing = metric_cache.read_list(conn)
        finally:
            conn.close()
        if state is None:
            return self._compute_all(as_of, params, settings, accounts, progress, page)
        stale = {t[0] for t in listing if t[METRIC_VERSION] != t[ACCOUNT_VERSION]}
        snap = Snapshot(as_of, params, [target_row(t) for t in listing], settings, state.velocity)
        snap = self.refresh(snap, stale) if stale else snap
        snap.ordered()  # the default order, sorted here rather than on the screen's thread
        return snap

    def _compute_all(
        self,
        as_of: date,
        params: Params,
        settings: dict[str, str],
        accounts: list[tuple[int, int | None, bool, str]],
        progress: Progress | None,
        page: Page | None,
    ) -> Snapshot:
        """Every account's metrics, computed in chunks and stored. A long list's first page goes first:
        the targets of the lowest tiers that fill it are computed, and handed to `page`, before the rest."""
        self.on_recompute()
        ids = [t[0] for t in accounts]
        if progress:
            progress(0, len(ids))

        def velocity_now() -> dict[str, float]:  # through DB-API: no waiting for SQLAlchemy to load
            conn = self.db.read_connection()
            try:
                return metric_cache.stage_velocity(conn, as_of, params.period_days)
            finally:
                conn.close()

        # The portfolio's stage velocity is worked out by the database in a thread of its own (SQLite
        # and psycopg let go of the GIL meanwhile), while SQLAlchemy and pandas load here and the
        # first page's rows are read.
        with ThreadPoolExecutor(1) as pool:
            velocity_of = pool.submit(velocity_now)
            from abm_tui.metrics.accounts import account_metrics
            from abm_tui.review.targets import list_tuples
            from abm_tui.store.repo import MANY_IDS, load_dataset

            first, targets = first_page_ids(accounts, PAGE)
            paged = page is not None and len(ids) >= FIRST_PAGE_FROM
            paged = paged and 0 < len(first) <= min(MANY_IDS, len(ids) // 2)
            if paged and len(first) > 2 * PAGE:  # only those whose score can put them on the page
                first = self._highest_scores(first, dict((t[0], t[1]) for t in accounts), as_of, params)
            first_rows = load_dataset(self.db.engine, ids=set(first)) if paged else None
            velocity = velocity_of.result()
        computed: dict[int, tuple] = {}

        def compute(ds) -> None:
            metrics = account_metrics(
                ds, as_of, params, stage_velocity=velocity, engagement_data=has_engagement(settings)
            )
            computed.update((t[0], t) for t in list_tuples(ds.accounts, metrics))

        if page is not None and first_rows is not None:
            compute(first_rows)
            del first_rows
            rows = [target_row(computed[i]) for i in first]
            page(Snapshot(as_of, params, rows, settings, velocity, targets=targets))
            if progress:
                progress(len(computed), len(ids))
        size = min(CHUNK, max(2_000, len(ids) // 5))  # at least five steps of progress on a long list
        for start in range(0, len(ids), size):
            part = ids[start : start + size]
            todo = {i for i in part if i not in computed}
            if todo:
                ds = load_dataset(self.db.engine, id_range=(part[0], part[-1]))
                compute(ds if len(todo) == len(part) else ds.subset(todo))
            if progress:
                progress(len(computed), len(ids))
        tuples = [computed[i] for i in ids]
        computed.clear()  # the rows live on in `tuples`
        state = State(as_of, params.key(), velocity)
        metric_cache.replace_all(self.db.engine, tuples, state)
        snap = Snapshot(as_of, params, [target_row(t) for t in tuples], settings, velocity)
        snap.ordered()
        return snap

    def _highest_scores(
        self, candidates: list[int], tiers: dict[int, int | None], as_of: date, params: Params
    ) -> list[int]:
        """Of the first tiers' targets, those a first page of `PAGE` rows can show: the default list
        orders them by tier, then score (ties by name), and the score needs only the touches in the
        window (`engagement_scores`, the function the metrics use). Ties at the last place are kept."""
        import pandas as pd

        from abm_tui.metrics.accounts import engagement_scores, window_engagements
        from abm_tui.metrics.dataset import as_timestamp
        from abm_tui.store.repo import load_dataset

        T = as_timestamp(as_of)
        since = (T - pd.Timedelta(days=params.window_days)).to_pydatetime()  # the window and a little more
        touches = load_dataset(
            self.db.engine, ids=set(candidates), tables=("engagements",), engagements_since=since
        )
        score = engagement_scores(window_engagements(touches, T, params.window_days), pd.Index(candidates), T)
        keys = {
            i: (tiers[i] is None, tiers[i] or 0, -s) for i, s in zip(candidates, score["score"], strict=True)
        }
        edge = sorted(keys.values())[PAGE - 1]
        return [i for i in candidates if keys[i] <= edge]

    def refresh(self, snap: Snapshot, account_ids: set[int]) -> Snapshot:
        """The snapshot after decisions on `account_ids`: only their rows are read and recomputed.

        A decision changes an account's own row (tier, target flag, status), so its metrics are all
        that can move; the portfolio's stage velocity does not. Gives the same numbers as `load()`.
        """
        from abm_tui.metrics.accounts import account_metrics
        from abm_tui.review.targets import list_tuples
        from abm_tui.store.repo import load_dataset

        ds = load_dataset(self.db.engine, ids=set(account_ids))
        metrics = account_metrics(
            ds, snap.as_of, snap.params, stage_velocity=snap.velocity, engagement_data=snap.has_engagement
        )
        tuples = list_tuples(ds.accounts, metrics)
        metric_cache.replace_some(self.db.engine, tuples, snap.state)
        return snap.with_rows([target_row(t) for t in tuples])

    def decided(self, account_ids: set[int]) -> Snapshot | None:
        """The latest snapshot with these accounts' own fields (tier, target flag, status) as now saved:
        shown at once, while `after_decision` recomputes their metrics."""
        snap = self.current
        if snap is None or not account_ids:
            return None
        conn = self.db.read_connection()
        try:
            cur = conn.cursor()
            ids = ", ".join(str(int(i)) for i in account_ids)
            cur.execute(f"SELECT id, tier, is_target, status, version FROM account WHERE id IN ({ids})")
            saved = cur.fetchall()
            cur.close()
        finally:
            conn.close()
        return snap.with_rows(
            [
                snap.by_id[i]._replace(tier=tier, is_target=bool(target), status=status, version=version)
                for i, tier, target, status, version in saved
                if i in snap.by_id
            ]
        )


def read_first_page_ahead(url: str, as_of: date | None) -> Future[Snapshot | None]:
    """`ListLoader.first_page(PAGE)` of the database at `url`, read in a thread from now on: the start
    reads it while it imports the UI (after it, the first screen of 100,000 accounts on PostgreSQL
    waited 0.2 s for the page's queries)."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="first-page")
    try:
        return pool.submit(ListLoader(Database(url), as_of, lambda: None).first_page, PAGE)
    finally:
        pool.shutdown(wait=False)


def first_page_ids(accounts: list[tuple[int, int | None, bool, str]], size: int) -> tuple[list[int], int]:
    """The accounts that fill the default list's first `size` rows however their scores come out — the
    targets (not dropped) of the first tiers in list order, whole tiers until there are `size` of
    them — and how many targets there are. `accounts`: id, tier, target flag, status
    (`metric_cache.read_tiers`)."""
    by_tier: dict[tuple[bool, int], list[int]] = {}
    for account_id, tier, is_target, status in accounts:
        if is_target and status != "dropped":
            by_tier.setdefault((tier is None, tier or 0), []).append(account_id)
    first: list[int] = []
    for key in sorted(by_tier):  # the list's tier order: Tier 1 first, no tier last
        if len(first) >= size:
            break
        first += by_tier[key]
    return first, sum(len(v) for v in by_tier.values())
