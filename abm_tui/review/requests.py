"""What a screen asks the review to do, as typed values: the app turns each into one transaction.

Screens hand one of these to `AbmApp.decide` — a direct call, not a message: the extra hop through
the app's message queue showed in `make bench`'s retier time — which has `ReviewService.decide`
apply it in a worker.
Plain data (no Textual), so the service and its tests use the same types as the screens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Retier:
    """Move an account to a tier (a non-target joins the list)."""

    account_id: int
    tier: int
    version: int | None = None  # the version the screen showed: a mismatch is refused
    reason: str | None = None


@dataclass(frozen=True)
class Drop:
    """Take an account off the list, with a reason."""

    account_id: int
    reason: str
    version: int | None = None


@dataclass(frozen=True)
class Restore:
    """Bring a dropped account back at its old tier."""

    account_id: int
    version: int | None = None


@dataclass(frozen=True)
class Note:
    """A note on an account."""

    account_id: int
    text: str


@dataclass(frozen=True)
class FollowUp:
    """An action item: what, who, by when."""

    account_id: int
    text: str
    owner: str | None = None
    due: date | None = None


@dataclass(frozen=True)
class Skip:
    """Leave an agenda entry for the next meeting (no decision)."""

    account_id: int


@dataclass(frozen=True)
class Undo:
    """Undo the newest decision (with the others taken together with it)."""


@dataclass(frozen=True)
class RetierMany:
    """Several marked accounts to one tier, undone together."""

    account_ids: tuple[int, ...]
    tier: int
    reason: str | None = None


@dataclass(frozen=True)
class DropMany:
    """Several marked accounts dropped with one reason, undone together."""

    account_ids: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class SetTiers:
    """A built list: each account at its tier, undone together."""

    tiers: dict[int, int] = field(hash=False)
    reason: str


Request = Retier | Drop | Restore | Note | FollowUp | Skip | Undo | RetierMany | DropMany | SetTiers


def accounts_of(request: Request) -> set[int]:
    """The accounts a request is about (refreshed if it is refused as stale)."""
    match request:
        case RetierMany(account_ids=ids) | DropMany(account_ids=ids):
            return set(ids)
        case SetTiers(tiers=tiers):
            return set(tiers)
        case Undo():
            return set()
        case _:
            return {request.account_id}
