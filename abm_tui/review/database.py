"""One database as the review uses it: a URL, the engine made on first use, plain or ORM connections.

The first screen is read with a plain DB-API connection from the stored metrics, before SQLAlchemy
and pandas load; everything else goes through the engine, made once (thread-safe) when first needed.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from abm_tui.config import sqlite_file
from abm_tui.store import metric_cache

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from abm_tui.metrics.dataset import Dataset


DEALS = ("accounts", "opportunities", "spend")  # what the funnel's numbers read (`Database.deals`)


class Database:
    """A database URL (or an engine), with its engine made lazily."""

    def __init__(self, store: Engine | str) -> None:
        self._engine: Engine | None = None if isinstance(store, str) else store
        self.url = store if isinstance(store, str) else store.url.render_as_string(hide_password=False)
        self._lock = threading.Lock()
        self._portfolio: Dataset | None = None
        self._deals: Dataset | None = None
        self._portfolio_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                from abm_tui.store.db import make_engine

                self._engine = make_engine(self.url)
            return self._engine

    def portfolio(self) -> Dataset:
        """Every deal, stage change, touch and contact, read once and shared by the funnel and what
        moved (one read of the largest tables instead of two; `forget_portfolio` after an import)."""
        from abm_tui.store.repo import TABLES, load_dataset

        # Every table but the intent signals (the list rows carry what the funnel needs of them);
        # the accounts come from the snapshot, so only their churn dates are read. The deals, spend
        # and churn dates the funnel read already are kept, not read (and held) twice.
        with self._portfolio_lock:
            if self._portfolio is None:
                deals = self._deals
                kept = DEALS if deals is not None else ()
                tables = tuple(t for t in TABLES if t != "intent_signals" and t not in kept)
                data = load_dataset(self.engine, tables=tables, account_columns=("id", "churned_at"))
                if deals is not None:
                    data = replace(data, **{t: getattr(deals, t) for t in DEALS})
                self._portfolio, self._deals = data, None
            return self._portfolio

    def deals(self) -> Dataset:
        """What the funnel's numbers read besides the list rows: the deals, the spend and the churn
        dates — not the touches, contacts or stage changes (the list rows carry what it needs of
        them). The portfolio's when that is read."""
        from abm_tui.store.repo import load_dataset

        with self._portfolio_lock:
            if self._portfolio is not None:
                return self._portfolio
            if self._deals is None:
                self._deals = load_dataset(self.engine, tables=DEALS, account_columns=("id", "churned_at"))
            return self._deals

    def forget_portfolio(self) -> None:
        with self._portfolio_lock:
            self._portfolio = self._deals = None

    def read_connection(self) -> Any:
        """A DB-API connection: plain sqlite3 for a SQLite file at the current schema, and psycopg for
        PostgreSQL until the engine is made (no SQLAlchemy: the start's reading thread must not import
        it while the warm-up thread does — two threads importing it at once failed); else the engine's."""
        plain = sqlite_file(self.url) is not None or self._engine is None
        conn = metric_cache.connect_current_url(self.url) if plain else None
        return conn if conn is not None else self.engine.raw_connection()

    def session(self, **kw: Any) -> Session:
        from sqlmodel import Session

        return Session(self.engine, **kw)

    def name(self) -> str:
        """The SQLite file's name, or the PostgreSQL database's."""
        path = sqlite_file(self.url)
        if path is not None:
            return path.name
        conninfo = metric_cache.postgres_conninfo(self.url)
        if conninfo is not None:  # read by libpq: SQLAlchemy, imported here, held up the first screen
            from psycopg.conninfo import conninfo_to_dict

            parts = conninfo_to_dict(conninfo)
            return f"{parts.get('dbname') or 'database'} on {parts.get('host') or 'localhost'}"
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        return f"{url.database or 'database'} on {url.host or 'localhost'}"
