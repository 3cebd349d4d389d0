"""The stored list metrics and the review service's fast paths give the plain metric functions' numbers."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlmodel import Session

from abm_tui.domain import Params
from abm_tui.metrics.accounts import account_metrics
from abm_tui.metrics.funnel import funnel
from abm_tui.review import loading as loading_module
from abm_tui.review.agenda import build_agenda, stalled_texts
from abm_tui.review.requests import Drop, Retier
from abm_tui.review.service import ReviewService
from abm_tui.review.targets import TargetQuery, _in_scope, build_rows, sort_rows
from abm_tui.store import metric_cache
from abm_tui.store.db import head_revision, open_store
from abm_tui.store.demo import demo_folder
from abm_tui.store.repo import get_settings, load_dataset, set_setting
from tests.conftest import DEMO_TODAY, generate


def plain_rows(engine, as_of: date = DEMO_TODAY):
    """Every list row from the plain functions over the whole dataset: the reference."""
    with Session(engine) as session:
        params = Params.from_settings(get_settings(session=session))
    ds = load_dataset(engine)
    return build_rows(ds.accounts, account_metrics(ds, as_of, params))


def stored(engine) -> tuple[metric_cache.State | None, int]:
    conn = engine.raw_connection()
    try:
        return metric_cache.read_state(conn), sum(
            1 for t in metric_cache.read_list(conn) if t[10] is not None
        )
    finally:
        conn.close()


def no_full_compute(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("every account was recomputed; the stored metrics should have been read")

    monkeypatch.setattr(loading_module.ListLoader, "_compute_all", refuse)


def test_the_schema_head_read_without_alembic_is_alembics():
    """`schema_head` takes the newest migration file's name: every file must be named after its revision."""
    import re
    from importlib.resources import files

    assert metric_cache.schema_head() == head_revision()
    migrations = [f for f in files("abm_tui.migrations.versions").iterdir() if f.name.endswith(".py")]
    assert len(migrations) > 6
    for f in migrations:
        if f.name != "__init__.py":
            revision = re.search(r"^revision: str = '(\w+)'", f.read_text(), re.M)
            assert revision is not None and f.name.startswith(revision[1] + "_"), f.name


def test_first_load_computes_and_stores_then_the_next_reads_them(demo_engine, monkeypatch):
    assert stored(demo_engine) == (None, 0)
    first = ReviewService(demo_engine, as_of=DEMO_TODAY).load()
    assert first.rows == plain_rows(demo_engine)
    state, n = stored(demo_engine)
    assert n == len(first.rows) == 300 and state.as_of == DEMO_TODAY and state.velocity == first.velocity
    no_full_compute(monkeypatch)
    second = ReviewService(demo_engine, as_of=DEMO_TODAY).load()
    assert second.rows == first.rows and second.velocity == first.velocity


def test_computing_in_chunks_gives_the_same_rows(demo_engine, monkeypatch):
    monkeypatch.setattr(loading_module, "CHUNK", 7)
    progress = []
    snap = ReviewService(demo_engine, as_of=DEMO_TODAY).load(
        lambda done, total: progress.append((done, total))
    )
    assert snap.rows == plain_rows(demo_engine)
    assert progress[0] == (0, 300) and progress[-1] == (300, 300) and len(progress) == 1 + 43


def test_another_as_of_or_other_settings_recompute(demo_engine):
    ReviewService(demo_engine, as_of=DEMO_TODAY).load()
    earlier = date(2026, 9, 1)
    assert ReviewService(demo_engine, as_of=earlier).load().rows == plain_rows(demo_engine, earlier)
    assert stored(demo_engine)[0].as_of == earlier
    with Session(demo_engine) as session:
        set_setting(session=session, key="engaged_score", value="20")
    snap = ReviewService(demo_engine, as_of=earlier).load()
    assert snap.params.engaged_score == 20 and snap.rows == plain_rows(demo_engine, earlier)


def test_a_decision_in_another_window_is_recomputed_on_the_next_load(demo_engine, monkeypatch):
    """A decision bumps the account's version; stored metrics of an older version are not trusted."""
    ReviewService(demo_engine, as_of=DEMO_TODAY).load()
    other = ReviewService(demo_engine, as_of=DEMO_TODAY)
    row = next(r for r in plain_rows(demo_engine) if r.tier == 3 and r.agenda)
    other.decide(Retier(row.id, 1))  # committed, but that window died before storing its metrics
    no_full_compute(monkeypatch)
    snap = ReviewService(demo_engine, as_of=DEMO_TODAY).load()
    assert snap.row(row.id).tier == 1
    assert snap.rows == plain_rows(demo_engine)


