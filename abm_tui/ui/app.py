"""The App: screens, global keys, the command palette, and the one place decisions are dispatched."""

from __future__ import annotations

import gc
import threading
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from abm_tui.config import preferences, save_preference
from abm_tui.review.requests import Request, SetTiers
from abm_tui.review.service import ReviewService
from abm_tui.review.snapshot import Snapshot
from abm_tui.review.status import DataStatus
from abm_tui.ui.commands import AccountCommands
from abm_tui.ui.messages import (
    AccountChosen,
    AccountRead,
    DecisionSaved,
    MetricsLoaded,
    MetricsProgress,
    TargetQueryChosen,
)
from abm_tui.ui.screens.base import ReviewScreen
from abm_tui.ui.screens.targets import MAX_ROWS, TargetsScreen

if TYPE_CHECKING:
    from concurrent.futures import Future

    from sqlalchemy import Engine

    from abm_tui.review.snapshot import AccountView


COLLECT_EVERY = 40  # snapshots between full garbage collections (see `on_metrics_loaded`)


class AbmApp(App):
    """abm-tui: review an ABM target list together."""

    TITLE = "abm-tui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {AccountCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("f", "show_funnel", "Funnel", id="app.funnel"),
        Binding(
            "l",
            "show_follow_ups",
            "Follow-ups",
            tooltip="Follow-ups: open, overdue, done",
            id="app.follow_ups",
        ),
        Binding(
            "m", "meeting", "Meeting", tooltip="Start a review meeting, or open its agenda", id="app.meeting"
        ),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit", priority=True),
    ]

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    """The latest metrics of every account; screens repaint from it."""

    def __init__(
        self,
        store: Engine | str,
        as_of: date | None = None,
        first_page: Future[Snapshot | None] | None = None,
    ) -> None:
        """`store`: an engine, or the URL of a database already at the current schema; `first_page`:
        its first page being read already (`loading.read_first_page_ahead`)."""
        super().__init__()
        self.service = ReviewService(store, as_of)
        self._first_page = first_page
        self.data_status = DataStatus(self.TITLE, "", ())
        """What the header says about the data (the database, the as-of date, what is missing)."""
        self._snapshots_since_collect = 0
        theme = preferences().get("theme")
        if theme in self.available_themes:  # the theme chosen last time (the palette's "Change theme")
            self.theme = theme

    def watch_theme(self, theme: str) -> None:
        save_preference("theme", theme)

    def on_mount(self) -> None:
        self.push_screen(TargetsScreen())
        self.reload()

    # -- loading ------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def reload(self) -> None:
        def progress(done: int, total: int) -> None:
            self.post_message(MetricsProgress(done, total))

        if self.snapshot is None:  # a long list shows its first page while every account is read
            ahead, self._first_page = self._first_page, None
            page = ahead.result() if ahead is not None else self.service.first_page(MAX_ROWS)
            if page is not None:  # the rest is read once the page shows, not competing with it
                painted = threading.Event()
                self.post_message(MetricsLoaded(page, painted=painted))
                painted.wait(timeout=0.5)

        def computed_first(snap: Snapshot) -> None:  # every account is recomputed: its first page first
            if self.snapshot is None or not self.snapshot.rows:  # (also after a first import in the app)
                self.post_message(MetricsLoaded(snap))

        self.post_message(MetricsLoaded(self.service.load(progress, computed_first), whole=True))

    @work(thread=True, group="warm-up", exit_on_error=False)
    def warm_up(self) -> None:
        """Once the list is on screen: load what decisions and the other screens need (not on the first
        key press), and offer to resume a meeting that was not ended."""
        self.service.warm_up()
        self.check_unfinished_meeting()

    def on_metrics_progress(self, message: MetricsProgress) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, ReviewScreen):
                screen.show_progress(message.done, message.total)

    def on_metrics_loaded(self, message: MetricsLoaded) -> None:
        # A snapshot's rows, lists and maps (one per account) live until the next one: keep the cyclic
        # garbage collector from walking them on every pass (a full pass landed in the middle of
        # keystrokes). They hold no cycles: reference counting frees them once a snapshot is replaced.
        # Cyclic garbage frozen along (a closed screen's widgets) is collected every few dozen
        # snapshots, when a decision's metrics arrive (the saved tier already shows).
        self._snapshots_since_collect += 1
        if self._snapshots_since_collect >= COLLECT_EVERY and message.painted is None:
            gc.unfreeze()
            gc.collect()
            self._snapshots_since_collect = 0
        gc.freeze()
        first = self.snapshot is None or not self.snapshot.complete
        self.snapshot = message.snapshot
        if message.painted is not None:
            self.call_after_refresh(message.painted.set)
        if first and message.snapshot.complete:
            self.set_timer(0.2, self.warm_up)

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        self.data_status = self.service.status(snapshot)
        self.title = self.data_status.title
        for screen in self.screen_stack:
            if isinstance(screen, ReviewScreen):
                screen.show_snapshot(snapshot)

    # -- decisions ----------------------------------------------------------------------------------

    @work(thread=True, group="decide", exit_on_error=False)
    def decide(self, request: Request) -> None:
        """Commit one request, then recompute the decided accounts; the screens repaint after the commit."""
        from sqlalchemy.exc import OperationalError

        from abm_tui.errors import DecisionError, StaleAccount
        from abm_tui.review.requests import Skip, accounts_of

        service = self.service
        try:
            made = service.decide(request)
        except StaleAccount as exc:
            # Another window changed this account: show the fresh row, never overwrite silently.
            self.post_message(MetricsLoaded(service.after_decision(accounts_of(request))))
            self.call_from_thread(self.notify, str(exc), severity="warning", timeout=8)
            return
        except DecisionError as exc:
            self.call_from_thread(self.notify, str(exc), severity="warning")
            return
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            self.call_from_thread(
                self.notify,
                "The database is busy (another window is saving); nothing was changed. Try again in a moment.",
                severity="error",
                timeout=8,
            )
            return
        if isinstance(request, Skip):  # changes no metric: the same snapshot makes the agenda reload
            self.post_message(MetricsLoaded(service.current or service.load()))
            return
        accounts = {d.account_id for d in made}
        interim = service.decided(accounts)  # the saved tier/status at once, the metrics next
        if interim is not None:
            painted = threading.Event()  # recompute once the screen shows it, not competing with it
            self.post_message(MetricsLoaded(interim, painted=painted))
            painted.wait(timeout=0.5)
        snapshot = service.after_decision(accounts)  # only the decided accounts are recomputed
        self.post_message(MetricsLoaded(snapshot))
        d = made[-1]
        text = describe(d, snapshot) if len(made) < 2 else describe_many(made)
        self.post_message(DecisionSaved(d, text))

    def on_decision_saved(self, message: DecisionSaved) -> None:
        self.notify(message.text, title="Saved")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_failure(event.worker)

    def report_failure(self, worker: Worker) -> None:
        """A worker of the app's or a screen's (`ReportsFailures`) that raised: said, and logged."""
        if worker.state == WorkerState.ERROR:
            self.log.error(worker.error)
            self.notify(f"Something went wrong: {worker.error}", severity="error", timeout=10)

    # -- meetings -----------------------------------------------------------------------------------

    @work(thread=True, group="meeting", exit_on_error=False)
    def check_unfinished_meeting(self) -> None:
        meeting = self.service.unfinished_meeting()
        if meeting is not None and self.service.meeting is None:  # not one this window started meanwhile
            self.call_from_thread(self._offer_resume, meeting)

    def _offer_resume(self, meeting) -> None:
        if self.service.meeting is not None:
            return
        from abm_tui.domain import local_time
        from abm_tui.ui.screens.meeting_dialogs import ResumeMeetingDialog

        def done(choice: str | None) -> None:
            if choice == "resume":
                self.service.resume_meeting(meeting)
                self.action_meeting()
            elif choice == "end":
                self.service.resume_meeting(meeting)
                self.end_meeting()

        text = (
            f"[b]A meeting was not ended[/b]: {meeting.participants}, started "
            f"{local_time(meeting.started_at):%a %d %b %H:%M}.\nEverything decided in it is saved. Resume it?"
        )
        self.push_screen(ResumeMeetingDialog(text), done)

    def action_meeting(self) -> None:
        """Open the running meeting's agenda, or start a meeting (asking who is present)."""
        from abm_tui.ui.screens.meeting import MeetingScreen
        from abm_tui.ui.screens.meeting_dialogs import StartMeetingDialog

        if isinstance(self.screen, MeetingScreen):
            return
        if self.service.meeting is not None:
            self.push_screen(MeetingScreen())
            return

        def start(names: list[str] | None) -> None:
            if names:
                self.start_meeting(names)

        self.push_screen(StartMeetingDialog(self.service.last_participants()), start)

    @work(thread=True, group="meeting", exit_on_error=False)
    def start_meeting(self, names: list[str]) -> None:
        from abm_tui.errors import DecisionError
        from abm_tui.ui.screens.meeting import MeetingScreen

        try:
            meeting = self.service.start_meeting(names)
        except DecisionError as exc:
            self.call_from_thread(self.notify, str(exc), severity="warning")
            return
        self.call_from_thread(
            self.notify, f"Meeting started: {meeting.participants}. Decisions are recorded for it."
        )
        self.call_from_thread(self.push_screen, MeetingScreen())

    async def action_quit(self) -> None:
        """Quitting while a meeting runs asks first: end it (minutes), leave it running, or stay."""
        meeting = self.service.meeting
        if meeting is None:
            self.exit()
            return
        from abm_tui.ui.screens.meeting_dialogs import ChoiceDialog

        def done(choice: str | None) -> None:
            if choice == "end":
                self.end_meeting(then_quit=True)
            elif choice == "leave":
                self.exit()

        text = (
            f"[b]A meeting is running[/b] ({meeting.participants}). End it and write the minutes, or leave "
            "it running (every decision is saved; the next start offers to resume it)?"
        )
        choices = [
            ("e", "End it, then quit (e)", "end"),
            ("l", "Leave it running (l)", "leave"),
            ("escape", "Cancel (esc)", "cancel"),
        ]
        self.push_screen(ChoiceDialog(text, choices), done)

    @work(thread=True, group="meeting", exit_on_error=False)
    def end_meeting(self, then_quit: bool = False) -> None:
        from abm_tui.ui.screens.meeting import MeetingScreen, MeetingSummaryScreen

        if self.service.meeting is None:
            self.call_from_thread(self.notify, "No meeting is running (m starts one).", severity="warning")
            return
        self.call_from_thread(self.notify, "Ending the meeting: writing the minutes…")
        text, path = self.service.end_meeting(self.snapshot)
        if then_quit:
            self.call_from_thread(self.exit, message=f"Minutes saved to {path}")
            return

        def show() -> None:
            while isinstance(self.screen, MeetingScreen) or len(self.screen_stack) > 2:
                self.pop_screen()
            self.push_screen(MeetingSummaryScreen(text, str(path)))

        self.call_from_thread(show)

    # -- navigation ---------------------------------------------------------------------------------

    @on(AccountChosen)
    def _account_chosen(self, message: AccountChosen) -> None:
        self.open_account(message.account_id)

    @on(TargetQueryChosen)
    def _target_query_chosen(self, message: TargetQueryChosen) -> None:
        self.action_show_targets(message.query)

    def open_account(self, account_id: int) -> None:
        """The account screen, opened with its data once that is read: read while the screen was being
        built, it waited for the main thread (~40 ms alone, 150–200 ms so, at 100,000 accounts)."""
        snap = self.snapshot
        if snap is None:  # the list is not read yet: the screen waits for it
            self._push_account(account_id, None)
        else:
            self._read_account(account_id, snap)

    @work(thread=True, exclusive=True, group="open-account", exit_on_error=False)
    def _read_account(self, account_id: int, snap: Snapshot) -> None:
        self.post_message(AccountRead(account_id, snap, self.service.account_view(snap, account_id)))

    def on_account_read(self, message: AccountRead) -> None:
        read = message.snapshot is self.snapshot  # (else a decision came since: the screen reads again)
        self._push_account(message.account_id, (message.view,) if read else None)

    def _push_account(self, account_id: int, view: tuple[AccountView | None] | None) -> None:
        from abm_tui.ui.screens.account import AccountScreen

        if isinstance(self.screen, AccountScreen):
            self.pop_screen()
        self.push_screen(AccountScreen(account_id, view))

    def action_show_targets(self, query=None) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()
        screen = self.screen
        if isinstance(screen, TargetsScreen) and query is not None:
            screen.apply_query(query)

    def action_show_follow_ups(self) -> None:
        from abm_tui.ui.screens.follow_ups import FollowUpsScreen

        if not isinstance(self.screen, FollowUpsScreen):
            self.push_screen(FollowUpsScreen())

    def action_show_funnel(self) -> None:
        from abm_tui.ui.screens.funnel import FunnelScreen

        if not isinstance(self.screen, FunnelScreen):
            self.push_screen(FunnelScreen())

    def action_build_list(self) -> None:
        from abm_tui.ui.screens.build_list import BuildListDialog

        def done(result: tuple[dict[int, int], str] | None) -> None:
            if result:
                tiers, reason = result
                self.decide(SetTiers(tiers, reason))

        self.push_screen(BuildListDialog(), done)

    def action_import(self) -> None:
        from abm_tui.ui.screens.import_files import ImportDialog

        def done(imported: bool | None) -> None:
            if imported:
                self.reload()

        self.push_screen(ImportDialog(), done)

    def action_help(self) -> None:
        from abm_tui.ui.screens.help import HelpScreen, keys_markdown

        self.push_screen(HelpScreen(keys_markdown(self.screen)))

    def action_set_name(self) -> None:
        from abm_tui.ui.screens.prompt import TextPrompt

        def done(name: str | None) -> None:
            if name:
                self.run_worker(partial(self.service.set_user_name, name), thread=True)
                self.notify(f"Decisions will be recorded as made by {name}.")

        self.push_screen(TextPrompt("Your name, recorded on every decision", "e.g. Sam (sales)"), done)

    def action_set_currency(self) -> None:
        from abm_tui.ui.screens.prompt import TextPrompt

        current = self.snapshot.currency if self.snapshot else None

        def save(code: str) -> None:
            from abm_tui.errors import DecisionError

            try:
                chosen = self.service.set_currency(code)
            except DecisionError as exc:
                self.call_from_thread(self.notify, str(exc), severity="warning")
                return
            self.call_from_thread(self.notify, f"Amounts are shown in {chosen or 'the deals’ own currency'}.")
            self.reload()

        def done(code: str | None) -> None:
            if code is not None:
                self.run_worker(partial(save, code), thread=True, exit_on_error=False)

        prompt = TextPrompt(
            "Show amounts in (ISO code; empty: the deals' own)",
            "e.g. USD",
            required=False,
            value=current or "",
        )
        self.push_screen(prompt, done)


