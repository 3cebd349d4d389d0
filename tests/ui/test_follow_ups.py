"""Follow-ups that get done (issue 16): the Follow-ups screen, the account history, the agenda, the minutes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session
from textual.widgets import DataTable

from abm_tui.review.requests import FollowUp as AddFollowUp
from abm_tui.store.models import FollowUp
from abm_tui.ui.screens.account import AccountScreen
from abm_tui.ui.screens.follow_ups import FollowUpsScreen
from abm_tui.ui.screens.meeting import MeetingScreen, MeetingSummaryScreen
from abm_tui.ui.screens.meeting_dialogs import ChoiceDialog, EditFollowUpDialog, FollowUpDialog
from tests.ui.conftest import SIZE, settle
from tests.ui.test_meeting import start


def follow_ups(engine) -> list[FollowUp]:
    with Session(engine) as s:
        return list(s.execute(select(FollowUp).order_by(FollowUp.id)).scalars())


async def test_the_follow_ups_screen_lists_marks_done_and_edits(make_app, demo_engine):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        a, b = app.snapshot.rows[0], app.snapshot.rows[1]
        app.service.decide(AddFollowUp(a.id, "send the case study", "Mia", date(2026, 12, 4)))
        app.service.decide(AddFollowUp(b.id, "call the CFO", "Sam", date(2026, 11, 10)))  # overdue on 20 Nov
        await pilot.press("l")
        await settle(pilot, lambda: isinstance(app.screen, FollowUpsScreen) and app.screen.shown)
        screen = app.screen
        assert [r.text for r in screen.shown] == ["call the CFO", "send the case study"]  # overdue first
        summary = str(screen.query_one("#follow-summary").render())
        assert summary.startswith("2 open") and "1 overdue" in summary
        await pilot.press("x")  # the overdue one is done
        await settle(pilot, lambda: len(screen.shown) == 1)
        done = {f.text: f.done_at for f in follow_ups(demo_engine)}
        assert done["call the CFO"] is not None and done["send the case study"] is None
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, EditFollowUpDialog))
        await pilot.press("ctrl+u", *"Sam", "tab", "ctrl+u", *"2026-12-11", "enter")
        await settle(pilot, lambda: isinstance(app.screen, FollowUpsScreen))
        await settle(pilot, lambda: screen.shown and screen.shown[0].owner == "Sam")
        [case] = [f for f in follow_ups(demo_engine) if f.text == "send the case study"]
        assert (case.owner, case.due_date) == ("Sam", date(2026, 12, 11))
        await pilot.press("v")  # overdue: none left, and the empty view says so
        await settle(pilot, lambda: screen.view == "overdue")
        table = screen.query_one(DataTable)
        assert screen.shown == [] and table.row_count == 1
        assert str(table.get_row_at(0)[1]).startswith("No overdue follow-ups (v: open, mine, done, all)")
        await pilot.press("x")  # nothing to mark
        await pilot.press("v", "v")  # → mine → done
        await settle(pilot, lambda: screen.view == "done")
        assert [r.text for r in screen.shown] == ["call the CFO"]
        await pilot.press("enter")  # its account, whose history says who and by when
        await settle(pilot, lambda: isinstance(app.screen, AccountScreen))
        await settle(pilot, lambda: app.screen.query_one("#history", DataTable).row_count > 0)
        history = app.screen.query_one("#history", DataTable)
        cells = [str(c) for r in range(history.row_count) for c in history.get_row_at(r)]
        assert any("call the CFO (Sam, due 10 Nov) — done" in c for c in cells)


async def meeting_with_an_overdue_follow_up(pilot):
    """A quiet target (no rule flags it, no pipeline) with a follow-up due 01 Nov, then a meeting."""
    app = pilot.app
    await settle(pilot, lambda: app.snapshot is not None)
    quiet = next(r for r in app.snapshot.rows if r.is_target and not r.agenda and r.pipeline == 0)
    app.service.decide(AddFollowUp(quiet.id, "chase the signed NDA", "Sam", date(2026, 11, 1)))
    await start(pilot, app)
    return quiet


async def test_in_a_meeting_overdue_follow_ups_come_first_need_an_owner_and_reach_the_minutes(
    make_app, demo_engine
):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        quiet = await meeting_with_an_overdue_follow_up(pilot)
        first = app.screen.agenda.entries[0]
        assert first.account_id == quiet.id  # overdue: first, and its Why says so
        assert first.reasons == (
            "Follow-up overdue: chase the signed NDA (Sam, due 01 Nov): done, or a new date?",
        )
        await pilot.press("F")
        await settle(pilot, lambda: isinstance(app.screen, FollowUpDialog))
        await pilot.press(*"book a demo", "tab", "ctrl+u", "enter")  # no owner
        await settle(pilot)
        assert isinstance(app.screen, FollowUpDialog)  # refused: in a meeting somebody takes it on
        hint = str(app.screen.query_one("#follow-hint").render())
        assert "needs an owner" in hint
        await pilot.press(*"Mia", "enter")
        await settle(pilot, lambda: isinstance(app.screen, MeetingScreen))
        await settle(pilot, lambda: len(follow_ups(demo_engine)) == 2)
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, MeetingSummaryScreen))
        minutes = app.screen.minutes
    assert f"## Follow-ups agreed\n\n- **{quiet.name}**: book a demo (Mia, due " in minutes
    assert (
        f"## Follow-ups overdue\n\n- **{quiet.name}**: chase the signed NDA (Sam, due 2026-11-01)" in minutes
    )


async def test_a_follow_up_done_during_the_meeting_leaves_its_agenda(make_app, demo_engine):
    """Marked done on the Follow-ups screen (no decision, no new snapshot): back in the meeting, the
    entry it put on the agenda is gone, so nobody decides on a stale reason."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        quiet = await meeting_with_an_overdue_follow_up(pilot)
        meeting = app.screen
        assert meeting.agenda.entries[0].account_id == quiet.id
        await pilot.press("l")
        await settle(pilot, lambda: isinstance(app.screen, FollowUpsScreen) and app.screen.shown)
        await pilot.press("x")
        await settle(pilot, lambda: follow_ups(demo_engine)[0].done_at is not None)
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is meeting)
        await settle(pilot, lambda: quiet.id not in [e.account_id for e in meeting.agenda.entries])
