"""UI fixtures: an app factory on a copy of the demo database, and waiting helpers."""

from __future__ import annotations

import time

import pytest

from abm_tui.ui.app import AbmApp
from tests.conftest import DEMO_TODAY

SIZE = (160, 48)


@pytest.fixture
def make_app(demo_engine):
    def factory(theme: str = "textual-dark", **kw) -> AbmApp:
        app = AbmApp(demo_engine, as_of=DEMO_TODAY, **kw)
        app.theme = theme
        return app

    return factory


async def settle(pilot, condition=None, timeout: float = 10.0) -> None:
    """Wait for workers and repaint; with `condition`, poll it until true (or fail at the deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if condition is None or condition():
            if condition is None:
                await pilot.app.workers.wait_for_complete()
                await pilot.pause()
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


async def poll(pilot, condition, timeout: float = 10.0) -> None:
    """Pause until `condition` holds or `timeout` passes, without waiting for the workers (as `settle`
    does): for a worker held back on purpose. The caller asserts what it expects afterwards."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if condition():
            return


async def open_funnel(pilot, *, moved: bool = False):
    """`f`, until the funnel screen shows its numbers (`moved`: and what moved, worked out last)."""
    from abm_tui.ui.screens.funnel import FunnelScreen

    await pilot.press("f")
    await settle(pilot, lambda: isinstance(pilot.app.screen, FunnelScreen) and pilot.app.screen.lines)
    if moved:
        await settle(pilot, lambda: pilot.app.screen.movement is not None)
    return pilot.app.screen
