"""Import from the app: name the files, read the dry-run summary, confirm."""

from __future__ import annotations

import shlex
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class ImportDialog(ModalScreen[bool]):
    """Import files: enter previews (a dry run), enter again imports, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="import.cancel")]

    def __init__(self) -> None:
        super().__init__()
        self.previewed: list[Path] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="import"):
            yield Label("[b]Import[/b] CRM exports (HubSpot, Salesforce) or generic folders")
            yield Input(placeholder="paths, separated by spaces (quote names with spaces)", id="paths")
            with VerticalScroll(id="import-result"):
                yield Static(
                    "enter: preview what would change · enter again: import · escape: cancel",
                    id="import-text",
                )

    def _paths(self) -> list[Path]:
        value = self.query_one("#paths", Input).value.strip()
        try:
            return [Path(p).expanduser() for p in shlex.split(value)]
        except ValueError:
            return [Path(value).expanduser()] if value else []

    def on_input_submitted(self) -> None:
        """The first enter previews; enter again on the same paths imports."""
        paths = self._paths()
        if not paths:
            return
        committing = paths == self.previewed
        self.query_one("#import-text", Static).update("Importing…" if committing else "Reading…")
        self.run(paths, dry_run=not committing)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def run(self, paths: list[Path], dry_run: bool) -> None:
        lines, problems = self.app.service.import_files(paths, dry_run=dry_run)
        self.app.call_from_thread(self.show, paths, dry_run, lines, problems)

    def show(self, paths: list[Path], dry_run: bool, lines: list[str], problems: list[str]) -> None:
        text = self.query_one("#import-text", Static)
        shown = "\n".join(problems[:40]) + (
            f"\n… and {len(problems) - 40} more" if len(problems) > 40 else ""
        )
        if not lines and problems:
            self.previewed = None
            text.update(f"[b red]Nothing can be imported; fix these and try again:[/b red]\n{shown}")
            return
        if dry_run:
            self.previewed = paths
            text.update("[b]This import would do:[/b]\n" + "\n".join(lines) + (f"\n\n{shown}" if problems else "")
                        + "\n\n[b]enter[/b] imports · escape cancels")  # fmt: skip
            return
        self.app.notify("Imported: " + "; ".join(lines), title="Import")
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
