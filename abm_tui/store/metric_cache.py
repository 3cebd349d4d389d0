"""The stored list metrics (`accountmetric`, `MetricState`): read at start-up, written after computing.

Reading goes through a plain DB-API connection (`sqlite3` for a file at the current schema, else the
engine's raw connection) and imports neither SQLAlchemy nor pandas: the first screen of a 100,000-account
list is one query. Writing happens after metrics were computed, when SQLAlchemy is loaded anyway.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abm_tui.config import sqlite_file
from abm_tui.store.list_row import METRIC_PART, METRIC_VERSION, SELECT_LIST, as_date

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine


@lru_cache(maxsize=1)
def schema_head() -> str:
    """The newest Alembic revision, without Alembic: migration files are named after their revision
    ("0005_decision_batch.py"; a test keeps names and revisions in step)."""
    versions = files("abm_tui.migrations.versions")
    return max(f.name.split("_", 1)[0] for f in versions.iterdir() if f.name[:4].isdigit())


LIST_QUERY = SELECT_LIST + " FROM account a LEFT JOIN accountmetric m ON m.account_id = a.id ORDER BY a.id"
TIERS_QUERY = "SELECT id, tier, is_target, status FROM account ORDER BY id"
# The default list: targets not dropped, Tier 1 first, highest score first (names break ties in Python).
TARGETS = (
    " FROM account a JOIN accountmetric m ON m.account_id = a.id WHERE a.is_target AND a.status <> 'dropped'"
)
TIER_ORDER = "(a.tier IS NULL), COALESCE(a.tier, 0), -m.score"


@dataclass(frozen=True)
class State:
    """What the stored metrics were computed for."""

    as_of: date
    params_key: str
    velocity: dict[str, float]


NEWEST_ACTIVITY = "data.newest_activity"  # written by every import (store/imports.py)


def resolve_as_of(settings: dict[str, str], override: date | None = None, today: date | None = None) -> date:
    """The as-of date: an explicit one, else the `as_of` setting, else today — unless the newest
    activity in the data is older than the engagement window (a CRM export from years ago): then
    that newest day, so the numbers describe the data rather than an empty window."""
    if override is not None:
        return override
    if settings.get("as_of"):
        return date.fromisoformat(settings["as_of"])
    today = today or date.today()
    newest = as_date(settings.get(NEWEST_ACTIVITY) or None)
    window = int(float(settings.get("window_days") or 90))
    if newest is not None and newest <= today - timedelta(days=window):  # outside the window T-W+1 … T
        return newest
    return today


def as_of_is_newest_data(settings: dict[str, str], override: date | None = None) -> bool:
    """Whether `resolve_as_of` fell back on the newest activity (the header says so)."""
    if override is not None or settings.get("as_of"):
        return False
    return resolve_as_of(settings) != date.today()


def connect_current(path: Path) -> sqlite3.Connection | None:
    """A plain connection to a SQLite file already at the current schema; None when it is not (missing,
    new, older or foreign: then the full store opens it, with its migrations and clear refusals)."""
    if not path.is_file():
        return None
    conn = sqlite3.connect(path, timeout=5)
    try:
        if at_current_schema(conn):
            return conn
    except sqlite3.Error:  # no alembic_version table: new or foreign
        pass
    conn.close()
    return None


def postgres_conninfo(url: str) -> str | None:
    """A libpq URI for a PostgreSQL URL (`postgresql+psycopg://…`); None for any other database."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        return None
    return f"postgresql://{rest}"


def connect_current_url(url: str) -> Any | None:
    """A plain DB-API connection (sqlite3, or psycopg without SQLAlchemy) to a database already at the
    current schema; None when it is not, or cannot be reached: then the full store opens it."""
    path = sqlite_file(url)
    if path is not None:
        return connect_current(path)
    conninfo = postgres_conninfo(url)
    if conninfo is None:
        return None
    try:
        import psycopg

        conn = psycopg.connect(conninfo, connect_timeout=10)
    except Exception:  # the driver missing, the server down: the store says so in its own words
        return None
    try:
        if at_current_schema(conn):
            conn.rollback()  # leave no transaction open on the server
            return conn
    except psycopg.Error:
        pass
    conn.close()
    return None


