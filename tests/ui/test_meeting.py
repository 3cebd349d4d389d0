"""A whole meeting on the demo data: agenda, decisions, skip, follow-up, note, end, minutes."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session
from textual.widgets import DataTable, Static

from abm_tui.review.agenda import name_key
from abm_tui.store.models import Decision, FollowUp, Meeting, MeetingSkip
from abm_tui.ui.screens.meeting import MeetingScreen, MeetingSummaryScreen
from abm_tui.ui.screens.meeting_dialogs import (
    ChoiceDialog,
    FollowUpDialog,
    ResumeMeetingDialog,
    StartMeetingDialog,
)
from abm_tui.ui.screens.prompt import TextPrompt
from tests.ui.conftest import SIZE, settle


def rows(engine, model):
    with Session(engine) as s:
        return list(s.execute(select(model).order_by(model.id)).scalars())


async def start(pilot, app, sales="Sam Jansen", marketing="Mia de Vries"):
    await settle(pilot, lambda: app.snapshot is not None)
    await pilot.press("m")
    await settle(pilot, lambda: isinstance(app.screen, StartMeetingDialog))
    await pilot.press(*sales, "tab", *marketing, "enter")
    await settle(pilot, lambda: isinstance(app.screen, MeetingScreen) and app.screen.agenda is not None)


async def test_a_whole_meeting(make_app, demo_engine, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app)
        screen = app.screen
        agenda = screen.agenda
        total = len(agenda.entries)
        assert total > 20 and agenda.decided == 0
        # Ordered by what is at stake: open pipeline, then tier, then the rule's urgency.
        pipeline = {r.id: r.pipeline for r in app.snapshot.rows}
        stakes = [(-pipeline[e.account_id], e.tier or 9) for e in agenda.entries]
        assert stakes == sorted(stakes)
        assert all(e.rules == ("add",) for e in agenda.entries if e.tier is None)
        # Today's 25 are listed; the rest one key away.
        status = str(screen.query_one("#meeting-status").render())
        assert status.startswith(f"1 of 25 today · {total - 25} more (a lists them)")
        assert screen.query_one("#agenda", DataTable).row_count == 25
        await pilot.press("a")
        await settle(pilot, lambda: screen.query_one("#agenda", DataTable).row_count == total)

        promote = next(i for i, e in enumerate(agenda.entries) if "promote" in e.rules and e.tier == 3)
        target = agenda.entries[promote]
        screen.query_one("#agenda", DataTable).move_cursor(row=promote)
        await pilot.press("2")
        await settle(pilot, lambda: isinstance(app.screen, TextPrompt))  # the pair's own reason
        await pilot.press(*"strong champion", "enter")
        await settle(
            pilot, lambda: target.account_id not in [e.account_id for e in app.screen.agenda.entries]
        )

        first = app.screen.agenda.entries[0]
        app.screen.query_one("#agenda", DataTable).move_cursor(row=0)
        await pilot.press("s")  # skip: stays, marked, moves to the end
        await settle(pilot, lambda: app.screen.agenda.skipped == 1)
        assert (
            app.screen.agenda.entries[-1].account_id == first.account_id
            and app.screen.agenda.entries[-1].skipped
        )

        drop_entry = app.screen.agenda.entries[0]
        app.screen.query_one("#agenda", DataTable).move_cursor(row=0)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press(*"no budget until 2028", "enter")
        await settle(
            pilot, lambda: drop_entry.account_id not in [e.account_id for e in app.screen.agenda.entries]
        )

        follow_entry = app.screen.agenda.entries[0]
        await pilot.press("F")
        await settle(pilot, lambda: isinstance(app.screen, FollowUpDialog))
        await pilot.press(
            *"find the budget holder", "tab", "ctrl+u", *"Sam", "tab", "ctrl+u", *"2026-12-01", "enter"
        )
        await settle(pilot, lambda: len(rows(demo_engine, FollowUp)) == 1)

        await pilot.press("N")
        await settle(pilot)
        await pilot.press(*"champion left", "enter")
        await settle(pilot, lambda: len(rows(demo_engine, Decision)) == 4)

        # The status line counts what happened.
        await settle(pilot, lambda: app.screen.agenda.decided == 2)
        assert len(app.screen.agenda.entries) == total - 2

        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        assert "2 decided" in str(app.screen.query_one(Static).render())  # the counts, before it ends
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, MeetingSummaryScreen))
        minutes = app.screen.minutes

    [meeting] = rows(demo_engine, Meeting)
    assert meeting.participants == "Sam Jansen, Mia de Vries" and meeting.ended_at is not None
    made = rows(demo_engine, Decision)
    assert [(d.kind, d.account_id) for d in made] == [
        ("retier", target.account_id),
        ("drop", drop_entry.account_id),
        ("follow_up", follow_entry.account_id),
        ("note", follow_entry.account_id),
    ]
    assert all(d.meeting_id == meeting.id and d.decided_by == "Sam Jansen, Mia de Vries" for d in made)
    # The pair's words first, then the rule's facts (not its question).
    assert made[0].reason.startswith("strong champion (agenda: Tier 3") and "promote" not in made[0].reason
    [follow] = rows(demo_engine, FollowUp)
    assert (follow.text, follow.owner, str(follow.due_date)) == (
        "find the budget holder",
        "Sam",
        "2026-12-01",
    )
    assert [s.account_id for s in rows(demo_engine, MeetingSkip)] == [first.account_id]

    assert "**Participants:** Sam Jansen, Mia de Vries" in minutes
    assert "1 tier change, 1 drop, 1 follow-up, 1 note." in minutes
    assert f"- **{target.name}**, Tier 3 → Tier 2: strong champion (agenda: Tier 3" in minutes
    assert "— now Tier 2, " in minutes  # the account as the meeting left it
    assert f"- **{drop_entry.name}** (was Tier {drop_entry.tier}): no budget until 2028" in minutes
    assert f"- **{follow_entry.name}**: find the budget holder (Sam, due 2026-12-01)" in minutes
    assert f"- **{follow_entry.name}**: champion left" in minutes
    assert f"## Skipped (on the agenda next time)\n\n- {first.name}" in minutes
    # Laid out for an 80-column terminal: long items continue on indented lines (one Markdown item).
    assert max(len(line) for line in minutes.splitlines()) <= 80
    assert any(line.startswith("  ") and line.strip() for line in minutes.splitlines())


async def test_meeting_needs_two_names(make_app, demo_engine):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press(*"Sam", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StartMeetingDialog)
        assert "both needed" in str(app.screen.query_one("#start-hint").render())
        await pilot.press("escape")
        await settle(pilot)
    assert rows(demo_engine, Meeting) == []


async def test_unfinished_meeting_is_offered_and_resumed(make_app, demo_engine):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app)
        assert app.screen.agenda.entries[0].tier == 1
        await pilot.press("3")
        await settle(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press("enter")  # no reason of their own: the rule's facts are kept
        await settle(pilot, lambda: len(rows(demo_engine, Decision)) == 1)
    # The app went away without ending the meeting (as if killed); the next start offers to resume.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, ResumeMeetingDialog))
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, MeetingScreen) and app.screen.agenda is not None)
        assert app.screen.agenda.decided == 1
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, MeetingSummaryScreen))
        assert "1 tier change" in app.screen.minutes
    [meeting] = rows(demo_engine, Meeting)
    assert meeting.ended_at is not None


async def test_follow_ups_come_back_on_the_next_agenda(make_app, demo_engine):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.snapshot is not None)
        # An account without agenda flags gets a follow-up outside a meeting.
        row = next(r for r in app.screen.shown if not r.agenda)
        index = [r.id for r in app.screen.shown].index(row.id)
        app.screen.query_one(DataTable).move_cursor(row=index)
        await pilot.press("F")
        await settle(pilot, lambda: isinstance(app.screen, FollowUpDialog))
        await pilot.press(*"send the case study", "enter")
        await settle(pilot, lambda: len(rows(demo_engine, FollowUp)) == 1)
        await start(pilot, app)
        entry = next(e for e in app.screen.agenda.entries if e.account_id == row.id)
        assert entry.follow_ups and "send the case study" in entry.follow_ups[0]


async def test_after_a_skip_or_a_decision_the_cursor_is_on_the_next_open_entry(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app)
        entries = app.screen.agenda.entries
        await pilot.press("s")  # skip the first: the second is next, not the third
        await settle(pilot, lambda: app.screen.agenda.skipped == 1)
        assert app.screen.current().account_id == entries[1].account_id
        await pilot.press("3")  # decide on the second: the third is next
        await settle(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press("enter")
        await settle(
            pilot, lambda: entries[1].account_id not in {e.account_id for e in app.screen.agenda.entries}
        )
        assert app.screen.current().account_id == entries[2].account_id
        status = str(app.screen.query_one("#meeting-status").render())
        assert status.startswith("1 of ") and "1 decided · 1 skipped" in status


async def test_an_add_entry_joins_the_list_and_the_minutes_open_with_what_moved(make_app, demo_engine):
    """Issue 15: a high-fit account off the list that surges is proposed (`add`); 2 puts it on the list
    as Tier 2. The header and the minutes say what moved since the last meeting, and the revenue."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app)
        screen = app.screen
        await settle(pilot, lambda: "Moved since" in str(screen.query_one("#meeting-headline").render()))
        header = str(screen.query_one("#meeting-headline").render())
        assert "Moved since 23 Oct:" in header and "win rate ABM" in header and "ROI ABM" in header
        await pilot.press("a")  # the add entries come after today's 25
        await settle(pilot, lambda: screen.query_one("#agenda", DataTable).row_count > 25)
        i, entry = next((i, e) for i, e in enumerate(screen.agenda.entries) if e.rules == ("add",))
        assert entry.tier is None and entry.reason.endswith("not on the list: add it?")
        assert "ICP fit" in entry.reason
        screen.query_one("#agenda", DataTable).move_cursor(row=i)
        await pilot.press("2")
        await settle(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press("enter")
        await settle(pilot, lambda: entry.account_id not in [e.account_id for e in app.screen.agenda.entries])
        row = app.snapshot.row(entry.account_id)
        assert (row.is_target, row.tier) == (True, 2)
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, MeetingSummaryScreen))
        minutes = app.screen.minutes
    [decision] = rows(demo_engine, Decision)
    assert (decision.kind, decision.account_id, decision.to_tier) == ("target", entry.account_id, 2)
    assert minutes.index("## Where the list stands") < minutes.index("## Summary")
    assert "- Moved since 23 Oct:" in minutes and "- Revenue (365 d): win rate ABM" in minutes
    assert f"- **{entry.name}**, not on the list → Tier 2" in minutes


