"""The key footer, rebuilt once per burst of binding changes rather than once per change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """A compact `Footer` that coalesces binding refreshes.

    Textual's Footer recomposes every key on every bindings signal; opening a screen sends several
    in a row (mount, focus, stack), and with twenty keys that was a tenth of the start-up time.
    """

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._recompose_queued = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self._recompose_queued:
            self._recompose_queued = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._recompose_queued = False
        await self.recompose()
