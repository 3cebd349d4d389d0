"""The running meeting: start, resume, its agenda (with what does not move between decisions kept),
its minutes and the file they are written to."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from abm_tui.domain import local_time
from abm_tui.errors import DecisionError
from abm_tui.review.database import Database
from abm_tui.review.rules import follow_up_text
from abm_tui.review.snapshot import Snapshot

if TYPE_CHECKING:
    import pandas as pd

    from abm_tui.review.agenda import Agenda
    from abm_tui.store.models import Meeting


LISTED = 200  # agenda entries a screen lists at most (and says who to call for)


class MeetingDesk:
    """One database's meetings, and the one running in this window (`meeting`)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.meeting: Meeting | None = None
        self._agenda_memo: tuple[tuple, set[int], dict[int, str], pd.DataFrame | None] | None = None

    def unfinished_meeting(self) -> Meeting | None:
        from abm_tui.store import meetings

        with self.db.session(expire_on_commit=False) as session:
            return meetings.unfinished_meeting(session=session)

    def last_participants(self) -> list[str]:
        from abm_tui.store import meetings

        with self.db.session() as session:
            return meetings.last_participants(session=session)

    def start_meeting(self, participants: list[str]) -> Meeting:
        from abm_tui.store import meetings

        with self.db.session(expire_on_commit=False) as session:
            self.meeting = meetings.start_meeting(session=session, participants=participants)
        return self.meeting

    def resume_meeting(self, meeting: Meeting) -> None:
        self.meeting = meeting

    def agenda(self, snap: Snapshot) -> Agenda:
        """The agenda of the running meeting (or of a meeting that would start now)."""
        from abm_tui.exporters.minutes import net_decisions
        from abm_tui.metrics.changes import changes_since
        from abm_tui.review.agenda import DECIDING_KINDS, build_agenda, with_calls
        from abm_tui.review.call_next import people
        from abm_tui.store import meetings
        from abm_tui.store.repo import people_to_call

        meeting_id = self.meeting.id if self.meeting else None
        with self.db.session() as session:
            decided: set[int] = set()
            skipped: list[int] = []
            if meeting_id is not None:
                kept, _ = net_decisions(meetings.meeting_decisions(session=session, meeting_id=meeting_id))
                decided = {d.account_id for d in kept if d.kind in DECIDING_KINDS}
                skipped = meetings.skipped(session=session, meeting_id=meeting_id)
            last = meetings.last_ended_meeting(session=session, before=meeting_id)
            follow: dict[int, list[str]] = {}
            overdue: dict[int, str] = {}  # account → its most overdue follow-up
            for f in meetings.open_follow_ups(session=session):
                text = follow_up_text(f.text, f.owner, f.due_date)
                follow.setdefault(f.account_id, []).append(text)
                if f.due_date is not None and f.due_date < snap.as_of:
                    overdue.setdefault(f.account_id, text)
        import pandas as pd

        from abm_tui.review.agenda import stalled_texts
        from abm_tui.review.targets import metrics_frame
        from abm_tui.store.repo import load_dataset

        compare = last is not None and last.started_at.date() < snap.as_of
        since = last.started_at.date() if compare and last is not None else None
        stalled_ids = {r.id for r in snap.rows if "stalled" in r.agenda}
        ids = ({r.id for r in snap.rows if r.agenda} | set(follow)) if compare else stalled_ids
        # Deals stalled and changes since the last meeting do not move with decisions: an agenda
        # redrawn after each decision computes them only for accounts it has not seen yet.
        key = (snap.as_of, snap.params.key(), meeting_id, last.id if compare and last is not None else None)
        if self._agenda_memo is None or self._agenda_memo[0] != key:
            self._agenda_memo = (key, set(), {}, None)
        _, seen, stalled, changes = self._agenda_memo
        new_ids = ids - seen
        if new_ids:
            part = load_dataset(self.db.engine, ids=new_ids)  # only what the agenda shows
            stalled.update(stalled_texts(part, snap.as_of, snap.velocity))
            if since is not None:
                now = metrics_frame([r for r in snap.rows if r.id in new_ids], snap.as_of)
                fresh = changes_since(part, since, snap.as_of, snap.params, now)
                changes = fresh if changes is None else pd.concat([changes, fresh])
            seen |= new_ids
            self._agenda_memo = (key, seen, stalled, changes)
        agenda = build_agenda(
            snap,
            decided_ids=decided,
            skipped_ids=skipped,
            changes=changes,
            follow_ups=follow,
            stalled={i: t for i, t in stalled.items() if i in stalled_ids},
            overdue=overdue,
        )
        # Who to call next, for the entries a screen lists (not every flagged account of a long list).
        listed = [e.account_id for e in agenda.entries[:LISTED]]
        gaps = {
            i for i in listed if (row := snap.row(i)) is not None and set(row.gaps.values()) - {"covered"}
        }
        with self.db.session() as session:
            called = {i: people(p) for i, p in people_to_call(session=session, account_ids=gaps).items()}
        return with_calls(agenda, snap, called, LISTED)

    def minutes(
        self, meeting_id: int, snap: Snapshot | None = None, headline: list[str] | None = None
    ) -> str:
        from abm_tui.exporters.minutes import minutes_markdown
        from abm_tui.store import meetings
        from abm_tui.store.models import Meeting, utcnow
        from abm_tui.store.repo import account_names

        with self.db.session(expire_on_commit=False) as session:
            meeting = session.get(Meeting, meeting_id)
            if meeting is None:
                raise DecisionError(f"There is no meeting {meeting_id}.")
            made = meetings.meeting_decisions(session=session, meeting_id=meeting_id)
            follows = meetings.meeting_follow_ups(session=session, meeting_id=meeting_id)
            skipped = meetings.skipped(session=session, meeting_id=meeting_id)
            # Follow-ups of earlier meetings: done while this one ran, or overdue on its day.
            start, end = meeting.started_at, meeting.ended_at or utcnow()
            day = local_time(start).date()
            earlier = [f for f in meetings.all_follow_ups(session=session) if f.meeting_id != meeting_id]
            done = [f for f in earlier if f.done_at is not None and start <= f.done_at <= end]
            late = [f for f in earlier if f.done_at is None and f.due_date is not None and f.due_date < day]
            ids = {d.account_id for d in made} | {f.account_id for f in follows + done + late} | set(skipped)
            names = account_names(session=session, ids=ids)
        warnings, states = None, {}
        if snap is not None:
            from abm_tui.review.agenda import duplicates_warning, hygiene_warnings, possible_duplicates

            dupes = possible_duplicates(snap.rows)
            warnings = hygiene_warnings(snap) + duplicates_warning(dupes, len(dupes), key_hint=False)
            states = {
                d.account_id: state_after(snap, d.account_id) for d in made if d.kind in ("retier", "target")
            }
        return minutes_markdown(
            meeting,
            made,
            names,
            follows,
            [names[i] for i in skipped],
            warnings,
            headline=headline,
            states={i: s for i, s in states.items() if s},
            done_follow_ups=done,
            overdue_follow_ups=late,
        )

    def end_meeting(
        self, snap: Snapshot | None = None, headline: list[str] | None = None
    ) -> tuple[str, Path]:
        """End the running meeting; write its minutes to a Markdown file and return text and path
        (`headline`: what moved and the revenue, which the minutes open with)."""
        from abm_tui.store import meetings

        assert self.meeting is not None and self.meeting.id is not None
        with self.db.session(expire_on_commit=False) as session:
            meeting = meetings.end_meeting(session=session, meeting_id=self.meeting.id)
        text = self.minutes(self.meeting.id, snap, headline)
        path = write_minutes(text, meeting, minutes_folder(self.db))
        self.meeting = None
        return text, path


