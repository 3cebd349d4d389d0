"""Funnel: the whole list at a glance, per tier, ABM vs non-ABM; every count opens its accounts."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widgets import DataTable, Header, Static

from abm_tui.domain import STAGES
from abm_tui.review.funnel_view import (
    FunnelLine,
    movement_lines,
)
from abm_tui.review.movement import Movement
from abm_tui.review.snapshot import Snapshot
from abm_tui.review.targets import TargetQuery, owners_of
from abm_tui.ui.messages import (
    FunnelLoaded,
    MovementLoaded,
    MovementProgress,
    TargetQueryChosen,
    VelocityLoaded,
)
from abm_tui.ui.screens.base import ReviewScreen
from abm_tui.ui.widgets.charts import BarChart
from abm_tui.ui.widgets.footer import KeyFooter


def coverage_gauge(coverage: float | None, bar: float = 3.0, width: int = 24) -> str:
    """Pipeline coverage against the usual 3× bar, as a text gauge."""
    if coverage is None:
        return "Pipeline coverage: – (set sales_target_quarter)"
    filled = min(width, round(coverage / bar * width))
    colour = "green" if coverage >= bar else "yellow" if coverage >= bar / 2 else "red"
    return (
        f"Pipeline coverage [{colour}]{'█' * filled}[/]{'░' * (width - filled)} {coverage:.2f}× of {bar:.0f}×"
    )


class FunnelScreen(ReviewScreen):
    """Funnel: portfolio overview."""

    BINDINGS = [
        Binding(
            "enter", "open_count", "Accounts", tooltip="Show the accounts of this count", id="funnel.open"
        ),
        Binding(
            "c", "toggle_charts", "Charts", tooltip="Charts or numbers (narrow terminal)", id="funnel.charts"
        ),
        Binding("t", "cycle_tier", "Tier", tooltip="Tier filter: all, 1, 2, 3", id="funnel.tier"),
        Binding(
            "w", "cycle_owner", "Owner", tooltip="Owner filter: everyone, then each owner", id="funnel.owner"
        ),
        Binding("u,ctrl+z", "undo", "Undo", id="funnel.undo"),
        Binding("escape,q", "back", "Back", id="funnel.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.tier: int | None = None
        self.owner: str | None = None
        self.lines: list[FunnelLine] = []  # what the table shows: movement, then the funnel's numbers
        self.numbers: list[FunnelLine] = []
        self.movement: Movement | None = None  # for the snapshot, tier and owner shown
        self.summary = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", id="funnel-summary")
        with Horizontal(id="funnel"):
            yield DataTable(id="numbers", cursor_type="row")
            with VerticalScroll(id="charts-pane"), Grid(id="charts") as charts:
                charts.display = False  # drawn once, with their data (an empty plot costs as much)
                yield BarChart(id="chart-stages")
                yield BarChart(id="chart-reach")
                yield BarChart(id="chart-abm")
                yield BarChart(id="chart-quarters")
                yield BarChart(id="chart-trend")
                yield BarChart(id="chart-velocity")
        yield KeyFooter()

    def on_resize(self) -> None:
        self.stack_if_narrow()
        self.refresh_bindings()  # `c` is offered on a narrow terminal only

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_charts":
            return self.has_class("-narrow")
        if action == "open_count":  # the counts are in the table, not in the charts
            return not (self.has_class("-narrow") and self.has_class("-charts"))
        return True

    def action_toggle_charts(self) -> None:
        """Narrow terminal: the numbers and the charts (one under the other, scrolling) take turns."""
        self.toggle_class("-charts")
        self.refresh_bindings()
        self.query_one("#charts-pane" if self.has_class("-charts") else "#numbers").focus()

    def on_mount(self) -> None:
        self.on_resize()
        table = self.query_one("#numbers", DataTable)
        table.add_column("Metric", key="label")
        table.add_column("Value", key="value")
        table.focus()
        if self.app.snapshot is not None:
            self.show_snapshot(self.app.snapshot)

    def selected_account_id(self) -> int | None:
        return None

    def show_snapshot(self, snapshot: Snapshot) -> None:
        if self.whole_list(snapshot, "funnel-summary", "the funnel counts"):
            self.compute(snapshot, self.tier, self.owner)

    @work(thread=True, exclusive=True, group="funnel", exit_on_error=False)
    def compute(self, snap: Snapshot, tier: int | None, owner: str | None) -> None:
        view = self.app.service.funnel_view(snap, tier, owner)
        self.post_message(FunnelLoaded(snap, view.total, view.per_tier, view.lines))

    @work(thread=True, exclusive=True, group="movement", exit_on_error=False)
    def compute_movement(self, snap: Snapshot, tier: int | None, owner: str | None) -> None:
        """The stage velocity, then what moved and the 13-week trend: every stage change and every
        account's stages as of earlier days (in the background, with progress; the keys keep working)."""
        self.post_message(VelocityLoaded(snap, self.app.service.funnel_velocity(snap, tier, owner)))

        def progress(done: int, total: int) -> None:
            self.post_message(MovementProgress(done, total))

        movement = self.app.service.movement(snap, tier, owner, progress=progress)
        self.post_message(MovementLoaded(snap, movement))

    def on_funnel_loaded(self, message: FunnelLoaded) -> None:
        self.numbers = message.lines
        self.movement = None
        self.paint(message.snap, message.total, message.per_tier)
        self.compute_movement(message.snap, self.tier, self.owner)

    def on_movement_progress(self, message: MovementProgress) -> None:
        self.query_one("#funnel-summary", Static).update(
            f"{self.summary}  [dim]Working out what moved: {message.done} of {message.total} days…[/dim]"
        )

    def on_movement_loaded(self, message: MovementLoaded) -> None:
        if message.snap is not self.app.snapshot:
            return  # a decision came since: its own movement follows
        self.movement = message.movement
        self.query_one("#funnel-summary", Static).update(self.summary)
        self.paint_lines()
        trend = message.movement.trend
        self.query_one("#chart-trend", BarChart).show(
            "Trend: accounts per stage, last 13 weeks",
            [f"{date.fromisoformat(t['as_of']):%d %b}" for t in trend],
            {s: [t["stage_counts"][s] for t in trend] for s in STAGES},
            stacked=True,
            label_every=3,
        )

    def paint(self, snap: Snapshot, f: dict, per_tier: dict[int, dict[str, int]]) -> None:
        scope = f"Tier {self.tier}" if self.tier else "all tiers"
        owner = f" · owner {self.owner}" if self.owner else ""
        self.sub_title = self.app.data_status.as_of
        self.summary = (
            f"Active target accounts, {scope}{owner}.  {coverage_gauge(f['pipeline_coverage'])}  "
            "·  [b]enter[/b] on a count opens those accounts."
        )
        self.query_one("#funnel-summary", Static).update(self.summary)
        self.paint_lines()
        self.query_one("#charts").display = True

        short = ["target", "reach", "engag", "mqa", "opp", "cust"]
        self.query_one("#chart-stages", BarChart).show(
            "Accounts per journey stage, by tier",
            short,
            {f"Tier {t}": [counts[s] for s in STAGES] for t, counts in per_tier.items()},
        )
        reach = {t: (f["reach_by_tier"][t] or 0) * 100 for t in ("1", "2", "3")}
        self.query_one("#chart-reach", BarChart).show(
            f"Reach % (touched in {snap.params.window_days} d)",
            [f"Tier {t}" for t in reach],
            {"reach": list(reach.values())},
            horizontal=True,
        )
        win, deal = f["win_rate"], f["avg_deal_size"]
        self.query_one("#chart-abm", BarChart).show(
            f"ABM vs non-ABM: win rate % and avg deal (thousands{' ' + snap.currency if snap.currency else ''})",
            ["win rate %", "avg deal (k)"],
            {
                "ABM": [(win["abm"] or 0) * 100, (deal["abm"] or 0) / 1000],
                "non-ABM": [(win["non_abm"] or 0) * 100, (deal["non_abm"] or 0) / 1000],
            },
        )
        quarters = f["win_rate_by_quarter"]
        self.query_one("#chart-quarters", BarChart).show(
            "Win rate % by quarter, ABM vs non-ABM",
            [q["quarter"] for q in quarters],
            {
                "ABM": [(q["abm"] or 0) * 100 for q in quarters],
                "non-ABM": [(q["non_abm"] or 0) * 100 for q in quarters],
            },
        )
        self.query_one("#chart-trend", BarChart).show("Trend: working it out…", [], {}, pending=True)
        self.query_one("#chart-velocity", BarChart).show("Velocity: working it out…", [], {}, pending=True)

    def on_velocity_loaded(self, message: VelocityLoaded) -> None:
        if message.snap is not self.app.snapshot:
            return
        vel = message.velocity
        self.query_one("#chart-velocity", BarChart).show(
            "Velocity: mean days per stage", list(vel), {"days": list(vel.values())}, horizontal=True
        )

    def paint_lines(self) -> None:
        """The table: what moved (once worked out), then the funnel's numbers; the cursor stays put."""
        self.lines = [*movement_lines(self.movement), *self.numbers]
        table = self.query_one("#numbers", DataTable)
        cursor = table.cursor_row
        table.clear()
        for line in self.lines:
            style = "bold" if line.heading else "underline" if line.ids else ""
            table.add_row(
                Text(line.label, style="bold" if line.heading else ""), Text(line.value, style=style)
            )
        table.move_cursor(row=min(max(cursor, 1), len(self.lines) - 1), animate=False)

    @on(DataTable.RowSelected, "#numbers")
    def _selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open_count()

    def action_open_count(self) -> None:
        table = self.query_one("#numbers", DataTable)
        if not self.lines:
            return
        line = self.lines[table.cursor_row]
        if line.ids is None:
            self.notify("This number is not a count of accounts.", severity="information")
            return
        scope = f"Tier {self.tier}" if self.tier else "all tiers"
        label = (
            line.label.strip() if line.label.strip().startswith("Tier") else f"{line.label.strip()} ({scope})"
        )
        query = TargetQuery(ids=frozenset(line.ids), ids_label=label, tier="targets")
        self.post_message(TargetQueryChosen(query))

    def action_cycle_tier(self) -> None:
        order = [None, 1, 2, 3]
        self.tier = order[(order.index(self.tier) + 1) % len(order)]
        if self.app.snapshot:
            self.show_snapshot(self.app.snapshot)

    def action_cycle_owner(self) -> None:
        owners: list[str | None] = [None, *owners_of(self.app.snapshot.rows)] if self.app.snapshot else [None]
        self.owner = owners[(owners.index(self.owner) + 1) % len(owners)] if self.owner in owners else None
        if self.app.snapshot:
            self.show_snapshot(self.app.snapshot)

    def action_back(self) -> None:
        self.app.pop_screen()
