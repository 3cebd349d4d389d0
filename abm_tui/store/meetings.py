"""Meetings: start, resume, skip agenda entries, follow-ups, end."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from abm_tui.domain import local_time
from abm_tui.errors import DecisionError
from abm_tui.store.decisions import ANYONE, Who, commit_decision, load_account, log_decision
from abm_tui.store.models import Decision, FollowUp, Meeting, MeetingSkip, utcnow


def start_meeting(*, session: Session, participants: list[str]) -> Meeting:
    names = [p.strip() for p in participants if p and p.strip()]
    if len(names) < 2:
        raise DecisionError("A review meeting needs at least two people (a sales and a marketing name).")
    meeting = Meeting(participants=", ".join(names))
    session.add(meeting)
    session.commit()
    session.refresh(meeting)
    return meeting


def unfinished_meeting(*, session: Session) -> Meeting | None:
    """The newest meeting that was never ended (the laptop closed, the app killed)."""
    stmt = select(Meeting).where(col(Meeting.ended_at).is_(None)).order_by(col(Meeting.id).desc()).limit(1)
    return session.execute(stmt).scalars().first()


def last_ended_meeting(*, session: Session, before: int | None = None) -> Meeting | None:
    stmt = select(Meeting).where(col(Meeting.ended_at).is_not(None))
    if before is not None:
        stmt = stmt.where(col(Meeting.id) < before)
    return session.execute(stmt.order_by(col(Meeting.id).desc()).limit(1)).scalars().first()


def movement_since(*, session: Session, as_of: date) -> date:
    """Where "what moved?" starts (DESIGN §3): the day the most recent ended meeting before `as_of`
    started, else 28 days before it."""
    stmt = select(col(Meeting.started_at)).where(col(Meeting.ended_at).is_not(None))
    for (started,) in session.execute(stmt.order_by(col(Meeting.started_at).desc())):
        day = local_time(started).date()
        if day < as_of:
            return day
    return as_of - timedelta(days=28)


def last_participants(*, session: Session) -> list[str]:
    stmt = select(col(Meeting.participants)).order_by(col(Meeting.id).desc()).limit(1)
    value = session.execute(stmt).scalar()
    return [p.strip() for p in value.split(",")] if value else []


def end_meeting(*, session: Session, meeting_id: int, notes: str | None = None) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise DecisionError(f"Meeting {meeting_id} does not exist.")
    if meeting.ended_at is None:
        meeting.ended_at = utcnow()
    if notes:
        meeting.notes = notes
    session.commit()
    session.refresh(meeting)
    return meeting


def skip(*, session: Session, meeting_id: int, account_id: int, reason: str | None = None) -> None:
    exists = session.execute(
        select(MeetingSkip).where(
            col(MeetingSkip.meeting_id) == meeting_id, col(MeetingSkip.account_id) == account_id
        )
    ).first()
    if not exists:
        session.add(MeetingSkip(meeting_id=meeting_id, account_id=account_id, reason=reason))
        session.commit()


def skipped(*, session: Session, meeting_id: int) -> list[int]:
    stmt = (
        select(col(MeetingSkip.account_id))
        .where(col(MeetingSkip.meeting_id) == meeting_id)
        .order_by(col(MeetingSkip.id))
    )
    return list(session.execute(stmt).scalars())


def add_follow_up(
    *, session: Session, account_id: int, text: str, owner: str | None, due: date | None, who: Who = ANYONE
) -> FollowUp:
    """An action item; it is also logged as a `follow_up` decision."""
    text = text.strip()
    if not text:
        raise DecisionError("A follow-up needs a description.")
    account = load_account(session, account_id)
    d = log_decision(session, account, who, "follow_up", reason=text)
    session.flush()
    assert account.id is not None
    follow = FollowUp(
        account_id=account.id,
        meeting_id=who.meeting_id,
        decision_id=d.id,
        text=text,
        owner=owner,
        due_date=due,
    )
    session.add(follow)
    commit_decision(session, d)
    session.refresh(follow)
    return follow


def complete_follow_up(*, session: Session, follow_up_id: int) -> FollowUp:
    follow = session.get(FollowUp, follow_up_id)
    if follow is None:
        raise DecisionError(f"Follow-up {follow_up_id} does not exist.")
    follow.done_at = follow.done_at or utcnow()
    session.commit()
    session.refresh(follow)
    return follow


def edit_follow_up(*, session: Session, follow_up_id: int, owner: str | None, due: date | None) -> FollowUp:
    """A new owner or due date (what has to happen stays as logged)."""
    follow = session.get(FollowUp, follow_up_id)
    if follow is None:
        raise DecisionError(f"Follow-up {follow_up_id} does not exist.")
    follow.owner, follow.due_date = (owner or "").strip() or None, due
    session.commit()
    session.refresh(follow)
    return follow


def all_follow_ups(*, session: Session) -> list[FollowUp]:
    """Every follow-up that stands (an undone one is withdrawn), done or not, by due date."""
    withdrawn = select(col(Decision.undoes_id)).where(col(Decision.undoes_id).is_not(None))
    stmt = select(FollowUp).where(
        (col(FollowUp.decision_id).is_(None)) | (col(FollowUp.decision_id).not_in(withdrawn))
    )
    return list(session.execute(stmt.order_by(col(FollowUp.due_date), col(FollowUp.id))).scalars())


def open_follow_ups(*, session: Session, account_id: int | None = None) -> list[FollowUp]:
    withdrawn = select(col(Decision.undoes_id)).where(col(Decision.undoes_id).is_not(None))
    stmt = select(FollowUp).where(col(FollowUp.done_at).is_(None))
    stmt = stmt.where((col(FollowUp.decision_id).is_(None)) | (col(FollowUp.decision_id).not_in(withdrawn)))
    if account_id is not None:
        stmt = stmt.where(col(FollowUp.account_id) == account_id)
    return list(session.execute(stmt.order_by(col(FollowUp.due_date), col(FollowUp.id))).scalars())


def meeting_decisions(*, session: Session, meeting_id: int) -> list[Decision]:
    stmt = select(Decision).where(col(Decision.meeting_id) == meeting_id).order_by(col(Decision.id))
    return list(session.execute(stmt).scalars())


def meeting_follow_ups(*, session: Session, meeting_id: int) -> list[FollowUp]:
    stmt = select(FollowUp).where(col(FollowUp.meeting_id) == meeting_id).order_by(col(FollowUp.id))
    return list(session.execute(stmt).scalars())


def list_meetings(*, session: Session) -> list[Meeting]:
    return list(session.execute(select(Meeting).order_by(col(Meeting.id))).scalars())
