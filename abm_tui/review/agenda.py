"""The meeting agenda: the accounts the DESIGN §4 rules flag, in plain words, in meeting order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from abm_tui.exporters.numbers import money
from abm_tui.metrics.dataset import DEFAULT_PARAMS, Dataset, Params, as_timestamp
from abm_tui.metrics.opportunities import opportunities_as_of
from abm_tui.review.call_next import Person, who_to_call
from abm_tui.review.rules import and_list
from abm_tui.review.snapshot import Snapshot
from abm_tui.review.targets import TargetRow

# Deals at risk first, then list hygiene, then opportunities to invest.
URGENCY = {"stalled": 0, "gap": 1, "demote": 2, "surge": 3, "promote": 3, "poor_fit": 4, "add": 5}
DECIDING_KINDS = ("retier", "target", "drop", "restore")


@dataclass(frozen=True)
class AgendaEntry:
    """One account to decide on, with why, and what changed since the last meeting."""

    account_id: int
    name: str
    tier: int | None
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    changes: str = ""
    follow_ups: tuple[str, ...] = ()
    skipped: bool = False
    call: tuple[str, ...] = ()  # who to call next, a line per gap

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def facts(self) -> str:
        """The reasons without their questions, as the 'why' of a decision taken on this entry."""
        return "; ".join(r.rsplit(": ", 1)[0] for r in self.reasons)


@dataclass(frozen=True)
class Agenda:
    """The agenda of a meeting: open entries, list-hygiene warnings, and what is already done."""

    entries: list[AgendaEntry]
    warnings: list[str]
    decided: int
    skipped: int
    total_flagged: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    duplicates: frozenset[int] = frozenset()  # targets that may be one company (D lists them)


def reasons_for(
    row: TargetRow,
    as_of: date,
    stalled: dict[int, str],
    missing_on_deal: dict[int, str],
    currency: str | None = None,
    params: Params = DEFAULT_PARAMS,
) -> list[str]:
    engaged = (
        f"{row.engaged_roles} of {row.required_roles} roles engaged"
        if row.required_roles
        else "no buying group"
    )
    out = []
    for rule in row.agenda:
        if rule == "promote":
            # A Tier 3 below the promote score was promoted for its open deal, not its score.
            if row.tier == 3 and row.score < params.promote_score:
                out.append(f"Tier 3 with an open deal ({deal_amount(row, currency)}): promote?")
            else:
                out.append(f"Tier {row.tier}, score {row.score}, {engaged}: promote?")
        elif rule == "demote":
            days = row.days_since_last(as_of)
            quiet = "never touched" if days is None else f"no touch in {days} days"
            out.append(f"Tier {row.tier}, score {row.score}, {quiet}: demote or drop?")
        elif rule == "poor_fit":
            out.append(f"ICP fit {row.icp_fit}/5 on Tier {row.tier}: keep it on the list?")
        elif rule == "gap":
            missing = missing_on_deal.get(row.id, "a role")
            out.append(f"Open deal ({deal_amount(row, currency)}) but {missing} missing: find them")
        elif rule == "stalled":
            out.append(f"{stalled.get(row.id, 'A deal is stalled')}: unstick or close?")
        elif rule == "surge":
            out.append(f"Surging on {and_list(row.surging_topics)}, {engaged}: reach them now")
        elif rule == "add":
            why = [f"ICP fit {row.icp_fit}"]
            if row.score >= params.add_score or not row.surging_topics:
                why.append(f"score {row.score}")
            if row.surging_topics:
                why.append(f"surging on {and_list(row.surging_topics)}")
            out.append(f"{', '.join(why)}, not on the list: add it?")
    return out


def stalled_texts(ds: Dataset, as_of: date, velocity: dict[str, float]) -> dict[int, str]:
    """'Deal 48 days in proposal (usual 20)' for the accounts of `ds` with a stalled open deal; `velocity`
    is the portfolio's mean days per stage (the active targets' stays, as the "stalled" rule uses)."""
    T = as_timestamp(as_of)
    opps = opportunities_as_of(ds.opportunities, ds.stage_changes, T)
    out: dict[int, str] = {}
    for o in opps[opps["is_open"]].itertuples():
        usual = velocity.get(o.current_stage)
        if usual is not None and o.days_in_stage > 2 * usual:
            out.setdefault(
                o.account_id, f"Deal {o.days_in_stage:.0f} days in {o.current_stage} (usual {usual:.0f})"
            )
    return out


def deal_amount(row: TargetRow, currency: str | None) -> str:
    """The open pipeline in words; CRM exports (Maven's) often leave open deals without an amount."""
    return money(row.pipeline, currency) if row.pipeline else "no amount given"


def _missing_roles(snap: Snapshot) -> dict[int, str]:
    out: dict[int, str] = {}
    for r in snap.rows:
        missing = [role.replace("_", " ") for role, gap in r.gaps.items() if gap == "missing"]
        if missing:
            out[r.id] = and_list(missing)
    return out


def change_text(c: pd.Series | None) -> str:
    """'Since last meeting: 12 touches (decision maker 3, champion 9) · score +14 · coverage 50 → 75 %'."""
    if c is None:
        return ""
    parts = []
    if c["new_touches"]:
        roles = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(c["touches_by_role"].items()))
        parts.append(f"{c['new_touches']} touches ({roles})")
    else:
        parts.append("no new touches")
    if c["new_opportunities"]:
        parts.append(f"{c['new_opportunities']} new deal(s)")
    if c["moved_opportunities"]:
        parts.append(f"{c['moved_opportunities']} deal(s) moved stage")
    if c["score_delta"]:
        parts.append(
            f"score {c['score_before']} → {c['score_before'] + c['score_delta']} ({c['score_delta']:+d})"
        )
    before, delta = c["coverage_before"], c["coverage_delta"]
    if not pd.isna(before) and not pd.isna(delta) and delta != 0:
        parts.append(f"coverage {before * 100:.0f} → {(before + delta) * 100:.0f} %")
    return " · ".join(parts)


