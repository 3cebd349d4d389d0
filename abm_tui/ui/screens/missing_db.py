"""`abm-tui --db PATH` for a file that does not exist: ask, rather than create something by mistake."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Label


class MissingDatabase(App[str]):
    """There is no database at PATH: make an empty one, load the demo into it, or quit."""

    CSS = "Vertical { align: center middle; } Label { width: 80; margin: 1 2; }"
    BINDINGS = [
        Binding("e", "choose('empty')", "Empty database", id="missing.empty"),
        Binding("d", "choose('demo')", "Demo data", id="missing.demo"),
        Binding("q,escape", "choose('')", "Quit", id="missing.quit"),
    ]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"[b]There is no database at {self.path}.[/b]")
            yield Label(
                "Was the name typed as meant? If so:\n\n"
                "  [b]e[/b]  create an empty database there (then import your CRM export with i)\n"
                "  [b]d[/b]  create it with the demo data, to try abm-tui\n"
                "  [b]q[/b]  quit without creating anything"
            )
        yield Footer()

    def action_choose(self, choice: str) -> None:
        self.exit(choice)
