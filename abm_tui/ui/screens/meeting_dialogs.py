"""Dialogs of a meeting: who is present, a follow-up, resuming an unfinished meeting."""

from __future__ import annotations

from datetime import date, timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


def field(value: str, placeholder: str, key: str, title: str) -> Input:
    """An input that keeps saying what it is for once filled in (its title sits in its top border)."""
    box = Input(value, placeholder=placeholder, id=key)
    box.border_title = title
    return box


class StartMeetingDialog(ModalScreen[list[str] | None]):
    """Who is present: a sales and a marketing name at least (remembered from last time)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="start.cancel")]

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = [*names, "", ""]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("[b]Start a review meeting[/b]: who is present?")
            yield field(self.names[0], "sales (e.g. Sam Jansen)", "sales", "sales")
            yield field(self.names[1], "marketing (e.g. Mia de Vries)", "marketing", "marketing")
            yield field(
                ", ".join(self.names[2:]).strip(", "),
                "others (optional, comma separated)",
                "others",
                "others",
            )
            yield Label("enter start · tab next field · escape cancel", id="start-hint", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        sales = self.query_one("#sales", Input).value.strip()
        marketing = self.query_one("#marketing", Input).value.strip()
        others = [x.strip() for x in self.query_one("#others", Input).value.split(",") if x.strip()]
        if not sales or not marketing:
            self.query_one("#start-hint", Label).update(
                "[b]A sales and a marketing name are both needed.[/b]"
            )
            self.set_focus(self.query_one("#sales" if not sales else "#marketing", Input))
            return
        self.dismiss([sales, marketing, *others])

    def action_cancel(self) -> None:
        self.dismiss(None)


class FollowUpDialog(ModalScreen[tuple[str, str, date | None] | None]):
    """An action item: what, who, by when."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="follow.cancel")]

    def __init__(self, account: str, owner: str, today: date, *, owner_required: bool = False) -> None:
        super().__init__()
        self.account = account
        self.owner = owner
        self.today = today
        self.owner_required = owner_required  # in a meeting somebody takes it on

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"[b]Follow-up on {self.account}[/b]")
            yield field("", "what (e.g. find the budget holder via the CFO)", "what", "what")
            yield field(self.owner, "owner", "owner", "owner (who does it)")
            yield field((self.today + timedelta(days=7)).isoformat(), "due YYYY-MM-DD", "due", "due")
            yield Label("enter save · tab next field · escape cancel", id="follow-hint", classes="hint")

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        what = self.query_one("#what", Input).value.strip()
        owner = self.query_one("#owner", Input).value.strip()
        due_text = self.query_one("#due", Input).value.strip()
        hint = self.query_one("#follow-hint", Label)
        if not what:
            hint.update("[b]Say what has to happen.[/b]")
            self.set_focus(self.query_one("#what", Input))
            return
        if self.owner_required and not owner:
            hint.update("[b]Who takes it on? In a meeting a follow-up needs an owner.[/b]")
            self.set_focus(self.query_one("#owner", Input))
            return
        try:
            due = date.fromisoformat(due_text) if due_text else None
        except ValueError:
            hint.update(f"[b]{due_text!r} is not a date (YYYY-MM-DD).[/b]")
            self.set_focus(self.query_one("#due", Input))
            return
        self.dismiss((what, owner, due))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ResumeMeetingDialog(ModalScreen[str]):
    """An unfinished meeting was found: resume it, end it, or decide later."""

    BINDINGS = [
        Binding("r", "choose('resume')", "Resume", id="resume.resume"),
        Binding("e", "choose('end')", "End it", id="resume.end"),
        Binding("escape", "choose('later')", "Later", id="resume.later"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.text)
            with Horizontal(classes="buttons"):
                yield Button("Resume (r)", id="resume", variant="primary")
                yield Button("End it now (e)", id="end")
                yield Button("Later (esc)", id="later")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class ChoiceDialog(ModalScreen[str]):
    """A question with a few answers, each on a key (and a button)."""

    def __init__(self, text: str, choices: list[tuple[str, str, str]]) -> None:
        """`choices`: (key, button label, answer), the first one the default (enter)."""
        super().__init__()
        self.text = text
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.text)  # wraps at the dialog's width (a Label would be cut at 80 columns)
            with Horizontal(classes="buttons"):
                for k, (_key, label, answer) in enumerate(self.choices):
                    yield Button(label, id=f"choice-{answer}", variant="primary" if k == 0 else "default")

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id).removeprefix("choice-"))

    def on_key(self, event) -> None:
        for key, _label, answer in self.choices:
            if event.key == key:
                event.stop()
                self.dismiss(answer)
                return


class EditFollowUpDialog(ModalScreen[tuple[str, date | None] | None]):
    """A follow-up's owner and due date."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="edit-follow.cancel")]

    def __init__(self, text: str, owner: str, due: date | None) -> None:
        super().__init__()
        self.text, self.owner, self.due = text, owner, due

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"[b]{self.text}[/b]")
            yield field(self.owner, "owner", "owner", "owner (who does it)")
            yield field(self.due.isoformat() if self.due else "", "due YYYY-MM-DD", "due", "due")
            yield Label("enter save · tab next field · escape cancel", id="edit-hint", classes="hint")

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        due_text = self.query_one("#due", Input).value.strip()
        try:
            due = date.fromisoformat(due_text) if due_text else None
        except ValueError:
            self.query_one("#edit-hint", Label).update(f"[b]{due_text!r} is not a date (YYYY-MM-DD).[/b]")
            return
        self.dismiss((self.query_one("#owner", Input).value.strip(), due))

    def action_cancel(self) -> None:
        self.dismiss(None)
