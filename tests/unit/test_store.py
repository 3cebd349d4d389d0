"""The store: Alembic migrations, SQLite pragmas, the append-only decision log, backups, bad files."""

from __future__ import annotations

import shutil
import sqlite3
from importlib.resources import files
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect, text

from abm_tui import cli
from abm_tui.store import db as store_db
from abm_tui.store.db import (
    StoreError,
    backup_sqlite,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    open_store,
)
from abm_tui.store.models import metadata

ISSUE_TABLES = {
    "account",
    "contact",
    "engagement",
    "opportunity",
    "stagechange",
    "rolerequirement",
    "meeting",
    "decision",
    "setting",
}


def url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def store(tmp_path):
    engine, is_new = open_store(url(tmp_path / "abm.sqlite"))
    assert is_new
    yield engine
    engine.dispose()


# --- migrations ---------------------------------------------------------------------------------


def test_migration_creates_every_table_of_the_issue(store):
    tables = set(inspect(store).get_table_names())
    assert ISSUE_TABLES <= tables
    # Meetings (issue 4) add follow-ups and skipped agenda entries; speed (issue 6) the stored list metrics.
    assert tables - ISSUE_TABLES == {
        "alembic_version",
        "followup",
        "meetingskip",
        "accountmetric",
        "metricstate",
        "spend",  # revenue outcomes and intent (issue 15)
        "intentsignal",
    }


def test_schema_is_at_head_after_open(store):
    assert current_revision(store) == head_revision()


def test_no_drift_between_models_and_migrations(store):
    """`alembic check`: autogenerate against the migrated database finds nothing to do."""
    with store.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diffs = compare_metadata(ctx, metadata)
    assert diffs == []


def test_default_buying_groups_are_seeded(store):
    with store.connect() as conn:
        rows = conn.execute(text("SELECT tier, role, min_contacts FROM rolerequirement")).all()
    got = {(t, r): n for t, r, n in rows}
    assert got == {
        (1, "decision_maker"): 1,
        (1, "budget_holder"): 1,
        (1, "influencer"): 2,
        (1, "champion"): 1,
        (1, "technical"): 1,
        (2, "decision_maker"): 1,
        (2, "budget_holder"): 1,
        (2, "influencer"): 1,
        (2, "champion"): 1,
        (3, "decision_maker"): 1,
        (3, "champion"): 1,
    }


def test_reopening_an_up_to_date_database_is_not_new_and_keeps_data(tmp_path):
    path = tmp_path / "abm.sqlite"
    engine, is_new = open_store(url(path))
    assert is_new
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO setting (key, value) VALUES ('user_name', 'sam')"))
    engine.dispose()
    engine, is_new = open_store(url(path))
    assert not is_new
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM setting WHERE key = 'user_name'")).scalar() == "sam"
    engine.dispose()


def test_make_engine_creates_missing_parent_folders(tmp_path):
    path = tmp_path / "a" / "b" / "abm.sqlite"
    engine, _ = open_store(url(path))
    engine.dispose()
    assert path.exists()


# --- pragmas --------------------------------------------------------------------------------------


def test_wal_foreign_keys_and_busy_timeout_are_on(store):
    with store.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_pragmas_apply_to_every_new_connection(tmp_path):
    engine = make_engine(url(tmp_path / "x.sqlite"))
    for _ in range(3):  # NullPool: each connect is a fresh DB-API connection
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_foreign_keys_are_enforced(store):
    with pytest.raises(sa_exc.IntegrityError), store.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contact (source_id, account_id, buying_role, role_inferred) "
                "VALUES ('C1', 999, 'other', 0)"
            )
        )


# --- append-only decision log ---------------------------------------------------------------------


def _account_with_decision(engine) -> int:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (source_id, name, is_target, status, created_at, updated_at, version) "
                "VALUES ('A1', 'Acme', 1, 'active', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO decision (account_id, at, kind, from_tier, to_tier) "
                "VALUES (1, '2024-01-02 00:00:00', 'retier', 2, 1)"
            )
        )
        return conn.execute(text("SELECT id FROM decision")).scalar_one()


def test_decision_log_refuses_update(store):
    decision_id = _account_with_decision(store)
    with pytest.raises(sa_exc.DBAPIError, match="append-only"), store.begin() as conn:
        conn.execute(text("UPDATE decision SET to_tier = 3 WHERE id = :id"), {"id": decision_id})
    with store.connect() as conn:
        assert conn.execute(text("SELECT to_tier FROM decision")).scalar_one() == 1


def test_decision_log_refuses_delete(store):
    _account_with_decision(store)
    with pytest.raises(sa_exc.DBAPIError, match="append-only"), store.begin() as conn:
        conn.execute(text("DELETE FROM decision"))
    with store.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM decision")).scalar_one() == 1


