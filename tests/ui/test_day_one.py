"""Day one on your own data (issue 12), through the real app: a CRM export with no tiers, years old,
in US dollars, without engagements — the list is built, the dates and the currency are right."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text
from textual.widgets import DataTable, Input, Static

from abm_tui.importers.reader import read_inputs
from abm_tui.review.requests import Retier
from abm_tui.store.db import open_store
from abm_tui.store.imports import apply_batch
from abm_tui.ui.app import AbmApp
from tests.ui.conftest import SIZE, settle

ACCOUNTS = """
    account_id,name,domain,industry,employees,annual_revenue,region,icp_fit,owner_sales
    A1,Acme Corp,acme.example,Software,1200,90000000,US,5,Dana
    A2,Bolt Logistics,bolt.example,Logistics,300,40000000,US,5,Dana
    A3,Cobalt Health,cobalt.example,Healthcare,5000,700000000,EU,4,Lee
    A4,Delta Foods,delta.example,Food,80,5000000,US,4,Lee
    A5,Echo Retail,echo.example,Retail,40,2000000,EU,2,Lee
    A6,Fjord Energy,fjord.example,Energy,900,120000000,EU,,Dana
    """
OPPORTUNITIES = """
    opportunity_id,account_id,name,amount,currency,stage,created_at,close_date,outcome,source
    O1,A1,Acme platform,250000,USD,Negotiation,2017-09-01,2018-01-31,open,sales
    O2,A2,Bolt pilot,40000,USD,Closed Won,2017-02-01,2017-06-30,won,marketing
    O3,A3,Cobalt suite,90000,USD,Closed Lost,2017-03-01,2017-12-31,lost,sales
    """


def write_crm(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accounts.csv").write_text(textwrap.dedent(ACCOUNTS).lstrip())
    (folder / "opportunities.csv").write_text(textwrap.dedent(OPPORTUNITIES).lstrip())
    return folder


@pytest.fixture
def crm_engine(tmp_path):
    engine, _ = open_store(f"sqlite:///{tmp_path / 'crm.sqlite'}")
    apply_batch(engine, read_inputs([write_crm(tmp_path / "export")]))
    yield engine
    engine.dispose()


def q(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


def screen_text(app) -> str:
    return " ".join(str(w.render()) for w in app.screen.query(Static))


async def test_old_usd_export_without_targets_or_engagements(crm_engine):
    app = AbmApp(crm_engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await settle(pilot)
        # The newest activity (a lost deal closed 31 Dec 2017) is the as-of date, and the header says so.
        assert app.snapshot.as_of.isoformat() == "2017-12-31"
        assert app.screen.sub_title == "as of Sun 31 Dec 2017, the newest data"
        assert app.title == "abm-tui — crm.sqlite"
        notes = str(app.screen.query_one("#data-notes", Static).render())
        assert "No engagement data yet" in notes
        # No targets yet: the empty list says why, and how to build one.
        empty = str(app.screen.query_one("#targets-empty", Static).render())
        assert "No account is on the target list yet" in empty and "build the list" in empty
        # Every amount in dollars: the list …
        for _ in range(4):
            await pilot.press("t")  # targets → Tier 1 → 2 → 3 → not on the list
        await settle(pilot, lambda: len(app.screen.shown) == 6)
        table = app.screen.query_one(DataTable)
        acme = next(i for i, r in enumerate(app.screen.shown) if r.name == "Acme Corp")
        assert str(table.get_row_at(acme)[7]) == "$250k"
        assert str(table.get_row_at(acme)[4]).strip() == "–"  # no score without engagement data
        # … and the account screen.
        table.move_cursor(row=acme)
        await pilot.press("enter")
        await settle(pilot, lambda: "open pipeline $250k" in screen_text(app))
        opps = app.screen.query_one("#opps", DataTable)
        assert str(opps.get_row_at(0)[2]) == "$250k"
        assert "(1: 1 open)" in str(app.screen.query_one("#opps-title", Static).render())
        await pilot.press("escape")
        # … and the funnel.
        await pilot.press("f")
        await settle(
            pilot, lambda: app.screen.query("#numbers") and app.screen.query_one("#numbers").row_count
        )
        numbers = app.screen.query_one("#numbers", DataTable)
        cells = {
            str(numbers.get_row_at(i)[0]).strip(): str(numbers.get_row_at(i)[1])
            for i in range(numbers.row_count)
        }
        assert cells["Avg deal size"] == "– vs $40k"  # no target yet; the non-ABM win in dollars
        assert not any("€" in v for v in cells.values())


async def test_marked_accounts_take_one_decision_each_and_one_undo(crm_engine):
    app = AbmApp(crm_engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        for _ in range(4):
            await pilot.press("t")
        await settle(pilot, lambda: len(app.screen.shown) == 6)
        await pilot.press("space", "space")  # rows 1 and 2
        await pilot.press("shift+down")  # row 3, and row 4 with it
        await settle(pilot)
        assert len(app.screen.marked) == 4
        marked = {r.id for r in app.screen.shown[:4]}
        assert app.screen.marked == marked
        await pilot.press("2")
        await settle(pilot, lambda: sum(r.tier == 2 for r in app.snapshot.rows) == 4)
        rows = q(crm_engine, "SELECT account_id, kind, from_tier, to_tier, batch FROM decision ORDER BY id")
        assert {r[0] for r in rows} == marked and len(rows) == 4
        assert {(r[1], r[2], r[3]) for r in rows} == {("target", None, 2)}
        assert len({r[4] for r in rows}) == 1  # one batch
        assert app.screen.marked == set()
        await pilot.press("u")  # one undo takes the four back
        await settle(pilot, lambda: not any(r.is_target for r in app.snapshot.rows))
        assert q(crm_engine, "SELECT count(*) FROM account WHERE is_target") == [(0,)]
        undo = q(crm_engine, "SELECT account_id, undoes_id FROM decision WHERE undoes_id IS NOT NULL")
        assert {a for a, _ in undo} == marked and len(undo) == 4


async def test_build_the_list_saves_what_the_preview_shows(crm_engine):
    from abm_tui.ui.screens.build_list import BuildListDialog

    app = AbmApp(crm_engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await pilot.press("b")
        await settle(pilot, lambda: isinstance(app.screen, BuildListDialog) and app.screen.previewed)
        dialog = app.screen
        for i, n in ((1, "1"), (2, "2"), (3, "1")):
            dialog.query_one(f"#size-{i}", Input).value = n
        dialog.query_one("#regions", Input).value = "US"
        await settle(pilot)
        preview = str(dialog.query_one("#build-text", Static).render())
        # ICP fit first, then annual revenue, US only: Acme (5, 90M), Bolt (5, 40M), Delta (4, 5M).
        assert "Tier 1: 1  Acme Corp" in preview
        assert "Tier 2: 2  Bolt Logistics, Delta Foods" in preview
        assert "Tier 3: 0" in preview
        shown = dict(dialog.previewed[1].tiers)
        dialog.query_one("#regions", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: sum(r.is_target for r in app.snapshot.rows) == 3)
        saved = dict(q(crm_engine, "SELECT id, tier FROM account WHERE is_target"))
        assert saved == shown
        names = dict(q(crm_engine, "SELECT name, tier FROM account WHERE is_target"))
        assert names == {"Acme Corp": 1, "Bolt Logistics": 2, "Delta Foods": 2}
        reasons = q(crm_engine, "SELECT DISTINCT reason FROM decision")
        assert reasons == [
            (
                "list built by rule: ICP fit, then annual revenue within region US; "
                "top 1 Tier 1, next 2 Tier 2, next 1 Tier 3",
            )
        ]


def test_minutes_carry_the_data_currency(crm_engine, tmp_path):
    from abm_tui.review.service import ReviewService

    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "contacts.csv").write_text(
        "contact_id,account_id,name,title,buying_role\nC1,A1,Ann,CEO,decision_maker\n"
    )
    (folder / "accounts.csv").write_text("account_id,name\nA1,Acme Corp\n")
    apply_batch(crm_engine, read_inputs([folder]))
    service = ReviewService(crm_engine)
    snap = service.load()
    acme = next(r for r in snap.rows if r.name == "Acme Corp")
    service.start_meeting(["Sam", "Mia"])
    service.decide(Retier(acme.id, 1))
    snap = service.after_decision({acme.id})
    text_ = service.minutes(service.meeting.id, snap)
    assert "$250k open at Acme Corp with no decision maker engaged." in text_
    assert "€" not in text_


async def test_the_currency_can_be_set_from_the_palette_command(crm_engine):
    app = AbmApp(crm_engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        assert app.snapshot.currency == "USD"
        app.action_set_currency()
        await settle(pilot, lambda: app.screen.query("#prompt-input") or app.screen.query(Input))
        app.screen.query_one(Input).value = "gbp"
        await pilot.press("enter")
        await settle(pilot, lambda: app.snapshot.currency == "GBP")
        assert q(crm_engine, "SELECT value FROM setting WHERE key = 'currency'") == [("GBP",)]


@pytest.mark.parametrize(("key", "choice"), [("e", "empty"), ("d", "demo"), ("q", "")])
async def test_a_missing_database_is_asked_about_not_created(tmp_path, key, choice):
    from abm_tui.ui.screens.missing_db import MissingDatabase

    app = MissingDatabase(tmp_path / "mavn.sqlite")
    async with app.run_test(size=(100, 24)) as pilot:
        assert f"There is no database at {tmp_path / 'mavn.sqlite'}." in screen_text(app)
        await pilot.press(key)
    assert app.return_value == choice
    assert not (tmp_path / "mavn.sqlite").exists()  # the dialog only asks; cmd_run acts on the answer
