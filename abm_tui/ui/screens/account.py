"""Account: why the score is what it is, who is (not) engaged, what is in the pipeline, what was decided."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Header, Static

from abm_tui.domain import local_time
from abm_tui.metrics.accounts import ROLE_ORDER
from abm_tui.review.rules import RULES, and_list, follow_up_text
from abm_tui.review.snapshot import AccountView, Snapshot
from abm_tui.ui.format import GAP_STYLE, STAGE_STYLE, days_ago, money, role_name
from abm_tui.ui.messages import AccountViewLoaded
from abm_tui.ui.screens.base import DECISION_BINDINGS, ReviewScreen
from abm_tui.ui.widgets.charts import BarChart
from abm_tui.ui.widgets.footer import KeyFooter


def score_lines(view: AccountView) -> list[str]:
    """The score and its three parts in words."""
    m, row = view.metrics, view.row
    active = int(m["active_stakeholders"])
    b, d, r = 40 * m["breadth"], 30 * m["depth"], 30 * m["recency"]
    points = int(m["intent_points"])
    last = row.last_touch
    since = "no touch in the window" if m["recency"] == 0 else f"last touch {days_ago(last, view.as_of)}"
    return [
        f"[b]Engagement score {row.score}[/b] / 100",
        f"  breadth  {b:4.1f}/40  {active} stakeholder{'s' if active != 1 else ''} active ({view.window_days} d;"
        " 5 count in full)",
        f"  depth    {d:4.1f}/30  {points} intent points (strategic 3, mid 2, light 1)",
        f"  recency  {r:4.1f}/30  {since} (half-life 30 d)",
    ]


class AccountScreen(ReviewScreen):
    """Account: drill-down into one account."""

    BINDINGS = [
        *DECISION_BINDINGS,
        Binding("escape,q", "back", "Back", id="account.back"),
    ]

    def __init__(self, account_id: int, view: tuple[AccountView | None] | None = None) -> None:
        """`view`: the account's data as read for the app's current snapshot, when it was (painted
        as the screen mounts; else read then)."""
        super().__init__()
        self.account_id = account_id
        self._read = view

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="account"):
            yield Static("Loading…", id="facts")
            with Horizontal(id="account-top"):
                yield Static("", id="score")
                yield DataTable(id="gaps", cursor_type="none", show_cursor=False)
            yield BarChart(id="per-role")
            yield Static(
                "[dim]No engagement in the last 13 weeks.[/dim]", id="per-role-empty", classes="section"
            )
            yield Static("", classes="section", id="call-next")
            yield Static("[b]Intent signals[/b]", classes="section", id="signals-title")
            yield DataTable(id="signals", cursor_type="none", show_cursor=False)
            yield Static("[b]Stakeholders by buying role[/b]", classes="section")
            yield DataTable(id="stakeholders", cursor_type="none", show_cursor=False, zebra_stripes=True)
            yield Static("[b]Opportunities[/b]", classes="section", id="opps-title")
            yield DataTable(id="opps", cursor_type="none", show_cursor=False)
            yield Static("[b]Decisions and notes[/b]", classes="section")
            yield DataTable(id="history", cursor_type="none", show_cursor=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#gaps", DataTable).add_columns("Buying group", "have/need", "engaged", "gap")
        self.on_resize()
        self.query_one("#stakeholders", DataTable).add_columns(
            "Role", "Name", "Title", "Touches", "Last touch"
        )
        self.query_one("#opps", DataTable).add_columns(
            "Opportunity", "Stage", "Amount", "Close", "In stage", "Outcome"
        )
        self.query_one("#history", DataTable).add_columns("When", "Decision", "By", "Reason / note")
        self.query_one("#signals", DataTable).add_columns("Topic", "Score", "Date")
        if self._read is not None:
            self.paint(self._read[0])
        elif self.app.snapshot is not None:
            self.show_snapshot(self.app.snapshot)

    def selected_account_id(self) -> int | None:
        return self.account_id

    def on_resize(self) -> None:
        self.stack_if_narrow()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.load_view(snapshot)

    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def load_view(self, snapshot: Snapshot) -> None:
        self.post_message(AccountViewLoaded(self.app.service.account_view(snapshot, self.account_id)))

    def on_account_view_loaded(self, message: AccountViewLoaded) -> None:
        self.paint(message.view)

    def paint(self, view: AccountView | None) -> None:
        if view is None:
            self.query_one("#facts", Static).update("This account no longer exists.")
            return
        a, row = view.details["account"], view.row
        self.sub_title = a.name
        status = "[b red]DROPPED[/b red]: " + (a.dropped_reason or "") if a.status == "dropped" else ""
        tier = f"Tier {a.tier}" if a.is_target and a.tier else "not on the target list"
        size = f"{a.employees:,} employees" if a.employees else "size unknown"
        stage_style = STAGE_STYLE[row.stage] or "default"
        self.query_one("#facts", Static).update(
            f"[b]{a.name}[/b]  {a.domain or ''}   {status}\n"
            f"[b]{tier}[/b] · ICP fit {a.icp_fit or '–'}/5 · stage [{stage_style}]{row.stage}[/] · "
            f"{a.industry or 'industry unknown'} · {size} · {a.region or ''}\n"
            f"Sales: {a.owner_sales or '–'} · Marketing: {a.owner_marketing or '–'} · "
            f"open pipeline {money(row.pipeline, self.app.snapshot.currency if self.app.snapshot else None)}"
        )
        extra = self._agenda_text(row)
        if view.changes:
            extra += f"\n\n[b]{view.changes}[/b]"
        if view.follow_ups:
            extra += "\n\n[b]Open follow-ups:[/b] " + "; ".join(view.follow_ups)
        self.query_one("#score", Static).update("\n".join(score_lines(view)) + extra)
        self._paint_gaps(view)
        self._paint_chart(view)
        call = self.query_one("#call-next", Static)
        call.update("[b]Who to call next[/b]\n" + "\n".join(f"• {line}" for line in view.call_next))
        call.display = bool(view.call_next)
        self._paint_signals(view)
        self._paint_stakeholders(view)
        self._paint_opps(view)
        self._paint_history(view)

    def _agenda_text(self, row) -> str:
        if not row.agenda:
            return ""
        return "\n\n[b yellow]Needs a decision:[/b yellow] " + "; ".join(RULES[a].phrase for a in row.agenda)

    def _paint_gaps(self, view: AccountView) -> None:
        table = self.query_one("#gaps", DataTable)
        table.clear()
        if not view.gaps:
            table.add_row(Text("No tier: no buying group required.", style="dim"), "", "", "")
        for g in view.gaps:
            have = f"{g['contacts']}/{g['min_contacts']}"
            table.add_row(
                role_name(g["role"]), have, str(g["engaged"]), Text(g["gap"], style=GAP_STYLE[g["gap"]])
            )

    def _paint_chart(self, view: AccountView) -> None:
        per_role = view.per_role
        chart = self.query_one("#per-role", BarChart)
        chart.display = not per_role.empty
        self.query_one("#per-role-empty", Static).display = per_role.empty
        if per_role.empty:
            return
        labels = [f"{d:%d %b}" for d in per_role.columns]
        series = {role_name(r): [float(x) for x in per_role.loc[r]] for r in per_role.index}
        self.query_one("#per-role", BarChart).show(
            "Weighted engagement per buying role, last 13 weeks", labels, series, stacked=True
        )

    def _paint_signals(self, view: AccountView) -> None:
        """Third-party intent in the window: timing, not proof of a buying group (it moves no score)."""
        topics = view.row.surging_topics
        title = f"[b]Intent signals[/b] (last {view.intent_days} days)"
        if topics:
            title += f": [b magenta]surging on {and_list(topics)}[/b magenta]"
        self.query_one("#signals-title", Static).update(title)
        table = self.query_one("#signals", DataTable)
        table.clear()
        if not view.signals:
            table.add_row(
                Text(f"No intent signals in the last {view.intent_days} days.", style="dim"), "", ""
            )
        for topic, score, day in view.signals:
            style = "bold magenta" if topic in topics else ""
            table.add_row(Text(topic, style=style), Text(f"{score:.0f}", style=style), f"{day:%d %b %Y}")

    def _paint_stakeholders(self, view: AccountView) -> None:
        table = self.query_one("#stakeholders", DataTable)
        table.clear()
        order = {r: i for i, r in enumerate(ROLE_ORDER)}
        contacts = sorted(
            view.details["contacts"], key=lambda c: (order.get(c[0].buying_role, 99), c[0].name or "")
        )
        if not contacts:
            table.add_row(Text("No contacts yet.", style="dim"), "", "", "", "")
        for contact, touches, last in contacts:
            role = role_name(contact.buying_role) + (" (inferred)" if contact.role_inferred else "")
            table.add_row(
                role,
                contact.name or "–",
                contact.title or "–",
                str(touches),
                days_ago(last.date() if last else None, view.as_of),
            )

    def _paint_opps(self, view: AccountView) -> None:
        table = self.query_one("#opps", DataTable)
        table.clear()
        outcomes = [o["outcome"] for o in view.opportunities]
        counts = ", ".join(f"{outcomes.count(k)} {k}" for k in ("open", "won", "lost") if k in outcomes)
        self.query_one("#opps-title", Static).update(
            f"[b]Opportunities[/b] ({len(outcomes)}: {counts})" if outcomes else "[b]Opportunities[/b]"
        )
        if not view.opportunities:
            table.add_row(Text("No opportunities.", style="dim"), "", "", "", "", "")
        for o in view.opportunities:
            days = "–" if o["days_in_stage"] is None else f"{o['days_in_stage']} d"
            table.add_row(
                o["name"] or "–",
                o["stage"],
                money(o["amount"], o["currency"]),
                o["close_date"] or "–",
                days,
                Text(o["outcome"], style={"won": "green", "lost": "red"}.get(o["outcome"], "yellow")),
            )

    def _paint_history(self, view: AccountView) -> None:
        table = self.query_one("#history", DataTable)
        table.clear()
        decisions = view.details["decisions"]
        if not decisions:
            table.add_row(Text("Nothing decided yet.", style="dim"), "", "", "")
        follows = view.details.get("follow_ups", {})
        for d in decisions:
            what = d.kind.replace("_", " ")
            if d.kind in ("retier", "target"):
                what = f"Tier {d.from_tier or '–'} → {d.to_tier or 'off list'}"
            reason = d.reason or ""
            f = follows.get(d.id)
            if f is not None:  # who took it on, by when, and whether it is done
                reason = follow_up_text(reason, f.owner, f.due_date) + (" — done" if f.done_at else "")
            table.add_row(f"{local_time(d.at):%Y-%m-%d %H:%M}", what, d.decided_by or "–", reason)

    def action_back(self) -> None:
        self.app.pop_screen()