def test_decision_log_still_accepts_inserts(store):
    _account_with_decision(store)
    with store.begin() as conn:
        conn.execute(
            text("INSERT INTO decision (account_id, at, kind, reason) VALUES (1, '2024-01-03', 'note', 'hi')")
        )
    with store.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM decision")).scalar_one() == 2


# --- databases we cannot open -----------------------------------------------------------------------


def _fake_newer_schema(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("DELETE FROM alembic_version")
    con.execute("INSERT INTO alembic_version (version_num) VALUES ('9999_from_the_future')")
    con.commit()
    con.close()


def test_newer_schema_gives_store_error(tmp_path):
    path = tmp_path / "abm.sqlite"
    engine, _ = open_store(url(path))
    engine.dispose()
    _fake_newer_schema(path)
    with pytest.raises(StoreError, match=r"newer version of abm-tui.*9999_from_the_future"):
        open_store(url(path))
    # and nothing was done to the file: still the foreign revision, no backup
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [("9999_from_the_future",)]
    con.close()
    assert not list(tmp_path.glob("*.bak-*"))


def test_newer_schema_via_cli_is_one_clear_line(tmp_path, capsys):
    path = tmp_path / "abm.sqlite"
    engine, _ = open_store(url(path))
    engine.dispose()
    _fake_newer_schema(path)
    capsys.readouterr()
    code = cli.main(["accounts", "--json", "--db", str(path)])
    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "newer version" in err
    assert "Traceback" not in err


def test_text_file_as_database_gives_store_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("this is not a database, just some notes\n" * 20)
    with pytest.raises(StoreError):
        open_store(url(path))
    assert path.read_text().startswith("this is not a database")


def test_text_file_as_database_via_cli_is_one_line_not_a_traceback(tmp_path, capsys):
    """A text file given as the database is one sentence naming it: no traceback, no SQLAlchemy URL."""
    path = tmp_path / "notes.txt"
    path.write_text("this is not a database, just some notes\n" * 20)
    code = cli.main(["accounts", "--json", "--db", str(path)])
    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert "Traceback" not in err
    assert str(path) in err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("foreign_table", ["moz_places", "meeting"])
def test_a_foreign_sqlite_database_is_refused_and_left_untouched(tmp_path, capsys, foreign_table):
    """Another program's SQLite file is refused in one sentence and left untouched (given our schema, it
    would have been spoiled; a clashing table left it half-migrated)."""
    path = tmp_path / "other-app.sqlite"
    con = sqlite3.connect(path)
    con.execute(f"CREATE TABLE {foreign_table} (x TEXT)")
    con.execute(f"INSERT INTO {foreign_table} VALUES ('precious')")
    con.commit()
    con.close()

    def tables() -> set[str]:
        c = sqlite3.connect(path)
        try:
            return {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            c.close()

    code = cli.main(["accounts", "--json", "--db", str(path)])
    out, err = capsys.readouterr()
    assert tables() == {foreign_table}
    assert code != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err


def test_directory_as_database_gives_store_error(tmp_path):
    folder = tmp_path / "folder.sqlite"
    folder.mkdir()
    with pytest.raises(StoreError):
        open_store(url(folder))


# --- backups --------------------------------------------------------------------------------------


def test_no_backup_for_a_new_database(tmp_path):
    engine, is_new = open_store(url(tmp_path / "abm.sqlite"))
    engine.dispose()
    assert is_new
    assert not list(tmp_path.glob("*.bak-*"))


def test_no_backup_when_already_at_head(tmp_path):
    path = tmp_path / "abm.sqlite"
    for _ in range(2):
        engine, _ = open_store(url(path))
        engine.dispose()
    assert not list(tmp_path.glob("*.bak-*"))


def test_backup_sqlite_copies_committed_data_including_the_wal(tmp_path):
    path = tmp_path / "abm.sqlite"
    engine, _ = open_store(url(path))
    # keep a connection open so the WAL is not checkpointed into the main file on close
    with engine.connect() as keep_open:
        keep_open.exec_driver_sql("SELECT 1")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO setting (key, value) VALUES ('window_days', '60')"))
        assert (tmp_path / "abm.sqlite-wal").stat().st_size > 0
        target = backup_sqlite(path, "0001")
    engine.dispose()
    assert target == tmp_path / "abm.sqlite.bak-0001"
    assert target.exists()
    con = sqlite3.connect(target)
    try:
        assert con.execute("SELECT value FROM setting WHERE key = 'window_days'").fetchone() == ("60",)
        assert con.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)
    finally:
        con.close()


def test_upgrading_an_existing_schema_takes_a_backup_first(tmp_path, monkeypatch):
    """Simulate a release with a second revision: a copy of the migrations plus one more file."""
    mig = tmp_path / "migrations"
    shutil.copytree(Path(str(files("abm_tui.migrations"))), mig, ignore=shutil.ignore_patterns("__pycache__"))
    head = head_revision()
    (mig / "versions" / "9001_test_extra.py").write_text(
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        "revision = '9001'\n"
        f"down_revision = {head!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n"
        "def upgrade():\n"
        "    op.create_table('zz_test_extra', sa.Column('id', sa.Integer(), primary_key=True))\n"
        "def downgrade():\n"
        "    op.drop_table('zz_test_extra')\n"
    )
    path = tmp_path / "abm.sqlite"
    engine, _ = open_store(url(path))  # at the real head
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO setting (key, value) VALUES ('user_name', 'mia')"))
    engine.dispose()

    real_config = store_db._alembic_config

    def config_with_extra_revision(engine):
        cfg = real_config(engine)
        cfg.set_main_option("script_location", str(mig))
        return cfg

    monkeypatch.setattr(store_db, "_alembic_config", config_with_extra_revision)
    engine = make_engine(url(path))
    before = migrate(engine)
    assert before == head
    assert current_revision(engine) == "9001"
    engine.dispose()

    backup = tmp_path / f"abm.sqlite.bak-{head}"
    assert backup.exists()
    con = sqlite3.connect(backup)
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone() == (head,)
        assert con.execute("SELECT value FROM setting WHERE key = 'user_name'").fetchone() == ("mia",)
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "zz_test_extra" not in tables
    finally:
        con.close()


def test_upgrade_from_the_first_revision_keeps_every_row_and_backs_up(tmp_path):
    """A database made at revision 0001, with data, upgrades to head; a backup is taken first."""
    from sqlalchemy import text

    from abm_tui.store.db import make_engine, migrate

    path = tmp_path / "old.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (source_id, name, is_target, tier, status, created_at, updated_at, version) "
                "VALUES ('A1', 'Acme', 1, 1, 'active', '2026-01-01', '2026-01-01', 1)"
            )
        )
        conn.execute(
            text("INSERT INTO decision (account_id, at, kind, to_tier) VALUES (1, '2026-01-02', 'retier', 1)")
        )
        conn.execute(
            text(
                "INSERT INTO engagement (source_key, account_id, occurred_at, intent) "
                "VALUES ('k-0', 1, '2026-01-03 00:00:00.000000', 'mid')"
            )
        )
    assert migrate(engine) == "0001"
    assert current_revision(engine) == head_revision()
    assert (tmp_path / "old.sqlite.bak-0001").exists()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT source_id, name, tier FROM account")).all() == [("A1", "Acme", 1)]
        assert conn.execute(text("SELECT kind, to_tier FROM decision")).all() == [("retier", 1)]
        assert conn.execute(text("SELECT count(*) FROM followup")).scalar() == 0
        assert conn.execute(text("SELECT source_key, intent FROM engagement")).all() == [("k-0", "mid")]
    with (
        pytest.raises(sa_exc.IntegrityError),
        engine.begin() as conn,
    ):  # the key is still unique (0010: an index)
        conn.execute(
            text(
                "INSERT INTO engagement (source_key, account_id, occurred_at, intent) "
                "VALUES ('k-0', 1, '2026-01-04 00:00:00.000000', 'low')"
            )
        )
    import sqlite3

    with sqlite3.connect(tmp_path / "old.sqlite.bak-0001") as backup:
        assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert backup.execute("SELECT name FROM account").fetchall() == [("Acme",)]


