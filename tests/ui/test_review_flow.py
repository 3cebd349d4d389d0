"""Pilot tests: every review action, asserting what the database holds afterwards."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session
from textual.widgets import DataTable, Input
from textual_plotext import PlotextPlot

from abm_tui.store.models import Account, Decision
from abm_tui.ui.screens.account import AccountScreen
from abm_tui.ui.screens.funnel import FunnelScreen
from abm_tui.ui.screens.prompt import TextPrompt
from abm_tui.ui.screens.targets import TargetsScreen
from abm_tui.ui.widgets.charts import BarChart, Legend
from tests.ui.conftest import SIZE, open_funnel, settle


def decisions(engine) -> list[Decision]:
    with Session(engine) as s:
        return list(s.execute(select(Decision).order_by(Decision.id)).scalars())


def account(engine, account_id: int) -> Account:
    with Session(engine) as s:
        return s.get(Account, account_id)


def summary(app) -> str:
    return str(app.screen.query_one("#targets-summary").render())


async def test_home_lists_the_targets_with_counts(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        screen = app.screen
        assert isinstance(screen, TargetsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 200
        assert summary(app).startswith("200 of 200 targets")
        # Default sort: tier, then score descending.
        tiers = [r.tier for r in screen.shown]
        assert tiers == sorted(tiers)
        first_tier1 = [r.score for r in screen.shown if r.tier == 1]
        assert first_tier1 == sorted(first_tier1, reverse=True)


async def test_search_filters_incrementally_and_escape_clears(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"bakker")
        await settle(pilot)
        shown = app.screen.shown
        assert shown and all("bakker" in (r.name.lower() + (r.domain or "")) for r in shown)
        assert '"bakker"' in summary(app)
        await pilot.press("escape")
        await settle(pilot)
        assert len(app.screen.shown) == 200


async def test_filters_combine_and_show_in_the_header(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await pilot.press("t")  # Tier 1
        await pilot.press("g")  # gap: missing
        await settle(pilot)
        shown = app.screen.shown
        assert shown and all(r.tier == 1 and "missing" in r.gaps.values() for r in shown)
        assert "Tier 1" in summary(app) and "gap missing" in summary(app)
        assert summary(app).startswith(f"{len(shown)} of 40 targets")
        await pilot.press("a")
        await settle(pilot)
        assert all(r.agenda for r in app.screen.shown)
        await pilot.press("c")
        await settle(pilot)
        assert len(app.screen.shown) == 200


async def test_sort_by_header_and_key(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await pilot.press("o")  # tier → name
        await settle(pilot)
        names = [r.name.lower() for r in app.screen.shown]
        assert names == sorted(names)
        app.screen.query_state = app.screen.query_state.with_(sort="score", descending=False)
        await settle(pilot)
        scores = [r.score for r in app.screen.shown]
        assert scores == sorted(scores, reverse=True)


async def test_retier_commits_before_repaint_and_undo_appends(make_app, demo_engine):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        row = app.screen.shown[0]
        assert row.tier == 1
        await pilot.press("3")
        await settle(pilot, lambda: app.snapshot.row(row.id).tier == 3)
        assert account(demo_engine, row.id).tier == 3
        [d] = decisions(demo_engine)
        assert (d.kind, d.account_id, d.from_tier, d.to_tier) == ("retier", row.id, 1, 3)
        assert d.decided_by
        # The cursor stays on the account that moved.
        assert app.screen.selected_account_id() == row.id
        await pilot.press("u")
        await settle(pilot, lambda: app.snapshot.row(row.id).tier == 1)
        assert account(demo_engine, row.id).tier == 1
        log = decisions(demo_engine)
        assert (
            len(log) == 2 and log[1].undoes_id == log[0].id and (log[1].from_tier, log[1].to_tier) == (3, 1)
        )


async def test_drop_asks_for_a_reason_escape_cancels(make_app, demo_engine):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        row = app.screen.shown[0]
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("enter")  # empty reason is refused
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("escape")
        await settle(pilot)
        assert decisions(demo_engine) == []
        await pilot.press("d")
        await settle(pilot)
        await pilot.press(*"no budget", "enter")
        await settle(pilot, lambda: app.snapshot.row(row.id).status == "dropped")
        a = account(demo_engine, row.id)
        assert (a.status, a.dropped_reason) == ("dropped", "no budget")
        assert [(d.kind, d.reason) for d in decisions(demo_engine)] == [("drop", "no budget")]
        # Dropped accounts are hidden by default; x shows them, r restores.
        assert row.id not in [r.id for r in app.screen.shown]
        await pilot.press("x")
        await settle(pilot)
        index = [r.id for r in app.screen.shown].index(row.id)
        app.screen.query_one(DataTable).move_cursor(row=index)
        await pilot.press("r")
        await settle(pilot, lambda: app.snapshot.row(row.id).status == "active")
        assert account(demo_engine, row.id).status == "active"
        assert [d.kind for d in decisions(demo_engine)] == ["drop", "restore"]


async def test_retier_a_non_target_adds_it_to_the_list(make_app, demo_engine):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        for _ in range(4):  # targets → 1 → 2 → 3 → not on list
            await pilot.press("t")
        await settle(pilot)
        row = app.screen.shown[0]
        assert not row.is_target
        await pilot.press("2")
        await settle(pilot, lambda: app.snapshot.row(row.id).is_target)
        a = account(demo_engine, row.id)
        assert (a.is_target, a.tier) == (True, 2)
        assert [(d.kind, d.from_tier, d.to_tier) for d in decisions(demo_engine)] == [("target", None, 2)]


async def test_account_screen_explains_the_score_and_gaps(make_app, demo_engine):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        row = app.screen.shown[0]
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, AccountScreen))
        await settle(pilot)
        score = str(app.screen.query_one("#score").render())
        assert f"Engagement score {row.score}" in score
        assert "stakeholders active" in score and "intent points" in score and "last touch" in score
        gaps = app.screen.query_one("#gaps", DataTable)
        assert gaps.row_count == row.required_roles
        # Decide from the account screen: a note.
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"call the CFO", "enter")
        await settle(pilot, lambda: len(decisions(demo_engine)) == 1)
        assert [(d.kind, d.reason, d.account_id) for d in decisions(demo_engine)] == [
            ("note", "call the CFO", row.id)
        ]
        await settle(pilot, lambda: app.screen.query_one("#history", DataTable).row_count == 1)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TargetsScreen)


async def test_funnel_count_opens_exactly_those_accounts(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await pilot.press("slash", *"smit", "enter")  # a search that the drill-down must replace
        await settle(pilot, lambda: '"smit"' in summary(app))
        await open_funnel(pilot)
        screen = app.screen
        mqa_index = next(i for i, line in enumerate(screen.lines) if line.label.strip() == "MQAs")
        expected = screen.lines[mqa_index].ids
        screen.query_one(DataTable).move_cursor(row=mqa_index)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, TargetsScreen))
        await settle(pilot)
        assert {r.id for r in app.screen.shown} == set(expected)
        assert summary(app).startswith(f"{len(expected)} of 200 targets")
        assert app.screen.query_one("#search", Input).value == ""  # the box shows the search in force


async def test_funnel_reflects_a_drop(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        before = app.service.funnel(app.snapshot)
        row = app.screen.shown[0]
        await pilot.press("d")
        await pilot.press(*"poor fit", "enter")
        await settle(pilot, lambda: app.snapshot.row(row.id).status == "dropped")
        after = app.service.funnel(app.snapshot)
        assert sum(after["stage_counts"].values()) == sum(before["stage_counts"].values()) - 1
        assert after["stage_counts"][row.stage] == before["stage_counts"][row.stage] - 1


async def test_help_lists_every_key_of_the_screen(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await pilot.press("question_mark")
        await settle(pilot)
        from abm_tui.ui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        for needle in ("`/`", "`1`", "`d`", "`u`", "Undo the last decision", "Drop from the list"):
            assert needle in app.screen.text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TargetsScreen)


async def test_empty_database_shows_an_empty_state(tmp_path):
    from abm_tui.store.db import open_store
    from abm_tui.ui.app import AbmApp

    engine, _ = open_store(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    app = AbmApp(engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        empty = str(app.screen.query_one("#targets-empty").render())
        assert "No accounts yet" in empty and "abm-tui import" in empty
        await pilot.press("enter", "1", "d", "f")
        await settle(pilot)
        assert isinstance(app.screen, FunnelScreen)
        await settle(pilot, lambda: app.screen.lines)
        # No accounts: the stages chart says so rather than drawing an axis from -1 to 1 and a legend
        # for bars that are not there.
        stages = app.screen.query_one("#chart-stages", BarChart)
        assert not stages.query_one(Legend).display
        assert "all zero" in stages.query_one(PlotextPlot).render().plain
        await pilot.press("escape", "u")
        await settle(pilot)
        assert isinstance(app.screen, TargetsScreen)


async def test_two_windows_no_lost_update(make_app, demo_engine, demo_db):
    """Another process retiers the account after this window read it: no silent overwrite."""
    from abm_tui.store import decisions as store_decisions
    from abm_tui.store.db import open_store

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        row = app.screen.shown[0]
        assert row.tier == 1
        other, _ = open_store(f"sqlite:///{demo_db}")  # the second window
        with Session(other) as s:
            store_decisions.retier(
                session=s, account_id=row.id, tier=2, who=store_decisions.Who("other window")
            )
        await pilot.press("3")
        await settle(pilot, lambda: app.snapshot.row(row.id).tier == 2)  # refreshed to the saved state
        assert account(demo_engine, row.id).tier == 2
        assert [(d.decided_by, d.to_tier) for d in decisions(demo_engine)] == [("other window", 2)]
        # Now that it shows the fresh row, the same key works.
        await pilot.press("3")
        await settle(pilot, lambda: app.snapshot.row(row.id).tier == 3)
        assert [d.to_tier for d in decisions(demo_engine)] == [2, 3]
        other.dispose()


async def test_import_from_the_app_previews_then_imports(make_app, demo_engine, demo_db):
    from abm_tui.ui.screens.import_files import ImportDialog
    from tests.unit.test_import_crm import SAMPLES

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        before = len(app.snapshot.rows)
        await pilot.press("i")
        await settle(pilot, lambda: isinstance(app.screen, ImportDialog))
        app.screen.query_one("#paths", Input).value = str(SAMPLES / "excel-nl")
        await pilot.press("enter")  # the first enter previews
        await settle(pilot, lambda: "would do" in str(app.screen.query_one("#import-text").render()))
        assert "accounts.csv: 3 rows read: 3 created" in str(app.screen.query_one("#import-text").render())
        assert len(account_rows := app.service.load().rows) == before, (
            account_rows
        )  # a dry run writes nothing
        await pilot.press("enter")  # enter again imports, and says where the audit is
        await settle(
            pilot, lambda: "Every row's status" in str(app.screen.query_one("#import-text").render())
        )
        audit = next(demo_db.parent.glob("import-audit-*.csv"))
        assert len(audit.read_text().splitlines()) == 1 + 3 + 3 + 3 + 1  # a line per row of the 4 files
        await pilot.press("enter")  # and enter once more closes
        await settle(pilot, lambda: not isinstance(app.screen, ImportDialog))
        await settle(pilot, lambda: len(app.snapshot.rows) == before + 3)


async def test_a_locked_database_waits_then_says_so(make_app, demo_engine, demo_db):
    """Another process holds the write lock: the decision waits (busy timeout), then a clear message."""
    import sqlite3

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        row = app.screen.shown[0]
        blocker = sqlite3.connect(demo_db, timeout=0)
        blocker.execute("BEGIN IMMEDIATE")  # the other window is in the middle of a write
        try:
            await pilot.press("3")
            await settle(pilot, lambda: any("busy" in n.message for n in app._notifications), timeout=30)
        finally:
            blocker.rollback()
            blocker.close()
        assert account(demo_engine, row.id).tier == 1 and decisions(demo_engine) == []


async def test_a_long_list_shows_its_first_page_then_the_whole_list(demo_db, monkeypatch):
    """From the stored metrics the first page is on screen before every account is read; the rows it
    shows are the whole list's first rows, and a decision taken right away is kept."""
    from abm_tui.review import loading as loading_module
    from abm_tui.review.service import ReviewService
    from abm_tui.ui.app import AbmApp
    from tests.conftest import DEMO_TODAY

    url = f"sqlite:///{demo_db}"
    ReviewService(url, as_of=DEMO_TODAY).load()  # stored by an earlier start
    monkeypatch.setattr(loading_module, "FIRST_PAGE_FROM", 10)
    app = AbmApp(url, as_of=DEMO_TODAY)
    seen = []
    shown = TargetsScreen.show_snapshot
    monkeypatch.setattr(
        TargetsScreen, "show_snapshot", lambda self, snap: (seen.append(snap.complete), shown(self, snap))
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None and app.snapshot.complete)
        assert seen[:2] == [False, True]
        screen = app.screen
        assert summary(app).startswith("200 of 200 targets") and "reading" not in summary(app)
        first = screen.shown[0]
        assert first == next(r for r in app.snapshot.rows if r.id == first.id)
        await pilot.press("3")
        await settle(pilot, lambda: app.snapshot.row(first.id).tier == 3)
    engine = app.service.engine
    assert account(engine, first.id).tier == 3 and decisions(engine)[-1].to_tier == 3


