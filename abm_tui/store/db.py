"""Engine, connection pragmas and automatic Alembic upgrades."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Engine, Table, create_engine, event, insert, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from abm_tui.config import sqlite_file
from abm_tui.errors import StoreError
from abm_tui.store import models  # noqa: F401  (registers the tables on the metadata)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL + synchronous=FULL: a committed decision survives a crash or power loss.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(url: str) -> Engine:
    path = sqlite_file(url)
    if path is not None:
        if not path.parent.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"Cannot create the folder {path.parent}: {exc.strerror}.") from exc
        engine = create_engine(url, connect_args={"timeout": 5}, poolclass=NullPool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(files("abm_tui.migrations")))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()  # type: ignore[arg-type]
    assert head is not None  # the package ships its migrations
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup_sqlite(path: Path, suffix: str) -> Path:
    """Copy a live SQLite file consistently (WAL included) with the backup API."""
    target = path.with_name(f"{path.name}.bak-{suffix}")
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to `revision`, backing a SQLite file up before touching an existing schema.

    Returns the revision the database had before (None for a new database).
    """
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(engine)
    script = ScriptDirectory.from_config(cfg)
    where = describe(engine)
    try:
        current = current_revision(engine)
        tables = set(inspect(engine).get_table_names()) if current is None else set()
    except Exception as exc:  # not a database at all, unreadable, …
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0].rstrip(".")
        raise StoreError(f"{where} is not a usable database ({reason}).") from exc
    if current is None and tables:
        # Another program's database: adding our tables to it (or half of them) would spoil both.
        raise StoreError(
            f"{where} is not an abm-tui database (it already holds other tables); choose another file."
        )
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"This database was written by a newer version of abm-tui (schema {current}); "
            "upgrade abm-tui to open it."
        )
    target = script.get_current_head() if revision == "head" else revision
    if current == target:
        return current
    path = sqlite_file(str(engine.url))
    if current is not None and path is not None and path.exists():
        backup_sqlite(path, current)
    command.upgrade(cfg, revision)
    return current


BULK_ROWS = 20_000  # from this many rows (and as many as the table held) the indexes are built afterwards
BULK_CACHE_KIB = 131_072  # SQLite page cache while inserting that many (128 MiB; the default is 2 MiB)


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy's SQLite types store: datetimes and dates as ISO text (booleans as 0/1 by sqlite3)."""
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys (see `insert_columns`)."""
    if rows:
        insert_columns(conn, table, {c: [r[c] for r in rows] for c in rows[0]})


def insert_columns(conn: Connection, table: Table, columns: dict[str, Any]) -> None:
    """Insert rows given as columns of equal length (lists, numpy arrays or pandas Series): on SQLite
    straight through the driver's executemany (SQLAlchemy's per-row parameter processing was a
    quarter of an import's time), on PostgreSQL with psycopg by `COPY … FROM STDIN`; else
    SQLAlchemy's own bulk insert."""
    n = len(next(iter(columns.values()), ()))
    if not n:
        return
    if not conn.in_transaction():  # (the driver is used directly below: its statements are in
        conn.begin()  # SQLAlchemy's transaction, begun as its own execute would, for the caller's commit)
    names = list(columns)
    postgres = conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"
    if conn.dialect.name != "sqlite" and not postgres:
        conn.execute(insert(table), [dict(zip(names, r, strict=True)) for r in zip(*columns.values())])
        return
    # The Python-side column defaults SQLAlchemy would fill in (version 1, created_at, status, …).
    defaults = {
        c.name: c.default.arg if c.default.is_scalar else c.default.arg(None)  # type: ignore[attr-defined]
        for c in table.columns
        if c.default is not None and c.name not in columns
    }
    # numpy's and pandas' `tolist` gives Python values (the drivers take no numpy scalars)
    values = [v.tolist() if hasattr(v, "tolist") else list(v) for v in columns.values()]
    values += [[d] * n for d in defaults.values()]
    names += list(defaults)
    if postgres:
        bulk = (
            n >= BULK_ROWS and n >= conn.exec_driver_sql(f'SELECT count(*) FROM "{table.name}"').scalar_one()
        )
        rebuilt = _drop_postgres_indexes(conn, table) if bulk else []
        _copy(conn, table, names, zip(*values, strict=True))
        for statement in rebuilt:
            conn.exec_driver_sql(statement)
        return
    for i, name in enumerate(names):
        if isinstance(table.c[name].type, Date | DateTime):
            text: dict[Any, Any] = {}  # an export repeats its dates: each converted once
            values[i] = [text[v] if v in text else text.setdefault(v, _sqlite_value(v)) for v in values[i]]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    if n < BULK_ROWS or n < conn.exec_driver_sql(f'SELECT count(*) FROM "{table.name}"').scalar_one():
        _executemany(conn, sql, values)  # (a few rows more: kept in each index as they come)
        return
    # Many rows (an import, every account's metrics): a page cache that holds the table's unique index,
    # and its plain indexes built once afterwards instead of row by row. Both inside the transaction:
    # a failed import leaves the indexes as they were. 789,000 touches: 10.9 s → 4.8 s.
    conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    if not conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        # sqlite3 opens a transaction only at the first INSERT: the DROP INDEX would commit alone.
        conn.exec_driver_sql("BEGIN")
    # (A unique constraint's own index has no `sql` and cannot be dropped; a unique index can: a
    # repeated key then fails its CREATE, and the whole transaction with it.)
    plain = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table.name,),
    ).fetchall()
    for name, _ in plain:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    _executemany(conn, sql, values)
    for _, create in plain:
        conn.exec_driver_sql(create)