def test_upgrade_to_non_unique_domains_rebuilds_the_account_table_without_losing_what_refers_to_it(tmp_path):
    """0004 rebuilds `account` (SQLite cannot drop a UNIQUE in place): rows that refer to it — with ON
    DELETE CASCADE among them — must all survive, and foreign keys must be on again afterwards."""
    from sqlalchemy import text

    from abm_tui.store.db import make_engine, migrate

    path = tmp_path / "old.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine, "0003")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (source_id, name, domain, is_target, tier, status, created_at, updated_at, "
                "version) VALUES ('A1', 'Acme', 'acme.com', 1, 1, 'active', '2026-01-01', '2026-01-01', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO contact (source_id, account_id, name, buying_role, role_inferred) "
                "VALUES ('C1', 1, 'Ann', 'champion', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO accountmetric (account_id, version, stage, score, is_mqa, required_roles, gaps, "
                "pipeline, agenda, score_parts) VALUES (1, 1, 'target', 0, 0, 5, '', 0, '', '')"
            )
        )
        conn.execute(
            text("INSERT INTO decision (account_id, at, kind, to_tier) VALUES (1, '2026-01-02', 'retier', 1)")
        )
    assert migrate(engine, "0004") == "0003"
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM contact")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM accountmetric")).scalar() == 1  # not cascaded away
        assert conn.execute(text("SELECT count(*) FROM decision")).scalar() == 1
        conn.execute(
            text(
                "INSERT INTO account (source_id, name, domain, is_target, status, created_at, updated_at, "
                "version) VALUES ('A2', 'Acme EU', 'acme.com', 0, 'active', '2026-01-01', '2026-01-01', 1)"
            )
        )  # a second company with the same domain is data now
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    assert migrate(engine) == "0004"  # on to the head


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////tmp/a.sqlite", "/tmp/a.sqlite"),
        ("sqlite:///rel.sqlite", "rel.sqlite"),
        ("sqlite+pysqlite:////x/y.db?mode=ro", "/x/y.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://u@h/db", None),
    ],
)
def test_one_reading_of_sqlite_urls(url, path):
    from abm_tui.config import sqlite_file

    assert sqlite_file(url) == (Path(path) if path else None)


