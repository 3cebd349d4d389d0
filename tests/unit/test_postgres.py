"""The same migrations, import, metrics, decisions and meetings on PostgreSQL as on SQLite."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import Session

from abm_tui.cli import main
from abm_tui.store import decisions, meetings
from abm_tui.store.db import current_revision, head_revision, open_store
from abm_tui.store.demo import demo_folder


def cli_json(capsys, *args) -> object:
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_same_input_gives_identical_json_on_both(postgres_server, tmp_path, capsys):
    sqlite_url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    pg_url = postgres_server.new_database()
    for url in (sqlite_url, pg_url):
        assert main(["import", str(demo_folder()), "--db", url]) == 0
    capsys.readouterr()
    for command in (["accounts", "--json"], ["funnel", "--json"], ["funnel", "--json", "--tier", "1"]):
        on_sqlite = cli_json(capsys, *command, "--as-of", "2026-11-20", "--db", sqlite_url)
        on_pg = cli_json(capsys, *command, "--as-of", "2026-11-20", "--db", pg_url)
        assert on_sqlite == on_pg
    assert len(on_sqlite) > 0


def test_schema_matches_the_models_on_postgres(postgres_server):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from abm_tui.store.models import metadata

    engine, is_new = open_store(postgres_server.new_database())
    assert is_new and current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()


def test_decision_log_is_append_only_on_postgres(postgres_server):
    engine, _ = open_store(postgres_server.new_database())
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (source_id, name, is_target, tier, status, created_at, updated_at, version) "
                "VALUES ('A1', 'Acme', true, 2, 'active', now(), now(), 1)"
            )
        )
    with Session(engine) as s:
        m = meetings.start_meeting(session=s, participants=["Sam", "Mia"])
        who = decisions.Who(decided_by=m.participants, meeting_id=m.id)
        first = decisions.retier(session=s, account_id=1, tier=1, who=who).id
        decisions.undo(session=s, who=who)
        meetings.end_meeting(session=s, meeting_id=m.id)
    for statement in (f"UPDATE decision SET reason = 'x' WHERE id = {first}", "DELETE FROM decision"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT kind, from_tier, to_tier FROM decision ORDER BY id")).all() == [
            ("retier", 2, 1),
            ("retier", 1, 2),
        ]
        assert conn.execute(text("SELECT tier FROM account")).scalar() == 2
    engine.dispose()


def test_the_first_page_comes_from_the_stored_metrics_on_postgres(postgres_server, monkeypatch):
    """Issue 17: a long list on PostgreSQL shows its first page (the same rows as the whole list's
    first ones) before every account is read, as on SQLite."""
    from datetime import date

    from abm_tui.review import loading
    from abm_tui.review.service import ReviewService
    from abm_tui.review.targets import TargetQuery, select_rows

    url = postgres_server.new_database()
    assert main(["import", str(demo_folder()), "--db", url]) == 0
    monkeypatch.setattr(loading, "FIRST_PAGE_FROM", 10)
    as_of = date(2026, 11, 20)
    assert ReviewService(url, as_of=as_of).first_page(20) is None  # nothing stored yet
    full = ReviewService(url, as_of=as_of).load()
    page = ReviewService(url, as_of=as_of).first_page(20)
    assert page is not None and not page.complete
    shown, matched, _ = select_rows(full.scoped(TargetQuery()), TargetQuery(), limit=20)
    assert select_rows(page.scoped(TargetQuery()), TargetQuery(), limit=20)[0] == shown
    assert page.targets == matched and 20 <= len(page.rows) < matched


def test_the_first_page_and_its_header_on_postgres_need_no_sqlalchemy(postgres_server):
    """The first page and the header's words (the database's name) on PostgreSQL, in a fresh process:
    no SQLAlchemy, pandas or Alembic (the name read through SQLAlchemy held the first screen up)."""
    import subprocess
    import sys

    url = postgres_server.new_database()
    assert main(["import", str(demo_folder()), "--db", url]) == 0
    code = (
        "import sys\n"
        "from datetime import date\n"
        "import abm_tui.cli, abm_tui.ui.app, abm_tui.ui.screens.targets\n"
        "from abm_tui.review import loading\n"
        "from abm_tui.review.service import ReviewService\n"
        "loading.FIRST_PAGE_FROM = 10\n"
        f"service = ReviewService('{url}', as_of=date(2026, 11, 20))\n"
        "snap = service.first_page(20)\n"
        "assert snap is not None and len(snap.rows) >= 20, snap\n"
        "title = service.status(snap).title\n"
        f"assert title == 'abm-tui — {url.rsplit('/', 1)[1]} on 127.0.0.1', title\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'sqlalchemy', 'sqlmodel', 'alembic'})\n"
        "assert not bad, bad\n"
    )
    from abm_tui.review.service import ReviewService

    ReviewService(url, as_of=__import__("datetime").date(2026, 11, 20)).load()  # stored, current
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_velocity_worked_out_in_sql_is_the_portfolio_velocity_on_postgres(postgres_server):
    from datetime import date

    from abm_tui.metrics.accounts import portfolio_velocity
    from abm_tui.store.db import make_engine
    from abm_tui.store.metric_cache import connect_current_url, stage_velocity
    from abm_tui.store.repo import load_dataset

    url = postgres_server.new_database()
    assert main(["import", str(demo_folder()), "--db", url]) == 0
    engine = make_engine(url)
    with engine.begin() as c:  # a deal with a large id (its id × 1,000,000 is past a 32-bit integer)
        target = c.execute(text("SELECT min(id) FROM account WHERE is_target AND status = 'active'")).scalar()
        c.execute(
            text(
                "INSERT INTO opportunity (id, source_id, account_id, amount, stage, created_at, outcome) "
                "VALUES (5000000, 'big', :a, 1000, 'proposal', '2026-10-01', 'open')"
            ),
            {"a": target},
        )
        c.execute(
            text(
                "INSERT INTO stagechange (opportunity_id, stage, entered_at) VALUES "
                "(5000000, 'discovery', '2026-10-01'), (5000000, 'proposal', '2026-11-02')"
            )
        )
    conn = connect_current_url(url)  # psycopg, as a recompute's velocity thread reads
    try:
        as_of = date(2026, 11, 20)
        plain = portfolio_velocity(load_dataset(engine), as_of)
        assert plain and stage_velocity(conn, as_of, 365) == plain
        assert list(stage_velocity(conn, as_of, 365)) == list(plain)
    finally:
        conn.close()
        engine.dispose()


def test_a_current_postgres_database_is_read_without_sqlalchemy(postgres_server):
    """The start checks the schema and reads the first page through psycopg alone (as SQLite through
    sqlite3); a new database, an unreachable server or another database type are left to the store."""
    import psycopg

    from abm_tui.store.metric_cache import connect_current_url, postgres_conninfo

    assert postgres_conninfo("postgresql+psycopg://sam:pw@db:5433/abm?sslmode=require") == (
        "postgresql://sam:pw@db:5433/abm?sslmode=require"
    )
    assert postgres_conninfo("sqlite:////tmp/x.sqlite") is None
    empty = postgres_server.new_database()
    assert connect_current_url(empty) is None  # no schema yet: the store creates it
    url = postgres_server.new_database()
    open_store(url)
    conn = connect_current_url(url)
    assert isinstance(conn, psycopg.Connection)
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE  # nothing left open
    conn.close()
    unreachable = url.rsplit(":", 1)[0] + ":1/nothing"
    assert connect_current_url(unreachable) is None


def test_the_start_reads_postgres_without_making_the_engine(postgres_server):
    """Until the engine exists (the warm-up thread makes it), reading goes through psycopg alone:
    the start's reading thread importing SQLAlchemy while the warm-up thread did crashed the app."""
    import psycopg

    from abm_tui.review.database import Database

    url = postgres_server.new_database()
    open_store(url)
    db = Database(url)
    first = db.read_connection()
    assert isinstance(first, psycopg.Connection) and db._engine is None
    first.close()
    db.engine  # noqa: B018  (the warm-up makes it)
    later = db.read_connection()
    assert not isinstance(later, psycopg.Connection)  # the engine's pooled connection from now on
    later.close()


def test_an_import_leaves_postgres_knowing_its_tables(postgres_server):
    """The import gathers the planner's statistics of what it wrote (ANALYZE): without them PostgreSQL
    took the just-copied tables for nearly empty and planned the stage velocity as a 2.5 s loop."""
    from datetime import date

    import psycopg

    from abm_tui.store.metric_cache import postgres_conninfo, stage_velocity

    url = postgres_server.new_database()
    assert main(["import", str(demo_folder()), "--db", url]) == 0
    with psycopg.connect(postgres_conninfo(url)) as conn:
        analysed = {
            t
            for (t,) in conn.execute(
                "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = 'public'"
                " AND tablename IN ('account', 'contact', 'opportunity', 'engagement', 'stagechange')"
            )
        }
        assert analysed == {"account", "contact", "opportunity", "engagement", "stagechange"}
        targets = conn.execute(
            "EXPLAIN (FORMAT JSON) SELECT id FROM account WHERE is_target AND status = 'active'"
        ).fetchone()[0][0]["Plan"]["Plan Rows"]
        assert 150 <= targets <= 250  # the demo's 200 targets, not a guess
        assert stage_velocity(conn, date(2026, 11, 20), 365)
