"""What the screens ask of the store and the metrics: snapshots to show, decisions to save.

Everything here runs in worker threads; it returns plain data and never touches widgets.
"""

from __future__ import annotations

import getpass
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abm_tui.domain import Params
from abm_tui.review.snapshot import AccountView, Snapshot, has_engagement
from abm_tui.review.targets import TargetRow, target_row
from abm_tui.store import metric_cache
from abm_tui.store.metric_cache import ACCOUNT_VERSION, METRIC_VERSION, State

if TYPE_CHECKING:  # the first screen needs none of these: they load in the background after it
    import pandas as pd
    from sqlalchemy import Engine

    from abm_tui.metrics.dataset import Dataset
    from abm_tui.review.agenda import Agenda
    from abm_tui.review.build_list import Candidate
    from abm_tui.review.imports import ImportResult
    from abm_tui.review.requests import Request
    from abm_tui.review.status import DataStatus
    from abm_tui.store import decisions
    from abm_tui.store.models import Decision, Meeting

CHUNK = 20_000  # accounts computed at a time when every metric is recomputed (bounds the memory)
FIRST_PAGE_FROM = 5_000  # lists this long show their first page before every account is read
Progress = Callable[[int, int], None]


def _deal_order(opps: Any) -> Any:
    """Open deals first, the next to close on top; then the closed ones, the latest first."""
    import pandas as pd

    open_ = opps[opps["is_open"]].sort_values(["close_date", "created_at"], na_position="last")
    closed = opps[~opps["is_open"]].sort_values(
        ["close_date", "created_at"], ascending=False, na_position="last"
    )
    return pd.concat([open_, closed])


