"""Typed, past-tense messages between workers, screens and the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from threading import Event

    from abm_tui.review.requests import Request
    from abm_tui.review.snapshot import Snapshot
    from abm_tui.store.models import Decision


class MetricsProgress(Message):
    """Recomputing every account's metrics: `done` of `total` accounts so far."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class MetricsLoaded(Message):
    """A fresh snapshot of every account's metrics is ready."""

    def __init__(self, snapshot: Snapshot, *, whole: bool = False, painted: Event | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.whole = whole  # every account read anew (start-up, import), not one decision's refresh
        self.painted = painted  # set once the screens show it


class DecisionSaved(Message):
    """A decision was committed to the database (the snapshot that follows includes it)."""

    def __init__(self, decision: Decision, text: str) -> None:
        super().__init__()
        self.decision = decision
        self.text = text


class DecisionRequested(Message):
    """A screen asks for a decision (or a skip); the app commits it in a worker."""

    def __init__(self, request: Request) -> None:
        super().__init__()
        self.request = request