def read_settings(conn: Any) -> dict[str, str]:
    return dict(_query(conn, "SELECT key, value FROM setting"))


def read_state(conn: Any) -> State | None:
    rows = _query(conn, "SELECT as_of, params_key, velocity FROM metricstate WHERE id = 1")
    if not rows:
        return None
    stored_day, params_key, velocity = rows[0]
    as_of = as_date(stored_day)
    return None if as_of is None else State(as_of, params_key, json.loads(velocity))


def read_list(conn: Any) -> list[tuple]:
    """Every account with its stored metrics, in `list_row.COLUMNS` order, by id."""
    return _query(conn, LIST_QUERY)


def read_tiers(conn: Any) -> list[tuple[int, int | None, bool, str]]:
    """Every account's id, tier, target flag and status, by id: what a recompute orders its work by."""
    return [(i, t, bool(target), status) for i, t, target, status in _query(conn, TIERS_QUERY)]


# The stays of the active targets' deals that ended in the period (DESIGN §3 "Pipeline velocity"): a
# stage change ends at the next one of its deal (changes entered by the as-of day, in the order
# `metrics.opportunities.stage_stays` sorts them); per stage their days, count and positions in their
# deal's history, and where the stage first appears (ordering stages of equal mean position).
# Only deals with a stage change in the period can have a stay that ended in it (two-fifths of the
# time at 100,000 accounts); a stay's place in the pipeline order is its deal's id and position (one
# window, one sort: a second row_number over every change took another third).
VELOCITY_SQL = """
WITH sc AS (
  SELECT s.opportunity_id, s.stage, s.entered_at,
         lead(s.entered_at) OVER w AS ended_at,
         row_number() OVER w - 1 AS position
  FROM stagechange s
  WHERE s.entered_at <= ? AND s.opportunity_id IN (
    SELECT o.id FROM opportunity o JOIN account a ON a.id = o.account_id
    WHERE a.is_target AND a.status = 'active'
    AND o.id IN (SELECT opportunity_id FROM stagechange WHERE entered_at >= ? AND entered_at <= ?))
  WINDOW w AS (PARTITION BY s.opportunity_id ORDER BY s.entered_at, s.id))
SELECT stage, sum({days}), count(*), sum(position), min(CAST(opportunity_id AS BIGINT) * 1000000 + position)
FROM sc
WHERE ended_at IS NOT NULL AND ended_at >= ?
GROUP BY stage
"""


def stage_velocity(conn: Any, as_of: date, period_days: int) -> dict[str, float]:
    """`metrics.accounts.portfolio_velocity` worked out by the database (any DB-API connection): mean
    days per stage over the active targets' stays that ended in the period, stages in pipeline order
    (earlier in a deal's history first) — without reading the 500,000 stage changes of 100,000
    accounts into pandas, nor waiting for SQLAlchemy and pandas to load."""
    sqlite = is_sqlite(conn)
    days = "julianday(ended_at) - julianday(entered_at)" if sqlite else "ended_at - entered_at"
    start = as_of - timedelta(days=period_days - 1)
    first, last = (start.isoformat(), as_of.isoformat()) if sqlite else (start, as_of)
    params = (last, first, last, first)
    found = _query(conn, VELOCITY_SQL.format(days=days), params)
    order = sorted(found, key=lambda r: (float(r[3]) / r[2], r[4]))
    return {str(stage): float(total) / n for stage, total, n, _, _ in order}


def is_sqlite(conn: Any) -> bool:
    """Whether a DB-API connection (or SQLAlchemy's proxy of one) is SQLite's."""
    return isinstance(getattr(conn, "driver_connection", conn), sqlite3.Connection)