def _plain_indexes(engine, table: str) -> set[str]:
    return {ix["name"] for ix in inspect(engine).get_indexes(table) if not ix.get("unique")}


def test_rows_inserted_first_on_a_connection_are_committed_by_its_commit(db_url):
    """`insert_many` as the first statement of a connection (SQLite: straight through the driver)
    is in the transaction the connection's commit commits, as SQLAlchemy's own execute would be;
    a driver error is raised as SQLAlchemy's."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import IntegrityError

    from abm_tui.store.db import insert_many, open_store
    from abm_tui.store.models import Account

    engine, _ = open_store(db_url)
    account = Account.__table__
    rows = [{"source_id": f"A{i}", "name": f"Company {i}"} for i in range(3)]
    with engine.connect() as conn:
        insert_many(conn, account, rows)
        conn.commit()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(account)).scalar() == 3
    import psycopg

    with pytest.raises((IntegrityError, psycopg.errors.IntegrityError)), engine.connect() as conn:
        insert_many(conn, account, rows[:1])  # the same source id again (COPY: psycopg's own error)
    engine.dispose()


def test_a_bulk_insert_keeps_every_row_and_index_and_a_failed_one_keeps_nothing(db_url):
    """`insert_many` from BULK_ROWS rows: SQLite rebuilds the plain indexes after the rows,
    PostgreSQL copies them (COPY); both inside the caller's transaction."""
    from sqlalchemy import func, select

    from abm_tui.store.db import BULK_ROWS, insert_many, open_store
    from abm_tui.store.models import Account

    engine, _ = open_store(db_url)
    account = Account.__table__
    before = _plain_indexes(engine, "account")
    assert {"ix_account_name", "ix_account_domain"} <= before
    n = BULK_ROWS + 5
    rows = [
        {"source_id": f"A{i}", "name": f"Company {i}", "domain": f"c{i}.example", "is_target": i % 2 == 0}
        for i in range(n)
    ]
    with pytest.raises(RuntimeError), engine.begin() as conn:
        insert_many(conn, account, rows)
        raise RuntimeError("the import failed after writing")  # rolls back rows and index changes
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(account)).scalar() == 0
    assert _plain_indexes(engine, "account") == before
    with engine.begin() as conn:
        insert_many(conn, account, rows)
    assert _plain_indexes(engine, "account") == before
    with engine.connect() as conn:
        got = conn.execute(
            select(account.c.name, account.c.is_target, account.c.status, account.c.version).where(
                account.c.domain == f"c{n - 1}.example"
            )
        ).one()
        assert tuple(got) == (f"Company {n - 1}", (n - 1) % 2 == 0, "active", 1)  # defaults filled in
        assert conn.execute(select(func.count()).select_from(account)).scalar() == n
    # Every constraint is back: the schema is the models', a repeated id and an unknown account fail.
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.exc import IntegrityError

    from abm_tui.store.models import Contact, metadata

    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    import psycopg

    refused = (IntegrityError, psycopg.errors.IntegrityError)  # (COPY goes through the driver itself)
    with pytest.raises(refused), engine.begin() as conn:
        insert_many(conn, account, rows[:1])
    orphans = [{"source_id": f"C{i}", "account_id": 10**9, "buying_role": "other"} for i in range(n)]
    with pytest.raises(refused), engine.begin() as conn:
        insert_many(conn, Contact.__table__, orphans)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Contact.__table__)).scalar() == 0
    engine.dispose()