def state_after(snap: Snapshot, account_id: int) -> str:
    """The account as the meeting left it: 'Tier 1, mqa, score 61, 2 of 5 roles engaged, top gap
    technical missing' (a rule's reason may no longer hold at the new tier)."""
    row = snap.row(account_id)
    if row is None:
        return ""
    parts = [f"Tier {row.tier}" if row.tier else "off the list", row.stage, f"score {row.score}"]
    if row.required_roles:
        parts.append(f"{row.engaged_roles or 0} of {row.required_roles} roles engaged")
    parts.append(f"top gap {row.top_gap.replace('_', ' ')}" if row.top_gap else "no gap")
    return ", ".join(parts)


def minutes_folder(db: Database) -> Path:
    """Where a database's minutes go: beside a SQLite file (`crm-minutes/` for `crm.sqlite`), so two
    databases' "meeting 1" never meet; for PostgreSQL, a folder named after the database in the user
    data folder."""
    import re

    from abm_tui.config import data_dir, sqlite_file

    path = sqlite_file(db.url)
    if path is not None:
        return path.parent / f"{path.stem}-minutes"
    return data_dir() / "minutes" / re.sub(r"[^\w.-]+", "_", db.name())


def write_minutes(text: str, meeting: Meeting, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{meeting.started_at:%Y-%m-%d-%H%M}-meeting-{meeting.id}.md"
    path.write_text(text, encoding="utf-8")
    return path
