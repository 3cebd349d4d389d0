"""Decisions back to the CRM, and the whole database in the generic format."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from abm_tui.importers.generic import SCHEMA
from abm_tui.importers.values import neutralise
from abm_tui.store.models import (
    Account,
    Contact,
    Decision,
    Engagement,
    IntentSignal,
    Meeting,
    Opportunity,
    Setting,
    Spend,
    StageChange,
    table,
)

TARGET_COLUMNS = {
    # HubSpot's company import updates a company by Record ID; the ABM properties are created once in HubSpot.
    "hubspot": [
        "Record ID",
        "Company name",
        "Company Domain Name",
        "Target Account",
        "Ideal Customer Profile Tier",
        "ABM Status",
        "ABM Last Decision",
    ],
    # Salesforce Data Loader "update" by Id; the __c fields are custom fields created once in Salesforce.
    "salesforce": [
        "Id",
        "Name",
        "Website",
        "ABM_Target__c",
        "ABM_Tier__c",
        "ABM_Status__c",
        "ABM_Last_Decision__c",
    ],
    "generic": [
        "account_id",
        "name",
        "domain",
        "is_target",
        "tier",
        "status",
        "dropped_reason",
        "last_decision",
    ],
}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != datetime.min.time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)  # a negative number is a number, not a formula
    return neutralise(str(value))


def _write(path: Path, header: list[str], rows: Iterable[list]) -> int:
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
            n += 1
    return n


LIST_KINDS = ("retier", "target", "drop", "restore")


def decision_sentence(d: Any, participants: str | None = None) -> str:
    """A decision as a CRM user reads it: "2026-12-01 Tier 1 → Tier 2 by Sam, Mia: no budget until 2027".

    An undo reads as the state it went back to; the log's own wording ("undo of decision #6") stays out.
    """
    if d.kind == "retier":
        what = f"Tier {d.from_tier} → Tier {d.to_tier}"
    elif d.kind == "target":
        what = f"put on the list at Tier {d.to_tier}" if d.to_tier else "taken off the list"
    elif d.kind == "drop":
        what = "dropped from the list"
    else:
        what = f"restored to the list at Tier {d.to_tier}" if d.to_tier else "restored to the list"
    who = d.decided_by or participants
    text = f"{d.at:%Y-%m-%d} {what}" + (f" by {who}" if who else "")
    if d.undoes_id is not None:
        return text + " (an earlier decision undone)"
    return text + (f": {d.reason}" if d.reason else "")


def last_decisions(engine: Engine) -> dict[int, Any]:
    """Per account, the newest decision that changed its place on the list (with its meeting's participants)."""
    d, m = table(Decision), table(Meeting)
    stmt = (
        select(d, m.c.participants)
        .select_from(d.outerjoin(m, m.c.id == d.c.meeting_id))
        .where(d.c.kind.in_(LIST_KINDS))
        .order_by(d.c.id)
    )
    with engine.connect() as conn:
        return {r.account_id: r for r in conn.execute(stmt)}


@dataclass(frozen=True)
class TargetExport:
    """What `export_targets` wrote, and what it had to leave out."""

    written: int
    left_out: int  # accounts without the CRM's id
    id_name: str  # "HubSpot Record ID", …


ID_OF = {"hubspot": ("hubspot_id", "HubSpot Record ID"), "salesforce": ("salesforce_id", "Salesforce Id")}


def export_targets(
    engine: Engine, path: Path, fmt: str, *, since: date | None = None, meeting: int | None = None
) -> TargetExport:
    """The target list (targets, dropped accounts, accounts taken off the list) in columns the CRM's
    importer accepts, keyed by the ids the import kept. `since` / `meeting`: only the accounts decided
    since that day or in that meeting, so a weekly export carries just what the meeting changed."""
    a = table(Account)
    last = last_decisions(engine)
    with engine.connect() as conn:
        accounts = conn.execute(
            select(a)
            .where((a.c.is_target.is_(True)) | (a.c.status == "dropped") | a.c.id.in_(list(last)))
            .order_by(a.c.tier, a.c.name)
        ).all()
        if meeting is not None:
            d = table(Decision)
            decided = set(
                conn.execute(
                    select(d.c.account_id).where(d.c.meeting_id == meeting, d.c.kind.in_(LIST_KINDS))
                ).scalars()
            )
    if since is not None:
        accounts = [r for r in accounts if r.id in last and last[r.id].at.date() >= since]
    if meeting is not None:
        accounts = [r for r in accounts if r.id in decided]
    id_column, id_name = ID_OF.get(fmt, ("source_id", "id"))
    kept = [r for r in accounts if getattr(r, id_column)]
    rows = []
    for r in kept:
        target = r.is_target and r.status == "active"
        tier = r.tier if target else None
        decision = last.get(r.id)
        sentence = decision_sentence(decision, decision.participants) if decision is not None else ""
        if fmt == "hubspot":
            rows.append(
                [r.hubspot_id, r.name, r.domain, target, f"tier_{tier}" if tier else "", r.status, sentence]
            )
        elif fmt == "salesforce":
            rows.append([r.salesforce_id, r.name, r.domain, target, tier, r.status, sentence])
        else:
            rows.append(
                [r.source_id, r.name, r.domain, r.is_target, r.tier, r.status, r.dropped_reason, sentence]
            )
    return TargetExport(_write(path, TARGET_COLUMNS[fmt], rows), len(accounts) - len(kept), id_name)


def export_generic(engine: Engine, folder: Path) -> dict[str, int]:
    """Everything in the generic format: importing the folder into an empty database rebuilds the metrics."""
    folder.mkdir(parents=True, exist_ok=True)
    a, c, e, o, s, st, sp, i = (
        table(m)
        for m in (Account, Contact, Engagement, Opportunity, StageChange, Setting, Spend, IntentSignal)
    )
    counts = {}
    with engine.connect() as conn:
        account_ids = dict(conn.execute(select(a.c.id, a.c.source_id)).all())
        contact_ids = dict(conn.execute(select(c.c.id, c.c.source_id)).all())
        opp_ids = dict(conn.execute(select(o.c.id, o.c.source_id)).all())
        cols = list(SCHEMA["accounts.csv"])
        rows = conn.execute(select(a).order_by(a.c.id)).all()
        counts["accounts.csv"] = _write(
            folder / "accounts.csv",
            cols,
            ([r.source_id if k == "account_id" else getattr(r, k) for k in cols] for r in rows),
        )
        cols = list(SCHEMA["contacts.csv"])
        rows = conn.execute(select(c).order_by(c.c.id)).all()
        counts["contacts.csv"] = _write(
            folder / "contacts.csv",
            cols,
            ([r.source_id, account_ids[r.account_id], *(getattr(r, k) for k in cols[2:])] for r in rows),
        )
        cols = list(SCHEMA["engagements.csv"])
        rows = conn.execute(select(e).order_by(e.c.id)).all()
        counts["engagements.csv"] = _write(
            folder / "engagements.csv",
            cols,
            (
                [
                    account_ids[r.account_id],
                    contact_ids.get(r.contact_id),
                    r.occurred_at,
                    r.channel,
                    r.intent,
                    r.description,
                ]
                for r in rows
            ),
        )
        cols = list(SCHEMA["opportunities.csv"])
        rows = conn.execute(select(o).order_by(o.c.id)).all()
        counts["opportunities.csv"] = _write(
            folder / "opportunities.csv",
            cols,
            ([r.source_id, account_ids[r.account_id], *(getattr(r, k) for k in cols[2:])] for r in rows),
        )
        rows = conn.execute(select(s).order_by(s.c.id)).all()
        counts["stage_changes.csv"] = _write(
            folder / "stage_changes.csv",
            list(SCHEMA["stage_changes.csv"]),
            ([opp_ids[r.opportunity_id], r.stage, r.entered_at] for r in rows),
        )
        # Facts the import worked out ("data.…") are not settings: the import works them out again.
        rows = conn.execute(select(st).where(st.c.key.not_like("data.%")).order_by(st.c.key)).all()
        counts["settings.csv"] = _write(
            folder / "settings.csv", ["key", "value"], ([r.key, r.value] for r in rows)
        )
        cols = list(SCHEMA["spend.csv"])
        rows = conn.execute(select(sp).order_by(sp.c.id)).all()
        counts["spend.csv"] = _write(
            folder / "spend.csv", cols, ([getattr(r, k) for k in cols] for r in rows)
        )
        cols = list(SCHEMA["intent_signals.csv"])
        rows = conn.execute(select(i).order_by(i.c.id)).all()
        counts["intent_signals.csv"] = _write(
            folder / "intent_signals.csv",
            cols,
            ([account_ids[r.account_id], None, *(getattr(r, k) for k in cols[2:])] for r in rows),
        )
    return counts
