"""Build the list: propose tiers by a rule the pair can read, preview the counts and names, then save."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from abm_tui.review.build_list import THEN_BY, ListProposal, ListRule, propose
from abm_tui.ui.messages import CandidatesLoaded
from abm_tui.ui.screens.base import ReportsFailures

if TYPE_CHECKING:
    from abm_tui.ui.app import AbmApp

SAMPLE = 6  # names shown per tier


def _words(value: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in value.split(",") if w.strip())


class BuildListDialog(ReportsFailures, ModalScreen[tuple[dict[int, int], str] | None]):
    """Top N by ICP fit, then revenue, employees or open pipeline: enter previews, enter again saves."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="build.cancel")]
    app: AbmApp

    def __init__(self) -> None:
        super().__init__()
        self.candidates: list | None = None
        self.previewed: tuple[ListRule, ListProposal] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="build-list"):
            yield Label("[b]Build the list[/b] from accounts not on it: ICP fit first, then a size measure")
            with Horizontal(classes="build-row"):
                yield Label("Tier 1", classes="build-label")
                yield Input("10", type="integer", id="size-1", compact=True)
                yield Label("Tier 2", classes="build-label")
                yield Input("25", type="integer", id="size-2", compact=True)
                yield Label("Tier 3", classes="build-label")
                yield Input("50", type="integer", id="size-3", compact=True)
            yield Select(
                [(f"then by {w}", k) for k, w in THEN_BY.items()],
                value="annual_revenue",
                allow_blank=False,
                id="then-by",
                compact=True,
            )
            yield Input(
                placeholder="only industries containing (comma-separated, optional)",
                id="industries",
                compact=True,
            )
            yield Input(
                placeholder="only regions containing (comma-separated, optional)", id="regions", compact=True
            )
            with VerticalScroll(id="build-result"):
                yield Static(
                    "enter: preview · enter again: put them on the list · escape: cancel", id="build-text"
                )

    def on_mount(self) -> None:
        self.load_candidates()

    @work(thread=True, exclusive=True, group="build-list", exit_on_error=False)
    def load_candidates(self) -> None:
        snap = self.app.snapshot
        found = self.app.service.list_candidates(snap) if snap is not None else []
        self.post_message(CandidatesLoaded(found))

    def on_candidates_loaded(self, message: CandidatesLoaded) -> None:
        self.candidates = message.candidates
        self.preview()

    def rule(self) -> ListRule:
        def size(i: int) -> int:
            value = self.query_one(f"#size-{i}", Input).value.strip()
            return max(0, int(value)) if value.lstrip("-").isdigit() else 0

        return ListRule(
            sizes=(size(1), size(2), size(3)),
            then_by=str(self.query_one("#then-by", Select).value),
            industries=_words(self.query_one("#industries", Input).value),
            regions=_words(self.query_one("#regions", Input).value),
        )

    def preview(self) -> None:
        if self.candidates is None:
            return
        rule = self.rule()
        proposal = propose(self.candidates, rule)
        self.previewed = (rule, proposal)
        lines = [f"[b]{escape(rule.words())}[/b]", f"{proposal.eligible:,} accounts fit the rule."]
        if not any(c.icp_fit for c in self.candidates):
            lines.append(
                "[dim]No account has an ICP fit yet: the ranking is by the size measure alone.[/dim]"
            )
        lines.append("")
        for tier in (1, 2, 3):
            names = proposal.names[tier]
            more = f", … {len(names) - SAMPLE:,} more" if len(names) > SAMPLE else ""
            shown = ", ".join(escape(n) for n in names[:SAMPLE]) + more
            lines.append(f"[b]Tier {tier}: {len(names):,}[/b]  {shown or '–'}")
        total = len(proposal.tiers)
        lines += [
            "",
            f"[b]enter[/b] puts these {total:,} accounts on the list (one decision each; u undoes them all)"
            if total
            else "No account fits: widen the rule.",
        ]
        self.query_one("#build-text", Static).update("\n".join(lines))

    @on(Input.Submitted)
    def submitted(self) -> None:
        """Enter on an unchanged rule saves what the preview shows; otherwise it previews."""
        if self.previewed is not None and self.previewed[0] == self.rule() and self.previewed[1].tiers:
            rule, proposal = self.previewed
            self.dismiss((proposal.tiers, rule.words()))
            return
        self.preview()

    @on(Input.Changed)
    @on(Select.Changed)
    def changed(self) -> None:
        self.preview()

    def action_cancel(self) -> None:
        self.dismiss(None)