def _query(conn: Any, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of one query through any DB-API connection (`?` placeholders; `%s` for psycopg)."""
    if not is_sqlite(conn):
        sql = sql.replace("?", "%s")
    cur = conn.cursor()
    try:
        cur.execute(sql, params)
        return cur.fetchall()
    finally:
        cur.close()


def at_current_schema(conn: Any) -> bool:
    """Whether the database behind a DB-API connection is at the schema these queries are for."""
    return _query(conn, "SELECT version_num FROM alembic_version") == [(schema_head(),)]


def count_accounts(conn: Any) -> int:
    return _query(conn, "SELECT count(*) FROM account")[0][0]


def read_first_page(conn: Any, size: int) -> tuple[list[tuple], int] | None:
    """The rows that can be among the first `size` of the default list, and how many targets there are:
    every row up to the `size`-th one's tier and score, ties included (so sorting them by name in
    Python gives exactly the first rows of the whole list). None if some stored metrics are stale.
    Plain SQL that SQLite and PostgreSQL both read, in two statements (each a scan of the list on
    PostgreSQL: four took 0.26 s at 100,000 accounts)."""
    stale, targets = _query(
        conn,
        "SELECT sum(CASE WHEN m.version IS NULL OR m.version <> a.version THEN 1 ELSE 0 END),"
        " sum(CASE WHEN a.is_target AND a.status <> 'dropped' THEN 1 ELSE 0 END)"
        " FROM account a LEFT JOIN accountmetric m ON m.account_id = a.id",
    )[0]
    if stale:
        return None
    targets = int(targets or 0)
    if targets <= size:
        return _query(conn, SELECT_LIST + TARGETS), targets
    edge = f"(SELECT {TIER_ORDER}{TARGETS} ORDER BY 1, 2, 3 LIMIT 1 OFFSET ?)"
    return _query(conn, SELECT_LIST + TARGETS + f" AND ({TIER_ORDER}) <= {edge}", (size - 1,)), targets


# -- writing (SQLAlchemy) -----------------------------------------------------------------------------

INSERT_AT_ONCE = 10_000  # stored rows made into parameters at a time (100,000 at once: 50 MB more)


def _insert_rows(conn: Connection, rows: list[tuple]) -> None:
    """Store list-shaped rows (`list_row.COLUMNS`, the metric version being the account's)."""
    from abm_tui.store.db import insert_many
    from abm_tui.store.models import account_metric

    columns = ("account_id", *METRIC_PART)
    for start in range(0, len(rows), INSERT_AT_ONCE):  # a row's dict weighs more than its tuple
        part = rows[start : start + INSERT_AT_ONCE]
        insert_many(
            conn,
            account_metric,
            [dict(zip(columns, (r[0], *r[METRIC_VERSION:]), strict=True)) for r in part],
        )


def _state_values(state: State) -> dict[str, Any]:
    return {
        "id": 1,
        "as_of": state.as_of,
        "params_key": state.params_key,
        "velocity": json.dumps(state.velocity),
    }


def replace_all(engine: Engine, rows: list[tuple], state: State) -> None:
    """Store every account's metrics (list-shaped rows, see `_insert_rows`) as computed for `state`."""
    from sqlalchemy import delete, insert

    from abm_tui.store.models import MetricState, account_metric

    with engine.begin() as conn:
        conn.execute(delete(MetricState))
        conn.execute(delete(account_metric))
        if rows:
            _insert_rows(conn, rows)
        conn.execute(insert(MetricState).values(**_state_values(state)))


def replace_some(engine: Engine, rows: list[tuple], state: State) -> bool:
    """Store these accounts' metrics if the stored ones are still for `state` (else leave them be)."""
    from sqlalchemy import delete, select
    from sqlmodel import col

    from abm_tui.store.models import MetricState, account_metric

    if not rows:
        return True
    with engine.begin() as conn:
        current = conn.execute(select(col(MetricState.as_of), col(MetricState.params_key))).first()
        if current is None or (as_date(current[0]), current[1]) != (state.as_of, state.params_key):
            return False
        ids = [r[0] for r in rows]
        conn.execute(delete(account_metric).where(account_metric.c.account_id.in_(ids)))
        _insert_rows(conn, rows)
    return True


def forget(conn: Connection) -> None:
    """Mark every stored metric stale (imports call this inside their transaction)."""
    from sqlalchemy import delete

    from abm_tui.store.models import MetricState

    conn.execute(delete(MetricState))