def test_refresh_after_decisions_equals_the_plain_functions(demo_engine, monkeypatch):
    service = ReviewService(demo_engine, as_of=DEMO_TODAY)
    snap = service.load()
    for column in ("tier", "score", "name", "last_touch"):
        snap.ordered(column, column == "score")
    flagged = [r for r in snap.rows if r.agenda and r.tier == 3][:2]
    service.decide(Retier(flagged[0].id, 1))
    service.decide(Drop(flagged[1].id, "no budget"))
    fast = service.after_decision({flagged[0].id, flagged[1].id})
    assert fast.row(flagged[0].id).tier == 1 and fast.row(flagged[1].id).status == "dropped"
    assert fast.rows == plain_rows(demo_engine)
    assert len(fast.cache.orders) == 4
    for (
        column,
        descending,
    ), ordered in fast.cache.orders.items():  # the kept orders were patched, not re-sorted
        assert ordered == sort_rows(fast.rows, column, descending)
    no_full_compute(monkeypatch)  # and the store holds the refreshed rows
    assert ReviewService(demo_engine, as_of=DEMO_TODAY).load().rows == fast.rows


def test_an_import_makes_the_stored_metrics_stale(demo_engine, tmp_path):
    from abm_tui.importers.generic import read_folder
    from abm_tui.store.imports import apply_batch

    before = ReviewService(demo_engine, as_of=DEMO_TODAY).load().rows
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "accounts.csv").write_bytes((demo_folder() / "accounts.csv").read_bytes())
    (folder / "engagements.csv").write_text(
        "account_id,contact_id,occurred_at,channel,intent\n"
        + "".join(f"A{i:04d},,2026-11-19,web_visit,strategic\n" for i in range(1, 40))
    )
    apply_batch(demo_engine, read_folder(folder))
    assert stored(demo_engine)[0] is None
    after = ReviewService(demo_engine, as_of=DEMO_TODAY).load().rows
    assert after == plain_rows(demo_engine) and after != before


def fast_funnel(service: ReviewService, snap, tier=None, owner=None) -> dict:
    """The funnel screen's numbers (list rows and deals) with the velocity it gets afterwards."""
    return {**service.funnel(snap, tier, owner), "velocity_days": service.funnel_velocity(snap, tier, owner)}


@pytest.fixture
def generated_engine(tmp_path):
    """400 accounts of generated data (another shape than the demo's), imported as CSV."""
    from abm_tui.importers.generic import read_folder
    from abm_tui.store.imports import apply_batch

    generate(tmp_path / "csv", accounts=400)
    engine, _ = open_store(f"sqlite:///{tmp_path / 'generated.sqlite'}")
    apply_batch(engine, read_folder(tmp_path / "csv"))
    yield engine
    engine.dispose()


@pytest.mark.parametrize("data", ["demo_engine", "generated_engine"])
def test_funnel_from_the_stored_metrics_equals_the_plain_funnel(data, request):
    """The funnel screen reads the list rows (their stored influenced pipeline among them) and the deals,
    never the touches; its velocity comes afterwards from the stage changes. Equal to the plain funnel
    over the whole dataset: just computed, read back from the store, and after a decision."""
    engine = request.getfixturevalue(data)
    as_of = DEMO_TODAY if data == "demo_engine" else date(2026, 11, 20)
    with Session(engine) as session:
        params = Params.from_settings(get_settings(session=session))
    ds = load_dataset(engine)
    computed = ReviewService(engine, as_of=as_of)
    snap = computed.load()
    reread = ReviewService(engine, as_of=as_of)
    assert stored(engine)[0] is not None  # the second service reads the stored rows
    owner = next(r.owner_sales for r in snap.rows if r.owner_sales)
    assert any(r.influenced > 0 for r in snap.rows)
    for service, s in ((computed, snap), (reread, reread.load())):
        for tier, who in ((None, None), (1, None), (2, None), (3, None), (None, owner)):
            plain = funnel(ds, as_of, params, tier=tier, owner=who)
            assert fast_funnel(service, s, tier, who) == plain
            assert service.funnel(s, tier, who)["velocity_days"] is None
            for t, counts in service.funnel_view(s, tier, who).per_tier.items():  # the chart by tier
                assert counts == funnel(ds, as_of, params, tier=t, owner=who)["stage_counts"]
    assert plain["marketing_influenced_pipeline"] > 0
    # What moved reads the whole portfolio: the deals the funnel read are kept in it, not read again.
    assert computed.funnels.inputs(snap).ds.opportunities is computed.db.portfolio().opportunities
    # After a decision the funnel counts the account where it now is.
    row = next(r for r in snap.rows if r.tier == 2 and r.is_target)
    computed.decide(Retier(row.id, 1))
    after = computed.after_decision({row.id})
    assert fast_funnel(computed, after, 1) == funnel(load_dataset(engine), as_of, params, tier=1)