class ReviewService:
    """The review's use cases over one database.

    `store` is an engine, or a database URL whose engine is made on first use: the first screen is
    read from the stored metrics with a plain DB-API connection, before SQLAlchemy and pandas load.
    """

    def __init__(self, store: Engine | str, as_of: date | None = None):
        self._engine: Engine | None = None if isinstance(store, str) else store
        self.url = store if isinstance(store, str) else store.url.render_as_string(hide_password=False)
        self.as_of_override = as_of
        self.meeting: Meeting | None = None
        self.current: Snapshot | None = None  # the latest snapshot, kept under `_lock` by load/after_decision
        self._lock = threading.Lock()
        self._engine_lock = threading.Lock()
        self._funnel_data: Dataset | None = None  # opportunities and engagements for the funnel, read once
        self._funnel_memo: tuple[Snapshot, Dataset, pd.DataFrame, pd.DataFrame] | None = None
        self._agenda_memo: tuple[tuple, set[int], dict[int, str], pd.DataFrame | None] | None = None

    @property
    def engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                from abm_tui.store.db import make_engine

                self._engine = make_engine(self.url)
            return self._engine

    def _read_connection(self):
        path = metric_cache.sqlite_file(self.url)
        conn = metric_cache.connect_current(path) if path is not None else None
        return conn if conn is not None else self.engine.raw_connection()

    def _session(self, **kw):
        from sqlmodel import Session

        return Session(self.engine, **kw)

    def status(self, snap: Snapshot) -> DataStatus:
        """The header's words: which database, demo or not, the as-of date and why, what is missing."""
        from abm_tui.review.status import data_status

        from_data = metric_cache.as_of_is_newest_data(snap.settings, self.as_of_override)
        return data_status(self.database_name(), snap.settings, snap.as_of, from_data)

    def database_name(self) -> str:
        """The SQLite file's name, or the PostgreSQL database's."""
        path = metric_cache.sqlite_file(self.url)
        if path is not None:
            return path.name
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        return f"{url.database or 'database'} on {url.host or 'localhost'}"

    def warm_up(self) -> None:
        """Load what decisions, the account screen and the funnel need (run after the first screen)."""
        import abm_tui.metrics.changes
        import abm_tui.metrics.funnel
        import abm_tui.review.agenda
        import abm_tui.store.decisions
        import abm_tui.store.meetings
        import abm_tui.store.repo  # noqa: F401

        self.engine  # noqa: B018  (made now rather than on the first key press)

    # -- the list ----------------------------------------------------------------------------------

    def load(self, progress: Progress | None = None) -> Snapshot:
        with self._lock:
            self.current = self._load(progress)
            return self.current

    def first_page(self, size: int) -> Snapshot | None:
        """The first `size` rows of the default list (targets by tier), straight from the stored metrics
        of a long list on SQLite; None when those are stale or the list is short (`load` is as quick)."""
        path = metric_cache.sqlite_file(self.url)
        conn = metric_cache.connect_current(path) if path is not None else None
        if conn is None:
            return None
        try:
            settings, as_of, params, state = self._stored_state(conn)
            if state is None:
                return None
            if conn.execute("SELECT count(*) FROM account").fetchone()[0] < FIRST_PAGE_FROM:
                return None
            page = metric_cache.read_first_page(conn, size)
        finally:
            conn.close()
        if page is None:
            return None
        rows, targets = page
        return Snapshot(
            as_of, params, [target_row(t) for t in rows], settings, state.velocity, targets=targets
        )

    def after_decision(self, account_ids: set[int]) -> Snapshot:
        """The snapshot with these accounts recomputed (decisions are applied one after the other)."""
        with self._lock:
            self.current = (
                self._load(None) if self.current is None else self.refresh(self.current, account_ids)
            )
            return self.current

    def _stored_state(self, conn) -> tuple[dict[str, str], date, Params, State | None]:
        """Settings, as-of date and parameters, and what the stored metrics were computed for: None
        when they were computed for another day or other parameters (or not at all)."""
        settings = metric_cache.read_settings(conn)
        as_of = metric_cache.resolve_as_of(settings, self.as_of_override)
        params = Params.from_settings(settings)
        state = metric_cache.read_state(conn)
        if state is not None and (state.as_of, state.params_key) != (as_of, params.key()):
            state = None
        return settings, as_of, params, state

    def _load(self, progress: Progress | None) -> Snapshot:
        """The stored metrics when they are for this as-of date and these parameters (accounts changed
        since, by another window or a crash, are recomputed); else every account's, recomputed."""
        conn = self._read_connection()
        try:
            settings, as_of, params, state = self._stored_state(conn)
            listing = metric_cache.read_list(conn)
        finally:
            conn.close()
        if state is None:
            return self._compute_all(as_of, params, settings, [t[0] for t in listing], progress)
        stale = {t[0] for t in listing if t[METRIC_VERSION] != t[ACCOUNT_VERSION]}
        snap = Snapshot(as_of, params, [target_row(t) for t in listing], settings, state.velocity)
        snap = self.refresh(snap, stale) if stale else snap
        snap.ordered()  # the default order, sorted here rather than on the screen's thread
        return snap

    def _compute_all(
        self, as_of: date, params: Params, settings: dict[str, str], ids: list[int], progress: Progress | None
    ) -> Snapshot:
        from abm_tui.metrics.accounts import account_metrics, portfolio_velocity
        from abm_tui.review.targets import list_tuples
        from abm_tui.store.repo import load_dataset

        self._funnel_data = None
        if progress:
            progress(0, len(ids))
        portfolio = load_dataset(self.engine, tables=("accounts", "opportunities", "stage_changes"))
        velocity = portfolio_velocity(portfolio, as_of, params)
        del portfolio
        tuples: list[tuple] = []
        size = min(CHUNK, max(2_000, len(ids) // 5))  # at least five steps of progress on a long list
        for start in range(0, len(ids), size):
            part = ids[start : start + size]
            ds = load_dataset(self.engine, id_range=(part[0], part[-1]))
            metrics = account_metrics(
                ds, as_of, params, stage_velocity=velocity, engagement_data=has_engagement(settings)
            )
            tuples += list_tuples(ds.accounts, metrics)
            if progress:
                progress(len(tuples), len(ids))
        state = State(as_of, params.key(), velocity)
        metric_cache.replace_all(self.engine, tuples, state)
        snap = Snapshot(as_of, params, [target_row(t) for t in tuples], settings, velocity)
        snap.ordered()
        return snap

    def refresh(self, snap: Snapshot, account_ids: set[int]) -> Snapshot:
        """The snapshot after decisions on `account_ids`: only their rows are read and recomputed.

        A decision changes an account's own row (tier, target flag, status), so its metrics are all
        that can move; the portfolio's stage velocity does not. Gives the same numbers as `load()`.
        """
        from abm_tui.metrics.accounts import account_metrics
        from abm_tui.review.targets import list_tuples
        from abm_tui.store.repo import load_dataset

        ds = load_dataset(self.engine, ids=set(account_ids))
        metrics = account_metrics(
            ds, snap.as_of, snap.params, stage_velocity=snap.velocity, engagement_data=snap.has_engagement
        )
        tuples = list_tuples(ds.accounts, metrics)
        metric_cache.replace_some(self.engine, tuples, snap.state)
        return snap.with_rows([target_row(t) for t in tuples])

    def decided(self, account_ids: set[int]) -> Snapshot | None:
        """The latest snapshot with these accounts' own fields (tier, target flag, status) as now saved:
        shown at once, while `after_decision` recomputes their metrics."""
        snap = self.current
        if snap is None or not account_ids:
            return None
        conn = self._read_connection()
        try:
            cur = conn.cursor()
            ids = ", ".join(str(int(i)) for i in account_ids)
            cur.execute(f"SELECT id, tier, is_target, status, version FROM account WHERE id IN ({ids})")
            saved = cur.fetchall()
            cur.close()
        finally:
            conn.close()
        return snap.with_rows(
            [
                snap.by_id[i]._replace(tier=tier, is_target=bool(target), status=status, version=version)
                for i, tier, target, status, version in saved
                if i in snap.by_id
            ]
        )

    # -- the funnel --------------------------------------------------------------------------------

    def funnel(self, snap: Snapshot, tier: int | None = None, owner: str | None = None) -> dict[str, Any]:
        """The funnel metrics of `snap`: the list's stored metrics, the deals and touches read once."""
        from abm_tui.metrics import funnel
        from abm_tui.metrics.dataset import as_timestamp
        from abm_tui.metrics.opportunities import opportunities_as_of
        from abm_tui.review.targets import metrics_frame

        memo = self._funnel_memo  # the funnel screen asks for the whole list and each tier of one snapshot
        if memo is None or memo[0] is not snap:
            ds = self.funnel_dataset(snap)
            opps = opportunities_as_of(ds.opportunities, ds.stage_changes, as_timestamp(snap.as_of))
            memo = self._funnel_memo = (snap, ds, metrics_frame(snap.rows, snap.as_of), opps)
        _, ds, metrics, opps = memo
        return funnel(
            ds, snap.as_of, snap.params, tier=tier, owner=owner, metrics=metrics, opportunities=opps
        )

    def funnel_dataset(self, snap: Snapshot) -> Dataset:
        """The accounts as `snap` has them; their deals and dated touches as read once from the store."""
        from abm_tui.review.targets import accounts_frame
        from abm_tui.store.repo import load_dataset

        data = self._funnel_data
        if data is None:
            tables = ("accounts", "opportunities", "stage_changes", "engagements")
            data = load_dataset(self.engine, tables=tables, engagement_columns=("account_id", "occurred_at"),
                                account_columns=("id", "churned_at"))  # fmt: skip
            self._funnel_data = data
        return replace(data, accounts=accounts_frame(snap.rows, data.accounts))

    # -- one account -------------------------------------------------------------------------------

    def account_view(self, snap: Snapshot, account_id: int) -> AccountView | None:
        """The account screen's data: this account's rows only, read through the account_id indexes."""
        import pandas as pd
        from sqlmodel import Session

        from abm_tui.metrics.accounts import engagement_per_role, role_gaps
        from abm_tui.metrics.dataset import as_timestamp
        from abm_tui.metrics.opportunities import opportunities_as_of
        from abm_tui.store.repo import account_details, load_dataset

        row = snap.row(account_id)
        if row is None:
            return None
        with Session(self.engine) as session:
            details = account_details(session=session, account_id=account_id)
            if details is None:
                return None
            session.expunge_all()
        ds, T = load_dataset(self.engine, ids={account_id}), as_timestamp(snap.as_of)
        per_role = engagement_per_role(ds, account_id, snap.as_of)
        gaps = role_gaps(ds, T, snap.params)[["role", "min_contacts", "contacts", "engaged", "gap"]]
        opps = opportunities_as_of(ds.opportunities, ds.stage_changes, T)
        names = {o.id: o.name for o in details["opportunities"]}
        money_in = {
            o.id: (o.currency or "").strip().upper() or snap.currency for o in details["opportunities"]
        }
        opp_rows = [
            {
                "name": names.get(o.id),
                "currency": money_in.get(o.id),
                "stage": o.current_stage,
                "amount": o.amount,
                "close_date": None if pd.isna(o.close_date) else o.close_date.date().isoformat(),
                "days_in_stage": None if pd.isna(o.days_in_stage) else int(o.days_in_stage),
                "outcome": "open" if o.is_open else "won" if o.is_won else "lost",
            }
            for o in _deal_order(opps).itertuples()
        ]
        changes, follow_ups = self._since_last_meeting(snap, row, ds)
        return AccountView(row, details, row.score_parts_map(), per_role, snap.as_of,
                           gaps.to_dict("records"), opp_rows, snap.params.window_days, changes, follow_ups)  # fmt: skip

    def _since_last_meeting(self, snap: Snapshot, row: TargetRow, ds: Dataset) -> tuple[str, tuple[str, ...]]:
        from abm_tui.metrics.changes import changes_since
        from abm_tui.review.agenda import change_text
        from abm_tui.review.targets import metrics_frame
        from abm_tui.store import meetings

        account_id = row.id
        with self._session() as session:
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
        c = changes_since(ds, since, snap.as_of, snap.params, metrics_frame([row], snap.as_of))
        return f"Since the meeting of {since:%d %b}: " + change_text(c.loc[account_id]), follow_ups

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
                    return [decisions.retier(session=s, account_id=account_id, tier=tier, who=who,
                                             version=version, reason=reason)]  # fmt: skip
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
                    return decisions.retier_many(session=s, account_ids=list(account_ids), tier=tier, who=who,
                                                 reason=reason)  # fmt: skip
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
        self, paths: list[Path], *, dry_run: bool, mapping: Path | None = None, skip_bad_rows: bool = False
    ) -> ImportResult:
        """Import (or preview) CRM exports and generic folders (review/imports.py)."""
        from abm_tui.review.imports import import_files

        return import_files(self.engine, paths, dry_run=dry_run, mapping=mapping, skip_bad_rows=skip_bad_rows)

    # -- meetings ----------------------------------------------------------------------------------

    def unfinished_meeting(self) -> Meeting | None:
        from abm_tui.store import meetings

        with self._session(expire_on_commit=False) as session:
            return meetings.unfinished_meeting(session=session)

    def last_participants(self) -> list[str]:
        from abm_tui.store import meetings

        with self._session() as session:
            return meetings.last_participants(session=session)

    def start_meeting(self, participants: list[str]) -> Meeting:
        from abm_tui.store import meetings

        with self._session(expire_on_commit=False) as session:
            self.meeting = meetings.start_meeting(session=session, participants=participants)
        return self.meeting

    def resume_meeting(self, meeting: Meeting) -> None:
        self.meeting = meeting

    def agenda(self, snap: Snapshot) -> Agenda:
        """The agenda of the running meeting (or of a meeting that would start now)."""
        from abm_tui.exporters.minutes import net_decisions
        from abm_tui.metrics.changes import changes_since
        from abm_tui.review.agenda import DECIDING_KINDS, build_agenda
        from abm_tui.store import meetings

        meeting_id = self.meeting.id if self.meeting else None
        with self._session() as session:
            decided: set[int] = set()
            skipped: list[int] = []
            if meeting_id is not None:
                kept, _ = net_decisions(meetings.meeting_decisions(session=session, meeting_id=meeting_id))
                decided = {d.account_id for d in kept if d.kind in DECIDING_KINDS}
                skipped = meetings.skipped(session=session, meeting_id=meeting_id)
            last = meetings.last_ended_meeting(session=session, before=meeting_id)
            follow: dict[int, list[str]] = {}
            for f in meetings.open_follow_ups(session=session):
                due = f" (due {f.due_date:%d %b})" if f.due_date else ""
                follow.setdefault(f.account_id, []).append(f"{f.text}, {f.owner or 'no owner'}{due}")
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
            part = load_dataset(self.engine, ids=new_ids)  # only what the agenda shows
            stalled.update(stalled_texts(part, snap.as_of, snap.velocity))
            if since is not None:
                now = metrics_frame([r for r in snap.rows if r.id in new_ids], snap.as_of)
                fresh = changes_since(part, since, snap.as_of, snap.params, now)
                changes = fresh if changes is None else pd.concat([changes, fresh])
            seen |= new_ids
            self._agenda_memo = (key, seen, stalled, changes)
        return build_agenda(
            snap,
            decided_ids=decided,
            skipped_ids=skipped,
            changes=changes,
            follow_ups=follow,
            stalled={i: t for i, t in stalled.items() if i in stalled_ids},
        )

    def minutes(self, meeting_id: int, snap: Snapshot | None = None) -> str:
        from abm_tui.exporters.minutes import minutes_markdown
        from abm_tui.store import decisions, meetings
        from abm_tui.store.models import Meeting
        from abm_tui.store.repo import account_names

        with self._session(expire_on_commit=False) as session:
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
        from abm_tui.store import meetings

        assert self.meeting is not None and self.meeting.id is not None
        with self._session(expire_on_commit=False) as session:
            meeting = meetings.end_meeting(session=session, meeting_id=self.meeting.id)
        text = self.minutes(self.meeting.id, snap)
        path = write_minutes(text, meeting)
        self.meeting = None
        return text, path


def write_minutes(text: str, meeting: Meeting) -> Path:
    from abm_tui.config import data_dir

    folder = data_dir() / "minutes"
    folder.mkdir(parents=True, exist_ok=True)
    # The start time too: meeting 1 of another database on the same day must not overwrite this one.
    path = folder / f"{meeting.started_at:%Y-%m-%d-%H%M}-meeting-{meeting.id}.md"
    path.write_text(text, encoding="utf-8")
    return path