async def test_a_new_search_starts_at_its_first_match(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=11)
        await pilot.press("slash")
        await pilot.pause(0.3)
        await pilot.press(*"ltd")
        await settle(pilot)
        first = app.screen.shown[0].id
        assert table.cursor_row == 0 and app.screen.selected_account_id() == first
        await pilot.press("enter", "enter")  # leave the search box, open the account
        await settle(pilot, lambda: isinstance(app.screen, AccountScreen))
        assert app.screen.account_id == first


async def test_the_palette_jumps_to_an_account_and_runs_commands(make_app):
    from textual.command import CommandPalette

    from abm_tui.ui.screens.account import AccountScreen
    from abm_tui.ui.screens.build_list import BuildListDialog

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Highmere")
        await settle(
            pilot,
            lambda: "Highmere" in str(app.screen.query_one("CommandList").get_option_at_index(0).prompt),
        )
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, AccountScreen))
        assert app.snapshot.row(app.screen.account_id).name == "Highmere Biotech plc"
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"build the list")
        await settle(
            pilot,
            lambda: (
                "Build the list" in str(app.screen.query_one("CommandList").get_option_at_index(0).prompt)
            ),
        )
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, BuildListDialog))


async def test_movement_and_loss_reason_counts_open_exactly_those_accounts(make_app):
    """Issue 15: 'since 23 Oct: n progressed …' and each loss reason open the accounts behind them."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await open_funnel(pilot, moved=True)
        screen = app.screen
        labels = [line.label.strip() for line in screen.lines]
        assert labels[:4] == ["Movement since 23 Oct", "progressed", "regressed", "unchanged"]
        moved = screen.movement
        assert sum(len(getattr(moved, k)) for k in ("progressed", "regressed", "unchanged")) == sum(
            1 for r in app.snapshot.rows if r.is_target and r.status == "active"
        )
        assert "Revenue (365 d)" in labels and "ROI" in labels  # the demo has spend: CAC and ROI shown
        screen.query_one(DataTable).move_cursor(row=labels.index("regressed"))
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, TargetsScreen))
        await settle(pilot)
        assert {r.id for r in app.screen.shown} == set(moved.regressed)
        assert summary(app).startswith(f"{len(moved.regressed)} of 200 targets")

        await open_funnel(pilot, moved=True)
        screen = app.screen
        price = next(i for i, line in enumerate(screen.lines) if line.label.strip() == "Price")
        expected = screen.lines[price].ids
        assert expected and len(expected) <= int(screen.lines[price].value)  # deals lost, at these accounts
        screen.query_one(DataTable).move_cursor(row=price)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, TargetsScreen))
        await settle(pilot)
        assert {r.id for r in app.screen.shown} == set(expected)


async def test_the_account_and_the_agenda_say_who_to_call_next(make_app):
    """Issue 16: a line per gap — the silent role's contact with e-mail, phone and last touch, the
    titles to look for where a role is missing."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        row = next(
            r for r in app.snapshot.rows if r.tier == 1 and {"silent", "missing"} <= set(r.gaps.values())
        )
        app.open_account(row.id)
        await settle(
            pilot,
            lambda: isinstance(app.screen, AccountScreen) and app.screen.query_one("#call-next").display,
        )
        text = str(app.screen.query_one("#call-next").render())
        silent = [role for role, gap in row.gaps.items() if gap == "silent"]
        missing = [role for role, gap in row.gaps.items() if gap == "missing"]
        assert text.startswith("Who to call next")
        assert f"{silent[0].replace('_', ' ').capitalize()} silent: call " in text
        assert f"{missing[0].replace('_', ' ').capitalize()} missing: find one, look for " in text
        assert "@" in text  # the e-mail address of the person to call


