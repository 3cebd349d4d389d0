"""Meeting: step through the agenda, decide, skip, follow up; end with minutes."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Markdown, Static

from abm_tui.review.agenda import Agenda, AgendaEntry
from abm_tui.review.meeting import LISTED
from abm_tui.review.requests import Retier, Skip
from abm_tui.review.snapshot import Snapshot
from abm_tui.review.targets import TargetQuery
from abm_tui.ui.format import role_name
from abm_tui.ui.messages import AccountChosen, AgendaLoaded, HeadlineLoaded, TargetQueryChosen
from abm_tui.ui.screens.base import DECISION_BINDINGS, ReviewScreen
from abm_tui.ui.screens.meeting_dialogs import ChoiceDialog
from abm_tui.ui.screens.prompt import TextPrompt
from abm_tui.ui.widgets.footer import KeyFooter

MEETING_BINDINGS: list[BindingType] = [
    Binding("n,j", "step(1)", "Next", tooltip="Next agenda entry", id="meeting.next"),
    Binding("p,k", "step(-1)", "Prev", tooltip="Previous agenda entry", id="meeting.prev"),
    Binding("enter", "open", "Open", tooltip="Open the account (escape comes back here)", id="meeting.open"),
    Binding("s", "skip", "Skip", tooltip="Skip: keep it for the next meeting", id="meeting.skip"),
    Binding(
        "a",
        "toggle_all",
        "All/today",
        tooltip="Today's entries (setting agenda_size) or all",
        id="meeting.all",
    ),
    Binding("D", "duplicates", "Duplicates", tooltip="List the possible duplicates", id="meeting.duplicates"),
    *[b for b in DECISION_BINDINGS if b.key != "n"],
    Binding("N", "note", "Note", tooltip="Add a note to the account", id="meeting.note"),
    Binding("e", "end", "End meeting", tooltip="End the meeting and write the minutes", id="meeting.end"),
    Binding(
        "escape,q", "back", "Back", tooltip="Back to the list (the meeting keeps running)", id="meeting.back"
    ),
]


AGENDA_ROWS = LISTED  # entries listed at once (the status line counts them all)


class MeetingScreen(ReviewScreen):
    """Meeting: the review agenda."""

    BINDINGS = MEETING_BINDINGS

    def __init__(self) -> None:
        super().__init__()
        self.agenda: Agenda | None = None
        # After an undo: the entries before it, so the cursor goes to the one that comes back.
        self._before_undo: set[int] | None = None
        self._undo_paints = 0
        self.show_all = False  # today's entries (the first `agenda_size`) or every one
        self._headline_asked = False  # what moved since the last meeting: worked out once

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the agenda…", id="meeting-status")
        yield Static("[dim]Working out what moved since the last meeting…[/dim]", id="meeting-headline")
        yield Static("", id="meeting-warnings")
        with Horizontal(id="meeting"):
            yield DataTable(id="agenda", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="entry"):
                yield Static("", id="entry-detail")
        yield KeyFooter()

    def on_resize(self) -> None:
        self.stack_if_narrow()

    def on_mount(self) -> None:
        self.on_resize()
        table = self.query_one("#agenda", DataTable)
        table.add_column("Tier", key="tier")
        table.add_column("Account", key="name", width=30)
        table.add_column("Why", key="why")
        self.set_focus(table)
        meeting = self.app.service.meeting
        if meeting is not None:
            self.sub_title = f"meeting with {meeting.participants}"
        if self.app.snapshot is not None:
            self.show_snapshot(self.app.snapshot)

    # -- data ---------------------------------------------------------------------------------------

    def show_snapshot(self, snapshot: Snapshot) -> None:
        if not self.whole_list(snapshot, "meeting-status", "the agenda looks at"):
            return
        self.load_agenda(snapshot)
        if not self._headline_asked:
            self._headline_asked = True
            self.load_headline(snapshot)

    def on_screen_resume(self) -> None:
        """Back from another screen: follow-ups may have been marked done or moved there (no decision,
        so no new snapshot), and an entry's reasons with them."""
        if self.agenda is not None and self.app.snapshot is not None:
            self.load_agenda(self.app.snapshot)

    @work(thread=True, exclusive=True, group="agenda", exit_on_error=False)
    def load_agenda(self, snapshot: Snapshot) -> None:
        self.post_message(AgendaLoaded(self.app.service.agenda(snapshot)))

    def on_agenda_loaded(self, message: AgendaLoaded) -> None:
        self.paint(message.agenda)

    @work(thread=True, exclusive=True, group="headline", exit_on_error=False)
    def load_headline(self, snapshot: Snapshot) -> None:
        """Movement since the last meeting (every account's stages as of that day) and the revenue."""
        self.post_message(HeadlineLoaded(self.app.service.headline(snapshot)))

    def on_headline_loaded(self, message: HeadlineLoaded) -> None:
        self.query_one("#meeting-headline", Static).update("\n".join(message.lines))

    def paint(self, agenda: Agenda) -> None:
        table = self.query_one("#agenda", DataTable)
        position = self._next_position(agenda, table.cursor_row)
        if self._before_undo is not None:
            back = [i for i, e in enumerate(agenda.entries) if e.account_id not in self._before_undo]
            self._undo_paints += 1
            if back:
                position = back[0]
            if back or self._undo_paints > 2:  # (an undone note brings no entry back)
                self._before_undo = None
        self.agenda = agenda
        table.clear()
        for e in agenda.entries[: self.listed(agenda)]:
            style = "dim" if e.skipped else ""
            table.add_row(
                Text(str(e.tier or "–"), style=style),
                Text(e.name, style=style),
                Text(("(skipped) " if e.skipped else "") + e.reason, style=style or "yellow"),
                key=str(e.account_id),
            )
        if agenda.entries:
            table.move_cursor(row=min(position, table.row_count - 1), animate=False)
        warnings = self.query_one("#meeting-warnings", Static)
        room = 2 if self.app.size.height < 30 else 6  # the agenda itself must stay in view
        shown = agenda.warnings[:room]
        rest = len(agenda.warnings) - len(shown)
        lines = [f"[yellow]⚠[/yellow] {w}" for w in shown]
        if rest:
            lines.append(f"[dim]… {rest} more in the minutes (List hygiene)[/dim]")
        warnings.update("\n".join(lines))
        warnings.display = bool(agenda.warnings)
        self._paint_status()
        self._paint_entry()

    def _next_position(self, agenda: Agenda, row: int) -> int:
        """Where the cursor goes in a new agenda: the entry it was on if still open, else the next one
        after it that is (a decision removes an entry, a skip moves it to the end)."""
        before = self.agenda.entries if self.agenda else []
        if not 0 <= row < len(before):
            return min(max(row, 0), max(len(agenda.entries) - 1, 0))
        now = {e.account_id: i for i, e in enumerate(agenda.entries)}
        for e in before[row:]:
            i = now.get(e.account_id)
            if i is not None and not agenda.entries[i].skipped:
                return i
        return min(row, max(len(agenda.entries) - 1, 0))

    def listed(self, agenda: Agenda) -> int:
        """How many entries the table lists: today's (`agenda_size`), or all (a meeting gets through
        dozens, not 25,000: at most AGENDA_ROWS)."""
        size = self.app.snapshot.params.agenda_size if self.app.snapshot else 25
        return min(len(agenda.entries), AGENDA_ROWS if self.show_all else size)

    def _paint_status(self) -> None:
        agenda = self.agenda
        if agenda is None:
            return
        open_entries = [e for e in agenda.entries if not e.skipped]
        total, listed = len(agenda.entries), self.listed(agenda)
        at = self.query_one("#agenda", DataTable).cursor_row + 1 if total else 0
        scope = "today" if not self.show_all else "on the agenda"
        more = (
            f" · {total - listed:,} more ([b]a[/b] lists them)"
            if listed < total and not self.show_all
            else ""
        )
        self.query_one("#meeting-status", Static).update(
            f"[b]{at:,} of {listed:,}[/b] {scope}{more} · {agenda.decided:,} decided · {agenda.skipped:,} skipped · "
            f"{len(open_entries):,} still open    "
            "[dim]n/p step · 1 2 3 retier · d drop · s skip · F follow-up · N note · e end[/dim]"
        )

    def current(self) -> AgendaEntry | None:
        if not self.agenda or not self.agenda.entries:
            return None
        row = self.query_one("#agenda", DataTable).cursor_row
        return self.agenda.entries[min(row, len(self.agenda.entries) - 1)]

    def _paint_entry(self) -> None:
        detail = self.query_one("#entry-detail", Static)
        e = self.current()
        if e is None:
            detail.update(
                "[b]The agenda is done.[/b]\n\nPress [b]e[/b] to end the meeting and write the minutes."
            )
            return
        row = self.app.snapshot.row(e.account_id) if self.app.snapshot else None
        lines = [f"[b]{e.name}[/b]" + (f"  Tier {e.tier}" if e.tier else ""), ""]
        lines += [f"• {r}" for r in e.reasons]
        if row is not None:
            roles = "–" if row.engaged_roles is None else f"{row.engaged_roles}/{row.required_roles}"
            lines += [
                "",
                f"score {row.score} · roles engaged {roles} · stage {row.stage} · top gap {role_name(row.top_gap or '–')}",
            ]
        if e.call:
            lines += ["", "[b]Who to call next[/b]"] + [f"• {c}" for c in e.call]
        if e.changes:
            lines += ["", "[b]Since the last meeting[/b]", e.changes]
        if e.follow_ups:
            lines += ["", "[b]Open follow-ups[/b]"] + [f"• {f}" for f in e.follow_ups]
        lines += ["", "[dim]enter opens the account · decide with 1 2 3 d · s skips[/dim]"]
        detail.update("\n".join(lines))

    @on(DataTable.RowHighlighted, "#agenda")
    def _moved(self, _event: DataTable.RowHighlighted) -> None:
        self._paint_status()
        self._paint_entry()

    @on(DataTable.RowSelected, "#agenda")
    def _selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    # -- actions ------------------------------------------------------------------------------------

    def selected_account_id(self) -> int | None:
        e = self.current()
        return e.account_id if e else None

    def action_step(self, delta: int) -> None:
        table = self.query_one("#agenda", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + delta)))

    def action_open(self) -> None:
        e = self.current()
        if e is not None:
            self.post_message(AccountChosen(e.account_id))

    def action_retier(self, tier: int) -> None:
        """Asks the pair for their reason (optional: enter skips, escape cancels); the rule's facts
        follow it in the log and the minutes."""
        e = self.current()
        if e is None:
            return
        row = self.app.snapshot.row(e.account_id) if self.app.snapshot else None
        version = row.version if row else None

        def done(said: str | None) -> None:
            if said is not None:
                self.app.decide(
                    Retier(e.account_id, tier, version=version, reason=pair_reason(said, e.facts))
                )

        self.app.push_screen(
            TextPrompt(f"{e.name} → Tier {tier}: your reason?", "optional: enter skips", required=False), done
        )

    def action_duplicates(self) -> None:
        """The targets that may be one company, side by side in the list (by name: a name without its
        legal form sorts next to its twin; escape/m comes back)."""
        if not self.agenda or not self.agenda.duplicates:
            self.notify("No possible duplicates among the targets.", severity="information")
            return
        query = TargetQuery(
            ids=self.agenda.duplicates, ids_label="possible duplicates", tier="targets", sort="name"
        )
        self.post_message(TargetQueryChosen(query))

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        if self.agenda is not None:
            self.paint(self.agenda)

    def action_undo(self) -> None:
        self._before_undo = {e.account_id for e in self.agenda.entries} if self.agenda else None
        self._undo_paints = 0
        super().action_undo()

    def action_skip(self) -> None:
        e = self.current()
        if e is not None:
            self.app.decide(Skip(e.account_id))  # the agenda repaints on the next open entry

    def action_end(self) -> None:
        """Confirms with what the meeting did and what is still open."""
        agenda = self.agenda
        if agenda is None:
            self.app.end_meeting()
            return
        still_open = sum(1 for e in agenda.entries if not e.skipped)
        text = (
            f"[b]End the meeting?[/b] {agenda.decided:,} decided, {agenda.skipped:,} skipped, "
            f"{still_open:,} still open (they stay on the agenda). The minutes are written now."
        )

        def done(choice: str | None) -> None:
            if choice == "end":
                self.app.end_meeting()

        choices = [("e", "End it (e)", "end"), ("escape", "Not yet (esc)", "cancel")]
        self.app.push_screen(ChoiceDialog(text, choices), done)

    def action_back(self) -> None:
        self.app.pop_screen()


def pair_reason(said: str, facts: str) -> str:
    """The pair's own words first, then the rule's facts that put the account on the agenda."""
    said = said.strip()
    if not said:
        return facts
    return f"{said} (agenda: {facts})" if facts else said


class MeetingSummaryScreen(Screen):
    """Meeting summary: the minutes, as written to the file."""

    BINDINGS = [Binding("escape,q", "close", "Close", id="summary.close")]

    def __init__(self, minutes: str, path: str) -> None:
        super().__init__()
        self.minutes = minutes
        self.path = path

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            f"Minutes saved to [b]{self.path}[/b]  (also: abm-tui export minutes)", id="summary-path"
        )
        with VerticalScroll():
            yield Markdown(self.minutes, id="minutes")
        yield KeyFooter()

    def action_close(self) -> None:
        self.app.pop_screen()
