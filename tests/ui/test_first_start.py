"""The first start after an import: every account is recomputed, and the list's first page shows first."""

from __future__ import annotations

import threading

from textual.widgets import DataTable, Static

from abm_tui.domain import STAGES
from abm_tui.review import loading as loading_module
from abm_tui.store import repo
from abm_tui.ui.screens.funnel import FunnelScreen
from tests.ui.conftest import poll, settle


async def test_the_first_page_shows_while_the_other_accounts_are_computed(make_app, monkeypatch):
    """The first tiers' targets are computed first and shown, with the progress of the others on the
    summary line; the keys work on them; then the whole list replaces the page."""
    monkeypatch.setattr(loading_module, "FIRST_PAGE_FROM", 10)
    monkeypatch.setattr(loading_module, "PAGE", 20)
    rest = threading.Event()  # the other accounts wait for it: the page is on screen meanwhile
    plain = repo.load_dataset

    def load_dataset(engine, **kw):
        if "id_range" in kw:  # the chunks of the other accounts (the first page reads by ids)
            assert rest.wait(10)
        return plain(engine, **kw)

    monkeypatch.setattr(repo, "load_dataset", load_dataset)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        summary = app.screen.query_one("#targets-summary", Static)
        await poll(pilot, lambda: "computing the others' metrics" in str(summary.render()))
        text = str(summary.render())
        assert "of 200 targets" in text and "computing the others' metrics: " in text, text
        assert not app.snapshot.complete
        table = app.screen.query_one(DataTable)
        assert table.row_count >= 20 and {str(table.get_row_at(i)[0]) for i in range(table.row_count)} == {
            "1"
        }
        assert app.screen.shown[0].score == max(r.score for r in app.snapshot.rows)
        # The funnel counts every account: it waits for them rather than count the first page.
        await pilot.press("f")
        await pilot.pause(0.2)
        assert isinstance(app.screen, FunnelScreen) and not app.screen.lines
        assert "Reading every account first" in str(app.screen.query_one("#funnel-summary").render())
        rest.set()
        await poll(pilot, lambda: app.snapshot.complete and app.screen.lines)
        await pilot.pause()
        assert app.snapshot.complete
        counts = {line.label.strip(): line for line in app.screen.lines}
        assert sum(len(counts[s].ids) for s in STAGES) == 200  # every target, not the first page's
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.snapshot.rows) > table.row_count
        text = str(summary.render())
        assert "of 200 targets" in text and "computing" not in text, text


async def test_a_first_import_in_the_app_shows_its_first_page_while_the_rest_is_computed(
    tmp_path, monkeypatch
):
    """An empty database, the demo imported with `i`: the list shows the first tier's page, not
    "No accounts yet", while the other accounts are computed."""
    from textual.widgets import Input

    from abm_tui.store.db import open_store
    from abm_tui.store.demo import demo_folder
    from abm_tui.ui.app import AbmApp
    from abm_tui.ui.screens.import_files import ImportDialog
    from tests.conftest import DEMO_TODAY

    monkeypatch.setattr(loading_module, "FIRST_PAGE_FROM", 10)
    monkeypatch.setattr(loading_module, "PAGE", 20)
    rest = threading.Event()
    plain = repo.load_dataset

    def load_dataset(engine, **kw):
        if "id_range" in kw:
            assert rest.wait(10)
        return plain(engine, **kw)

    monkeypatch.setattr(repo, "load_dataset", load_dataset)
    engine, _ = open_store(f"sqlite:///{tmp_path / 'new.sqlite'}")
    app = AbmApp(engine, as_of=DEMO_TODAY)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot, lambda: app.snapshot is not None and not app.snapshot.rows)
            await pilot.press("i")
            await settle(pilot, lambda: isinstance(app.screen, ImportDialog))
            app.screen.query_one("#paths", Input).value = str(demo_folder())
            await pilot.press("enter")
            await settle(pilot, lambda: "would do" in str(app.screen.query_one("#import-text").render()))
            await pilot.press("enter")
            await settle(
                pilot, lambda: "Every row's status" in str(app.screen.query_one("#import-text").render())
            )
            await pilot.press("enter")
            await poll(pilot, lambda: app.snapshot.rows)
            assert not app.snapshot.complete  # the others are still being computed
            table = app.screen.query_one(DataTable)
            assert table.row_count >= 20
            assert {str(table.get_row_at(i)[0]) for i in range(table.row_count)} == {"1"}
            rest.set()
            await settle(pilot, lambda: app.snapshot.complete)
            assert len(app.snapshot.rows) > table.row_count
    finally:
        rest.set()
        engine.dispose()


async def test_a_first_page_read_ahead_by_the_start_is_the_page_shown(demo_db, monkeypatch):
    """`abm-tui` reads the first page in a thread while it imports the UI: the app shows that page
    (the list's first rows, as `first_page` reads them) and reads no other."""
    from abm_tui.review.loading import read_first_page_ahead
    from abm_tui.review.service import ReviewService
    from abm_tui.store import metric_cache
    from abm_tui.ui.app import AbmApp
    from tests.conftest import DEMO_TODAY

    url = f"sqlite:///{demo_db}"
    monkeypatch.setattr(loading_module, "FIRST_PAGE_FROM", 10)
    monkeypatch.setattr(loading_module, "PAGE", 20)
    ReviewService(url, as_of=DEMO_TODAY).load()  # every account's metrics stored, for this day
    ahead = read_first_page_ahead(url, DEMO_TODAY)
    page = ahead.result(timeout=10)
    assert page is not None and not page.complete
    assert page.rows == ReviewService(url, as_of=DEMO_TODAY).first_page(20).rows

    def no_other(self, size):
        raise AssertionError("the page read ahead is the one shown")

    rest = threading.Event()
    plain = metric_cache.read_list

    def read_list(conn):  # the whole list waits: the page read ahead is on screen meanwhile
        assert rest.wait(10)
        return plain(conn)

    monkeypatch.setattr(ReviewService, "first_page", no_other)
    monkeypatch.setattr(metric_cache, "read_list", read_list)
    app = AbmApp(url, as_of=DEMO_TODAY, first_page=ahead)
    async with app.run_test(size=(160, 48)) as pilot:
        summary = app.screen.query_one("#targets-summary", Static)
        await poll(pilot, lambda: "reading the other accounts" in str(summary.render()))
        assert app.snapshot is page
        assert [r.id for r in app.screen.shown] == [r.id for r in page.ordered()][: len(app.screen.shown)]
        rest.set()
        await poll(pilot, lambda: app.snapshot.complete)
        assert len(app.snapshot.rows) == 300