def test_the_accounts_frame_from_list_rows_is_the_accounts_table(demo_engine):
    """The funnel's and movement's accounts are built from the list rows straight in the metrics'
    dtypes (`metrics.dataset.frame`): the same frame as the accounts read from the store."""
    from abm_tui.metrics.dataset import COLUMNS
    from abm_tui.review.targets import accounts_frame

    snap = ReviewService(demo_engine, as_of=DEMO_TODAY).load()
    ds = load_dataset(demo_engine)
    got = accounts_frame(snap.rows, ds.accounts[["id", "churned_at"]])
    assert list(got.columns) == list(COLUMNS["accounts"])
    assert got["churned_at"].notna().any()
    want = ds.accounts.set_index("id", drop=False).loc[got["id"]].reset_index(drop=True)[got.columns]

    def missing_as_none(df: pd.DataFrame) -> pd.DataFrame:  # pandas' two ways of missing text
        df = df.drop(columns="source_id")  # not on a list row
        return df.assign(**{c: df[c].where(df[c].notna(), None) for c in df.select_dtypes(object).columns})

    pd.testing.assert_frame_equal(missing_as_none(got), missing_as_none(want))


@pytest.mark.parametrize("data", ["demo_engine", "generated_engine"])
def test_each_funnel_number_opens_the_accounts_it_counts(data, request):
    """The accounts behind each count (worked out from the metrics frame) are the list rows the count
    describes, picked row by row."""
    from abm_tui.review.targets import funnel_scope

    engine = request.getfixturevalue(data)
    as_of = DEMO_TODAY if data == "demo_engine" else date(2026, 11, 20)
    service = ReviewService(engine, as_of=as_of)
    snap = service.load()
    owner = next(r.owner_sales for r in snap.rows if r.owner_sales)
    for tier, who in ((None, None), (2, None), (None, owner)):
        rows = funnel_scope(snap.rows, tier, who)
        view = service.funnel_view(snap, tier, who)
        lines = {line.label.strip(): line for line in view.lines}
        for stage in ("target", "reached", "engaged", "mqa", "opportunity", "customer"):
            assert lines[stage].ids == {r.id for r in rows if r.stage == stage}
            assert lines[stage].value.split()[0] == str(len(lines[stage].ids))
        for t in (1, 2, 3):
            touched = {r.id for r in rows if r.tier == t and r.days_since_last(as_of) is not None
                       and r.days_since_last(as_of) < snap.params.window_days}  # fmt: skip
            assert lines[f"Tier {t}"].ids == touched
            assert lines[f"Tier {t}"].value.endswith(f"({len(touched)}/{sum(r.tier == t for r in rows)})")
        assert lines["MQAs"].ids == {r.id for r in rows if r.is_mqa}
        assert lines["Accounts with open pipeline"].ids == {r.id for r in rows if r.pipeline > 0}
        assert lines["Surging targets"].ids == {r.id for r in rows if r.surging_topics}
    assert lines["engaged"].ids and lines["Tier 1"].ids and lines["MQAs"].ids


def test_after_a_decision_the_funnel_frames_are_patched_as_if_built_again(demo_engine):
    """A decision replaces a few list rows: the funnel's kept frames get those rows patched in, the
    same frames (values, dtypes, order) as built from the new snapshot's rows."""
    from abm_tui.review import funnel_desk
    from abm_tui.review.targets import accounts_frame, metrics_frame

    service = ReviewService(demo_engine, as_of=DEMO_TODAY)
    snap = service.load()
    before = service.funnels.inputs(snap)
    rows = [r for r in snap.rows if r.tier == 2 and r.is_target][:2]
    service.decide(Retier(rows[0].id, 1))
    service.decide(Drop(rows[1].id, "no budget"))
    after = service.after_decision({r.id for r in rows})
    assert funnel_desk._changed_positions(snap, after) == sorted(snap.rows.index(r) for r in rows)
    kept = service.funnels.inputs(after)
    assert kept.opps is before.opps  # patched: the deals were not read again
    pd.testing.assert_frame_equal(kept.ds.accounts, accounts_frame(after.rows, kept.ds.accounts))
    pd.testing.assert_frame_equal(kept.metrics, metrics_frame(after.rows, DEMO_TODAY))
    assert kept.ds.accounts.set_index("id").loc[rows[1].id, "status"] == "dropped"


