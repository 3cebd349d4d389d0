"""Targets (home): the sortable, filterable target list."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import DataTable, Header, Input, Static
from textual.widgets.data_table import ColumnKey

from abm_tui.domain import STAGES
from abm_tui.review.loading import PAGE
from abm_tui.review.requests import DropMany, RetierMany
from abm_tui.review.rules import RULES
from abm_tui.review.snapshot import Snapshot
from abm_tui.review.targets import (
    GAP_CHOICES,
    SORT_COLUMNS,
    TIER_CHOICES,
    TargetQuery,
    TargetRow,
    owners_of,
    select_rows,
)
from abm_tui.ui.format import GAP_STYLE, STAGE_STYLE, days_ago, money, role_name, score_text
from abm_tui.ui.messages import AccountChosen
from abm_tui.ui.screens.base import DECISION_BINDINGS, ReviewScreen
from abm_tui.ui.screens.help import glossary
from abm_tui.ui.widgets.footer import KeyFooter

COLUMNS = (
    ("tier", "Tier"),
    ("name", "Account"),
    ("icp_fit", "Fit"),
    ("stage", "Stage"),
    ("score", "Score"),
    ("coverage", "Engaged"),
    ("top_gap", "Top gap"),
    ("pipeline", "Pipeline"),
    ("last_touch", "Last touch"),
    ("owners", "Owners"),
    ("agenda", "Agenda"),  # last: its topics may run long
)


ALL_KEYS = tuple(key for key, _ in COLUMNS)
NARROW_HIDDEN = ("icp_fit", "coverage")  # left out below 100 columns

MAX_ROWS = PAGE  # rows the table holds (a DataTable keeps each as objects; see `refresh_table`)


def agenda_cell(r: TargetRow) -> Text:
    """The rules that flag the account, and its surging intent topics (bold when the `surge` rule fires)."""
    text = Text(", ".join(RULES[a].label for a in r.agenda if a != "surge"), style="bold yellow")
    if r.surging_topics:
        text.append(" " if text else "")
        text.append(
            "▲ " + ", ".join(r.surging_topics), style="bold magenta" if "surge" in r.agenda else "magenta"
        )
    return text


def _cycle(choices, current):
    choices = list(choices)
    return choices[(choices.index(current) + 1) % len(choices)] if current in choices else choices[0]


class TargetsScreen(ReviewScreen):
    """Targets: the account list."""

    BINDINGS = [
        Binding("enter", "open", "Open", tooltip="Open the selected account", id="targets.open"),
        Binding(
            "slash",
            "search",
            "Search",
            tooltip="Search by name or domain (escape clears)",
            id="targets.search",
        ),
        Binding(
            "t",
            "cycle_tier",
            "Tier",
            tooltip="Tier filter: targets, Tier 1/2/3, not on list, all",
            id="targets.tier",
        ),
        Binding("s", "cycle_stage", "Stage", tooltip="Journey stage filter", id="targets.stage"),
        Binding(
            "g",
            "cycle_gap",
            "Gap",
            tooltip="Buying-group gap filter: missing, thin, silent, any",
            id="targets.gap",
        ),
        Binding("w", "cycle_owner", "Owner", tooltip="Owner filter (sales or marketing)", id="targets.owner"),
        Binding(
            "a", "toggle_agenda", "Agenda", tooltip="Only accounts that need a decision", id="targets.agenda"
        ),
        Binding(
            "I",
            "toggle_surging",
            "Surging",
            tooltip="Only accounts whose intent signals surge",
            id="targets.surging",
        ),
        Binding(
            "x",
            "toggle_dropped",
            "Dropped",
            tooltip="Show or hide dropped accounts",
            id="targets.dropped",
            show=False,
        ),
        Binding(
            "o",
            "cycle_sort",
            "Sort",
            tooltip="Sort by the next column (or click a header)",
            id="targets.sort",
        ),
        Binding("c", "clear", "Clear", tooltip="Clear search and filters", id="targets.clear", show=False),
        Binding(
            "i",
            "app.import",
            "Import",
            tooltip="Import CRM exports or generic folders",
            id="targets.import",
            show=False,
        ),
        Binding(
            "space",
            "mark",
            "Mark",
            tooltip="Mark this account; 1/2/3/d then apply to every marked one",
            id="targets.mark",
        ),
        Binding("shift+down", "mark_down", "Mark down", show=False, id="targets.mark_down"),
        Binding("shift+up", "mark_up", "Mark up", show=False, id="targets.mark_up"),
        Binding(
            "b",
            "app.build_list",
            "Build list",
            tooltip="Propose tiers by a rule (ICP fit, size), preview, save",
            id="targets.build_list",
            show=False,
        ),
        *DECISION_BINDINGS,
        Binding("q", "app.quit", "Quit", id="targets.quit"),
        Binding("escape", "escape", "Clear search", show=False, id="targets.escape"),
    ]

    query_state: reactive[TargetQuery] = reactive(TargetQuery, always_update=True)
    """Search, filters and sort of the list."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[TargetRow] = []
        self._painted_query: TargetQuery | None = None
        self.marked: set[int] = set()  # accounts the next 1/2/3/d applies to
        self._summary = ""  # the line above the table, but what a first page adds
        self._progress: tuple[int, int] | None = None  # accounts computed, of all, while recomputing

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading accounts…", id="targets-summary")
        yield Static("", id="data-notes", classes="hidden")
        yield Input(placeholder="search name or domain", id="search", classes="hidden")
        # Tier and Account stay put when the table scrolls sideways.
        yield DataTable(id="targets", cursor_type="row", zebra_stripes=True, fixed_columns=2)
        yield Static("", id="targets-empty", classes="hidden")
        yield Static("", id="column-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.set_focus(self.query_one(DataTable))
        self.fit_columns()
        if self.app.snapshot is not None:
            self.show_snapshot(self.app.snapshot)

    def on_resize(self) -> None:
        if self.fit_columns():
            self.refresh_table()

    def visible_columns(self) -> tuple[str, ...]:
        """Every column; below 100 columns without Fit and Engaged (the account screen has both), so
        Tier, Account, Stage, Score and Top gap fit in 80."""
        narrow = self.app.size.width < 100
        return tuple(key for key, _ in COLUMNS if not (narrow and key in NARROW_HIDDEN))

    def fit_columns(self) -> bool:
        """The columns for the terminal's width (True when they changed: the rows are to be added
        again); on a narrow terminal long names are cut, so the decision columns stay in view."""
        table = self.query_one(DataTable)
        wanted = self.visible_columns()
        changed = tuple(str(k.value) for k in table.columns) != wanted
        if changed:
            table.clear(columns=True)
            labels = dict(COLUMNS)
            for key in wanted:
                table.add_column(labels[key], key=key)
        column = table.columns[ColumnKey("name")]
        width = self.app.size.width
        column.auto_width = width >= 180
        column.width = (
            column.content_width if column.auto_width else 24 if width < 120 else 32 if width < 150 else 36
        )
        return changed

    # -- painting -----------------------------------------------------------------------------------

    def show_snapshot(self, snapshot: Snapshot) -> None:
        status = self.app.data_status
        self.sub_title = status.as_of
        notes = self.query_one("#data-notes", Static)
        notes.update("\n".join(f"[yellow]⚠[/yellow] {n}" for n in status.notes))
        notes.set_class(not status.notes, "hidden")
        self.refresh_table()

    def show_progress(self, done: int, total: int) -> None:
        self._progress = (done, total)
        snap = self.app.snapshot
        if snap is not None and not snap.complete:  # the first page is on screen: the rest to come
            self.query_one("#targets-summary", Static).update(self._summary + self._pending(snap))
            return
        share = f"{done:,} of {total:,} accounts" if total else "no accounts yet"
        self.query_one("#targets-summary", Static).update(
            f"Computing the metrics for {share}… (once a day, and after an import)"
        )

    def _pending(self, snap: Snapshot) -> str:
        """What a first page says of the other accounts: read from the store, or being computed."""
        if snap.complete:
            return ""
        if self._progress is None:
            return "  ·  reading the other accounts…"
        done, total = self._progress
        return f"  ·  computing the others' metrics: {done:,} of {total:,} accounts…"

    def watch_query_state(self, _query: TargetQuery) -> None:
        self.refresh_table()

    def apply_query(self, query: TargetQuery) -> None:
        """Show the list for a query set from elsewhere (a funnel count), search box included."""
        search = self.query_one("#search", Input)
        with search.prevent(Input.Changed):
            search.value = query.search
        search.set_class(not query.search, "hidden")
        self.set_focus(self.query_one(DataTable))
        self.query_state = query

    def refresh_table(self) -> None:
        snap = self.app.snapshot
        if snap is None or not self.is_mounted:
            return
        q = self.query_state
        table = self.query_one(DataTable)
        # A new search, filter or sort starts at the first row; after a decision the cursor follows its
        # account (a retier moves it), or stays put if the account left the list (a drop).
        keep, position = self.selected_account_id(), table.cursor_row
        new_query, self._painted_query = q != self._painted_query, q
        # A DataTable keeps every row as objects: past a screenful of pages nobody scrolls, so the list
        # shows the first MAX_ROWS and says so (search and filters narrow the whole list at once).
        self.shown, matched, in_scope = select_rows(snap.scoped(q), q, limit=MAX_ROWS)
        if not snap.complete:  # the first page of the default list: the other accounts are on their way
            matched = in_scope = snap.targets or 0
        table.clear()
        visible = tuple(str(k.value) for k in table.columns)
        for r in self.shown:
            cells = dict(zip(ALL_KEYS, self._cells(r, snap), strict=True))
            table.add_row(*(cells[k] for k in visible), key=str(r.id))
        index = None if new_query else next((i for i, r in enumerate(self.shown) if r.id == keep), None)
        table.move_cursor(row=0 if new_query else position if index is None else index, animate=False)
        scope = {"targets": "targets", "all": "accounts", "none": "accounts not on the list"}.get(
            q.tier, "targets"
        )
        filters = q.labels()
        arrow = "↓" if not q.descending else "↑"
        text = f"[b]{matched:,}[/b] of {in_scope:,} {scope}"
        if filters:
            text += "  ·  " + ", ".join(filters)
        text += f"  ·  sorted by {q.sort.replace('_', ' ')} {arrow}"
        if self.marked:
            text += f"  ·  [b]{len(self.marked):,} marked[/b]: 1/2/3/d apply to all, escape unmarks"
        if matched > MAX_ROWS and snap.complete:
            text += f"  ·  [b]showing the first {MAX_ROWS:,}[/b]: search (/) or filter to narrow"
        self._summary = text
        self.query_one("#targets-summary", Static).update(text + self._pending(snap))
        label = dict(COLUMNS).get(q.sort, "")
        meaning = glossary().get("TargetsScreen", {}).get(label, "")
        self.query_one("#column-hint", Static).update(
            f"[b]{label}[/b]: {meaning}  [dim](? explains every column)[/dim]" if meaning else ""
        )
        empty = self.query_one("#targets-empty", Static)
        empty.update(self._empty_text(snap, q, in_scope))
        empty.set_class(bool(self.shown), "hidden")
        # An empty table keeps its header and the focus (so decision keys and undo still work).
        table.set_class(not self.shown, "-empty")

    def _empty_text(self, snap: Snapshot, q: TargetQuery, in_scope: int) -> str:
        """Why the list is empty, and the key that helps."""
        if self.shown:
            return ""
        if not snap.rows:
            return (
                "No accounts yet.\n\nPress [b]i[/b] to import your CRM export (or run "
                "[b]abm-tui import FOLDER[/b]); to try abm-tui, [b]abm-tui demo --db demo.sqlite[/b]."
            )
        if q.tier == "targets" and not in_scope:
            return (
                f"No account is on the target list yet: {len(snap.rows):,} accounts, none with an ABM tier "
                "(a CRM export has none).\n\n"
                "[b]b[/b]  build the list from a rule you can read and edit (ICP fit, then revenue, size "
                "or pipeline), with a preview before anything is saved\n"
                "[b]t[/b]  show every account, then [b]1[/b] [b]2[/b] [b]3[/b] one by one, or [b]space[/b] "
                "to mark several and [b]1[/b] [b]2[/b] [b]3[/b] for all of them"
            )
        if q.search:
            return (
                f"No account matches “{q.search}”.  [b]escape[/b] clears the search, [b]c[/b] every filter."
            )
        return "No account matches these filters.  Press [b]c[/b] to clear them."

    def _cells(self, r: TargetRow, snap: Snapshot) -> list:
        dropped = r.status == "dropped"
        name = Text(r.name, style="strike dim" if dropped else "bold" if r.agenda else "")
        if r.id in self.marked:
            name = Text("● ", style="bold cyan") + name
        name.overflow, name.no_wrap = "ellipsis", True  # a name cut to the column ends in "…"
        gap = Text("–", style="dim")
        if r.top_gap:
            role, kind = r.top_gap.rsplit(" ", 1)
            gap = Text(f"{role_name(role)} {kind}", style=GAP_STYLE[kind])
        roles = "–" if r.engaged_roles is None else f"{r.engaged_roles}/{r.required_roles}"
        return [
            Text(str(r.tier) if r.tier else "–", style="bold" if r.tier == 1 else ""),
            name,
            str(r.icp_fit or "–"),
            Text("dropped" if dropped else r.stage, style="dim" if dropped else STAGE_STYLE[r.stage]),
            score_text(r.score) if snap.has_engagement else Text("  –", style="dim"),  # nothing to score yet
            roles,
            gap,
            Text(money(r.pipeline, snap.currency), justify="right"),
            days_ago(r.last_touch, snap.as_of),
            r.short_owners,
            agenda_cell(r),
        ]

    # -- selection ----------------------------------------------------------------------------------

    def selected_account_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not self.shown or table.row_count == 0:
            return None
        row = min(table.cursor_row, len(self.shown) - 1, MAX_ROWS - 1)
        return self.shown[row].id if row >= 0 else None

    @on(DataTable.RowSelected)
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    @on(DataTable.HeaderSelected)
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key in SORT_COLUMNS:
            q = self.query_state
            self.query_state = q.with_(sort=key, descending=not q.descending if q.sort == key else False)

    def action_open(self) -> None:
        account_id = self.selected_account_id()
        if account_id is not None:
            self.post_message(AccountChosen(account_id))

    # -- search and filters -------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.remove_class("hidden")
        # Focus now, not on the next idle: keys typed right after `/` must land in the box.
        self.set_focus(search)

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.query_state = self.query_state.with_(search=event.value.strip())

    @on(Input.Submitted, "#search")
    def _search_submitted(self, _event: Input.Submitted) -> None:
        self.set_focus(self.query_one(DataTable))

    # -- marks: decide for several accounts at once --------------------------------------------------

    def action_mark(self) -> None:
        """Mark or unmark the account under the cursor, and step down (space, space, space …)."""
        account_id = self.selected_account_id()
        if account_id is None:
            return
        self.marked.symmetric_difference_update({account_id})
        self.refresh_table()
        self.query_one(DataTable).action_cursor_down()

    def _extend(self, step: int) -> None:
        """shift+arrow: mark the account under the cursor and the one it moves to (a range)."""
        table = self.query_one(DataTable)
        here = self.selected_account_id()
        if here is None:
            return
        self.marked.add(here)
        row = table.cursor_row + step
        if 0 <= row < len(self.shown):
            self.marked.add(self.shown[row].id)
            table.move_cursor(row=row, animate=False)
        self.refresh_table()

    def action_mark_down(self) -> None:
        self._extend(1)

    def action_mark_up(self) -> None:
        self._extend(-1)

    def action_retier(self, tier: int) -> None:
        if not self.marked:
            super().action_retier(tier)
            return
        ids, self.marked = sorted(self.marked), set()
        self.app.decide(RetierMany(tuple(ids), tier))

    def action_drop(self) -> None:
        if not self.marked:
            super().action_drop()
            return
        ids = sorted(self.marked)
        from abm_tui.ui.screens.prompt import TextPrompt

        def done(reason: str | None) -> None:
            if reason:
                self.marked = set()
                self.app.decide(DropMany(tuple(ids), reason))

        self.app.push_screen(
            TextPrompt(f"Drop {len(ids)} marked accounts: why?", "e.g. poor fit, no budget"), done
        )

    def action_escape(self) -> None:
        search = self.query_one("#search", Input)
        if self.marked and not search.has_focus:
            self.marked = set()
            self.refresh_table()
            return
        if search.has_focus or search.value:
            search.value = ""
            search.add_class("hidden")
            self.set_focus(self.query_one(DataTable))

    def action_cycle_tier(self) -> None:
        self.query_state = self.query_state.with_(tier=_cycle(TIER_CHOICES, self.query_state.tier))

    def action_cycle_stage(self) -> None:
        self.query_state = self.query_state.with_(stage=_cycle((None, *STAGES), self.query_state.stage))

    def action_cycle_gap(self) -> None:
        self.query_state = self.query_state.with_(gap=_cycle(GAP_CHOICES, self.query_state.gap))

    def action_cycle_owner(self) -> None:
        owners = owners_of(self.app.snapshot.rows) if self.app.snapshot else []
        self.query_state = self.query_state.with_(owner=_cycle((None, *owners), self.query_state.owner))

    def action_toggle_agenda(self) -> None:
        self.query_state = self.query_state.with_(agenda_only=not self.query_state.agenda_only)

    def action_toggle_surging(self) -> None:
        self.query_state = self.query_state.with_(surging_only=not self.query_state.surging_only)

    def action_toggle_dropped(self) -> None:
        self.query_state = self.query_state.with_(show_dropped=not self.query_state.show_dropped)

    def action_cycle_sort(self) -> None:
        self.query_state = self.query_state.with_(
            sort=_cycle(SORT_COLUMNS, self.query_state.sort), descending=False
        )

    def action_clear(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.add_class("hidden")
        self.query_state = TargetQuery(sort=self.query_state.sort, descending=self.query_state.descending)
        self.set_focus(self.query_one(DataTable))
