"""The write side of a review: retier, drop, restore, note, undo — each one transaction.

Every decision updates the account (with an optimistic version check) and appends a row to
the append-only `decision` log in the same commit, so the screen never shows what is not saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from sqlalchemy import select, update
from sqlmodel import Session, col

from abm_tui.errors import DecisionError, StaleAccount
from abm_tui.store.models import Account, Decision, table, utcnow


@dataclass(frozen=True)
class Who:
    """Who is deciding, and in which meeting."""

    decided_by: str | None = None
    meeting_id: int | None = None


ANYONE = Who()


def apply_change(session: Session, account: Account, expected_version: int | None, **changes) -> None:
    version = account.version if expected_version is None else expected_version
    t = table(Account)
    result = session.execute(
        update(t)
        .where(t.c.id == account.id, t.c.version == version)
        .values(**changes, version=version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE returns a CursorResult
        session.rollback()
        raise StaleAccount(
            f"{account.name} was changed in another window meanwhile; nothing was overwritten. "
            "The list now shows the saved state: decide again if still needed."
        )


def log_decision(session: Session, account: Account, who: Who, kind: str, **fields) -> Decision:
    assert account.id is not None  # loaded from the database
    d = Decision(
        account_id=account.id, kind=kind, decided_by=who.decided_by, meeting_id=who.meeting_id, **fields
    )
    session.add(d)
    return d


def load_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id, populate_existing=True)
    if account is None:
        raise DecisionError(f"Account {account_id} does not exist.")
    return account


def commit_decision(session: Session, d: Decision) -> Decision:
    session.commit()
    session.refresh(d)
    return d


def retier(
    *,
    session: Session,
    account_id: int,
    tier: int,
    who: Who = ANYONE,
    version: int | None = None,
    reason: str | None = None,
) -> Decision:
    """Move an account to `tier`; a non-target account joins the list (kind `target`)."""
    if tier not in (1, 2, 3):
        raise DecisionError(f"Tier must be 1, 2 or 3, not {tier}.")
    account = load_account(session, account_id)
    if account.status == "dropped":
        raise DecisionError(f"{account.name} is dropped; restore it (r) before retiering.")
    if account.is_target and account.tier == tier:
        raise DecisionError(f"{account.name} is already Tier {tier}.")
    kind = "retier" if account.is_target else "target"
    from_tier = account.tier
    apply_change(session, account, version, tier=tier, is_target=True)
    return commit_decision(
        session, log_decision(session, account, who, kind, from_tier=from_tier, to_tier=tier, reason=reason)
    )


def drop(
    *, session: Session, account_id: int, reason: str, who: Who = ANYONE, version: int | None = None
) -> Decision:
    """Take an account off the list, with a reason (required)."""
    reason = reason.strip()
    if not reason:
        raise DecisionError("A drop needs a reason.")
    account = load_account(session, account_id)
    if account.status == "dropped":
        raise DecisionError(f"{account.name} is already dropped.")
    apply_change(session, account, version, status="dropped", dropped_reason=reason)
    return commit_decision(
        session,
        log_decision(
            session, account, who, "drop", from_tier=account.tier, to_tier=account.tier, reason=reason
        ),
    )


def restore(
    *,
    session: Session,
    account_id: int,
    who: Who = ANYONE,
    version: int | None = None,
    reason: str | None = None,
) -> Decision:
    """Bring a dropped account back onto the list at its old tier."""
    account = load_account(session, account_id)
    if account.status != "dropped":
        raise DecisionError(f"{account.name} is not dropped.")
    apply_change(session, account, version, status="active", dropped_reason=None)
    return commit_decision(
        session,
        log_decision(
            session, account, who, "restore", from_tier=account.tier, to_tier=account.tier, reason=reason
        ),
    )


def note(*, session: Session, account_id: int, text: str, who: Who = ANYONE) -> Decision:
    """A free-text note on an account (changes nothing else)."""
    text = text.strip()
    if not text:
        raise DecisionError("A note cannot be empty.")
    account = load_account(session, account_id)
    return commit_decision(session, log_decision(session, account, who, "note", reason=text))


def last_undoable(*, session: Session) -> Decision | None:
    """The newest decision that is neither an undo nor already undone."""
    undone = select(col(Decision.undoes_id)).where(col(Decision.undoes_id).is_not(None))
    stmt = (
        select(Decision)
        .where(col(Decision.undoes_id).is_(None), col(Decision.id).not_in(undone))
        .order_by(col(Decision.id).desc())
        .limit(1)
    )
    return session.execute(stmt).scalars().first()


def retier_many(
    *, session: Session, account_ids: list[int], tier: int, who: Who = ANYONE, reason: str | None = None
) -> list[Decision]:
    """Move several accounts to `tier` in one transaction, one decision each, sharing one batch (one
    undo reverses them all). Accounts already there, or dropped, are left as they are."""
    out = set_tiers(session=session, tiers=dict.fromkeys(account_ids, tier), who=who, reason=reason)
    if not out:
        raise DecisionError(f"Every marked account is already Tier {tier} or dropped; nothing changed.")
    return out


def set_tiers(
    *, session: Session, tiers: dict[int, int], who: Who = ANYONE, reason: str | None = None
) -> list[Decision]:
    """Put each account at its tier (joining the list if needed) in one transaction and one batch;
    accounts already there, or dropped, are left as they are. Returns the decisions written."""
    if any(t not in (1, 2, 3) for t in tiers.values()):
        raise DecisionError("Tiers must be 1, 2 or 3.")
    batch, out = uuid4().hex, []
    for account_id, tier in tiers.items():
        account = load_account(session, account_id)
        if account.status == "dropped" or (account.is_target and account.tier == tier):
            continue
        kind, from_tier = ("retier" if account.is_target else "target"), account.tier
        apply_change(session, account, None, tier=tier, is_target=True)
        out.append(
            log_decision(
                session, account, who, kind, from_tier=from_tier, to_tier=tier, reason=reason, batch=batch
            )
        )
    return _commit_all(session, out) if out else []


def drop_many(*, session: Session, account_ids: list[int], reason: str, who: Who = ANYONE) -> list[Decision]:
    """Drop several accounts with one reason, one decision each, undone together."""
    reason = reason.strip()
    if not reason:
        raise DecisionError("A drop needs a reason.")
    batch, out = uuid4().hex, []
    for account_id in dict.fromkeys(account_ids):
        account = load_account(session, account_id)
        if account.status == "dropped":
            continue
        apply_change(session, account, None, status="dropped", dropped_reason=reason)
        out.append(
            log_decision(
                session,
                account,
                who,
                "drop",
                from_tier=account.tier,
                to_tier=account.tier,
                reason=reason,
                batch=batch,
            )
        )
    if not out:
        raise DecisionError("Every marked account is already dropped; nothing changed.")
    return _commit_all(session, out)


def _commit_all(session: Session, ds: list[Decision]) -> list[Decision]:
    session.commit()
    for d in ds:
        session.refresh(d)
    return ds


def undo(*, session: Session, who: Who = ANYONE) -> Decision:
    """Reverse the newest decision by appending its opposite (the log is never rewritten); a decision
    taken with others (marked accounts, a built list) is reversed with all of them. Returns the last row."""
    return undo_last(session=session, who=who)[-1]


def undo_last(*, session: Session, who: Who = ANYONE) -> list[Decision]:
    """`undo`, returning every row it appended (one per decision of the batch)."""
    last = last_undoable(session=session)
    if last is None:
        raise DecisionError("Nothing to undo.")
    group = [last]
    if last.batch:
        undone = select(col(Decision.undoes_id)).where(col(Decision.undoes_id).is_not(None))
        group = list(
            session.execute(
                select(Decision)
                .where(
                    col(Decision.batch) == last.batch,
                    col(Decision.undoes_id).is_(None),
                    col(Decision.id).not_in(undone),
                )
                .order_by(col(Decision.id).desc())
            ).scalars()
        )
    batch = uuid4().hex if len(group) > 1 else None
    return _commit_all(session, [_reverse(session, d, who, batch) for d in group])


def _reverse(session: Session, last: Decision, who: Who, batch: str | None) -> Decision:
    account = load_account(session, last.account_id)
    why = f"undo of decision #{last.id}"
    if last.kind in ("retier", "target"):
        back = {"tier": last.from_tier, "is_target": last.kind == "retier"}
        apply_change(session, account, None, **back)
        d = log_decision(
            session, account, who, last.kind, from_tier=last.to_tier, to_tier=last.from_tier, reason=why
        )
    elif last.kind == "drop":
        apply_change(session, account, None, status="active", dropped_reason=None)
        d = log_decision(
            session, account, who, "restore", from_tier=account.tier, to_tier=account.tier, reason=why
        )
    elif last.kind == "restore":
        previous = session.execute(
            select(col(Decision.reason))
            .where(
                col(Decision.account_id) == account.id,
                col(Decision.kind) == "drop",
                col(Decision.id) < last.id,
            )
            .order_by(col(Decision.id).desc())
            .limit(1)
        ).scalar()
        apply_change(
            session, account, None, status="dropped", dropped_reason=previous or "restored by mistake"
        )
        d = log_decision(
            session, account, who, "drop", from_tier=account.tier, to_tier=account.tier, reason=why
        )
    else:  # a note or follow-up: the undo row withdraws it
        d = log_decision(session, account, who, last.kind, reason=f"withdrawn ({why})")
    d.undoes_id = last.id
    d.batch = batch
    return d