def test_account_view_metrics_equal_the_plain_functions(demo_engine):
    service = ReviewService(demo_engine, as_of=DEMO_TODAY)
    snap = service.load()
    full = account_metrics(load_dataset(demo_engine), DEMO_TODAY, snap.params)
    for row in snap.rows[::37]:
        view = service.account_view(snap, row.id)
        reference = full.loc[row.id]
        for name, value in view.metrics.items():
            assert value == reference[name], (row.id, name)
        assert view.row == row


def test_agenda_reasons_equal_those_from_the_whole_dataset(demo_engine):
    service = ReviewService(demo_engine, as_of=DEMO_TODAY)
    snap = service.load()
    fast = service.agenda(snap)
    everything = stalled_texts(load_dataset(demo_engine), DEMO_TODAY, snap.velocity)
    stalled = {i: t for i, t in everything.items() if "stalled" in snap.row(i).agenda}
    assert stalled, "the demo has stalled deals"
    reference = build_agenda(snap, decided_ids=set(), skipped_ids=[], stalled=stalled)
    from dataclasses import replace

    assert [replace(e, call=()) for e in fast.entries] == reference.entries  # (who to call: tested apart)
    assert fast.warnings == reference.warnings
    assert any("Deal " in e.reason for e in fast.entries)


def test_stored_metrics_on_each_database(db_url, monkeypatch):
    """Read back through the driver on SQLite and PostgreSQL alike (dates, booleans, NULLs)."""
    from abm_tui.importers.generic import read_folder
    from abm_tui.store.imports import apply_batch

    engine, _ = open_store(db_url)
    apply_batch(engine, read_folder(demo_folder()))
    first = ReviewService(engine, as_of=DEMO_TODAY).load()
    no_full_compute(monkeypatch)
    second = ReviewService(db_url, as_of=DEMO_TODAY).load()  # a URL: the engine is made lazily
    assert second.rows == first.rows == plain_rows(engine)
    assert any(r.last_touch for r in second.rows) and any(r.coverage is None for r in second.rows)
    # Recomputed with a first page (read by a list of ids: an array on PostgreSQL), and after a decision.
    monkeypatch.undo()
    monkeypatch.setattr(loading_module, "FIRST_PAGE_FROM", 10)
    monkeypatch.setattr(loading_module, "PAGE", 20)
    with engine.begin() as conn:
        metric_cache.forget(conn)
    pages: list = []
    service = ReviewService(engine, as_of=DEMO_TODAY)
    third = service.load(None, pages.append)
    assert third.rows == first.rows and pages and all(third.row(r.id) == r for r in pages[0].rows)
    row = next(r for r in third.rows if r.tier == 2 and r.is_target)
    service.decide(Retier(row.id, 1))
    by_id = sorted(plain_rows(engine), key=lambda r: r.id)  # PostgreSQL reads an updated row last
    assert sorted(service.after_decision({row.id}).rows, key=lambda r: r.id) == by_id
    engine.dispose()


@pytest.mark.parametrize("text", ["", "decision_maker:covered:2,champion:missing:0"])
def test_gap_texts_parse_into_shared_read_only_maps(text):
    from abm_tui.store.list_row import parse_gaps

    gaps, silent = parse_gaps(text)
    assert parse_gaps(text)[0] is gaps
    assert dict(gaps) == ({} if not text else {"decision_maker": "covered", "champion": "missing"})
    assert silent == (frozenset() if not text else {"champion"})
    with pytest.raises(TypeError):
        gaps["x"] = "y"  # type: ignore[index]