async def test_the_columns_and_words_are_explained(make_app):
    """Issue 16: `?` explains the screen's columns and words, not only its keys; the sorted column's
    meaning is the line under the list."""
    from abm_tui.ui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        hint = app.screen.query_one("#column-hint")
        assert str(hint.render()).startswith("Tier: 1, 2 or 3")
        await pilot.press("o")  # sort by the next column: its meaning follows
        await settle(pilot, lambda: str(hint.render()).startswith("Account:"))
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = app.screen.text
        assert "## What the columns and words mean" in text
        assert "- **Fit**: ICP fit 1–5" in text and "- **Top gap**: " in text and "silent (nobody" in text
        await pilot.press("escape")
        await open_funnel(pilot)
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "- **→ next**: Conversion" in app.screen.text and "- **LTV**: " in app.screen.text


async def test_an_account_that_fails_to_load_says_so(make_app, monkeypatch):
    """Reading an account that raises is said, whether it fails as the account is opened (the list
    stays) or as its open screen reads it again after a decision (a worker's state change reaches
    only its own screen: the account screen said "Loading…" for ever)."""
    app = make_app()

    def fails(snapshot, account_id):
        raise RuntimeError("the account's rows could not be read")

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        read = app.service.account_view
        monkeypatch.setattr(app.service, "account_view", fails)
        await pilot.press("enter")
        await settle(pilot, lambda: bool(app._notifications))
        assert [n.message for n in app._notifications] == [
            "Something went wrong: the account's rows could not be read"
        ]
        assert isinstance(app.screen, TargetsScreen)
        app.clear_notifications()
        monkeypatch.setattr(app.service, "account_view", read)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, AccountScreen))
        monkeypatch.setattr(app.service, "account_view", fails)
        await pilot.press("2")  # a retier: the screen reads its account again
        await settle(pilot, lambda: any("could not be read" in n.message for n in app._notifications))
        assert isinstance(app.screen, AccountScreen)


async def test_an_account_opens_with_its_data_read_once(make_app):
    """The account is read first and its screen pushed with it: painted as it mounts, not read again."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        read, calls = app.service.account_view, []

        def counted(snapshot, account_id):
            calls.append(account_id)
            return read(snapshot, account_id)

        app.service.account_view = counted
        row = app.screen.shown[0]
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, AccountScreen))
        assert f"Engagement score {row.score}" in str(app.screen.query_one("#score").render())
        await settle(pilot)
        assert calls == [row.id]
