"""The review's use cases over one database, for the screens: a façade over the modules that do the
work — `loading` (the list), `account_view`, `meeting`, `imports`, the funnel here — and the one
place a decision is applied (`decide`).

Everything here runs in worker threads; it returns plain data and never touches widgets.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abm_tui.review.database import Database
from abm_tui.review.funnel_desk import FunnelDesk, FunnelView
from abm_tui.review.loading import ListLoader, Page, Progress
from abm_tui.review.meeting import MeetingDesk
from abm_tui.review.movement import Movement, MovementDesk
from abm_tui.review.snapshot import AccountView, Snapshot
from abm_tui.store import metric_cache

if TYPE_CHECKING:  # the first screen needs none of these: they load in the background after it
    from sqlalchemy import Engine

    from abm_tui.review.agenda import Agenda
    from abm_tui.review.build_list import Candidate
    from abm_tui.review.follow_ups import FollowUpRow
    from abm_tui.review.imports import ImportResult
    from abm_tui.review.requests import Request
    from abm_tui.review.status import DataStatus
    from abm_tui.store import decisions
    from abm_tui.store.models import Decision, Meeting


class ReviewService:
    """The review's use cases over one database.

    `store` is an engine, or a database URL whose engine is made on first use: the first screen is
    read from the stored metrics with a plain DB-API connection, before SQLAlchemy and pandas load.
    """

    def __init__(self, store: Engine | str, as_of: date | None = None):
        self.db = Database(store)
        self.url = self.db.url
        self.as_of_override = as_of
        self.lists = ListLoader(self.db, as_of, on_recompute=self._forget_funnel_data)
        self.meetings = MeetingDesk(self.db)
        self.movements = MovementDesk(self.db)
        self.funnels = FunnelDesk(self.db)

    @property
    def engine(self) -> Engine:
        return self.db.engine

    def _session(self, **kw):
        return self.db.session(**kw)

    def _forget_funnel_data(self) -> None:
        self.db.forget_portfolio()
        self.movements.forget()
        self.funnels.forget()

    # -- the list (review/loading.py) ---------------------------------------------------------------

    @property
    def current(self) -> Snapshot | None:
        """The latest snapshot (after the last load or decision)."""
        return self.lists.current

    def load(self, progress: Progress | None = None, page: Page | None = None) -> Snapshot:
        return self.lists.load(progress, page)

    def first_page(self, size: int) -> Snapshot | None:
        return self.lists.first_page(size)

    def after_decision(self, account_ids: set[int]) -> Snapshot:
        return self.lists.after_decision(account_ids)

    def refresh(self, snap: Snapshot, account_ids: set[int]) -> Snapshot:
        return self.lists.refresh(snap, account_ids)

    def decided(self, account_ids: set[int]) -> Snapshot | None:
        return self.lists.decided(account_ids)

    # -- one account (review/account_view.py) ------------------------------------------------------

    def account_view(self, snap: Snapshot, account_id: int) -> AccountView | None:
        from abm_tui.review.account_view import account_view

        meeting = self.meetings.meeting
        return account_view(self.db, snap, account_id, meeting.id if meeting else None)

    # -- meetings (review/meeting.py) --------------------------------------------------------------

    @property
    def meeting(self) -> Meeting | None:
        """The meeting running in this window, if any."""
        return self.meetings.meeting

    @meeting.setter
    def meeting(self, meeting: Meeting | None) -> None:
        self.meetings.meeting = meeting

    def unfinished_meeting(self) -> Meeting | None:
        return self.meetings.unfinished_meeting()

    def last_participants(self) -> list[str]:
        return self.meetings.last_participants()

    def start_meeting(self, participants: list[str]) -> Meeting:
        return self.meetings.start_meeting(participants)

    def resume_meeting(self, meeting: Meeting) -> None:
        self.meetings.resume_meeting(meeting)

    def agenda(self, snap: Snapshot) -> Agenda:
        return self.meetings.agenda(snap)

    def minutes(self, meeting_id: int, snap: Snapshot | None = None) -> str:
        return self.meetings.minutes(meeting_id, snap)

    def end_meeting(self, snap: Snapshot | None = None) -> tuple[str, Path]:
        return self.meetings.end_meeting(snap, self.headline(snap) if snap is not None else None)

    def headline(self, snap: Snapshot) -> list[str]:
        """What moved since the last meeting and the revenue headline (the minutes open with them)."""
        from abm_tui.review.funnel_view import headline

        return headline(self.funnel(snap), self.movement(snap, with_trend=False), snap.currency)

    # -- the header, the database ------------------------------------------------------------------

    def status(self, snap: Snapshot) -> DataStatus:
        """The header's words: which database, demo or not, the as-of date and why, what is missing."""
        from abm_tui.review.status import data_status

        from_data = metric_cache.as_of_is_newest_data(snap.settings, self.as_of_override)
        return data_status(self.database_name(), snap.settings, snap.as_of, from_data)

    def database_name(self) -> str:
        return self.db.name()

    def warm_up(self) -> None:
        """Load what decisions, the account screen and the funnel need, and work out the whole list's
        funnel (run after the first screen: not on the first key press)."""
        import abm_tui.metrics.changes
        import abm_tui.metrics.funnel
        import abm_tui.review.agenda
        import abm_tui.store.decisions
        import abm_tui.store.meetings
        import abm_tui.store.repo  # noqa: F401

        self.engine  # noqa: B018  (made now rather than on the first key press)
        snap = self.current
        if snap is not None and snap.complete:
            self.funnel_view(snap)  # the deals read and the whole list's funnel worked out before `f`

    # -- the funnel (review/funnel_desk.py) ----------------------------------------------------------

    def funnel(self, snap: Snapshot, tier: int | None = None, owner: str | None = None) -> dict[str, Any]:
        """The funnel metrics of `snap` but its stage velocity (None: `funnel_velocity`)."""
        return self.funnels.funnel(snap, tier, owner)

    def funnel_view(self, snap: Snapshot, tier: int | None = None, owner: str | None = None) -> FunnelView:
        """What the funnel screen shows: the numbers, the accounts behind each, the stages per tier."""
        return self.funnels.view(snap, tier, owner)

    def funnel_velocity(
        self, snap: Snapshot, tier: int | None = None, owner: str | None = None
    ) -> dict[str, float]:
        """The funnel's stage velocity: it reads every stage change (with what moved, in the background)."""
        return self.funnels.velocity(snap, tier, owner)

    def movement(
        self,
        snap: Snapshot,
        tier: int | None = None,
        owner: str | None = None,
        since: date | None = None,
        progress: Progress | None = None,
        *,
        with_trend: bool = True,
    ) -> Movement:
        """What moved since `since` (default: the last meeting) and the 13-week trend (review/movement.py)."""
        return self.movements.movement(snap, tier, owner, since, progress, with_trend=with_trend)

    # -- decisions ---------------------------------------------------------------------------------

    def who(self) -> decisions.Who:
        """Who decides: the meeting's participants, else the name set once in settings."""
        from abm_tui.store import decisions
        from abm_tui.store.repo import get_settings

        if self.meeting is not None:
            return decisions.Who(decided_by=self.meeting.participants, meeting_id=self.meeting.id)
        with self._session() as session:
            name = get_settings(session=session).get("user_name")
        return decisions.Who(decided_by=name or getpass.getuser())

    # -- follow-ups (review/follow_ups.py) ----------------------------------------------------------

    def follow_ups(self) -> list[FollowUpRow]:
        from abm_tui.review.follow_ups import follow_up_rows

        return follow_up_rows(self.db)

    def my_names(self) -> set[str]:
        """Whose follow-ups are "mine": the name set in settings, and the running meeting's people."""
        from abm_tui.store.repo import get_settings

        with self._session() as session:
            names = {get_settings(session=session).get("user_name") or getpass.getuser()}
        if self.meeting is not None:
            names |= {p.strip() for p in self.meeting.participants.split(",")}
        return names

    def complete_follow_up(self, follow_up_id: int) -> None:
        from abm_tui.store.meetings import complete_follow_up

        with self._session() as session:
            complete_follow_up(session=session, follow_up_id=follow_up_id)

    def edit_follow_up(self, follow_up_id: int, owner: str | None, due: date | None) -> None:
        from abm_tui.store.meetings import edit_follow_up

        with self._session() as session:
            edit_follow_up(session=session, follow_up_id=follow_up_id, owner=owner, due=due)

    def set_user_name(self, name: str) -> None:
        from abm_tui.store.repo import set_setting

        with self._session() as session:
            set_setting(session=session, key="user_name", value=name.strip())

    def set_currency(self, code: str) -> str:
        """The currency amounts are shown in (an ISO code such as USD); empty: the deals' own again."""
        from abm_tui.errors import DecisionError
        from abm_tui.store.repo import set_setting

        code = code.strip().upper()
        if code and not (len(code) == 3 and code.isalpha()):
            raise DecisionError(f"{code!r} is not a currency code (three letters, such as EUR, USD, GBP).")
        with self._session() as session:
            set_setting(session=session, key="currency", value=code)
        return code

    # `version` is the account's version as the screen showed it: a mismatch raises StaleAccount.

    def decide(self, request: Request) -> list[Decision]:
        """Apply one request in one transaction: the decisions it wrote (none for a skip).

        A retier, drop or restore carries the version the screen showed: a mismatch raises
        StaleAccount and nothing is written (another window changed the account meanwhile)."""
        from abm_tui.errors import DecisionError
        from abm_tui.review import requests as r
        from abm_tui.store import decisions, meetings
        from abm_tui.store.models import Decision

        who = self.who()
        with self._session(expire_on_commit=False) as s:
            match request:
                case r.Retier(account_id, tier, version, reason):
                    return [
                        decisions.retier(
                            session=s,
                            account_id=account_id,
                            tier=tier,
                            who=who,
                            version=version,
                            reason=reason,
                        )
                    ]
                case r.Drop(account_id, reason, version):
                    return [
                        decisions.drop(
                            session=s, account_id=account_id, reason=reason, who=who, version=version
                        )
                    ]
                case r.Restore(account_id, version):
                    return [decisions.restore(session=s, account_id=account_id, who=who, version=version)]
                case r.Note(account_id, text):
                    return [decisions.note(session=s, account_id=account_id, text=text, who=who)]
                case r.FollowUp(account_id, text, owner, due):
                    follow = meetings.add_follow_up(
                        session=s, account_id=account_id, text=text, owner=owner, due=due, who=who
                    )
                    made = s.get(Decision, follow.decision_id)
                    return [made] if made is not None else []
                case r.Skip(account_id):
                    if who.meeting_id is None:
                        raise DecisionError("Skipping is for a running meeting's agenda.")
                    meetings.skip(session=s, meeting_id=who.meeting_id, account_id=account_id)
                    return []
                case r.Undo():
                    return decisions.undo_last(session=s, who=who)
                case r.RetierMany(account_ids, tier, reason):
                    return decisions.retier_many(
                        session=s, account_ids=list(account_ids), tier=tier, who=who, reason=reason
                    )
                case r.DropMany(account_ids, reason):
                    return decisions.drop_many(
                        session=s, account_ids=list(account_ids), reason=reason, who=who
                    )
                case r.SetTiers(tiers, reason):
                    done = decisions.set_tiers(session=s, tiers=tiers, who=who, reason=reason)
                    if not done:
                        raise DecisionError(
                            "Every proposed account is already at that tier; nothing changed."
                        )
                    return done
        raise AssertionError(f"unknown request {request!r}")

    def list_candidates(self, snap: Snapshot) -> list[Candidate]:
        """Accounts that could join the list (not on it, not dropped), with what a list rule ranks by."""
        from sqlalchemy import select

        from abm_tui.review.build_list import Candidate
        from abm_tui.store.models import Account, table

        a = table(Account)
        stmt = select(
            a.c.id, a.c.name, a.c.icp_fit, a.c.annual_revenue, a.c.employees, a.c.industry, a.c.region
        )
        stmt = stmt.where(a.c.is_target.is_(False), a.c.status == "active")
        with self.engine.connect() as conn:
            found = conn.execute(stmt).all()
        pipeline = {r.id: r.pipeline for r in snap.rows}
        return [
            Candidate(
                r.id,
                r.name,
                r.icp_fit,
                r.annual_revenue,
                r.employees,
                pipeline.get(r.id, 0.0),
                r.industry,
                r.region,
            )
            for r in found
        ]

    # -- import --------------------------------------------------------------------------------------

    def import_files(
        self,
        paths: list[Path],
        *,
        dry_run: bool,
        mapping: Path | None = None,
        skip_bad_rows: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> ImportResult:
        """Import (or preview) CRM exports and generic folders (review/imports.py)."""
        from abm_tui.review.imports import import_files

        return import_files(
            self.engine,
            paths,
            dry_run=dry_run,
            mapping=mapping,
            skip_bad_rows=skip_bad_rows,
            progress=progress,
        )
