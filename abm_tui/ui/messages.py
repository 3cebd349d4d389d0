"""Typed, past-tense messages between workers, screens and the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from threading import Event

    from abm_tui.review.agenda import Agenda
    from abm_tui.review.build_list import Candidate
    from abm_tui.review.follow_ups import FollowUpRow
    from abm_tui.review.funnel_view import FunnelLine
    from abm_tui.review.imports import ImportResult
    from abm_tui.review.movement import Movement
    from abm_tui.review.snapshot import AccountView, Snapshot
    from abm_tui.review.targets import TargetQuery
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


class AccountViewLoaded(Message):
    """The account screen's data was read (None: the account no longer exists)."""

    def __init__(self, view: AccountView | None) -> None:
        super().__init__()
        self.view = view


class AccountRead(Message):
    """An account to open was read for `snapshot` (view None: the account no longer exists)."""

    def __init__(self, account_id: int, snapshot: Snapshot, view: AccountView | None) -> None:
        super().__init__()
        self.account_id = account_id
        self.snapshot = snapshot
        self.view = view


class AgendaLoaded(Message):
    """The meeting's agenda was worked out for the latest snapshot."""

    def __init__(self, agenda: Agenda) -> None:
        super().__init__()
        self.agenda = agenda


class FunnelLoaded(Message):
    """The funnel's numbers for one snapshot, tier and owner were computed."""

    def __init__(
        self, snap: Snapshot, total: dict, per_tier: dict[int, dict[str, int]], lines: list[FunnelLine]
    ):
        super().__init__()
        self.snap, self.total, self.per_tier, self.lines = snap, total, per_tier, lines


class MovementProgress(Message):
    """Working out what moved: `done` of `total` earlier days computed."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done, self.total = done, total


class MovementLoaded(Message):
    """Movement and trend for one snapshot, tier and owner were computed."""

    def __init__(self, snap: Snapshot, movement: Movement) -> None:
        super().__init__()
        self.snap, self.movement = snap, movement


class VelocityLoaded(Message):
    """The funnel's stage velocity (mean days per stage) for one snapshot, tier and owner."""

    def __init__(self, snap: Snapshot, velocity: dict[str, float]) -> None:
        super().__init__()
        self.snap, self.velocity = snap, velocity


class FollowUpsLoaded(Message):
    """Every standing follow-up was read, and whose are "mine"."""

    def __init__(self, rows: list[FollowUpRow], me: set[str]) -> None:
        super().__init__()
        self.rows, self.me = rows, me


class HeadlineLoaded(Message):
    """What moved since the last meeting and the revenue headline, in sentences."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines


class ImportDone(Message):
    """An import (or its preview) finished."""

    def __init__(self, request: tuple, dry_run: bool, result: ImportResult) -> None:
        super().__init__()
        self.request, self.dry_run, self.result = request, dry_run, result


class CandidatesLoaded(Message):
    """The accounts a list rule could put on the list were read."""

    def __init__(self, candidates: list[Candidate]) -> None:
        super().__init__()
        self.candidates = candidates


class AccountChosen(Message):
    """A screen chose an account to open (the app shows its screen)."""

    def __init__(self, account_id: int) -> None:
        super().__init__()
        self.account_id = account_id


class TargetQueryChosen(Message):
    """A screen chose accounts to list (a funnel count): the app shows them in the target list."""

    def __init__(self, query: TargetQuery) -> None:
        super().__init__()
        self.query = query
