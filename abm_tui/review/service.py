"""What the screens ask of the store and the metrics: snapshots to show, decisions to save.

Everything here runs in worker threads; it returns plain data and never touches widgets.
"""

from __future__ import annotations

import getpass
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session

from abm_tui.metrics import Dataset, Params, account_metrics, funnel
from abm_tui.metrics.accounts import engagement_per_role, portfolio_velocity, role_gaps
from abm_tui.metrics.dataset import as_timestamp
from abm_tui.metrics.opportunities import opportunities_as_of
from abm_tui.review.targets import TargetRow, build_rows

if TYPE_CHECKING:
    from abm_tui.review.agenda import Agenda
from abm_tui.config import data_dir
from abm_tui.exporters.minutes import minutes_markdown, net_decisions
from abm_tui.store import decisions, meetings
from abm_tui.store.models import Decision, Meeting
from abm_tui.store.repo import (
    account_details,
    account_names,
    get_settings,
    load_accounts,
    load_dataset,
    resolve_as_of,
    set_setting,
)


@dataclass(frozen=True)
class Snapshot:
    """Metrics of every account at one as-of date, as last loaded from the store."""

    as_of: date
    params: Params
    dataset: Dataset
    metrics: pd.DataFrame
    rows: list[TargetRow]
    settings: dict[str, str]
    velocity: dict[str, float] = field(default_factory=dict)  # portfolio days per stage (for "stalled")
    by_id: dict[int, TargetRow] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.by_id:
            self.by_id.update((r.id, r) for r in self.rows)

    def row(self, account_id: int) -> TargetRow | None:
        return self.by_id.get(account_id)


@dataclass(frozen=True)
class AccountView:
    """Everything the account screen shows."""

    row: TargetRow
    details: dict[str, Any]
    metrics: pd.Series
    per_role: pd.DataFrame
    as_of: date
    gaps: list[dict[str, Any]]  # role, min_contacts, contacts, engaged, gap
    opportunities: list[dict[str, Any]]  # name, stage (as of T), amount, close_date, days_in_stage, outcome
    window_days: int = 90
    changes: str = ""  # since the last meeting
    follow_ups: tuple[str, ...] = ()