def describe_many(ds: list) -> str:
    """Decisions taken together, in words, for the toast."""
    n, d = len(ds), ds[-1]
    if d.undoes_id:
        return f"{n} decisions taken together were undone."
    if d.kind == "drop":
        return f"{n} accounts dropped: {d.reason} (u undoes all {n})"
    tiers = sorted({x.to_tier for x in ds})
    if len(tiers) == 1:
        return f"{n} accounts → Tier {tiers[0]} (u undoes all {n})"
    parts = ", ".join(f"{sum(x.to_tier == t for x in ds)} to Tier {t}" for t in tiers)
    return f"{n} accounts moved: {parts} (u undoes all {n})"


def describe(d, snapshot: Snapshot) -> str:
    """A decision in words, for the toast."""
    row = snapshot.row(d.account_id)
    name = row.name if row else f"account {d.account_id}"
    undo = " (undo)" if d.undoes_id else ""
    if d.kind in ("retier", "target"):
        if d.to_tier is None:
            return f"{name} taken off the list{undo}"
        origin = f"Tier {d.from_tier}" if d.from_tier else "not on list"
        return f"{name}: {origin} → Tier {d.to_tier}{undo}"
    if d.kind == "drop":
        return f"{name} dropped: {d.reason}"
    if d.kind == "restore":
        return f"{name} restored{undo}"
    if d.kind == "follow_up":
        return f"Follow-up on {name} saved{undo}"
    return f"Note on {name} saved{undo}"