def build_agenda(
    snap: Snapshot,
    *,
    decided_ids: set[int],
    skipped_ids: list[int],
    changes: pd.DataFrame | None = None,
    follow_ups: dict[int, list[str]] | None = None,
    stalled: dict[int, str] | None = None,
    overdue: dict[int, str] | None = None,
) -> Agenda:
    """Flagged active targets not yet decided in this meeting (skipped ones last), plus open follow-ups;
    `overdue`: account → its most overdue follow-up (the entry's first reason, and the entry first)."""
    follow_ups, overdue = follow_ups or {}, overdue or {}
    stalled, missing = stalled or {}, _missing_roles(snap)
    # Active targets the rules flag, and accounts off the list the `add` rule proposes.
    flagged = [
        r for r in snap.rows if r.agenda and ((r.is_target and r.status == "active") or "add" in r.agenda)
    ]
    with_follow_up = [r for r in snap.rows if r.id in follow_ups and not r.agenda]
    entries = []
    for r in flagged + with_follow_up:
        if r.id in decided_ids:
            continue
        c = changes.loc[r.id] if changes is not None and r.id in changes.index else None
        entries.append(
            AgendaEntry(
                account_id=r.id,
                name=r.name,
                tier=r.tier,
                rules=r.agenda,
                reasons=follow_up_reasons(r.id, follow_ups, overdue, flagged=bool(r.agenda))
                + tuple(reasons_for(r, snap.as_of, stalled, missing, snap.currency, snap.params)),
                changes=change_text(c),
                follow_ups=tuple(follow_ups.get(r.id, ())),
                skipped=r.id in skipped_ids,
            )
        )
    pipeline = {r.id: r.pipeline for r in snap.rows}

    def order(e: AgendaEntry):
        """Overdue follow-ups first, then what is at stake: open pipeline, tier, how urgent the rule is."""
        urgency = min((URGENCY[x] for x in e.rules), default=5)
        late = e.account_id in overdue
        return (e.skipped, not late, -pipeline.get(e.account_id, 0), e.tier or 9, urgency, e.name.lower())

    entries.sort(key=order)
    dupes = possible_duplicates(snap.rows)
    return Agenda(
        entries=entries,
        warnings=hygiene_warnings(snap) + duplicates_warning(dupes),
        duplicates=frozenset(i for _, ids in dupes for i in ids),
        decided=len(decided_ids),
        skipped=len(set(skipped_ids)),
        total_flagged=len(flagged),
    )


