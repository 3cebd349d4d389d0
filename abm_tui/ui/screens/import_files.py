"""Import from the app: name the files, read what the import would do, confirm, read the audit."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from abm_tui.review.imports import ImportResult
from abm_tui.ui.messages import ImportDone
from abm_tui.ui.screens.base import ReportsFailures

if TYPE_CHECKING:
    from abm_tui.ui.app import AbmApp

HINT = "enter: preview what would change · enter again: import · escape: cancel"


def _paths(value: str) -> list[Path]:
    value = value.strip()
    try:
        return [Path(p).expanduser() for p in shlex.split(value)]
    except ValueError:  # an unbalanced quote: take the line as one path
        return [Path(value).expanduser()] if value else []


class ImportDialog(ReportsFailures, ModalScreen[bool]):
    """Import files: enter previews (a dry run), enter again imports, escape closes."""

    BINDINGS = [Binding("escape", "close", "Close", id="import.close")]
    app: AbmApp

    def __init__(self) -> None:
        super().__init__()
        self.previewed: tuple | None = None  # what the shown preview was made for
        self.imported = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="import"):
            yield Label(
                "[b]Import[/b] CRM exports (HubSpot, Salesforce), files or folders, or generic folders"
            )
            yield Input(
                placeholder="files or folders, separated by spaces (quote names with spaces)", id="paths"
            )
            yield Input(placeholder="mapping file (optional, as with --map)", id="mapping", compact=True)
            yield Checkbox(
                "Skip bad rows (import the rest; the audit lists them)", id="skip-bad-rows", compact=True
            )
            with VerticalScroll(id="import-result"):
                yield Static(HINT, id="import-text")

    def _request(self) -> tuple[tuple[Path, ...], Path | None, bool]:
        mapping = self.query_one("#mapping", Input).value.strip()
        return (
            tuple(_paths(self.query_one("#paths", Input).value)),
            Path(mapping).expanduser() if mapping else None,
            self.query_one("#skip-bad-rows", Checkbox).value,
        )

    @on(Input.Submitted)
    def submitted(self) -> None:
        """The first enter previews; enter again on the same request imports; after that, it closes."""
        if self.imported:
            self.dismiss(True)
            return
        request = self._request()
        if not request[0]:
            return
        committing = request == self.previewed
        self.query_one("#import-text", Static).update("Importing…" if committing else "Reading…")
        self.run(request, dry_run=not committing)

    @on(Checkbox.Changed)
    def option_changed(self) -> None:
        self.previewed = None  # another request: preview it first

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def run(self, request: tuple[tuple[Path, ...], Path | None, bool], dry_run: bool) -> None:
        paths, mapping, skip = request
        result = self.app.service.import_files(
            list(paths), dry_run=dry_run, mapping=mapping, skip_bad_rows=skip, progress=self._told
        )
        self.post_message(ImportDone(request, dry_run, result))

    def _told(self, line: str) -> None:
        """How far a long import is (from its thread): shown until the result replaces it."""
        self.app.call_from_thread(self.query_one("#import-text", Static).update, escape(line))

    def on_import_done(self, message: ImportDone) -> None:
        self.show(message.request, message.dry_run, message.result)

    def show(self, request: tuple, dry_run: bool, result: ImportResult) -> None:
        text = self.query_one("#import-text", Static)
        body = escape("\n".join(result.lines))
        if not result.ok:
            self.previewed = None
            text.update(f"[b red]Nothing was imported; fix this and try again:[/b red]\n{body}")
            return
        if dry_run:
            self.previewed = request
            text.update(f"[b]This import would do:[/b]\n{body}\n\n[b]enter[/b] imports · escape cancels")
            return
        self.imported = True
        audit = f"\n\nEvery row's status: {escape(str(result.audit))}" if result.audit else ""
        text.update(f"[b]Imported:[/b]\n{body}{audit}\n\n[b]enter[/b] or escape closes")

    def action_close(self) -> None:
        self.dismiss(self.imported)