@pytest.mark.parametrize("descending", [False, True])
def test_the_shown_rows_are_the_first_of_the_whole_list_sorted(demo_engine, descending):
    """The heap that picks the shown rows gives the first rows of a full sort: by the column, then by
    name A→Z, then in list order (many rows tie: same tier, same score, same name)."""
    from abm_tui.review.targets import (
        SORT_COLUMNS,
        TargetQuery,
        _sort_key,
        select_rows,
        sort_rows,
    )

    rows = ReviewService(demo_engine, as_of=DEMO_TODAY).load().rows
    rows = rows + [r._replace(id=r.id + 1000) for r in rows[:50]]  # exact duplicates but the id
    for column in SORT_COLUMNS:
        q = TargetQuery(tier="all", sort=column, descending=descending, show_dropped=True)
        reference = sorted(rows, key=lambda r: r.name.lower())
        reference.sort(key=_sort_key(column), reverse=descending)
        ordered = sort_rows(rows, column, descending)
        shown, matched, in_scope = select_rows(ordered, q, limit=40)
        assert [r.id for r in shown] == [r.id for r in reference[:40]], column
        assert matched == in_scope == len(rows)
        assert [r.id for r in select_rows(ordered, q)[0]] == [r.id for r in reference]
        searched = select_rows(ordered, q.with_(search="AB"))[0]
        assert searched == [r for r in reference if "ab" in r.name.lower() or "ab" in (r.domain or "")]


def test_the_first_page_is_the_first_rows_of_the_whole_list(demo_db, demo_engine, monkeypatch):
    from abm_tui.review.targets import TargetQuery, select_rows

    url = f"sqlite:///{demo_db}"
    monkeypatch.setattr(loading_module, "FIRST_PAGE_FROM", 10)
    assert ReviewService(url, as_of=DEMO_TODAY).first_page(20) is None  # nothing stored yet
    full = ReviewService(url, as_of=DEMO_TODAY).load()
    page = ReviewService(url, as_of=DEMO_TODAY).first_page(20)
    assert not page.complete and full.complete
    shown, matched, in_scope = select_rows(full.scoped(TargetQuery()), TargetQuery(), limit=20)
    assert select_rows(page.scoped(TargetQuery()), TargetQuery(), limit=20)[0] == shown
    assert page.targets == matched == in_scope == 200 and 20 <= len(page.rows) < 200
    assert ReviewService(url, as_of=date(2026, 9, 1)).first_page(20) is None  # stored for another day
    ReviewService(demo_engine, as_of=DEMO_TODAY).decide(Retier(shown[0].id, 3))  # not yet recomputed: stale
    assert ReviewService(url, as_of=DEMO_TODAY).first_page(20) is None
    monkeypatch.setattr(loading_module, "FIRST_PAGE_FROM", 1000)
    ReviewService(url, as_of=DEMO_TODAY).load()
    assert ReviewService(url, as_of=DEMO_TODAY).first_page(20) is None  # a short list loads whole


@pytest.mark.parametrize("data", ["demo_engine", "generated_engine"])
def test_a_recompute_hands_over_the_first_page_before_the_other_accounts(data, request, monkeypatch):
    """After an import every account is recomputed: the targets of the first tiers go first, and their
    page is the first rows of the whole list, before the other accounts are computed."""
    from abm_tui.review.targets import select_rows

    engine = request.getfixturevalue(data)
    as_of = DEMO_TODAY if data == "demo_engine" else date(2026, 11, 20)
    monkeypatch.setattr(loading_module, "FIRST_PAGE_FROM", 10)
    monkeypatch.setattr(loading_module, "PAGE", 15)
    done: list[int] = []
    pages: list = []
    full = ReviewService(engine, as_of=as_of).load(
        lambda n, _total: done.append(n), lambda p: pages.append((p, done[-1]))
    )
    ((page, done_then),) = pages
    assert done_then == 0 and done[-1] == len(full.rows)  # handed over before the rest was computed
    assert not page.complete and full.complete
    q = TargetQuery()
    shown, matched, _ = select_rows(full.scoped(q), q, limit=15)
    assert select_rows(page.scoped(q), q, limit=15)[0] == shown
    assert page.targets == matched and 15 <= len(page.rows) < matched
    assert all(full.row(r.id) == r for r in page.rows)
    assert full.rows == plain_rows(engine, as_of)
    assert {r.tier for r in page.rows} == {shown[0].tier}  # here the first tier fills it
    tier = [r for r in full.rows if r.is_target and r.status != "dropped" and r.tier == shown[0].tier]
    assert len(tier) > 30 and len(page.rows) < len(tier)  # only those whose score can be on it
    edge = sorted(-r.score for r in tier)[14]
    assert {r.id for r in page.rows} == {r.id for r in tier if -r.score <= edge}  # ties at the edge kept