def follow_up_reasons(
    account_id: int, follow_ups: dict[int, list[str]], overdue: dict[int, str], *, flagged: bool
) -> tuple[str, ...]:
    """An overdue follow-up is the first reason to talk about an account; an open one is the reason when
    no rule flags it."""
    if account_id in overdue:
        return (f"Follow-up overdue: {overdue[account_id]}: done, or a new date?",)
    if account_id in follow_ups and not flagged:
        return (f"Open follow-up: {follow_ups[account_id][0]}",)
    return ()


def hygiene_warnings(snap: Snapshot, biggest: int = 3) -> list[str]:
    """List hygiene: Tier 1 over capacity; the biggest open deals with no decision maker engaged."""
    out = []
    tier1 = sum(1 for r in snap.rows if r.is_target and r.status == "active" and r.tier == 1)
    capacity = snap.params.tier1_capacity
    if tier1 > capacity:
        out.append(
            f"Tier 1 holds {tier1:,} accounts, over its capacity of {capacity:,}: demote {tier1 - capacity:,}."
        )
    silent_dm = {r.id for r in snap.rows if "decision_maker" in r.silent_roles}
    deals = [
        r for r in snap.rows if r.is_target and r.status == "active" and r.pipeline > 0 and r.id in silent_dm
    ]
    deals.sort(key=lambda r: -r.pipeline)
    for r in deals[:biggest]:
        out.append(f"{money(r.pipeline, snap.currency)} open at {r.name} with no decision maker engaged.")
    return out


# Legal forms and group words that do not tell two companies apart ("Smit Zorg BV" = "Smit Zorg Groep").
LEGAL_FORMS = frozenset(
    "bv nv vof gmbh ag kg co mbh ltd limited plc llc inc corp corporation company group groep gruppe "
    "holding holdings international sa sas sarl srl spa sl ab as oy kk pty pvt sp z oo".split()
)


def name_key(name: str) -> str:
    """A company name without case, punctuation and legal forms: 'Smit Zorg B.V.' → 'smit zorg'."""
    words = re.sub(r"[^\w\s]", "", name.lower().replace("&", " ")).split()
    core = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(core or words)


def with_calls(agenda: Agenda, snap: Snapshot, people: dict[int, list[Person]], first: int) -> Agenda:
    """The agenda with who to call next on its first `first` entries (the ones a screen lists)."""
    entries = list(agenda.entries)
    for i, e in enumerate(entries[:first]):
        row = snap.row(e.account_id)
        if row is not None and e.account_id in people:
            entries[i] = replace(e, call=tuple(who_to_call(row.gaps, people[e.account_id], snap.as_of)))
    return replace(agenda, entries=entries)


def duplicates_warning(
    dupes: list[tuple[str, frozenset[int]]], shown: int = 3, *, key_hint: bool = True
) -> list[str]:
    """One line for every group of possible duplicates (the first few named)."""
    if not dupes:
        return []
    names = "; ".join(text for text, _ in dupes[:shown])
    more = f"; and {len(dupes) - shown} more" if len(dupes) > shown else ""
    end = " ([b]D[/b] lists them)." if key_hint else ("" if (names + more).endswith(".") else ".")
    return [f"Possible duplicates: {names}{more}{end}"]


def possible_duplicates(rows: list[TargetRow]) -> list[tuple[str, frozenset[int]]]:
    """Active targets that may be one company: the same domain, or the same name once legal forms are
    left out. Per group: its names in words ("Smit Zorg BV / Smit Zorg Groep") and its accounts."""
    active = [r for r in rows if r.is_target and r.status == "active"]
    groups: dict[tuple[str, str], list[TargetRow]] = {}
    for r in active:
        groups.setdefault(("name", name_key(r.name)), []).append(r)
        if r.domain:
            groups.setdefault(("domain", r.domain), []).append(r)
    out, seen = [], set()
    for (kind, _), members in groups.items():
        ids = frozenset(r.id for r in members)
        if len(ids) < 2 or ids in seen:
            continue
        seen.add(ids)
        names = " / ".join(sorted(r.name for r in members)[:3])
        out.append((names + (f" (both {members[0].domain})" if kind == "domain" else ""), ids))
    return out