async def test_quitting_during_a_meeting_asks_and_undo_returns_to_the_entry(make_app, demo_engine):
    """Issue 16: q asks (cancel / leave it running / end it); undo puts the cursor on the entry that
    came back; an empty meeting's minutes say so instead of a bare Summary."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app)
        entries = app.screen.agenda.entries
        app.screen.query_one("#agenda", DataTable).move_cursor(row=2)
        await pilot.press("3")
        await settle(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press("enter")
        await settle(pilot, lambda: app.screen.agenda.decided == 1)
        assert app.screen.current().account_id == entries[3].account_id
        await pilot.press("u")
        await settle(pilot, lambda: app.screen.agenda.decided == 0)
        assert app.screen.current().account_id == entries[2].account_id  # back on the undone one

        await pilot.press("escape")  # to the list, the meeting keeps running
        await settle(pilot, lambda: not isinstance(app.screen, MeetingScreen))
        await pilot.press("q")
        await settle(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.press("escape")  # cancel: still running, still here
        await settle(pilot)
        assert app.is_running and app.service.meeting is not None
        await pilot.press("q")
        await settle(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.press("e")  # end it, then quit
        await settle(pilot, lambda: not app.is_running)
    [meeting] = rows(demo_engine, Meeting)
    assert meeting.ended_at is not None
    assert [(d.kind, d.undoes_id is not None) for d in rows(demo_engine, Decision)] == [
        ("retier", False),
        ("retier", True),
    ]
    minutes = app.service.minutes(meeting.id)
    assert "1 decision taken back" in minutes and "- No decisions were made." in minutes


async def test_leaving_a_meeting_running_quits_without_ending_it(make_app, demo_engine):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app)
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, MeetingScreen))
        await pilot.press("q")
        await settle(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.press("l")
        await settle(pilot, lambda: not app.is_running)
    [meeting] = rows(demo_engine, Meeting)
    assert meeting.ended_at is None  # offered for resuming at the next start


async def test_possible_duplicates_are_warned_about_and_listed_together(make_app):
    """Issue 16: "Smit Zorg BV" and "Smit Zorg Groep" (both Tier 1 in the demo) may be one company."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app)
        warnings = str(app.screen.query_one("#meeting-warnings").render())
        assert "Possible duplicates: " in warnings and "(D lists them)" in warnings
        # Each entry with a gap says who to call next, in its detail too.
        i, entry = next((i, e) for i, e in enumerate(app.screen.agenda.entries) if e.call)
        app.screen.query_one("#agenda", DataTable).move_cursor(row=i)
        await settle(pilot)
        detail = str(app.screen.query_one("#entry-detail").render())
        assert "Who to call next" in detail and entry.call[0] in detail.replace("\n", " ")
        expected = {r.id for r in app.snapshot.rows if r.name in ("Smit Zorg BV", "Smit Zorg Groep")}
        assert expected <= app.screen.agenda.duplicates
        duplicates = app.screen.agenda.duplicates
        await pilot.press("D")
        await settle(pilot, lambda: not isinstance(app.screen, MeetingScreen))
        await settle(pilot)
        assert {r.id for r in app.screen.shown} == set(duplicates)
        keys = [name_key(r.name) for r in app.screen.shown]  # side by side: each group in one run
        assert sum(1 for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k) == len(set(keys))
        await pilot.press("m")  # back to the meeting; its minutes name every group
        await settle(pilot, lambda: isinstance(app.screen, MeetingScreen))
        minutes = app.service.minutes(app.service.meeting.id, app.snapshot)
        assert "Smit Zorg BV / Smit Zorg Groep" in minutes


def test_names_compare_without_their_legal_forms():

    assert name_key("Smit Zorg BV") == name_key("Smit Zorg Groep") == "smit zorg"
    assert name_key("Seidel Verpackung GmbH & Co. KG") == "seidel verpackung"
    assert name_key("Bianchi Logistica S.r.l.") == "bianchi logistica"
    assert name_key("Group") == "group"  # a name that is only a legal form stays itself
    assert name_key("Smit Zorg") != name_key("Smit Bouw")
