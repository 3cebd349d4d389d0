"""Movement and trend (DESIGN §3): the journey stages of today's active targets as of earlier dates,
computed with today's list and tiers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from abm_tui.domain import STAGES
from abm_tui.metrics.accounts import INTENT_WEIGHTS
from abm_tui.metrics.dataset import DEFAULT_PARAMS, Dataset, Params, as_timestamp

TREND_WEEKS = 13


def stages_as_of(ds: Dataset, as_of: date | str | pd.Timestamp, params: Params = DEFAULT_PARAMS) -> pd.Series:
    """Every account's journey stage rank (index into STAGES) as of a date (as `account_metrics`
    works it out; `Stages` does it for many dates at the cost of one)."""
    return Stages(ds, params).as_of(as_timestamp(as_of))


def _days(values: pd.Series) -> np.ndarray:
    """Dates as whole days since 1970 (NaT: the smallest int64, before any date)."""
    return values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


class Stages:
    """The journey stage of every account as of any day: the stage rule of `account_metrics` (score,
    engaged buying-group coverage, open and won deals, churn) over numpy arrays prepared once, so
    thirteen week ends cost little more than one."""

    def __init__(self, ds: Dataset, params: Params = DEFAULT_PARAMS) -> None:
        self.params = params
        acc = ds.accounts
        self.ids = acc["id"].to_numpy(dtype=np.int64)
        order = np.argsort(self.ids, kind="stable")
        self.n = n = len(self.ids)
        sorted_ids = self.ids[order]

        def position(account_ids: pd.Series) -> np.ndarray:  # row of each account id (−1: unknown)
            a = account_ids.to_numpy(dtype=np.int64)
            i = np.searchsorted(sorted_ids, a).clip(0, max(n - 1, 0))
            found = (sorted_ids[i] == a) if n else np.zeros(len(a), bool)
            return np.where(found, order[i] if n else 0, -1)

        e = ds.engagements
        self.e_acc = position(e["account_id"])
        self.e_day = _days(e["occurred_at"])
        self.e_weight = e["intent"].map(INTENT_WEIGHTS).fillna(0).to_numpy(dtype=np.float64)
        contact_ids = np.sort(ds.contacts["id"].to_numpy(dtype=np.int64))
        known = e["contact_id"].notna().to_numpy()
        raw = e["contact_id"].fillna(-1).to_numpy(dtype=np.int64)
        slot = np.searchsorted(contact_ids, raw).clip(0, max(len(contact_ids) - 1, 0))
        found = contact_ids[slot] == raw if len(contact_ids) else np.zeros(len(raw), bool)
        self.e_contact = np.where(known & found, slot, -1)  # the contact's row in `contact_ids`, −1: none
        self.e_any_contact = np.where(known, raw, -1)  # the raw id (active stakeholders count any id)
        self.contact_span = int(self.e_any_contact.max(initial=0)) + 1  # (account, contact) → one int

        # Each contact's account row and role; each account's required roles (by its tier).
        c = ds.contacts.set_index("id").reindex(contact_ids)
        roles = {
            r: k for k, r in enumerate(sorted(set(ds.requirements["role"]) | set(c["buying_role"].dropna())))
        }
        self.c_acc = position(c["account_id"].fillna(-1).astype("int64"))
        self.c_role = c["buying_role"].map(roles).fillna(-1).to_numpy(dtype=np.int64)
        tiers = acc["tier"].astype("float64").fillna(0).to_numpy().astype(np.int64)
        required = np.zeros((4, max(len(roles), 1)), dtype=bool)
        for tier, role in zip(ds.requirements["tier"], ds.requirements["role"], strict=True):
            if 1 <= int(tier) <= 3:
                required[int(tier), roles[role]] = True
        self.required = required[tiers.clip(0, 3)]  # account row → required role flags
        self.required_count = self.required.sum(axis=1)

        o = ds.opportunities
        self.o_acc = position(o["account_id"])
        self.o_created = _days(o["created_at"])
        self.o_closed_known = o["close_date"].notna().to_numpy()
        self.o_close = _days(o["close_date"])
        self.o_won = (o["outcome"] == "won").to_numpy()
        self.o_lost = (o["outcome"] == "lost").to_numpy()
        churned = acc["churned_at"]
        self.churn_known = churned.notna().to_numpy()
        self.churn_day = _days(churned)

    def as_of(self, T: pd.Timestamp) -> pd.Series:
        """Stage ranks (index into STAGES) as of `T`, by account id."""
        p, n = self.params, self.n
        t = int(_days(pd.Series([T]))[0])
        win = (self.e_day <= t) & (self.e_day > t - p.window_days) & (self.e_acc >= 0)
        acc, day, contact = self.e_acc[win], self.e_day[win], self.e_contact[win]

        points = np.bincount(acc, weights=self.e_weight[win], minlength=n)
        who = self.e_any_contact[win]
        person = who >= 0
        pairs = np.unique(acc[person] * self.contact_span + who[person])  # distinct (account, contact)
        active = np.bincount(pairs // self.contact_span, minlength=n)
        last = np.full(n, np.iinfo(np.int64).min)
        np.maximum.at(last, acc, day)
        touched = last > np.iinfo(np.int64).min
        breadth = np.minimum(1.0, active / 5)
        depth = np.minimum(1.0, points.astype(np.int64) / 30)
        recency = np.where(touched, 0.5 ** ((t - np.where(touched, last, t)) / 30), 0.0)
        score = np.floor(np.round(40 * breadth + 30 * depth + 30 * recency, 9) + 0.5)

        engaged = np.unique(contact[contact >= 0])
        who, role = self.c_acc[engaged], self.c_role[engaged]
        ok = (who >= 0) & (role >= 0)
        width = self.required.shape[1]
        covered = np.unique(who[ok] * width + role[ok])
        hit = np.zeros(n * width, dtype=bool)
        hit[covered] = True
        engaged_roles = (hit.reshape(n, width) & self.required).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            coverage = np.where(
                self.required_count > 0, engaged_roles / np.maximum(self.required_count, 1), -1.0
            )

        created = (self.o_created <= t) & (self.o_acc >= 0)
        closed = ~self.o_closed_known | (self.o_close <= t)
        won = created & self.o_won & closed
        is_open = created & ~((self.o_won | self.o_lost) & closed)
        has_open = np.bincount(self.o_acc[is_open], minlength=n) > 0
        has_won = np.bincount(self.o_acc[won], minlength=n) > 0
        churned = self.churn_known & (self.churn_day <= t)
        mqa = (score >= p.mqa_score) & (coverage >= p.mqa_coverage)
        rank = np.select(
            [has_won & ~churned, has_open, mqa, score >= p.engaged_score, touched],
            [5, 4, 3, 2, 1],
            0,
        )
        return pd.Series(rank.astype(np.int64), index=pd.Index(self.ids, name="id"))


def movement(before: pd.Series, now: pd.Series, ids: pd.Index) -> dict[str, list[int]]:
    """The accounts `ids` whose stage rank went up (progressed), down (regressed) or stayed."""
    b, n = before.reindex(ids), now.reindex(ids)
    return {
        "progressed": [int(i) for i in ids[(n > b).to_numpy()]],
        "regressed": [int(i) for i in ids[(n < b).to_numpy()]],
        "unchanged": [int(i) for i in ids[(n == b).to_numpy()]],
    }


def stage_counts(ranks: pd.Series, ids: pd.Index) -> dict[str, int]:
    """Accounts of `ids` per stage (exactly that stage), in journey order."""
    counts = ranks.reindex(ids).value_counts()
    return {s: int(counts.get(i, 0)) for i, s in enumerate(STAGES)}


def trend_dates(T: pd.Timestamp, weeks: int = TREND_WEEKS) -> list[pd.Timestamp]:
    """The week ends T-84, T-77, …, T (oldest first)."""
    return [T - pd.Timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]


def trend(
    ds: Dataset,
    T: pd.Timestamp,
    ids: pd.Index,
    params: Params = DEFAULT_PARAMS,
    *,
    now: pd.Series | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict]:
    """Stage counts of the accounts `ids` as of each week end (oldest first); `now` may pass the
    stage ranks as of `T`, already computed."""
    out = []
    dates = trend_dates(T)
    stages = Stages(ds, params)
    for k, day in enumerate(dates):
        ranks = now if now is not None and day == T else stages.as_of(day)
        out.append({"as_of": day.date().isoformat(), "stage_counts": stage_counts(ranks, ids)})
        if progress:
            progress(k + 1, len(dates))
    return out


def movement_and_trend(
    ds: Dataset,
    T: pd.Timestamp,
    since: date,
    ids: pd.Index,
    params: Params = DEFAULT_PARAMS,
    *,
    now: pd.Series,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """The funnel's `movement` (counts since `since`) and `trend` for the active targets `ids`;
    `now` are the stage ranks as of `T`."""
    moved = movement(stages_as_of(ds, since, params), now, ids)  # one day: as cheap as `Stages` for it
    return {
        "movement": {"since": since.isoformat(), **{k: len(v) for k, v in moved.items()}},
        "trend": trend(ds, T, ids, params, now=now, progress=progress),
    }