@pytest.mark.parametrize("data", ["demo_engine", "generated_engine"])
def test_the_velocity_worked_out_in_sql_is_the_portfolio_velocity(data, request):
    """A recompute asks the database for the stage velocity: the same numbers, in the same order, as
    `portfolio_velocity` over every stage change — also for another as-of day and period."""
    from abm_tui.metrics.accounts import portfolio_velocity

    engine = request.getfixturevalue(data)
    ds = load_dataset(engine)
    conn = engine.raw_connection()  # the DB-API connection a recompute uses
    try:
        for as_of, period in ((DEMO_TODAY, 365), (date(2026, 11, 20), 365), (date(2026, 6, 30), 120)):
            plain = portfolio_velocity(ds, as_of, Params(period_days=period))
            assert plain and metric_cache.stage_velocity(conn, as_of, period) == plain
            assert list(metric_cache.stage_velocity(conn, as_of, period)) == list(plain)
    finally:
        conn.close()


def test_the_saved_decision_shows_before_the_metrics_are_recomputed(demo_engine):
    service = ReviewService(demo_engine, as_of=DEMO_TODAY)
    snap = service.load()
    snap.ordered("score", True)
    row = next(r for r in snap.ordered() if r.tier == 1)
    service.decide(Drop(row.id, "no budget", version=row.version))
    interim = service.decided({row.id})
    moved = interim.row(row.id)
    assert (moved.status, moved.version, moved.score, moved.agenda) == (
        "dropped",
        row.version + 1,
        row.score,
        row.agenda,
    )
    assert (
        all(o == sort_rows(interim.rows, *k) for k, o in interim.cache.orders.items())
        and len(interim.cache.orders) == 2
    )
    assert snap.row(row.id) == row  # the snapshot it came from is untouched
    for q in (TargetQuery(), TargetQuery(tier="all", show_dropped=True, sort="score", descending=True)):
        snap.scoped(q)  # the list on screen is patched too
        patched = service.decided({row.id}).scoped(q)
        assert patched == [r for r in sort_rows(interim.rows, q.sort, q.descending) if _in_scope(r, q)]
        assert (row.id in {r.id for r in patched}) == q.show_dropped
    final = service.after_decision({row.id})
    assert final.rows == plain_rows(demo_engine) and final.row(row.id).agenda == ()


def test_money_reads_in_billions_too():
    from abm_tui.exporters.numbers import fmt_money

    assert [fmt_money(x) for x in (None, 950, 74_000, 2_045_000_000, 3_500_000)] == [
        "–",
        "950",
        "74k",
        "2.0B",
        "3.5M",
    ]


def test_many_accounts_are_read_by_ranges_and_give_the_same_rows(demo_engine, monkeypatch):
    from abm_tui.store import repo

    ids = set(range(1, 301, 2))
    reference = load_dataset(demo_engine).subset(ids)
    monkeypatch.setattr(repo, "MANY_IDS", 40)
    chunked = load_dataset(demo_engine, ids=ids)
    for name in ("accounts", "contacts", "engagements", "opportunities", "stage_changes"):
        pd.testing.assert_frame_equal(
            getattr(chunked, name).reset_index(drop=True), getattr(reference, name).reset_index(drop=True)
        )


def test_the_list_row_spec_the_migrations_and_the_row_type_agree(tmp_path):
    """One description of the list row (`TargetRow`'s fields): the migrations' `accountmetric` columns
    are its stored metrics (the table itself is built from them, `compare_metadata` checks
    types and nulls); the account's columns exist; stored fields come first, the account's first."""
    import sqlite3

    from abm_tui.review.targets import TargetRow
    from abm_tui.store.db import open_store
    from abm_tui.store.list_row import COLUMNS, FIELDS, METRIC_PART
    from abm_tui.store.models import Account, account_metric, table

    open_store(f"sqlite:///{tmp_path / 'head.sqlite'}")[0].dispose()  # every migration, to the head
    with sqlite3.connect(tmp_path / "head.sqlite") as conn:
        migrated = [r[1] for r in conn.execute("PRAGMA table_info(accountmetric)")]
    assert sorted(migrated) == sorted(["account_id", *METRIC_PART])  # a column added later comes last there
    assert [c.name for c in account_metric.columns] == ["account_id", *METRIC_PART]
    assert TargetRow._fields[: len(COLUMNS)] == tuple(c.name for c in COLUMNS)
    tables = [c.table for c in FIELDS]
    assert tables == sorted(tables, key=["a", "m", ""].index)
    assert {c.db for c in COLUMNS if c.table == "a"} <= {c.name for c in table(Account).columns}
