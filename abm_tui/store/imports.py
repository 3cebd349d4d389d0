"""Write a validated import batch in one transaction: upsert by source id, then by domain."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, insert, select, update

from abm_tui.importers.errors import ImportFailed, RowError
from abm_tui.importers.generic import Batch
from abm_tui.store.models import Account, Contact, Engagement, Opportunity, Setting, StageChange, utcnow

ACCOUNT_FIELDS = (
    "name", "domain", "industry", "employees", "annual_revenue", "region", "owner_sales",
    "owner_marketing", "is_target", "tier", "icp_fit", "churned_at",
)  # fmt: skip
CONTACT_FIELDS = ("account_id", "name", "title", "email", "buying_role")
OPPORTUNITY_FIELDS = ("account_id", "name", "amount", "currency", "stage", "created_at", "close_date", "outcome", "source")


@dataclass
class ImportSummary:
    """What an import did (or, on a dry run, would do), per file."""

    counts: dict[str, Counter] = field(default_factory=dict)
    warnings: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    def add(self, file: str, what: str, n: int = 1) -> None:
        self.counts.setdefault(file, Counter())[what] += n

    def lines(self) -> list[str]:
        verb = "would be" if self.dry_run else ""
        out = []
        for file, c in self.counts.items():
            parts = [f"{c[k]} {k}" for k in ("created", "updated", "unchanged") if c[k]]
            out.append(f"{file}: {', '.join(parts) or 'nothing'}{' (' + verb + ')' if verb and parts else ''}")
        return out


def _t(model: Any) -> Table:
    return model.__table__


def apply_batch(engine: Engine, batch: Batch, *, dry_run: bool = False) -> ImportSummary:
    """Write `batch` all or nothing; raise ImportFailed with every problem found and write nothing."""
    if batch.errors:
        raise ImportFailed(batch.errors)
    summary = ImportSummary(warnings=list(batch.warnings), dry_run=dry_run)
    errors: list[RowError] = []
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            accounts = _upsert_accounts(conn, batch.rows.get("accounts.csv", []), summary, errors)
            contacts = _upsert_keyed(
                conn, _t(Contact), "contacts.csv", "contact_id", CONTACT_FIELDS,
                _resolve(batch.rows.get("contacts.csv", []), "account_id", accounts, "contacts.csv", errors),
                summary, extra=lambda r: {"role_inferred": False, "buying_role": r["buying_role"] or "other"},
            )  # fmt: skip
            opps = _upsert_keyed(
                conn, _t(Opportunity), "opportunities.csv", "opportunity_id", OPPORTUNITY_FIELDS,
                _resolve(batch.rows.get("opportunities.csv", []), "account_id", accounts, "opportunities.csv", errors),
                summary,
            )  # fmt: skip
            _insert_engagements(conn, batch.rows.get("engagements.csv", []), accounts, contacts, summary, errors)
            _insert_stage_changes(conn, batch.rows.get("stage_changes.csv", []), opps, summary, errors)
            _upsert_settings(conn, batch.rows.get("settings.csv", []), summary)
            if errors:
                raise ImportFailed(errors)
        except BaseException:
            trans.rollback()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    return summary


def _resolve(
    rows: list[dict[str, Any]], col: str, ids: dict[str, int], file: str, errors: list[RowError]
) -> list[dict[str, Any]]:
    """Replace the source id in `col` by the database id; unknown ids are errors."""
    out = []
    for row in rows:
        if row[col] not in ids:
            errors.append(RowError(file, row["_line"], col, f"unknown account {row[col]!r}"))
            continue
        out.append({**row, col: ids[row[col]]})
    return out


def _upsert_accounts(
    conn: Connection, rows: list[dict[str, Any]], summary: ImportSummary, errors: list[RowError]
) -> dict[str, int]:
    t = _t(Account)
    existing = {r.id: r for r in conn.execute(select(t))}
    by_source = {r.source_id: r.id for r in existing.values()}
    by_domain = {r.domain: r.id for r in existing.values() if r.domain}
    inserts, updates = [], []
    now = utcnow()
    domains_in_file: dict[str, int] = {}
    for row in rows:
        data = {f: row[f] for f in ACCOUNT_FIELDS}
        if row["domain"]:
            if row["domain"] in domains_in_file:
                errors.append(
                    RowError("accounts.csv", row["_line"], "domain",
                             f"{row['domain']} is also on line {domains_in_file[row['domain']]}")
                )  # fmt: skip
                continue
            domains_in_file[row["domain"]] = row["_line"]
        target_id = by_source.get(row["account_id"]) or by_domain.get(row["domain"])
        if target_id is None:
            inserts.append({**data, "source_id": row["account_id"], "created_at": now, "updated_at": now, "version": 1})
            summary.add("accounts.csv", "created")
            continue
        old = existing[target_id]
        other = by_domain.get(row["domain"])
        if row["domain"] and other is not None and other != target_id:
            errors.append(
                RowError("accounts.csv", row["_line"], "domain", f"{row['domain']} belongs to another account")
            )
            continue
        by_source[row["account_id"]] = target_id
        if all(getattr(old, f) == data[f] for f in ACCOUNT_FIELDS):
            summary.add("accounts.csv", "unchanged")
            continue
        updates.append({**data, "_id": target_id, "updated_at": now, "version": old.version + 1})
        summary.add("accounts.csv", "updated")
    if updates:
        conn.execute(update(t).where(t.c.id == bindparam("_id")), updates)
    if inserts:
        conn.execute(insert(t), inserts)
        for r in conn.execute(select(t.c.source_id, t.c.id)):
            by_source.setdefault(r.source_id, r.id)
    return by_source


def _upsert_keyed(
    conn: Connection,
    t: Table,
    file: str,
    key: str,
    fields: tuple[str, ...],
    rows: list[dict[str, Any]],
    summary: ImportSummary,
    extra: Any = None,
) -> dict[str, int]:
    cols = [t.c.id, t.c.source_id, *(t.c[f] for f in fields)]
    existing = {r.source_id: r for r in conn.execute(select(*cols))}
    inserts, updates = [], []
    for row in rows:
        data = {f: row[f] for f in fields}
        if extra:
            data.update(extra(row))
        old = existing.get(row[key])
        if old is None:
            inserts.append({**data, "source_id": row[key]})
            summary.add(file, "created")
        elif all(getattr(old, f) == data[f] for f in fields):
            summary.add(file, "unchanged")
        else:
            updates.append({**data, "_id": old.id})
            summary.add(file, "updated")
    if updates:
        conn.execute(update(t).where(t.c.id == bindparam("_id")), updates)
    if inserts:
        conn.execute(insert(t), inserts)
    return {r.source_id: r.id for r in conn.execute(select(t.c.source_id, t.c.id))}


def _insert_engagements(
    conn: Connection,
    rows: list[dict[str, Any]],
    accounts: dict[str, int],
    contacts: dict[str, int],
    summary: ImportSummary,
    errors: list[RowError],
) -> None:
    if not rows:
        return
    t = _t(Engagement)
    contact_account = dict(conn.execute(select(_t(Contact).c.id, _t(Contact).c.account_id)).all())
    known = set(conn.execute(select(t.c.source_key)).scalars())
    inserts = []
    for row in rows:
        account_id = accounts.get(row["account_id"])
        if account_id is None:
            errors.append(RowError("engagements.csv", row["_line"], "account_id", f"unknown account {row['account_id']!r}"))
            continue
        contact_id = None
        if row["contact_id"]:
            contact_id = contacts.get(row["contact_id"])
            if contact_id is None:
                errors.append(
                    RowError("engagements.csv", row["_line"], "contact_id", f"unknown contact {row['contact_id']!r}")
                )
                continue
            if contact_account.get(contact_id) != account_id:
                errors.append(
                    RowError("engagements.csv", row["_line"], "contact_id",
                             f"contact {row['contact_id']!r} belongs to another account")
                )  # fmt: skip
                continue
        if row["source_key"] in known:
            summary.add("engagements.csv", "unchanged")
            continue
        inserts.append(
            {
                "source_key": row["source_key"],
                "account_id": account_id,
                "contact_id": contact_id,
                "occurred_at": row["occurred_at"],
                "channel": row["channel"],
                "intent": row["intent"],
                "description": row["description"],
            }
        )
        summary.add("engagements.csv", "created")
    if inserts:
        conn.execute(insert(t), inserts)


def _insert_stage_changes(
    conn: Connection, rows: list[dict[str, Any]], opps: dict[str, int], summary: ImportSummary, errors: list[RowError]
) -> None:
    if not rows:
        return
    t = _t(StageChange)
    known = set(conn.execute(select(t.c.opportunity_id, t.c.stage, t.c.entered_at)).all())
    inserts = []
    for row in rows:
        opp_id = opps.get(row["opportunity_id"])
        if opp_id is None:
            errors.append(
                RowError("stage_changes.csv", row["_line"], "opportunity_id",
                         f"unknown opportunity {row['opportunity_id']!r}")
            )  # fmt: skip
            continue
        key = (opp_id, row["stage"], row["entered_at"])
        if key in known:
            summary.add("stage_changes.csv", "unchanged")
            continue
        known.add(key)
        inserts.append({"opportunity_id": opp_id, "stage": row["stage"], "entered_at": row["entered_at"]})
        summary.add("stage_changes.csv", "created")
    if inserts:
        conn.execute(insert(t), inserts)


def _upsert_settings(conn: Connection, rows: list[dict[str, Any]], summary: ImportSummary) -> None:
    t = _t(Setting)
    existing = dict(conn.execute(select(t.c.key, t.c.value)).all())
    for row in rows:
        if row["key"] not in existing:
            conn.execute(insert(t).values(key=row["key"], value=row["value"]))
            summary.add("settings.csv", "created")
        elif existing[row["key"]] != row["value"]:
            conn.execute(update(t).where(t.c.key == row["key"]).values(value=row["value"]))
            summary.add("settings.csv", "updated")
        else:
            summary.add("settings.csv", "unchanged")
