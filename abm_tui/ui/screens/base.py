"""What every screen with a selected account shares: the decision keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from abm_tui.review.requests import Drop, FollowUp, Note, Restore, Retier, Undo
from abm_tui.review.snapshot import Snapshot
from abm_tui.ui.screens.prompt import TextPrompt

if TYPE_CHECKING:
    from abm_tui.ui.app import AbmApp

DECISION_BINDINGS = [
    Binding(
        "1", "retier(1)", "T1", tooltip="Move to Tier 1 (adds a non-target to the list)", id="decide.tier1"
    ),
    Binding("2", "retier(2)", "T2", tooltip="Move to Tier 2", id="decide.tier2"),
    Binding("3", "retier(3)", "T3", tooltip="Move to Tier 3", id="decide.tier3"),
    Binding("d", "drop", "Drop", tooltip="Drop from the list (asks for a reason)", id="decide.drop"),
    Binding("r", "restore", "Restore", tooltip="Restore a dropped account", id="decide.restore", show=False),
    Binding("n", "note", "Note", tooltip="Add a note to the account", id="decide.note"),
    Binding(
        "F", "follow_up", "Follow-up", tooltip="Add a follow-up: what, owner, due date", id="decide.follow_up"
    ),
    Binding(
        "u,ctrl+z", "undo", "Undo", tooltip="Undo the last decision (appends its opposite)", id="decide.undo"
    ),
]


STACK_BELOW = 120  # columns: below this, side-by-side panels stack (account, meeting, funnel)


class ReportsFailures:
    """A screen whose workers' failures the app shows (a worker's state change goes to its own screen
    only: without this, a screen that failed to load said "Loading…" for ever)."""

    app: AbmApp

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.report_failure(event.worker)


class ReviewScreen(ReportsFailures, Screen):
    """A screen that may have an account selected, and so offers the decision keys."""

    app: AbmApp

    def stack_if_narrow(self) -> None:
        """Side-by-side panels on a wide terminal; on a narrow one the screen gets `-narrow` and its
        CSS stacks them."""
        self.set_class(self.app.size.width < STACK_BELOW, "-narrow")

    def selected_account_id(self) -> int | None:
        raise NotImplementedError

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Repaint from a new snapshot (called by the app after every load and decision)."""

    def whole_list(self, snapshot: Snapshot, status: str, what: str) -> bool:
        """Whether `snapshot` holds every account; while a long list shows only its first page, the
        Static `status` says that `what` looks at all of them and waits."""
        if not snapshot.complete:
            self.query_one(f"#{status}", Static).update(f"Reading every account first: {what} all of them…")
        return snapshot.complete

    def show_progress(self, done: int, total: int) -> None:
        """Every account's metrics are being recomputed (a new day, new settings, an import)."""

    def _selected_row(self):
        account_id = self.selected_account_id()
        snap = self.app.snapshot
        if account_id is None or snap is None:
            self.notify("Select an account first.", severity="warning")
            return None
        return snap.row(account_id)

    def action_retier(self, tier: int) -> None:
        row = self._selected_row()
        if row is not None:
            self.app.decide(Retier(row.id, tier, version=row.version))

    def action_drop(self) -> None:
        row = self._selected_row()
        if row is None:
            return
        if row.status == "dropped":
            self.notify(f"{row.name} is already dropped (r restores it).", severity="warning")
            return

        def done(reason: str | None) -> None:
            if reason:
                self.app.decide(Drop(row.id, reason, version=row.version))

        self.app.push_screen(TextPrompt(f"Drop {row.name}: why?", "e.g. no budget this year, poor fit"), done)

    def action_restore(self) -> None:
        row = self._selected_row()
        if row is not None:
            self.app.decide(Restore(row.id, version=row.version))

    def action_note(self) -> None:
        row = self._selected_row()
        if row is None:
            return

        def done(text: str | None) -> None:
            if text:
                self.app.decide(Note(row.id, text))

        self.app.push_screen(TextPrompt(f"Note on {row.name}", "what was said or agreed"), done)

    def action_follow_up(self) -> None:
        row = self._selected_row()
        if row is None:
            return
        from abm_tui.ui.screens.meeting_dialogs import FollowUpDialog

        def done(result) -> None:
            if result:
                text, owner, due = result
                self.app.decide(FollowUp(row.id, text, owner or None, due))

        meeting = self.app.service.meeting
        owner = meeting.participants.split(",")[0] if meeting else ""
        snap = self.app.snapshot
        if snap is not None:
            self.app.push_screen(
                FollowUpDialog(row.name, owner, snap.as_of, owner_required=meeting is not None), done
            )

    def action_undo(self) -> None:
        self.app.decide(Undo())
