"""Follow-ups: open, overdue, mine, done, by due date; mark done, change owner or due date."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from abm_tui.review.follow_ups import VIEWS, FollowUpRow, select
from abm_tui.ui.messages import AccountChosen, FollowUpsLoaded
from abm_tui.ui.screens.base import ReviewScreen
from abm_tui.ui.screens.meeting_dialogs import EditFollowUpDialog
from abm_tui.ui.widgets.footer import KeyFooter

STATUS_STYLE = {"overdue": "bold red", "open": "yellow", "done": "green"}


class FollowUpsScreen(ReviewScreen):
    """Follow-ups: what the meetings agreed to do, and whether it is done."""

    BINDINGS = [
        Binding("v", "cycle_view", "View", tooltip="open → overdue → mine → done → all", id="follow.view"),
        Binding("x", "done", "Done", tooltip="Mark the follow-up done", id="follow.done"),
        Binding("e", "edit", "Owner/due", tooltip="Change its owner or due date", id="follow.edit"),
        Binding("enter", "open", "Open account", id="follow.open"),
        Binding("escape,q", "back", "Back", id="follow.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "open"
        self.rows: list[FollowUpRow] = []
        self.shown: list[FollowUpRow] = []
        self.me: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the follow-ups…", id="follow-summary")
        yield DataTable(id="follow-ups", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "follow-ups"
        self.query_one(DataTable).add_columns("Due", "Status", "Account", "What", "Owner")
        self.load()

    def selected_account_id(self) -> int | None:
        row = self.current()
        return row.account_id if row else None

    def current(self) -> FollowUpRow | None:
        table = self.query_one(DataTable)
        return (
            self.shown[table.cursor_row] if self.shown and 0 <= table.cursor_row < len(self.shown) else None
        )

    @work(thread=True, exclusive=True, group="follow-ups", exit_on_error=False)
    def load(self) -> None:
        service = self.app.service
        self.post_message(FollowUpsLoaded(service.follow_ups(), service.my_names()))

    def on_follow_ups_loaded(self, message: FollowUpsLoaded) -> None:
        self.rows, self.me = message.rows, message.me
        self.paint()

    def today(self) -> date:
        return self.app.snapshot.as_of if self.app.snapshot else date.today()

    def paint(self) -> None:
        today = self.today()
        table = self.query_one(DataTable)
        keep = table.cursor_row
        self.shown = select(self.rows, self.view, today, self.me)
        table.clear()
        for r in self.shown:
            status = r.status(today)
            table.add_row(
                f"{r.due:%d %b %Y}" if r.due else "–",
                Text(status, style=STATUS_STYLE[status]),
                r.account,
                r.text,
                r.owner or Text("no owner", style="dim"),
                key=str(r.id),
            )
        if self.rows and not self.shown:  # an empty view says so, and where the others are
            others = ", ".join(v for v in VIEWS if v != self.view)
            table.add_row("", Text(f"No {self.view} follow-ups (v: {others}).", style="dim"), "", "", "")
        table.move_cursor(row=min(keep, max(len(self.shown) - 1, 0)), animate=False)
        counts = {v: len(select(self.rows, v, today, self.me)) for v in VIEWS}
        self.query_one("#follow-summary", Static).update(
            f"[b]{len(self.shown):,}[/b] {self.view}  ·  "
            + " · ".join(f"{counts[v]:,} {v}" for v in VIEWS if v not in (self.view, "all"))
            + "  ·  [dim]v view · x done · e owner/due · enter open the account[/dim]"
            if self.rows
            else "No follow-ups yet: F on an account (or in a meeting) adds one."
        )

    def action_cycle_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.paint()

    def action_done(self) -> None:
        row = self.current()
        if row is None or row.done:
            return
        self.app.service.complete_follow_up(row.id)
        self.notify(f"Done: {row.text} ({row.account})", title="Saved")
        self.load()

    def action_edit(self) -> None:
        row = self.current()
        if row is None:
            return

        def done(result: tuple[str, date | None] | None) -> None:
            if result is not None:
                self.app.service.edit_follow_up(row.id, *result)
                self.load()

        self.app.push_screen(EditFollowUpDialog(row.text, row.owner or "", row.due), done)

    @on(DataTable.RowSelected)
    def _selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        row = self.current()
        if row is not None:
            self.post_message(AccountChosen(row.account_id))

    def action_back(self) -> None:
        self.app.pop_screen()
