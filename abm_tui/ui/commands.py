"""The command palette: jump to any account by name, and the app's commands in words."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from abm_tui.review.requests import Undo

if TYPE_CHECKING:
    from abm_tui.ui.app import AbmApp

FUZZY_ACCOUNTS = 5_000  # longer lists are narrowed to names containing the query before fuzzy matching


class AccountCommands(Provider):
    """Jump to any account by name; run the screen commands."""

    @property
    def abm(self) -> AbmApp:
        return cast("AbmApp", self.app)  # Provider.app is typed as the base App

    def _commands(self) -> list[tuple[str, Callable[[], object]]]:
        app = self.abm
        running = app.service.meeting is not None
        return [
            ("Targets: show the target list", app.action_show_targets),
            ("Funnel: show the funnel overview", app.action_show_funnel),
            (
                "Meeting: open its agenda" if running else "Meeting: start a review meeting",
                app.action_meeting,
            ),
            *([("Meeting: end it and write the minutes", app.end_meeting)] if running else []),
            ("Follow-ups: open, overdue, mine, done", app.action_show_follow_ups),
            ("Import CRM exports or generic folders…", app.action_import),
            ("Build the list: propose tiers by a rule, preview, save…", app.action_build_list),
            ("Set your name (recorded on decisions)", app.action_set_name),
            ("Set the currency amounts are shown in", app.action_set_currency),
            ("Undo the last decision", partial(app.decide, Undo())),
        ]

    async def discover(self) -> Hits:
        for text, callback in self._commands():
            yield DiscoveryHit(text, callback)

    async def search(self, query: str) -> Hits:
        app = self.abm
        matcher = self.matcher(query)
        for text, callback in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback)
        if app.snapshot is None:
            return
        rows = app.snapshot.rows
        if len(rows) > FUZZY_ACCOUNTS:  # fuzzy-matching every name of a long list per keystroke is slow
            needle = query.lower().strip()
            rows = [r for r in rows if needle in r.search_text][:FUZZY_ACCOUNTS]
        for row in rows:
            label = f"{row.name} ({row.domain or 'no domain'})"
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(label), partial(app.open_account, row.id), help="open account"
                )
