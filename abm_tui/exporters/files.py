"""Decisions back to the CRM, and the whole database in the generic format."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from abm_tui.importers.generic import SCHEMA
from abm_tui.store.models import Account, Contact, Decision, Engagement, Opportunity, Setting, StageChange

TARGET_COLUMNS = {
    # HubSpot's company import updates a company by Record ID; the ABM properties are created once in HubSpot.
    "hubspot": ["Record ID", "Company name", "Company Domain Name", "Target Account", "Ideal Customer Profile Tier",
                "ABM Status", "ABM Last Decision"],
    # Salesforce Data Loader "update" by Id; the __c fields are custom fields created once in Salesforce.
    "salesforce": ["Id", "Name", "Website", "ABM_Target__c", "ABM_Tier__c", "ABM_Status__c",
                   "ABM_Last_Decision__c"],
    "generic": ["account_id", "name", "domain", "is_target", "tier", "status", "dropped_reason", "last_decision"],
}  # fmt: skip


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
    return str(value)


def _write(path: Path, header: list[str], rows: Iterable[list]) -> int:
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
            n += 1
    return n


def last_decision_reasons(engine: Engine) -> dict[int, str]:
    """Per account, the newest decision that changed its place on the list, in words."""
    d = Decision.__table__
    stmt = select(d.c.account_id, d.c.kind, d.c.to_tier, d.c.reason, d.c.at).where(
        d.c.kind.in_(("retier", "target", "drop", "restore"))
    )
    out: dict[int, str] = {}
    with engine.connect() as conn:
        for r in conn.execute(stmt.order_by(d.c.id)):
            what = {"drop": "dropped", "restore": "restored"}.get(
                r.kind, f"Tier {r.to_tier}" if r.to_tier else "off list"
            )
            out[r.account_id] = f"{r.at:%Y-%m-%d} {what}" + (f": {r.reason}" if r.reason else "")
    return out


def export_targets(engine: Engine, path: Path, fmt: str) -> int:
    """The target list (targets and dropped accounts) in columns the CRM's importer accepts."""
    a = Account.__table__
    reasons = last_decision_reasons(engine)
    with engine.connect() as conn:
        accounts = conn.execute(
            select(a)
            .where((a.c.is_target.is_(True)) | (a.c.status == "dropped"))
            .order_by(a.c.tier, a.c.name)
        ).all()
    rows = []
    for r in accounts:
        target = r.is_target and r.status == "active"
        tier = r.tier if target else None
        if fmt == "hubspot":
            rows.append([r.hubspot_id, r.name, r.domain, target, f"tier_{tier}" if tier else "", r.status,
                         reasons.get(r.id) or r.dropped_reason])  # fmt: skip
        elif fmt == "salesforce":
            rows.append([r.salesforce_id, r.name, r.domain, target, tier, r.status,
                         reasons.get(r.id) or r.dropped_reason])  # fmt: skip
        else:
            rows.append([r.source_id, r.name, r.domain, r.is_target, r.tier, r.status, r.dropped_reason,
                         reasons.get(r.id)])  # fmt: skip
    return _write(path, TARGET_COLUMNS[fmt], rows)


def export_generic(engine: Engine, folder: Path) -> dict[str, int]:
    """Everything in the generic format: importing the folder into an empty database rebuilds the metrics."""
    folder.mkdir(parents=True, exist_ok=True)
    a, c, e, o, s, st = (
        m.__table__ for m in (Account, Contact, Engagement, Opportunity, StageChange, Setting)
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
        counts["contacts.csv"] = _write(folder / "contacts.csv", cols, (
            [r.source_id, account_ids[r.account_id], *(getattr(r, k) for k in cols[2:])] for r in rows
        ))  # fmt: skip
        cols = list(SCHEMA["engagements.csv"])
        rows = conn.execute(select(e).order_by(e.c.id)).all()
        counts["engagements.csv"] = _write(folder / "engagements.csv", cols, (
            [account_ids[r.account_id], contact_ids.get(r.contact_id), r.occurred_at, r.channel, r.intent,
             r.description] for r in rows
        ))  # fmt: skip
        cols = list(SCHEMA["opportunities.csv"])
        rows = conn.execute(select(o).order_by(o.c.id)).all()
        counts["opportunities.csv"] = _write(folder / "opportunities.csv", cols, (
            [r.source_id, account_ids[r.account_id], *(getattr(r, k) for k in cols[2:])] for r in rows
        ))  # fmt: skip
        rows = conn.execute(select(s).order_by(s.c.id)).all()
        counts["stage_changes.csv"] = _write(folder / "stage_changes.csv", list(SCHEMA["stage_changes.csv"]), (
            [opp_ids[r.opportunity_id], r.stage, r.entered_at] for r in rows
        ))  # fmt: skip
        rows = conn.execute(select(st).order_by(st.c.key)).all()
        counts["settings.csv"] = _write(
            folder / "settings.csv", ["key", "value"], ([r.key, r.value] for r in rows)
        )
    return counts
