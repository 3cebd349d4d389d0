"""The key footer, rebuilt once per burst of binding changes rather than once per change."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

# Keys that stay in view when a narrow terminal cuts the footer: help, the funnel, the meeting.
FIRST = ("help", "show_funnel", "meeting")


class KeyFooter(Footer):
    """A compact `Footer` that coalesces binding refreshes.

    Textual's Footer recomposes every key on every bindings signal; opening a screen sends several
    in a row (mount, focus, stack): one rebuild per burst shows the same keys for less start-up work.
    """

    DEFAULT_CSS = """
    /* Compact footers give every key a right margin, the palette key docked right too: through that
       last column the key list scrolled under it showed a stray character at 80 and 100 columns. */
    KeyFooter.-compact FooterKey.-command-palette { margin-right: 0; padding-right: 1; }
    """

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._recompose_queued = False

    def compose(self) -> ComposeResult:
        """Footer's keys with ?, f and m first (stable otherwise): at 80 columns they are not cut."""
        keys = list(super().compose())
        yield from sorted(keys, key=lambda w: getattr(w, "action", None) not in FIRST)

    def bindings_changed(self, screen: Screen) -> None:
        """Pass on the first signal of a burst once the screen has refreshed; drop the rest."""
        if self._recompose_queued:
            return
        self._recompose_queued = True

        def once() -> None:
            self._recompose_queued = False
            Footer.bindings_changed(self, screen)  # marks the bindings ready and recomposes

        self.call_after_refresh(once)
