"""`?`: every key of the screen underneath, and the global ones."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib.resources import files

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown


@lru_cache(maxsize=1)
def glossary() -> dict[str, dict[str, str]]:
    """Screen class name → {column or word: what it means} (ui/glossary.toml)."""
    return tomllib.loads((files("abm_tui.ui") / "glossary.toml").read_text(encoding="utf-8"))


def keys_markdown(screen: Screen) -> str:
    lines = [f"# Keys: {screen.__class__.__doc__.splitlines()[0] if screen.__class__.__doc__ else ''}", ""]
    lines += ["| key | what it does |", "|---|---|"]
    seen = set()
    for node in (screen, screen.app):
        for binding in node.BINDINGS:
            if not isinstance(binding, Binding) or not binding.description or binding.key in seen:
                continue
            seen.add(binding.key)
            keys = ", ".join(
                f"`{screen.app.get_key_display(Binding(k.strip(), ''))}`" for k in binding.key.split(",")
            )
            lines.append(f"| {keys} | {binding.tooltip or binding.description} |")
    words = glossary().get(type(screen).__name__, {})
    if words:
        lines += ["", "## What the columns and words mean", ""]
        lines += [f"- **{word}**: {meaning}" for word, meaning in words.items()]
    lines += [
        "",
        "`ctrl+p` opens the command palette: type an account name to jump to it.",
        "",
        "Press `escape` or `?` to close.",
    ]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """Keys help."""

    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(self.text)

    def action_close(self) -> None:
        self.dismiss(None)