class ReviewService:
    """The review's use cases over one database."""

    def __init__(self, engine: Engine, as_of: date | None = None):
        self.engine = engine
        self.as_of_override = as_of
        self.meeting: Meeting | None = None
        self.current: Snapshot | None = None  # the latest snapshot, kept under `_lock` by load/after_decision
        self._lock = threading.Lock()

    def load(self) -> Snapshot:
        with self._lock:
            self.current = self._load()
            return self.current

    def after_decision(self, account_ids: set[int]) -> Snapshot:
        """The snapshot with these accounts recomputed (decisions are applied one after the other)."""
        with self._lock:
            self.current = self._load() if self.current is None else self.refresh(self.current, account_ids)
            return self.current

    def _load(self) -> Snapshot:
        with Session(self.engine) as session:
            settings = get_settings(session=session)
        as_of = resolve_as_of(settings, self.as_of_override)
        params = Params.from_settings(settings)
        ds = load_dataset(self.engine)
        velocity = portfolio_velocity(ds, as_of, params)
        metrics = account_metrics(ds, as_of, params, stage_velocity=velocity)
        return Snapshot(as_of, params, ds, metrics, build_rows(ds.accounts, metrics), settings, velocity)

    def refresh(self, snap: Snapshot, account_ids: set[int]) -> Snapshot:
        """The snapshot after decisions on `account_ids`: only their rows are read and recomputed.

        A decision changes an account's own row (tier, target flag, status), so its metrics are all
        that can move; the portfolio's stage velocity does not. Gives the same numbers as `load()`.
        """
        fresh = load_accounts(self.engine, account_ids)
        accounts = pd.concat([snap.dataset.accounts[~snap.dataset.accounts["id"].isin(account_ids)], fresh])
        accounts = accounts.sort_values("id", kind="stable").reset_index(drop=True)
        ds = Dataset(accounts, *(getattr(snap.dataset, n) for n in ("contacts", "engagements", "opportunities",
                                                                      "stage_changes", "requirements")))  # fmt: skip
        part = account_metrics(ds.subset(account_ids), snap.as_of, snap.params, stage_velocity=snap.velocity)
        metrics = pd.concat([snap.metrics.drop(index=list(account_ids), errors="ignore"), part]).sort_index()
        changed = {r.id: r for r in build_rows(fresh, part)}
        rows = [changed.get(r.id, r) for r in snap.rows] + [
            r for i, r in changed.items() if i not in snap.by_id
        ]
        return Snapshot(snap.as_of, snap.params, ds, metrics, rows, snap.settings, snap.velocity)

    def funnel(self, snap: Snapshot, tier: int | None = None, owner: str | None = None) -> dict[str, Any]:
        return funnel(snap.dataset, snap.as_of, snap.params, tier=tier, owner=owner, metrics=snap.metrics)

    def account_view(self, snap: Snapshot, account_id: int) -> AccountView | None:
        row = snap.row(account_id)
        if row is None:
            return None
        with Session(self.engine) as session:
            details = account_details(session=session, account_id=account_id)
            if details is None:
                return None
            session.expunge_all()
        ds, T = snap.dataset.subset({account_id}), as_timestamp(snap.as_of)  # this account's rows only
        per_role = engagement_per_role(ds, account_id, snap.as_of)
        gaps = role_gaps(ds, T, snap.params)[["role", "min_contacts", "contacts", "engaged", "gap"]]
        opps = opportunities_as_of(ds.opportunities, ds.stage_changes, T)
        names = {o.id: o.name for o in details["opportunities"]}
        opp_rows = [
            {
                "name": names.get(o.id),
                "stage": o.current_stage,
                "amount": o.amount,
                "close_date": None if pd.isna(o.close_date) else o.close_date.date().isoformat(),
                "days_in_stage": None if pd.isna(o.days_in_stage) else int(o.days_in_stage),
                "outcome": "open" if o.is_open else "won" if o.is_won else "lost",
            }
            for o in opps.sort_values(["is_open", "created_at"], ascending=False).itertuples()
        ]
        changes, follow_ups = self._since_last_meeting(snap, account_id)
        return AccountView(row, details, snap.metrics.loc[account_id], per_role, snap.as_of,
                           gaps.to_dict("records"), opp_rows, snap.params.window_days, changes, follow_ups)  # fmt: skip

    def _since_last_meeting(self, snap: Snapshot, account_id: int) -> tuple[str, tuple[str, ...]]:
        from abm_tui.metrics.changes import changes_since
        from abm_tui.review.agenda import change_text

        with Session(self.engine) as session:
            last = meetings.last_ended_meeting(
                session=session, before=self.meeting.id if self.meeting else None
            )
            follows = meetings.open_follow_ups(session=session, account_id=account_id)
            follow_ups = tuple(
                f"{f.text} ({f.owner or 'no owner'}" + (f", due {f.due_date:%d %b})" if f.due_date else ")")
                for f in follows
            )
        if last is None or last.started_at.date() >= snap.as_of:
            return "", follow_ups
        since = last.started_at.date()
        part = snap.dataset.subset({account_id})
        c = changes_since(part, since, snap.as_of, snap.params, snap.metrics.loc[[account_id]])
        return f"Since the meeting of {since:%d %b}: " + change_text(c.loc[account_id]), follow_ups

    # -- decisions ---------------------------------------------------------------------------------

    def who(self) -> decisions.Who:
        """Who decides: the meeting's participants, else the name set once in settings."""
        if self.meeting is not None:
            return decisions.Who(decided_by=self.meeting.participants, meeting_id=self.meeting.id)
        with Session(self.engine) as session:
            name = get_settings(session=session).get("user_name")
        return decisions.Who(decided_by=name or getpass.getuser())

    def set_user_name(self, name: str) -> None:
        with Session(self.engine) as session:
            set_setting(session=session, key="user_name", value=name.strip())

    # `version` is the account's version as the screen showed it: a mismatch raises StaleAccount.

    def retier(
        self, account_id: int, tier: int, reason: str | None = None, version: int | None = None
    ) -> Decision:
        with Session(self.engine) as session:
            return decisions.retier(
                session=session,
                account_id=account_id,
                tier=tier,
                who=self.who(),
                reason=reason,
                version=version,
            )

    def drop(self, account_id: int, reason: str, version: int | None = None) -> Decision:
        with Session(self.engine) as session:
            return decisions.drop(
                session=session, account_id=account_id, reason=reason, who=self.who(), version=version
            )

    def restore(self, account_id: int, version: int | None = None) -> Decision:
        with Session(self.engine) as session:
            return decisions.restore(session=session, account_id=account_id, who=self.who(), version=version)

    def note(self, account_id: int, text: str) -> Decision:
        with Session(self.engine) as session:
            return decisions.note(session=session, account_id=account_id, text=text, who=self.who())

    def undo(self) -> Decision:
        with Session(self.engine) as session:
            return decisions.undo(session=session, who=self.who())

    # -- import --------------------------------------------------------------------------------------

    def import_files(self, paths: list[Path], *, dry_run: bool) -> tuple[list[str], list[str]]:
        """Import (or preview) CRM exports / generic folders: (summary lines, problems and warnings)."""
        from abm_tui.importers.crm import read_inputs
        from abm_tui.importers.errors import ImportFailed
        from abm_tui.store.imports import apply_batch

        try:
            summary = apply_batch(self.engine, read_inputs(paths), dry_run=dry_run)
        except ImportFailed as failed:
            return [], [str(e) for e in failed.errors]
        except ValueError as exc:
            return [], [str(exc)]
        return summary.lines(), [f"warning: {w}" for w in summary.warnings]

    # -- meetings ----------------------------------------------------------------------------------

    def unfinished_meeting(self) -> Meeting | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return meetings.unfinished_meeting(session=session)

    def last_participants(self) -> list[str]:
        with Session(self.engine) as session:
            return meetings.last_participants(session=session)

    def start_meeting(self, participants: list[str]) -> Meeting:
        with Session(self.engine, expire_on_commit=False) as session:
            self.meeting = meetings.start_meeting(session=session, participants=participants)
        return self.meeting

    def resume_meeting(self, meeting: Meeting) -> None:
        self.meeting = meeting

    def skip(self, account_id: int) -> None:
        assert self.meeting is not None
        with Session(self.engine) as session:
            meetings.skip(session=session, meeting_id=self.meeting.id, account_id=account_id)

    def follow_up(self, account_id: int, text: str, owner: str | None, due: date | None) -> Decision:
        with Session(self.engine, expire_on_commit=False) as session:
            follow = meetings.add_follow_up(
                session=session, account_id=account_id, text=text, owner=owner, due=due, who=self.who()
            )
            return session.get(Decision, follow.decision_id)

    def agenda(self, snap: Snapshot) -> Agenda:
        """The agenda of the running meeting (or of a meeting that would start now)."""
        from abm_tui.metrics.changes import changes_since
        from abm_tui.review.agenda import DECIDING_KINDS, build_agenda

        meeting_id = self.meeting.id if self.meeting else None
        with Session(self.engine) as session:
            decided: set[int] = set()
            skipped: list[int] = []
            if meeting_id is not None:
                kept, _ = net_decisions(meetings.meeting_decisions(session=session, meeting_id=meeting_id))
                decided = {d.account_id for d in kept if d.kind in DECIDING_KINDS}
                skipped = meetings.skipped(session=session, meeting_id=meeting_id)
            last = meetings.last_ended_meeting(session=session, before=meeting_id)
            follow = {}
            for f in meetings.open_follow_ups(session=session):
                due = f" (due {f.due_date:%d %b})" if f.due_date else ""
                follow.setdefault(f.account_id, []).append(f"{f.text}, {f.owner or 'no owner'}{due}")
        changes = None
        if last is not None and last.started_at.date() < snap.as_of:
            ids = {r.id for r in snap.rows if r.agenda} | set(follow)  # only what the agenda shows
            part, now = snap.dataset.subset(ids), snap.metrics.loc[sorted(ids)]
            changes = changes_since(part, last.started_at.date(), snap.as_of, snap.params, now)
        return build_agenda(
            snap, decided_ids=decided, skipped_ids=skipped, changes=changes, follow_ups=follow
        )

    def minutes(self, meeting_id: int, snap: Snapshot | None = None) -> str:
        with Session(self.engine, expire_on_commit=False) as session:
            meeting = session.get(Meeting, meeting_id)
            if meeting is None:
                raise decisions.DecisionError(f"There is no meeting {meeting_id}.")
            made = meetings.meeting_decisions(session=session, meeting_id=meeting_id)
            follows = meetings.meeting_follow_ups(session=session, meeting_id=meeting_id)
            skipped = meetings.skipped(session=session, meeting_id=meeting_id)
            ids = {d.account_id for d in made} | {f.account_id for f in follows} | set(skipped)
            names = account_names(session=session, ids=ids)
        warnings = None
        if snap is not None:
            from abm_tui.review.agenda import hygiene_warnings

            warnings = hygiene_warnings(snap)
        return minutes_markdown(meeting, made, names, follows, [names[i] for i in skipped], warnings)

    def end_meeting(self, snap: Snapshot | None = None) -> tuple[str, Path]:
        """End the running meeting; write its minutes to a Markdown file and return text and path."""
        assert self.meeting is not None
        with Session(self.engine, expire_on_commit=False) as session:
            meeting = meetings.end_meeting(session=session, meeting_id=self.meeting.id)
        text = self.minutes(meeting.id, snap)
        path = write_minutes(text, meeting)
        self.meeting = None
        return text, path


def write_minutes(text: str, meeting: Meeting) -> Path:
    folder = data_dir() / "minutes"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{meeting.started_at:%Y-%m-%d}-meeting-{meeting.id}.md"
    path.write_text(text, encoding="utf-8")
    return path