def _executemany(conn: Connection, sql: str, columns: list[list[Any]]) -> None:
    """The driver's executemany over the rows as they are zipped (a list of them first took a
    sixth more time), in the connection's transaction (sqlite3 begins it at an INSERT, as always)."""
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, zip(*columns, strict=True))
    except dbapi.Error as exc:  # as SQLAlchemy raises it (IntegrityError, OperationalError, …)
        raise DBAPIError.instance(sql, None, exc, dbapi.Error, dialect=conn.dialect) from exc
    finally:
        cursor.close()


def _drop_postgres_indexes(conn: Connection, table: Table) -> list[str]:
    """Drop a table's indexes, unique and foreign-key constraints (not its primary key) and return
    the statements that make them again: built once after a `COPY` of more rows than the table held
    (each kept row by row, 789,000 touches took 10.9 s to load; 4.9 s so). In the transaction: an
    import that fails leaves them as they were. Only then: it locks the table until the commit."""
    name = f'"{table.name}"'
    constraints = conn.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %(t)s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
        {"t": name},
    ).fetchall()
    indexes = conn.exec_driver_sql(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = %(t)s::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        " ORDER BY i.relname",
        {"t": name},
    ).fetchall()
    for constraint, _ in constraints:
        conn.exec_driver_sql(f'ALTER TABLE {name} DROP CONSTRAINT "{constraint}"')
    for index, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{index}"')
    return [create for _, create in indexes] + [
        f'ALTER TABLE {name} ADD CONSTRAINT "{constraint}" {definition}'
        for constraint, definition in reversed(constraints)
    ]


def _copy(conn: Connection, table: Table, names: list[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL's bulk load, in the connection's transaction (psycopg adapts each value's type)."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    quoted = ", ".join(f'"{n}"' for n in names)
    try:
        with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def describe(engine: Engine) -> str:
    path = sqlite_file(str(engine.url))
    return str(path) if path is not None else engine.url.render_as_string(hide_password=True)


def open_store(url: str) -> tuple[Engine, bool]:
    """Create the engine and upgrade the schema to head; the flag says the database is new."""
    engine = make_engine(url)
    return engine, migrate(engine) is None
