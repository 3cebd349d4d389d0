"""Snapshot tests of each screen on the demo data at a fixed as-of date (pytest-textual-snapshot).

Update after an intended change with `.venv/bin/pytest tests/ui/test_snapshots.py --snapshot-update`
and look at the report before committing.
"""

from __future__ import annotations

import time

from textual.widgets import DataTable

from abm_tui.ui.screens.account import AccountScreen
from tests.ui.conftest import SIZE, open_funnel, settle


def loaded(app) -> bool:
    return app.snapshot is not None


def account_painted(app) -> bool:
    """The account screen shows its account (it is read in a worker after the screen opens)."""
    return isinstance(app.screen, AccountScreen) and "Engagement score" in str(
        app.screen.query_one("#score").render()
    )


async def painted(pilot, timeout: float = 10.0) -> None:
    """DataTables re-measure their columns on idle: wait until two pictures 0.2 s apart are the same."""
    await settle(pilot)
    # Textual 8 can keep a DataTable header rendered at its pre-measure widths until the next change
    # (seen about once in seven runs); start from fresh render caches so the picture is deterministic.
    for table in pilot.app.screen.query(DataTable):
        # A public way to empty a DataTable's render caches: its zebra_stripes watcher clears them.
        table.zebra_stripes = not table.zebra_stripes
        table.zebra_stripes = not table.zebra_stripes
        table.refresh()
    deadline = time.monotonic() + timeout
    before = pilot.app.export_screenshot()
    while time.monotonic() < deadline:
        await pilot.pause(0.2)
        now = pilot.app.export_screenshot()
        if now == before:
            return
        before = now
    raise AssertionError("the screen kept changing")


async def open_account(pilot) -> None:
    await settle(pilot, lambda: loaded(pilot.app))
    await pilot.press("enter")
    await settle(pilot, lambda: account_painted(pilot.app))
    await painted(pilot)


async def open_meeting(pilot) -> None:
    from abm_tui.ui.screens.meeting import MeetingScreen

    await settle(pilot, lambda: loaded(pilot.app))
    pilot.app.service.start_meeting(["Sam Jansen", "Mia de Vries"])
    await pilot.press("m")
    await settle(pilot, lambda: isinstance(pilot.app.screen, MeetingScreen) and pilot.app.screen.agenda)
    headline = pilot.app.screen.query_one("#meeting-headline")
    await settle(pilot, lambda: "Moved since" in str(headline.render()))  # worked out last
    await painted(pilot)


async def list_loaded(pilot) -> None:
    await settle(pilot, lambda: loaded(pilot.app))
    await painted(pilot)


def test_targets_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=list_loaded)


def test_targets_screen_filtered_small_terminal(snap_compare, make_app):
    async def run_before(pilot):
        await settle(pilot, lambda: loaded(pilot.app))
        await pilot.press("t", "g", "a")
        await painted(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_account_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=open_account)


async def funnel_painted(pilot) -> None:
    await settle(pilot, lambda: loaded(pilot.app))
    await open_funnel(pilot, moved=True)
    await painted(pilot)


def test_funnel_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=funnel_painted)


def test_light_theme_account_screen(snap_compare, make_app):
    assert snap_compare(make_app(theme="textual-light"), terminal_size=SIZE, run_before=open_account)


def test_meeting_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=open_meeting)


SMALL = (80, 24)  # the smallest terminal the screens are laid out for (issue 16)


def test_targets_screen_80x24(snap_compare, make_app):
    """Tier, Account, Stage, Score and Top gap in view; ?, f and m in the footer."""
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=list_loaded)


def test_account_screen_80x24(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=open_account)


def test_meeting_screen_80x24(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=open_meeting)


def test_funnel_screen_80x24(snap_compare, make_app):
    """The numbers at full width (`c` shows the charts instead)."""
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=funnel_painted)


def test_funnel_charts_80x24(snap_compare, make_app):
    """The charts one per row, each with its legend under it."""

    async def run_before(pilot):
        await funnel_painted(pilot)
        await pilot.press("c")
        await painted(pilot)

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=run_before)
